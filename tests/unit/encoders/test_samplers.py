from __future__ import annotations

import pytest

from encoders.samplers import InBatchSampler, RandomSampler, TaxonomySampler, TrainingExample
from kernel.product import Product
from kernel.taxonomy import Taxonomy


def _catalog() -> list[Product]:
    rows = []
    for leaf in ("Miter Saws", "Table Saws", "Jigsaws"):
        rows += [Product(id=f"{leaf}-{i}", title=f"{leaf} {i}", category=["Tools", "Saws", leaf]) for i in range(10)]
    for leaf in ("Hammer Drills", "Drill Presses"):
        rows += [Product(id=f"{leaf}-{i}", title=f"{leaf} {i}", category=["Tools", "Drills", leaf]) for i in range(10)]
    rows += [
        Product(id=f"bench-{i}", title=f"Bench {i}", category=["Furniture", "Benches", "Garden"]) for i in range(10)
    ]
    return rows


CATALOG = _catalog()
MITER = CATALOG[0]


def _examples() -> list[TrainingExample]:
    return [TrainingExample("miter saw", MITER, frozenset({"Miter Saws-1", "Table Saws-0"}))] * 4


@pytest.mark.parametrize("make", [lambda s: RandomSampler(CATALOG, s), lambda s: TaxonomySampler(CATALOG, s)])
def test_the_same_seed_gives_the_same_negatives_and_another_seed_does_not(make) -> None:  # type: ignore[no-untyped-def]
    ids = lambda sampler: [[p.id for p in n] for n in sampler.sample(_examples(), 3)]  # noqa: E731
    assert ids(make(1)) == ids(make(1))
    assert ids(make(1)) != ids(make(2))


def test_each_epoch_reseeds_deterministically() -> None:
    a, b = TaxonomySampler(CATALOG, 5), TaxonomySampler(CATALOG, 5)
    a.set_epoch(3)
    b.sample(_examples(), 3)  # consuming randomness before the epoch starts changes nothing
    b.set_epoch(3)
    assert [p.id for p in a.sample(_examples(), 3)[0]] == [p.id for p in b.sample(_examples(), 3)[0]]


def test_tb_hns_takes_siblings_first_then_cousins_and_never_judged_products() -> None:
    sampler = TaxonomySampler(CATALOG, seed=0, sibling_share=0.5, min_branch=5)
    for negatives in sampler.sample(_examples(), 4):
        leaves = [p.category[-1] for p in negatives]
        assert all(leaf in {"Table Saws", "Jigsaws"} for leaf in leaves[:2])  # siblings under Saws
        assert all(p.category[1] == "Drills" for p in negatives[2:])  # cousins under Tools
        assert not {p.id for p in negatives} & {"Miter Saws-1", "Table Saws-0", MITER.id}


def test_tb_hns_widens_to_the_next_level_when_the_siblings_are_too_few() -> None:
    # Saws holds 20 sibling products, fewer than 30: the level above (all of Tools) is the one used.
    sampler = TaxonomySampler(CATALOG, seed=0, sibling_share=1.0, min_branch=30)
    negatives = sampler.sample([TrainingExample("miter saw", MITER)], 10)[0]
    assert len(negatives) == 10 and all(p.category[0] == "Tools" and p.category[-1] != "Miter Saws" for p in negatives)
    assert any(p.category[1] == "Drills" for p in negatives), "the widened level (Tools) was never reached"


def test_tb_hns_falls_back_to_other_leaves_when_its_whole_tree_is_empty() -> None:
    # The benches are the only products under Furniture: no level of their own tree has anything else.
    sampler = TaxonomySampler(CATALOG, seed=0, sibling_share=1.0, min_branch=100)
    negatives = sampler.sample([TrainingExample("bench", CATALOG[-1])], 3)[0]
    assert len(negatives) == 3 and all(p.category[0] == "Tools" for p in negatives)


def test_in_batch_adds_nothing_and_random_avoids_relevant_products() -> None:
    assert InBatchSampler().sample(_examples(), 3) == [[]] * 4
    for negatives in RandomSampler(CATALOG, 0).sample(_examples(), 5):
        assert len(negatives) == 5 and not {p.id for p in negatives} & {"Miter Saws-1", "Table Saws-0", MITER.id}


def test_config_dicts_name_the_sampler() -> None:
    assert TaxonomySampler(CATALOG, 7).get_config_dict() == {
        "name": "tb-hns",
        "seed": 7,
        "sibling_share": 0.75,
        "min_branch": 8,
        "leaves": 6,
    }


def test_taxonomy_leaves_and_subtrees() -> None:
    taxonomy = Taxonomy(tuple(p.category) for p in CATALOG)
    assert len(taxonomy.leaves) == 6
    assert taxonomy.subtree_leaves(("Tools", "Drills")) == [
        ("Tools", "Drills", "Drill Presses"),
        ("Tools", "Drills", "Hammer Drills"),
    ]
