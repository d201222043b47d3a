"""Spelling correction against the catalog's own words (symspellpy), shared by BM25 and the encoders' input.

Shoppers misspell ("curtiins", "ppes", "outodoor oatoman"), and a title never does the same way: a
misspelled word matches nothing in BM25 and reads as noise to the encoder. `SpellingCorrector` knows
how often each word occurs in the catalog's titles and replaces a query word it has never seen (5
letters or more, no digits) with the most frequent catalog word within edit distance 2 (1 for words
under 8 letters). Known words and plurals of known words, numbers, model numbers and short words are
left alone.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["SPELLING_FILE", "SpellingCorrector"]

SPELLING_FILE = "spelling.json"
_WORD = re.compile(r"[A-Za-z]+|[^A-Za-z]+")
_TITLE_WORD = re.compile(r"[a-z]+")


class SpellingCorrector:
    """Corrects query words toward the catalog's vocabulary.

    Args:
        counts: How many titles each (lower-case) word occurs in.
        min_count: Words seen fewer times are not offered as corrections.
        min_length: Shorter query words are never corrected.
    """

    def __init__(self, counts: Mapping[str, int], min_count: int = 3, min_length: int = 5) -> None:
        from symspellpy import SymSpell

        self.counts = dict(counts)
        self.min_length = min_length
        self._symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in self.counts.items():
            if count >= min_count:
                self._symspell.create_dictionary_entry(word, count)

    @classmethod
    def from_titles(cls, titles: Iterable[str], **kwargs: int) -> SpellingCorrector:
        """A corrector over the words of these titles."""
        counts: Counter[str] = Counter()
        for title in titles:
            counts.update(set(_TITLE_WORD.findall(title.lower())))
        return cls(counts, **kwargs)

    def word(self, word: str) -> str:
        """`word` corrected (lower-case), or as it was when it is known, short, or has no close catalog word."""
        from symspellpy import Verbosity

        lower = word.lower()
        if len(lower) < self.min_length or lower in self.counts or self._plural_of_known(lower):
            return word
        distance = 1 if len(lower) < 8 else 2
        found = self._symspell.lookup(lower, Verbosity.TOP, max_edit_distance=distance)
        return found[0].term if found else word

    def _plural_of_known(self, word: str) -> bool:
        # Titles say "rake" where shoppers say "rakes": the analyzer's stemmer meets those, a correction
        # to the nearest frequent word ("sleds" → "seeds") would not.
        return any(word.endswith(end) and word[: -len(end)] in self.counts for end in ("s", "es"))

    def correct(self, text: str) -> str:
        """`text` with each unknown word corrected; everything else (spacing, numbers, signs) kept."""
        return "".join(self.word(part) if part.isalpha() else part for part in _WORD.findall(text))

    def save(self, folder: Path) -> None:
        """Write the word counts to `spelling.json` in `folder`."""
        (folder / SPELLING_FILE).write_text(json.dumps(self.counts, sort_keys=True))

    @classmethod
    def load(cls, folder: Path | None) -> SpellingCorrector | None:
        """The corrector saved in `folder`, or None when there is none."""
        path = folder / SPELLING_FILE if folder is not None else None
        if path is None or not path.is_file():
            return None
        return cls(json.loads(path.read_text()))
