"""Query understanding shared by BM25 and the encoders: one spelling for units, numbers and dimensions.

Retail text writes one size many ways (`3/4 in.`, `3/4 inch`, `3/4"`, `8 ft.`, `18-Volt`, `1-gal.`,
`2x4`). `normalize_text` rewrites each to one canonical form (`3/4 inch`, `8 ft`, `18 volt`, `1 gal`,
`2 x 4`) so a query and a title that mean the same size also read the same. The rules are data
(`UNIT_RULES`, regular expressions both Python and Lucene read), so the index can apply exactly
the same rewriting to titles in its analyzer (`title.units`, mapping `products.v1`) as the API applies
to queries here.
"""

from __future__ import annotations

import html
import re
from functools import cache

__all__ = ["UNIT_RULES", "lucene_char_filters", "normalize_text", "numbers_in"]

# (pattern, replacement); a number is digits with an optional decimal or fraction part. Each pattern
# is case-insensitive and uses only what both Python's `re` and Java's regex read alike; replacements
# name groups as $1 (turned into \1 for Python).
_NUMBER = r"(\d+(?:[./]\d+)?)"
UNIT_RULES: list[tuple[str, str]] = [
    (r"(\d)-(\d+/\d+)", "$1 $2"),  # 2-1/2 → 2 1/2
    (_NUMBER + r"\s*x\s*(?=\d)", "$1 x "),  # 2x4, 2 x4 → 2 x 4
    (_NUMBER + r"\s*-?\s*(?:sq\.?\s*ft\.?|square\s+f(?:ee|oo)t)(?![a-z])", "$1 sqft"),
    (_NUMBER + r"\s*-?\s*(?:cu\.?\s*ft\.?|cubic\s+f(?:ee|oo)t)(?![a-z])", "$1 cuft"),
    (_NUMBER + r"\s*-?\s*(?:inches|inch|in\.|in(?![a-z])|\"|'')", "$1 inch"),
    (_NUMBER + r"\s*-?\s*(?:feet|foot|ft\.?(?![a-z])|')", "$1 ft"),
    (_NUMBER + r"\s*-?\s*(?:gallons|gallon|gal\.?(?![a-z]))", "$1 gal"),
    (_NUMBER + r"\s*-?\s*(?:pounds|pound|lbs\.?(?![a-z])|lb\.?(?![a-z]))", "$1 lb"),
    (_NUMBER + r"\s*-?\s*(?:ounces|ounce|oz\.?(?![a-z]))", "$1 oz"),
    (_NUMBER + r"\s*-?\s*(?:volts|volt|v(?![a-z]))", "$1 volt"),
    (_NUMBER + r"\s*-?\s*(?:watts|watt|w(?![a-z]))", "$1 watt"),
    (_NUMBER + r"\s*-?\s*(?:amps|amp|a(?![a-z]))", "$1 amp"),
    (_NUMBER + r"\s*-?\s*(?:millimeters|millimeter|mm(?![a-z]))", "$1 mm"),
    (_NUMBER + r"\s*-?\s*(?:gauge|ga\.?(?![a-z]))", "$1 gauge"),
]


@cache
def _compiled() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(p, re.IGNORECASE), re.sub(r"\$(\d)", r"\\\1", r)) for p, r in UNIT_RULES]


_DIGIT = re.compile(r"\d")


def normalize_text(text: str) -> str:
    """`text` with HTML entities decoded, sizes and units spelled one way, and white space collapsed."""
    text = html.unescape(text)
    # Every rule starts at a digit: text without one (most queries) skips them all.
    if _DIGIT.search(text):
        for pattern, replacement in _compiled():
            text = pattern.sub(replacement, text)
    return " ".join(text.split())


_NUMBERS = re.compile(r"\d+(?:[./]\d+)?")


def numbers_in(text: str, *, normalized: bool = False) -> set[str]:
    """The numbers (`3/4`, `2.5`, `18`) of the normalized text: what a size or model number match compares.

    `normalized`: `text` is `normalize_text`'s output already.
    """
    return set(_NUMBERS.findall(text if normalized else normalize_text(text)))


def lucene_char_filters() -> dict[str, dict[str, str]]:
    """`UNIT_RULES` as OpenSearch `pattern_replace` char filters (named `units_0`, `units_1`, ...), in order."""
    return {
        f"units_{i}": {"type": "pattern_replace", "pattern": f"(?i){pattern}", "replacement": replacement}
        for i, (pattern, replacement) in enumerate(UNIT_RULES)
    }
