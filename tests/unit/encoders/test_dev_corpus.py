"""The dev corpus a short training run ranks its checkpoints over."""

from __future__ import annotations

import random

from encoders.runs import dev_corpus
from kernel.data import JudgedQuery
from kernel.product import Product


def test_a_sampleddev_corpus_keeps_every_judged_product_and_is_seeded() -> None:
    catalog = [Product(id=f"p{i}", title=f"product {i}") for i in range(100)]
    dev = [JudgedQuery("q1", "x", {"p3": 2, "p97": 1}), JudgedQuery("q2", "y", {"p50": 3})]
    corpus = dev_corpus(catalog, dev, 10, random.Random(1))
    ids = [p.id for p in corpus]
    assert len(ids) == 10 and len(set(ids)) == 10
    assert {"p3", "p97", "p50"} <= set(ids)
    assert ids == [p.id for p in dev_corpus(catalog, dev, 10, random.Random(1))]
    assert dev_corpus(catalog, dev, 0, random.Random(1)) is catalog
    assert dev_corpus(catalog, dev, 500, random.Random(1)) is catalog
