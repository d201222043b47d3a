from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from encoders.errors import TrainingDataError
from encoders.samplers import AnceSampler, BM25Sampler, StagedSampler, TrainingExample
from encoders.samplers.staged import CLICKED, RANDOM, SHOWN
from kernel.product import Product

CATALOG = [
    Product(id="outdoor", title="Cedar outdoor bench"),
    Product(id="vanity", title="Velvet vanity bench"),
    Product(id="dining", title="Oak dining bench"),
    Product(id="piano", title="Piano bench with storage"),
    *[Product(id=f"drill-{i}", title=f"Cordless drill {i}") for i in range(20)],
]
BY_ID = {p.id: p for p in CATALOG}


def _title(product: Product) -> str:
    return product.title


def test_bm25_negatives_share_the_query_words_and_skip_judged_products() -> None:
    sampler = BM25Sampler(CATALOG, _title, seed=0)
    example = TrainingExample("bench", BY_ID["outdoor"], frozenset({"dining"}))
    negatives = sampler.sample([example] * 5, k=2)
    for row in negatives:
        assert len(row) == 2
        assert {p.id for p in row} <= {"vanity", "piano"}  # benches, not drills; never the judged dining bench


def test_bm25_gives_nothing_for_a_query_without_matches() -> None:
    sampler = BM25Sampler(CATALOG, _title, seed=0)
    assert sampler.sample([TrainingExample("zzyzx", BY_ID["outdoor"])], k=3) == [[]]


class _Counting:
    """A toy encoder: product vectors are one-hot by title word; counts how often products are re-encoded."""

    words = ["bench", "drill", "outdoor", "vanity", "dining", "piano", "cedar", "oak"]

    def __init__(self) -> None:
        self.product_encodings = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) > 5:
            self.product_encodings += 1
        rows = np.array([[1.0 if w in t.lower() else 0.0 for w in self.words] for t in texts], dtype=np.float32)
        return rows / np.clip(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9, None)


def test_ance_mines_what_the_current_model_ranks_high_and_refreshes_on_schedule() -> None:
    encode = _Counting()
    sampler = AnceSampler(CATALOG, _title, encode, seed=0, refresh_every=3, depth=2)
    example = TrainingExample("bench", BY_ID["outdoor"], frozenset({"dining"}))
    for _ in range(7):
        row = sampler.sample([example], k=2)[0]
        assert {p.id for p in row} <= {"vanity", "piano"}
    assert encode.product_encodings == 3  # batches 1, 4 and 7
    assert sampler.get_config_dict()["refreshes"] == 3


def test_ance_pool_is_a_seeded_sample_on_large_catalogs() -> None:
    a = AnceSampler(CATALOG, _title, _Counting(), seed=1, pool_size=5)
    b = AnceSampler(CATALOG, _title, _Counting(), seed=1, pool_size=5)
    assert a.get_config_dict()["pool_size"] == 5
    assert [p.id for p in a._pool] == [p.id for p in b._pool]


STAGED = TrainingExample(
    "bench",
    BY_ID["outdoor"],
    frozenset({"outdoor"}),
    shown=("vanity", "outdoor", "dining", "piano"),
    clicked=frozenset({"outdoor", "dining"}),
)


def test_mmse_negatives_are_shown_but_not_clicked_then_random() -> None:
    sampler = StagedSampler(CATALOG, seed=0, random_share=0.5)
    for row in sampler.sample([STAGED] * 5, k=4):
        ids = [p.id for p in row]
        assert len(ids) == 4 and len(set(ids)) == 4
        assert set(ids[:2]) <= {"vanity", "piano"}  # the passed-over ones
        assert "dining" not in ids and "outdoor" not in ids  # a click is no negative


def test_mmse_staged_rows_carry_the_clicked_product_and_each_stage() -> None:
    row = StagedSampler(CATALOG, seed=0, random_share=0.5).staged([STAGED], k=2)[0]
    assert [(p.id, stage) for p, stage in row[:1]] == [("dining", CLICKED)]
    assert [stage for _, stage in row[1:]] == [SHOWN, RANDOM]


def test_mmse_refuses_data_without_logged_pages() -> None:
    with pytest.raises(TrainingDataError, match="shown and clicked"):
        StagedSampler(CATALOG).sample([TrainingExample("bench", BY_ID["outdoor"])], k=2)
