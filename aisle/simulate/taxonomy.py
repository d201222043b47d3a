"""The real taxonomy branches the simulated store sells from, and the product nouns of their leaves."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from importlib import resources

from kernel.product import CATEGORY_SEPARATOR, parse_category_path

__all__ = ["Leaf", "load_leaves", "singular"]


@dataclass(frozen=True)
class Leaf:
    """A leaf category and the words shoppers use for its products.

    Args:
        path: Root-to-leaf names, e.g. `("Furniture", "Benches", "Vanity Benches")`.
        phrase: The product phrase, e.g. `vanity bench`.
        head: The head noun, shared by confusable siblings, e.g. `bench`.
        family: The department whose brands and materials it shares, e.g. `Furniture`.
    """

    path: tuple[str, ...]
    phrase: str
    head: str
    family: str


def singular(word: str) -> str:
    """A plural English noun made singular (enough for category names)."""
    lower = word.lower()
    if re.search(r"(ch|sh|ss|x)es$", lower):
        return lower[:-2]
    if lower.endswith("ies"):
        return lower[:-3] + "y"
    if lower.endswith("s") and not lower.endswith("ss"):
        return lower[:-1]
    return lower


def _phrase(name: str) -> str:
    # "Arm Chairs, Recliners & Sleeper Chairs" → "sleeper chair": the last alternative, at most two words.
    last = re.split(r"\s*(?:,|&)\s*", name)[-1]
    words = [w for w in re.split(r"[\s-]+", last) if w][-2:]
    return " ".join([*(w.lower() for w in words[:-1]), singular(words[-1])])


def _family(path: tuple[str, ...]) -> str:
    return CATEGORY_SEPARATOR.join(path[:2]) if path[0] == "Home & Garden" else path[0]


def load_leaves() -> list[Leaf]:
    """The leaves of the bundled branches (`branches.tsv`, taken unchanged from the public taxonomy)."""
    text = resources.files("aisle.simulate").joinpath("branches.tsv").read_text(encoding="utf-8")
    rows = list(csv.DictReader((line for line in text.splitlines() if not line.startswith("#")), delimiter="\t"))
    parents = {row["parent_id"] for row in rows}
    leaves = []
    for row in rows:
        if row["id"] in parents:
            continue
        path = tuple(parse_category_path(row["path"]))
        phrase = _phrase(path[-1])
        leaves.append(Leaf(path, phrase, phrase.split()[-1], _family(path)))
    return leaves
