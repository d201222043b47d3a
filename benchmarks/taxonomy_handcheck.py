"""Hand check of the taxonomy assignment: draw a seeded sample to judge, then score the judgments.

    python -m benchmarks.taxonomy_handcheck sample --assigned FILE --out benchmarks/handcheck/FILE.csv
    (fill the `plausible` column with y or n by reading each title and its leaf)
    python -m benchmarks.taxonomy_handcheck score benchmarks/handcheck/FILE.csv

`score` prints the plausible share overall and by confidence band, so a confidence threshold can be
chosen from judged data rather than guessed.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import random
from pathlib import Path


def sample(assigned: Path, out: Path, size: int, seed: int) -> None:
    """Write `size` seeded random rows of the assigned catalog with an empty `plausible` column."""
    with gzip.open(assigned, "rt", encoding="utf-8") if assigned.suffix == ".gz" else assigned.open() as file:
        rows = list(csv.DictReader(file))
    chosen = sorted(random.Random(seed).sample(rows, size), key=lambda r: r["id"])
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=["id", "title", "category", "category_confidence", "plausible"])
        writer.writeheader()
        writer.writerows({**r, "plausible": ""} for r in chosen)
    print(f"wrote {size} rows to {out}; judge each (y/n) in the plausible column")


def score(judged: Path) -> None:
    """Print the share judged plausible, overall and per confidence band."""
    rows = list(csv.DictReader(judged.open(encoding="utf-8")))
    missing = [r["id"] for r in rows if r["plausible"] not in ("y", "n")]
    if missing:
        raise SystemExit(f"{len(missing)} rows are not judged (plausible must be y or n), e.g. id {missing[0]}")
    bands = [(0.0, 0.4), (0.4, 0.7), (0.7, 1.01)]
    ok = sum(r["plausible"] == "y" for r in rows)
    print(f"plausible: {ok}/{len(rows)} = {ok / len(rows):.0%}")
    for low, high in bands:
        band = [r for r in rows if low <= float(r["category_confidence"]) < high]
        if band:
            yes = sum(r["plausible"] == "y" for r in band)
            print(f"  confidence {low:.1f}-{min(high, 1.0):.1f}: {yes}/{len(band)} = {yes / len(band):.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    draw = commands.add_parser("sample")
    draw.add_argument("--assigned", type=Path, default=Path("artifacts/home-depot-assigned/products.csv.gz"))
    draw.add_argument("--out", type=Path, required=True)
    draw.add_argument("--size", type=int, default=100)
    draw.add_argument("--seed", type=int, default=7)
    judged = commands.add_parser("score")
    judged.add_argument("judged", type=Path)
    args = parser.parse_args()
    if args.command == "sample":
        sample(args.assigned, args.out, args.size, args.seed)
    else:
        score(args.judged)


if __name__ == "__main__":
    main()
