"""A category tree, built from a catalog's category paths or from a taxonomy file."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from kernel.errors import TaxonomyError
from kernel.product import parse_category_path

__all__ = ["CategoryPath", "Taxonomy"]

CategoryPath = tuple[str, ...]


class Taxonomy:
    """Category paths as a tree: parents, children, and the products filed under each node.

    Args:
        paths: Root-to-node paths; every prefix becomes a node too.

    Example:
        >>> t = Taxonomy([("Tools", "Saws", "Miter Saws"), ("Tools", "Saws", "Jigsaws"), ("Tools", "Drills")])
        >>> sorted(t.children[("Tools", "Saws")])
        [('Tools', 'Saws', 'Jigsaws'), ('Tools', 'Saws', 'Miter Saws')]
        >>> t.ancestor(("Tools", "Saws", "Jigsaws"), 2)
        ('Tools',)
    """

    def __init__(self, paths: Iterable[CategoryPath]) -> None:
        self.children: dict[CategoryPath, set[CategoryPath]] = defaultdict(set)
        self.nodes: set[CategoryPath] = set()
        for path in paths:
            for depth in range(1, len(path) + 1):
                node = tuple(path[:depth])
                self.nodes.add(node)
                if depth > 1:
                    self.children[node[:-1]].add(node)

    @classmethod
    def from_tsv(cls, path: Path) -> Taxonomy:
        """Read a taxonomy file with a `path` column (`A > B > C`), like Google's categories.tsv.

        Raises:
            TaxonomyError: the file has no `path` column.
        """
        with path.open(encoding="utf-8") as source:
            rows = csv.DictReader((line for line in source if not line.startswith("#")), delimiter="\t")
            if rows.fieldnames is None or "path" not in rows.fieldnames:
                raise TaxonomyError(f"{path} has no 'path' column; expected a TSV like Google's categories.tsv.")
            return cls(tuple(parse_category_path(row["path"])) for row in rows)

    @property
    def leaves(self) -> list[CategoryPath]:
        """Nodes without children."""
        return sorted(n for n in self.nodes if not self.children.get(n))

    def ancestor(self, node: CategoryPath, up: int) -> CategoryPath:
        """The node `up` levels above `node` (never above the root level)."""
        return node[: max(len(node) - up, 1)]

    def subtree_leaves(self, node: CategoryPath) -> list[CategoryPath]:
        """Leaves at or below `node`."""
        if not self.children.get(node):
            return [node]
        return [leaf for child in sorted(self.children[node]) for leaf in self.subtree_leaves(child)]
