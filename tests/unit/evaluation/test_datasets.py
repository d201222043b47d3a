from __future__ import annotations

import pytest

from aisle.evaluation.datasets import home_depot_segments


@pytest.mark.parametrize(
    ("text", "number", "length"),
    [
        ("pvc pipe 3/4 in", "has a number", "3+ words"),
        ("r-410a", "has a number", "1-2 words"),
        ("garden bench", "words only", "1-2 words"),
        ("cordless drill with battery", "words only", "3+ words"),
    ],
)
def test_home_depot_queries_are_segmented_by_numbers_and_length(text: str, number: str, length: str) -> None:
    segments = home_depot_segments(text, relevant_seen=False)
    assert segments == {"item": "cold-start item", "query": length, "number": number}
    assert home_depot_segments(text, relevant_seen=True)["item"] == "seen in training"
