"""aisle's floors and the imports between its packages, read from the source (function-level imports too).

python -m tests.support.layers     # prints how many imports go from each package to each other one
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

__all__ = ["ALLOWED", "PACKAGES", "ROOT", "package_imports"]

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kernel", "encoders", "indexer", "query_api", "aisle")
# The ground floor stands on nothing; the leaves on the kernel (and the encoders); the commands on all.
ALLOWED: dict[str, set[str]] = {
    "kernel": set(),
    "encoders": {"kernel"},
    "indexer": {"kernel", "encoders"},
    "query_api": {"kernel", "encoders"},
    "aisle": {"kernel", "encoders", "indexer", "query_api"},
}


def _imported(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def package_imports(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> Counter[tuple[str, str, str]]:
    """(importing module, its package, imported package) → count, for imports between different packages."""
    found: Counter[tuple[str, str, str]] = Counter()
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            for name in _imported(ast.parse(path.read_text(encoding="utf-8"))):
                target = name.split(".")[0]
                if target in packages and target != package:
                    found[(module, package, target)] += 1
    return found


if __name__ == "__main__":
    totals: Counter[tuple[str, str]] = Counter()
    for (_, source, target), count in package_imports().items():
        totals[(source, target)] += count
    for (source, target), count in sorted(totals.items()):
        verdict = "" if target in ALLOWED[source] else "   <- not allowed"
        print(f"{source:10} -> {target:10} {count:3}{verdict}")
