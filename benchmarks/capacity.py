"""The measured constants behind the capacity plan (`aisle capacity`), in one run.

    python -m benchmarks.capacity [--limit 10000]

On the first `--limit` Home Depot titles (real text), with the configured OpenSearch's managed node (its
files are read from its data directory), for float vectors and for Lucene scalar quantization (7 bits):

- encoding CPU per product (ONNX int8, this process, encode only);
- OpenSearch CPU per product for the whole build: bulk indexing, the HNSW graph, refresh and the merge
  to one segment (the node's process CPU from `_nodes/stats`);
- bytes per product on disk by Lucene file kind after the merge: raw vectors (`.vec`), the HNSW graph
  (`.vex`), quantized vectors (`.veq`), and everything else (text, doc values, stored source);
- the build's wall time.

Query CPU per search comes from `benchmarks.api_latency` (its committed result), not from here.
"""

from __future__ import annotations

import argparse
import itertools
import struct
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from aisle.engine import get_engine_settings
from benchmarks.common import data_dir, exported_base_model, load_encoder, write_result
from encoders import Backend
from indexer import IndexerSettings, IndexStore, load_products
from indexer.bluegreen import MAPPING
from kernel.catalog import CatalogFormat, RowValidator, read_products
from kernel.documents.mappings import load_mapping
from kernel.opensearch import make_client
from kernel.product import Product
from kernel.rejects import RejectLog

# Lucene file kinds the plan needs apart; the rest is the text side of a product.
_KINDS = {".vec": "raw_vectors", ".vex": "hnsw_graph", ".veq": "quantized_vectors", ".vemq": "quantized_vectors"}
VARIANTS: dict[str, dict[str, Any] | None] = {"float": None, "sq7": {"name": "sq", "parameters": {"bits": 7}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=10_000, help="Home Depot products")
    args = parser.parse_args()
    engine = get_engine_settings()
    client = make_client(engine)
    catalog = data_dir() / "home-depot" / "products.csv.gz"
    encoder = load_encoder(exported_base_model(), Backend.ONNX_INT8)
    settings = IndexerSettings(canary_count=0)
    store = IndexStore(client, settings)

    def products() -> list[Product]:
        validator = RowValidator()
        rows = itertools.islice(read_products(catalog, CatalogFormat.HOME_DEPOT), args.limit)
        return [p for p in map(validator.validate, rows) if isinstance(p, Product)]

    batch = products()
    started = time.process_time()
    for i in range(0, len(batch), settings.encode_batch_size):
        encoder.encode_products(batch[i : i + settings.encode_batch_size])
    encode_ms = (time.process_time() - started) * 1000 / len(batch)

    variants: dict[str, Any] = {}
    for name, quantizer in VARIANTS.items():
        body = load_mapping(
            MAPPING,
            meta={},
            shards=1,
            dimension=encoder.dimension,
            hnsw_m=settings.hnsw_m,
            hnsw_ef_construction=settings.hnsw_ef_construction,
        )
        body["settings"]["index"]["refresh_interval"] = "-1"
        # Separate files per kind (a merged segment is otherwise one compound .cfs), so their sizes can be read.
        body["settings"]["index"]["compound_format"] = False
        if quantizer is not None:
            body["mappings"]["properties"]["vector"]["method"]["parameters"]["encoder"] = quantizer
        index = f"bench-capacity-{name}-{uuid.uuid4().hex[:6]}"
        store.create_index(index, body)
        try:
            engine_started, wall_started = _engine_cpu_s(client), time.perf_counter()
            rows = itertools.islice(read_products(catalog, CatalogFormat.HOME_DEPOT), args.limit)
            report = load_products(
                store, encoder, index, rows, RejectLog(settings.rejects_dir / "capacity.jsonl"), settings
            )
            store.refresh(index)
            store.force_merge(index, 1, settings.merge_timeout_s)
            wall = time.perf_counter() - wall_started
            engine_ms = (_engine_cpu_s(client) - engine_started) * 1000 / report.indexed
            files = _file_bytes(engine.node_dir, _index_uuid(client, index))
            variants[name] = {
                "products": report.indexed,
                "opensearch_cpu_ms_per_product": engine_ms,
                "build_wall_s": wall,
                "bytes_per_product": {kind: size / report.indexed for kind, size in files.items()},
            }
        finally:
            store.delete_index(index)
        print(f"{name}: OpenSearch {engine_ms:.2f} ms CPU/product, bytes/product {variants[name]['bytes_per_product']}")

    path = write_result(
        "capacity",
        {
            "data": f"Home Depot titles (real), first {args.limit:,}",
            "dimension": encoder.dimension,
            "hnsw_m": settings.hnsw_m,
            "hnsw_ef_construction": settings.hnsw_ef_construction,
            "encode_cpu_ms_per_product": encode_ms,
            "variants": variants,
        },
    )
    print(f"encoding {encode_ms:.2f} ms CPU/product; {path}")


def _engine_cpu_s(client: OpenSearch) -> float:
    stats = client.nodes.stats(metric="process")
    return sum(n["process"]["cpu"]["total_in_millis"] for n in stats["nodes"].values()) / 1000


def _index_uuid(client: OpenSearch, index: str) -> str:
    return str(client.cat.indices(index=index, format="json", h="uuid")[0]["uuid"])


def _file_bytes(node_dir: Path, index_uuid: str) -> dict[str, int]:
    sizes: Counter[str] = Counter()
    found = list(node_dir.glob(f"data/nodes/*/indices/{index_uuid}")) or list(node_dir.glob(f"**/{index_uuid}"))
    if not found:
        raise SystemExit(f"index {index_uuid} not found under {node_dir}: run against the managed node")
    for path in found[0].rglob("*"):
        if not (path.is_file() and "/index/" in str(path)):
            continue
        if path.suffix == ".cfs":
            # A flushed segment is one compound file: its entries table (.cfe) names the parts inside.
            for name, length in _compound_entries(path.with_suffix(".cfe")):
                sizes[_KINDS.get(Path(name).suffix, "other")] += length
        elif path.suffix != ".cfe":
            sizes[_KINDS.get(path.suffix, "other")] += path.stat().st_size
    return dict(sizes)


def _compound_entries(cfe: Path) -> list[tuple[str, int]]:
    # Lucene90CompoundFormat's entries file: an index header (big-endian magic and version, codec name,
    # 16-byte id, suffix), the number of files, then each file's name and little-endian offset and length.
    data = cfe.read_bytes()
    pos = 4

    def vint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    def string() -> str:
        nonlocal pos
        length = vint()
        pos += length
        return data[pos - length : pos].decode()

    string()  # codec name
    pos += 4 + 16  # version, segment id
    pos += 1 + data[pos]  # suffix
    entries = []
    for _ in range(vint()):
        name = string()
        _, length = struct.unpack_from("<qq", data, pos)
        pos += 16
        entries.append((name, length))
    return entries


if __name__ == "__main__":
    main()
