"""The generative model of the simulated store (written out in the README, "The simulated store").

Products: each leaf of the bundled taxonomy branches gets products whose titles combine a brand,
style, material, colour, size and model token drawn from pools its *family* shares, so siblings
(a vanity bench, a dining bench, an outdoor bench) look alike in every word but the noun.
Shoppers: latent tastes (1-2 families, a few leaves, two favourite brands, a style, a price tier)
that drift a little with every purchase; cold (no purchases), infrequent (1-4) or frequent (5-30).
Purchases and searches both pick a leaf from the tastes, then the product with the highest
utility (brand, style and tier fit plus Gumbel noise). Queries are mostly the bare head noun
("bench"), which many leaves share, so only the shopper's tastes resolve them. Ground truth: the
product bought (grade 3); in the intended leaf, products of a favourite brand (2) or of the
shopper's style (1); every other product, the same noun in another leaf included, grade 0.
Each search also logs the page a plain keyword engine showed (12 products whose leaf shares the
query's head noun, the bought one among them) and the clicks on it: the bought product, and each
shown product of the intended leaf that fits the shopper with probability 0.6. Pages draw from
their own random stream, so adding them left every product, purchase and judgment unchanged.
Each product's popularity is the units its purchase histories bought (never the searches' purchases).
Demographics (opt-in, `StoreConfig.demographics`): each shopper gets a region and a customer type
that a retailer knows even before the first purchase. The region's department draws 4 times the
interest of each other department when tastes are drawn; pros lean to the premium tier and to
heavy-duty / pro styles. Off, the store is exactly what it was before demographics existed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aisle.simulate.taxonomy import Leaf, load_leaves
from kernel.product import CATEGORY_SEPARATOR, parse_category_path

__all__ = ["SimulatedStore", "StoreConfig", "simulate", "write_store"]

STYLES = ["modern", "classic", "rustic", "industrial", "farmhouse", "compact", "heavy-duty", "pro"]
COLOURS = ["black", "white", "gray", "red", "blue", "green", "natural", "bronze", "silver", "yellow"]
MATERIALS = {
    "Furniture": ["oak", "cedar", "pine", "teak", "steel", "aluminum", "wicker", "resin", "walnut", "bamboo"],
    "Hardware": ["steel", "aluminum", "fiberglass", "carbide", "titanium", "cast iron", "composite", "magnesium"],
    "Home & Garden > Lighting": ["brass", "glass", "aluminum", "bronze", "nickel", "steel", "ceramic", "acrylic"],
    "Home & Garden > Lawn & Garden": [
        "steel",
        "poly",
        "aluminum",
        "ash wood",
        "fiberglass",
        "brass",
        "rubber",
        "vinyl",
    ],
}
SIZES = ["small", "medium", "large", "18 in.", "24 in.", "36 in.", "48 in.", "60 in.", "2-pack", "4-pack"]
BRAND_STEMS = [
    "Ridge",
    "Pine",
    "Iron",
    "Summit",
    "North",
    "Oak",
    "Harbor",
    "Stone",
    "Maple",
    "Falcon",
    "Cedar",
    "Atlas",
    "Bright",
    "Copper",
    "Eagle",
    "River",
    "Granite",
    "Prairie",
    "Swift",
    "Willow",
]
BRAND_ENDS = ["line", "craft", "works", "wood", "point", "field", "mark", "gate"]
TIERS = ["budget", "mid", "premium"]
TIER_PRICE = [0.6, 1.0, 1.8]
SEGMENTS = {"cold": (0, 0), "infrequent": (1, 4), "frequent": (5, 30)}
SEGMENT_SHARE = {"cold": 0.25, "infrequent": 0.35, "frequent": 0.40}
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
REGIONS = ["north", "south", "east", "west"]
CUSTOMER_TYPES = {"diy": 0.7, "pro": 0.3}
REGION_PULL = 4.0  # interest in the region's own department relative to each other department
PRO_STYLES = ["heavy-duty", "pro"]


@dataclass(frozen=True)
class StoreConfig:
    """Sizes and seed of a simulation; the same config always gives the same store."""

    products: int = 50_000
    shoppers: int = 2_000
    sessions_per_shopper: int = 2
    brands_per_family: int = 12
    seed: int = 42
    demographics: bool = False


@dataclass
class SimulatedStore:
    """Everything a simulation produced, ready to write out."""

    config: StoreConfig
    products: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    qrels: list[tuple[str, str, int]] = field(default_factory=list)
    shoppers: list[dict[str, Any]] = field(default_factory=list)
    profiles: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Catalog:
    leaves: list[Leaf]
    brands: dict[str, list[tuple[str, int, str]]]  # family → (name, tier, style lean)
    by_leaf: dict[int, list[int]]  # leaf index → product indices
    brand: np.ndarray
    tier: np.ndarray
    style: np.ndarray
    leaf: np.ndarray


def simulate(config: StoreConfig | None = None) -> SimulatedStore:
    """Run the generative model (see the module docstring)."""
    config = config or StoreConfig()
    rng = np.random.default_rng(config.seed)
    store = SimulatedStore(config)
    catalog = _make_catalog(config, rng, store)
    _make_shoppers(config, rng, catalog, store)
    _count_units(store)
    return store


def _count_units(store: SimulatedStore) -> None:
    # A catalog's popularity is its units sold, counted from the purchase histories alone: the searches'
    # own purchases (the judgments) never feed it, so no product is popular because it is the answer.
    units: dict[str, int] = defaultdict(int)
    for event in store.events:
        units[event["product_id"]] += int(event["quantity"])
    for product in store.products:
        product["popularity"] = units.get(product["id"], 0)


def _brand_names(rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(BRAND_STEMS)}{rng.choice(BRAND_ENDS)}"
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def _make_catalog(config: StoreConfig, rng: np.random.Generator, store: SimulatedStore) -> _Catalog:
    leaves = load_leaves()
    taken: set[str] = set()
    brands = {
        family: [
            (name, int(rng.integers(3)), str(rng.choice(STYLES)))
            for name in _brand_names(rng, config.brands_per_family, taken)
        ]
        for family in sorted({leaf.family for leaf in leaves})
    }
    # Leaf sizes follow a Zipf-like law: a few big categories, a long tail.
    weights = 1.0 / np.arange(1, len(leaves) + 1) ** 0.6
    weights = rng.permutation(weights / weights.sum())
    leaf_of = rng.choice(len(leaves), size=config.products, p=weights)
    base_price = {i: float(np.exp(rng.normal(4.0, 1.0))) for i in range(len(leaves))}
    brand_of, tier_of, style_of = (np.zeros(config.products, dtype=np.int64) for _ in range(3))
    by_leaf: dict[int, list[int]] = defaultdict(list)
    for i, leaf_index in enumerate(leaf_of):
        leaf = leaves[leaf_index]
        pool = brands[leaf.family]
        b = int(rng.integers(len(pool)))
        name, tier, lean = pool[b]
        style = lean if rng.random() < 0.6 else str(rng.choice(STYLES))
        material = str(rng.choice(MATERIALS[_material_key(leaf.family)]))
        colour, size = str(rng.choice(COLOURS)), str(rng.choice(SIZES))
        model = f"{chr(65 + int(rng.integers(26)))}{chr(65 + int(rng.integers(26)))}-{int(rng.integers(100, 9999))}"
        words = [name, style, material, leaf.phrase, size]
        title = " ".join(w for w in words if w).title().replace(" In.", " in.") + f", {colour.title()} ({model})"
        price = round(base_price[int(leaf_index)] * TIER_PRICE[tier] * float(np.exp(rng.normal(0, 0.25))), 2)
        store.products.append(
            {
                "id": f"sim-{i:06d}",
                "title": title,
                "brand": name,
                "category": list(leaf.path),
                "description": f"{style.title()} {material} {leaf.phrase} by {name}, {size}, {colour}.",
                "attributes": {"style": style, "material": material, "colour": colour, "size": size, "model": model},
                "price": price,
                "currency": "USD",
                "availability": "in_stock" if rng.random() < 0.93 else "out_of_stock",
            }
        )
        brand_of[i], tier_of[i], style_of[i] = b, tier, STYLES.index(style)
        by_leaf[int(leaf_index)].append(i)
    return _Catalog(leaves, brands, by_leaf, brand_of, tier_of, style_of, leaf_of)


def _material_key(family: str) -> str:
    return family if family in MATERIALS else parse_category_path(family)[0]


@dataclass
class _Taste:
    leaf_weights: np.ndarray
    brands: dict[str, set[int]]
    style: int
    tier: int


def _make_shoppers(config: StoreConfig, rng: np.random.Generator, catalog: _Catalog, store: SimulatedStore) -> None:
    leaves = catalog.leaves
    families = sorted(catalog.brands)
    stocked = np.array([1.0 if catalog.by_leaf.get(i) else 0.0 for i in range(len(leaves))])
    segments = list(SEGMENT_SHARE)
    pages = _Pages(np.random.default_rng([config.seed, 1]), _leaves_by_head(leaves))
    people = np.random.default_rng([config.seed, 2])  # its own stream: demographics never shift the others
    for s in range(config.shoppers):
        user = f"shopper-{s:05d}"
        segment = str(rng.choice(segments, p=list(SEGMENT_SHARE.values())))
        profile = _profile(people, user) if config.demographics else None
        taste = _taste(rng, catalog, families, stocked, profile)
        region = profile["region"] if profile else REGIONS[s % 4]
        low, high = SEGMENTS[segment]
        bought: list[str] = []
        for _ in range(int(rng.integers(low, high + 1))):
            leaf_index = int(rng.choice(len(leaves), p=taste.leaf_weights))
            product = _choose(rng, catalog, taste, catalog.by_leaf[leaf_index])
            days_ago = float(rng.uniform(1, 365))
            bought.append(store.products[product]["id"])
            store.events.append(
                {
                    "user_id": user,
                    "product_id": store.products[product]["id"],
                    "quantity": int(rng.integers(1, 3)),
                    "timestamp": (NOW - dt.timedelta(days=days_ago)).isoformat(),
                    "event": "purchase",
                    "region": region,
                }
            )
            _drift(rng, taste, stocked)
        for k in range(config.sessions_per_shopper):
            _session(rng, catalog, store, taste, user, segment, f"{user}-q{k}", pages)
        store.shoppers.append(
            {
                "user_id": user,
                "segment": segment,
                "purchases": len(bought),
                "style": STYLES[taste.style],
                "tier": TIERS[taste.tier],
                "families": sorted({leaves[i].family for i in np.flatnonzero(taste.leaf_weights > 0.05)}),
                **({k: v for k, v in profile.items() if k != "user_id"} if profile else {}),
            }
        )
        if profile:
            store.profiles.append(profile)


def _profile(rng: np.random.Generator, user: str) -> dict[str, str]:
    types = list(CUSTOMER_TYPES)
    return {
        "user_id": user,
        "region": str(rng.choice(REGIONS)),
        "customer_type": str(rng.choice(types, p=list(CUSTOMER_TYPES.values()))),
    }


def _taste(
    rng: np.random.Generator,
    catalog: _Catalog,
    families: list[str],
    stocked: np.ndarray,
    profile: dict[str, str] | None = None,
) -> _Taste:
    if profile is None:
        chosen = set(rng.choice(families, size=int(rng.integers(1, 3)), replace=False))
    else:
        # Each region has a department of its own (region i → the i-th department, wrapping round).
        home = families[REGIONS.index(profile["region"]) % len(families)]
        pull = np.array([REGION_PULL if f == home else 1.0 for f in families])
        chosen = set(rng.choice(families, size=int(rng.integers(1, 3)), replace=False, p=pull / pull.sum()))
    interest = np.array([rng.gamma(0.4) if leaf.family in chosen else 0.0 for leaf in catalog.leaves]) * stocked
    if interest.sum() == 0:
        interest = stocked.copy()
    brands = {
        family: set(rng.choice(len(pool), size=2, replace=False).tolist()) for family, pool in catalog.brands.items()
    }
    style, tier = int(rng.integers(len(STYLES))), int(rng.integers(3))
    if profile is not None and profile["customer_type"] == "pro":
        style = STYLES.index(str(rng.choice(PRO_STYLES))) if rng.random() < 0.6 else style
        tier = 2 if rng.random() < 0.7 else tier
    return _Taste(interest / interest.sum(), brands, style, tier)


def _drift(rng: np.random.Generator, taste: _Taste, stocked: np.ndarray) -> None:
    # Tastes move slowly: a little mass shifts toward a random stocked leaf after each purchase.
    bump = np.zeros_like(taste.leaf_weights)
    bump[int(rng.choice(np.flatnonzero(stocked)))] = 1.0
    weights = 0.97 * taste.leaf_weights + 0.03 * bump
    taste.leaf_weights = weights / weights.sum()


def _utility(catalog: _Catalog, taste: _Taste, products: np.ndarray) -> np.ndarray:
    family = [catalog.leaves[int(catalog.leaf[p])].family for p in products]
    brand_fit = np.array([catalog.brand[p] in taste.brands[f] for p, f in zip(products, family, strict=True)])
    style_fit = catalog.style[products] == taste.style
    tier_fit = catalog.tier[products] == taste.tier
    utility: np.ndarray = 2.0 * brand_fit + 1.5 * style_fit + 1.0 * tier_fit
    return utility


def _choose(rng: np.random.Generator, catalog: _Catalog, taste: _Taste, candidates: list[int]) -> int:
    products = np.array(candidates)
    return int(products[np.argmax(_utility(catalog, taste, products) + rng.gumbel(size=len(products)))])


@dataclass
class _Pages:
    rng: np.random.Generator
    leaves_by_head: dict[str, list[int]]
    size: int = 12


def _leaves_by_head(leaves: list[Leaf]) -> dict[str, list[int]]:
    by_head: dict[str, list[int]] = defaultdict(list)
    for i, leaf in enumerate(leaves):
        by_head[leaf.head].append(i)
    return by_head


def _page(pages: _Pages, catalog: _Catalog, taste: _Taste, intent: int, bought: int) -> tuple[list[int], list[int]]:
    """What a keyword engine showed for the query (same head noun, any leaf) and what was clicked."""
    rng = pages.rng
    matching = [p for leaf in pages.leaves_by_head[catalog.leaves[intent].head] for p in catalog.by_leaf.get(leaf, [])]
    others = [p for p in matching if p != bought]
    shown = [int(p) for p in rng.choice(others, size=min(pages.size - 1, len(others)), replace=False)] if others else []
    shown.insert(int(rng.integers(len(shown) + 1)), bought)
    fits = _utility(catalog, taste, np.array(shown))
    clicked = [
        p
        for p, fit in zip(shown, fits, strict=True)
        if p == bought or (catalog.leaf[p] == intent and fit >= 1.5 and rng.random() < 0.6)
    ]
    return shown, clicked


def _session(
    rng: np.random.Generator,
    catalog: _Catalog,
    store: SimulatedStore,
    taste: _Taste,
    user: str,
    segment: str,
    query_id: str,
    pages: _Pages,
) -> None:
    leaves = catalog.leaves
    intent = int(rng.choice(len(leaves), p=taste.leaf_weights))
    leaf = leaves[intent]
    kind = rng.random()
    if kind < 0.6:
        query = leaf.head  # ambiguous: every leaf sharing the head noun matches it
    elif kind < 0.85:
        query = leaf.phrase
    else:
        favourite = catalog.brands[leaf.family][sorted(taste.brands[leaf.family])[0]][0]
        query = f"{favourite.lower()} {leaf.head}"
    bought = _choose(rng, catalog, taste, catalog.by_leaf[intent])
    shown, clicked = _page(pages, catalog, taste, intent, bought)

    def ids(products: list[int]) -> list[str]:
        return [store.products[p]["id"] for p in products]

    store.sessions.append(
        {
            "query_id": query_id,
            "user_id": user,
            "query": query,
            "segment": segment,
            "intent": CATEGORY_SEPARATOR.join(leaf.path),
            "purchased": store.products[bought]["id"],
            "shown": ids(shown),
            "clicked": ids(clicked),
            "timestamp": NOW.isoformat(),
        }
    )
    # Judged: products of the intended leaf that fit the shopper. Everything else, including the same
    # noun in another leaf ("bench" in the wrong room), is not what this shopper came for: grade 0.
    candidates = np.array(catalog.by_leaf[intent])
    fits = _utility(catalog, taste, candidates)
    for product, fit in zip(candidates, fits, strict=True):
        grade = 3 if product == bought else 2 if fit >= 2.0 else 1 if fit >= 1.5 else 0
        if grade:
            store.qrels.append((query_id, store.products[int(product)]["id"], grade))


def write_store(store: SimulatedStore, out: Path) -> dict[str, Path]:
    """Write catalog.jsonl, events.jsonl, sessions.jsonl, qrels.txt (TREC), shoppers.jsonl, manifest.json.

    With demographics also profiles.jsonl: every shopper's region and customer type, cold ones included.
    """
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "catalog.jsonl": store.products,
        "events.jsonl": store.events,
        "sessions.jsonl": store.sessions,
        "shoppers.jsonl": store.shoppers,
    }
    if store.config.demographics:
        tables["profiles.jsonl"] = store.profiles
    files = {name: out / name for name in tables}
    for name, rows in tables.items():
        with files[name].open("w", encoding="utf-8") as file:
            file.writelines(json.dumps(row) + "\n" for row in rows)
    files["qrels.txt"] = out / "qrels.txt"
    files["qrels.txt"].write_text("".join(f"{q} 0 {d} {g}\n" for q, d, g in store.qrels))
    files["manifest.json"] = out / "manifest.json"
    files["manifest.json"].write_text(
        json.dumps(
            {
                "simulated": True,
                "note": "SIMULATED store over real Google-taxonomy branches; "
                "see aisle/simulate/store.py for the model.",
                "config": asdict(store.config),
                "counts": {
                    "products": len(store.products),
                    "events": len(store.events),
                    "sessions": len(store.sessions),
                    "qrels": len(store.qrels),
                    "shoppers": len(store.shoppers),
                },
            },
            indent=2,
        )
    )
    return files
