"""Taxonomy-based hard negatives (TB-HNS): products from the positive's own or neighbouring branches.

For a positive filed under leaf L with parent P, negatives come from P's other leaves (siblings:
same kind of thing, different category, e.g. a vanity bench for an outdoor bench). When that branch
holds too few products, the search widens to the grandparent and beyond. `sibling_share` sets the
mix: that share of the `k` negatives from the nearest level, the rest one level wider (cousins).
Products judged relevant for the query are never used (they would be false negatives).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from encoders.samplers.base import NegativeSampler, TrainingExample
from kernel.product import Product
from kernel.taxonomy import CategoryPath, Taxonomy

__all__ = ["TaxonomySampler"]


class TaxonomySampler(NegativeSampler):
    """Hard negatives from the positive's sibling leaves, widening to cousins when a branch is thin.

    Args:
        catalog: Products to draw from (their `category` places them in the tree).
        seed: Random seed.
        sibling_share: Share of negatives from the closest non-empty level; the rest come from one level up.
        min_branch: Fewest candidate products a level needs before it is used.

    Example:
        >>> from kernel.product import Product
        >>> catalog = [Product(id="a", title="Miter saw", category="Tools > Saws > Miter"),
        ...            Product(id="b", title="Jigsaw", category="Tools > Saws > Jig"),
        ...            Product(id="c", title="Drill", category="Tools > Drills > Cordless")]
        >>> s = TaxonomySampler(catalog, seed=0, min_branch=1, sibling_share=1.0)
        >>> [p.id for p in s.sample([TrainingExample("miter saw", catalog[0])], k=1)[0]]
        ['b']
    """

    name = "tb-hns"

    def __init__(
        self, catalog: Sequence[Product], seed: int = 0, sibling_share: float = 0.75, min_branch: int = 8
    ) -> None:
        super().__init__(seed)
        self.sibling_share = sibling_share
        self.min_branch = min_branch
        self._by_leaf: dict[CategoryPath, list[Product]] = defaultdict(list)
        for product in catalog:
            if product.category:
                self._by_leaf[tuple(product.category)].append(product)
        self._taxonomy = Taxonomy(self._by_leaf)
        self._fallback = [p for products in self._by_leaf.values() for p in products] or list(catalog)
        self._outside_cache: dict[tuple[CategoryPath, int], list[Product]] = {}

    def _outside(self, leaf: CategoryPath, up: int) -> list[Product]:
        """Products under the ancestor `up` levels above `leaf`, excluding `leaf` itself (cached)."""
        key = (leaf, up)
        if key not in self._outside_cache:
            branch = self._taxonomy.ancestor(leaf, up)
            self._outside_cache[key] = [
                p for other in self._taxonomy.subtree_leaves(branch) if other != leaf for p in self._by_leaf[other]
            ]
        return self._outside_cache[key]

    def sample(self, examples: Sequence[TrainingExample], k: int) -> list[list[Product]]:
        """`k` negatives per example from its taxonomy neighbourhood."""
        return [self._sample_one(example, k) for example in examples]

    def _sample_one(self, example: TrainingExample, k: int) -> list[Product]:
        leaf = tuple(example.positive.category)
        excluded = example.relevant_ids | {example.positive.id}
        levels: list[list[Product]] = []
        if leaf:
            for up in range(1, len(leaf)):
                pool = [p for p in self._outside(leaf, up) if p.id not in excluded]
                if len(pool) >= self.min_branch or up == len(leaf) - 1:
                    levels.append(pool)
                    wider = (
                        [p for p in self._outside(leaf, up + 1) if p.id not in excluded] if up + 1 < len(leaf) else []
                    )
                    # By id: comparing whole products (pydantic equality) against a list was quadratic,
                    # minutes per batch on a 20,000-product catalog.
                    in_pool = {p.id for p in pool}
                    levels.append([p for p in wider if p.id not in in_pool] or pool)
                    break
        if not levels or not levels[0]:
            # No neighbouring branch at all: any other leaf's products.
            levels = [[p for p in self._fallback if p.id not in excluded and tuple(p.category) != leaf]] * 2
        near = round(k * self.sibling_share)
        chosen = self._pick(levels[0], near) + self._pick(levels[1], k - near)
        return chosen[:k]

    def _pick(self, pool: list[Product], n: int) -> list[Product]:
        return self.rng.sample(pool, min(n, len(pool))) if n > 0 and pool else []

    def get_config_dict(self) -> dict[str, Any]:
        """Settings for the model card."""
        return {
            **super().get_config_dict(),
            "sibling_share": self.sibling_share,
            "min_branch": self.min_branch,
            "leaves": len(self._by_leaf),
        }
