"""Sizes and units read one way in queries and titles."""

from __future__ import annotations

import pytest

from kernel.normalize import normalize_text, numbers_in


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("3/4 in. x 3 in. x 8 ft. MDF Casing", "3/4 inch x 3 inch x 8 ft MDF Casing"),
        ('mdf 3/4"', "mdf 3/4 inch"),
        ("3/4 inch plywood", "3/4 inch plywood"),
        ("3/4in plywood", "3/4 inch plywood"),
        ("RIDGID X4 18-Volt 1/2 in. Impact Wrench", "RIDGID X4 18 volt 1/2 inch Impact Wrench"),
        ("18v impact", "18 volt impact"),
        ("BEHR DeckOver 1-gal. Coating", "BEHR DeckOver 1 gal Coating"),
        ("5 gallon bucket", "5 gal bucket"),
        ("Quikrete 80 lb. Concrete", "Quikrete 80 lb Concrete"),
        ("2x4x8 pressure treated", "2 x 4 x 8 pressure treated"),
        ("2-1/2 in. Cup Pull", "2 1/2 inch Cup Pull"),
        ("Vinyl Plank Flooring, 20 sq. ft.", "Vinyl Plank Flooring, 20 sqft"),
        ("Briggs &amp; Stratton Engine", "Briggs & Stratton Engine"),
        ("12-Gauge Angle", "12 gauge Angle"),
        ("60W equivalent", "60 watt equivalent"),
    ],
)
def test_sizes_and_units_are_spelled_one_way(text: str, normalized: str) -> None:
    assert normalize_text(text) == normalized


def test_words_that_only_look_like_units_are_left_alone() -> None:
    assert normalize_text("ventless inside vanity") == "ventless inside vanity"
    assert normalize_text("a 4 way switch with 2 amplifiers") == "a 4 way switch with 2 amplifiers"


def test_a_query_and_a_title_written_differently_share_their_numbers() -> None:
    assert numbers_in('mdf 3/4"') <= numbers_in("House of Fara 3/4 in. x 3 in. x 8 ft. MDF Fluted Casing")
    assert numbers_in("2x4") == {"2", "4"}
