"""Small hand-written catalogs for tests: they need no data outside the repository."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["PRODUCTS", "write_jsonl"]

_ROWS = [
    ("p01", "20V MAX Cordless Drill/Driver Kit", "DeWalt", "Tools > Power Tools > Drills", 159.0),
    ("p02", "18V Brushless Cordless Hammer Drill", "Makita", "Tools > Power Tools > Drills", 189.0),
    ("p03", "12V Cordless Impact Driver", "Milwaukee", "Tools > Power Tools > Impact Drivers", 129.0),
    ("p04", "Corded 7-1/4 in. Circular Saw", "Skil", "Tools > Power Tools > Saws", 59.0),
    ("p05", "Cordless Reciprocating Saw 18V", "Ryobi", "Tools > Power Tools > Saws", 99.0),
    ("p06", "16 oz. Fiberglass Claw Hammer", "Estwing", "Tools > Hand Tools > Hammers", 24.0),
    ("p07", "25 ft. Tape Measure", "Stanley", "Tools > Hand Tools > Measuring", 12.0),
    ("p08", "Cedar Garden Bench, 4 ft.", "Outdoor Essentials", "Garden > Patio Furniture > Benches", 249.0),
    ("p09", "Steel Workbench with Pegboard, 6 ft.", "Husky", "Tools > Storage > Workbenches", 299.0),
    ("p10", "Upholstered Storage Bench for Entryway", "HomeStyles", "Home > Furniture > Benches", 139.0),
    ("p11", "50 ft. Expandable Garden Hose", "Flexzilla", "Garden > Watering > Hoses", 39.0),
    ("p12", "Oscillating Lawn Sprinkler", "Melnor", "Garden > Watering > Sprinklers", 19.0),
    ("p13", "Cordless Leaf Blower 40V", "Ryobi", "Garden > Outdoor Power Equipment > Blowers", 149.0),
    ("p14", "21 in. Gas Push Lawn Mower", "Toro", "Garden > Outdoor Power Equipment > Mowers", 399.0),
    ("p15", "Pressure Treated Pine Lumber 2 in. x 4 in. x 8 ft.", "Severe Weather", "Building Materials > Lumber", 4.5),
    ("p16", "Drywall Sheet 1/2 in. x 4 ft. x 8 ft.", "Sheetrock", "Building Materials > Drywall", 14.0),
    ("p17", "Interior Eggshell Paint, Gallon, Swiss Coffee", "Behr", "Paint > Interior Paint", 38.0),
    ("p18", "Exterior Satin Paint, Gallon, White", "Glidden", "Paint > Exterior Paint", 42.0),
    ("p19", "9 in. Paint Roller Kit", "Wooster", "Paint > Painting Tools > Rollers", 15.0),
    ("p20", "LED Shop Light, 4 ft., 5000 Lumens", "Commercial Electric", "Lighting > Shop Lights", 29.0),
    ("p21", "52 in. Ceiling Fan with LED Light Kit", "Hampton Bay", "Lighting > Ceiling Fans", 179.0),
    ("p22", "A19 LED Light Bulbs, 60W Equivalent, 4-Pack", "Philips", "Lighting > Light Bulbs", 9.0),
    ("p23", "Pull-Down Kitchen Faucet, Stainless Steel", "Moen", "Plumbing > Kitchen Faucets", 199.0),
    ("p24", "Universal Toilet Flapper", "Korky", "Plumbing > Toilet Parts", 7.0),
    ("p25", "3/4 in. x 10 ft. PVC Pipe", "Charlotte Pipe", "Plumbing > Pipe", 6.0),
    ("p26", "50 Gal. Electric Water Heater", "Rheem", "Plumbing > Water Heaters", 649.0),
    ("p27", "Satin Nickel Door Knob", "Kwikset", "Hardware > Door Hardware > Knobs", 19.0),
    ("p28", "Drywall Screws #6 x 1-5/8 in., 1 lb.", "Grip-Rite", "Hardware > Fasteners > Screws", 8.0),
    ("p29", "Vinyl Plank Flooring, 20 sq. ft.", "LifeProof", "Flooring > Vinyl Flooring", 54.0),
    ("p30", "Semi-Transparent Deck Stain, Cedar, 1 Gal.", "Behr", "Paint > Exterior Stain", 36.0),
    # Real category names hold characters that mean something in a Lucene regular expression.
    ("p31", '55" Class 4K Smart TV', "Hisense", 'Electronics > TVs > 55" TVs', 399.0),
    ("p32", "Universal Remote Control", "GE", "Electronics > Remotes & More (<$20)", 12.0),
]

# Not every product is on the shelf, so that availability filters and facets have something to tell apart.
_STOCK = {"p03": "out_of_stock", "p13": "preorder", "p26": "discontinued"}

PRODUCTS: list[dict[str, Any]] = [
    {
        "id": i,
        "title": t,
        "brand": b,
        "category": c,
        "price": p,
        "currency": "USD",
        "availability": _STOCK.get(i, "in_stock"),
    }
    for i, t, b, c, p in _ROWS
]


def write_jsonl(path: Path, rows: Iterable[dict[str, Any] | str]) -> Path:
    """One row per line; strings are written as they are (for malformed lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
    return path
