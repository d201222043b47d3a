"""The products load on Ray: encoding in an actor pool, bulk requests from the workers.

`build_index(..., loader=RayLoader(...))` swaps only the load step; creating the index, the reject-rate
check, the force merge, the gates, the fingerprint `_meta` and the alias swap run once, on the driver,
exactly as for the local load (`indexer.pipeline.load_products`). The two loads share the rest too:

- one read task streams the catalog through aisle's own reader and `RowValidator` (so a malformed line,
  a bad field or a repeated id is rejected with the same code, reason and line as locally), in blocks;
- an actor pool encodes the accepted products, each actor loading the model once (`num_gpus=1` per actor
  when the cluster has GPUs), and builds the same bulk actions (`bulk_actions`, stable `_id`s);
- a Datasink sends them with `IndexStore.bulk` (opensearch-py's streaming bulk: per-item errors, 429
  backoff) and returns counts, rejections and a canary sample to the driver.

A retried task re-sends documents under the same `_id`s, so a worker lost mid-build changes no count.
Ray ships no OpenSearch sink; Ray Data's own retries and actor restarts do the rest.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import ray
from ray.data import ActorPoolStrategy, DataContext, Datasink
from ray.data.block import BlockMetadata
from ray.data.datasource import Datasource, ReadTask
from ray.data.datasource.datasink import WriteResult
from ray.exceptions import RayError

from encoders import Encoder, EncoderSettings, load_encoder
from indexer.errors import DistributedLoadError
from indexer.pipeline import CanarySample, LoadReport, bulk_actions, record_bulk_item
from indexer.settings import IndexerSettings
from indexer.store import IndexStore
from kernel.catalog import CatalogFormat
from kernel.catalog.formats import read_products
from kernel.catalog.validation import RowValidator
from kernel.errors import EngineError
from kernel.opensearch import ConnectionSettings, make_client, resolve_urls
from kernel.opensearch.serializer import OrjsonSerializer
from kernel.product import Product
from kernel.rejects import Rejection, RejectLog

__all__ = ["RayLoader"]

# Rows per block the read task emits and per actor call: large enough to amortize Ray's per-block cost
# (the encoder still sorts and pads them in runs of 64), small enough to keep every actor busy on a
# catalog of a few thousand rows (the local load's 4,096-product batches would give one actor all of it).
_BLOCK_ROWS = 512


@dataclass(frozen=True)
class RayLoader:
    """Loads products through a Ray cluster.

    Args:
        address: The Ray cluster (`ray://…` or `host:port`); None starts a local Ray in this process.
        workers: Encoding actors (each loads the model once).
        encoder_settings: How each actor loads the encoder; it must give the driver's fingerprint.
        connection: How the workers reach OpenSearch (the driver's URLs are passed on).
        verbose: Ray's own progress bars and logs.
    """

    address: str | None
    workers: int
    encoder_settings: EncoderSettings
    connection: ConnectionSettings
    verbose: bool = False

    def __call__(
        self,
        store: IndexStore,
        encoder: Encoder,
        index: str,
        catalog: Path,
        fmt: CatalogFormat | None,
        rejects: RejectLog,
        settings: IndexerSettings,
    ) -> LoadReport:
        """Load `catalog` into `index` on Ray; the same report and rejects as `load_products`.

        Raises:
            DistributedLoadError: Ray could not finish the load (the alias is not moved).
            EngineError: OpenSearch refused or stopped answering the workers.
        """
        started = time.perf_counter()
        if not self.verbose:
            # Ray Data logs every execution at INFO through a handler of its own, and warns that the
            # progress bars it was told to hide are hidden.
            logging.getLogger("ray").setLevel(logging.ERROR)
        if self.address and not ray.is_initialized():
            _check_reachable(self.address, index)
        try:
            if not ray.is_initialized():
                ray.init(
                    address=self.address,
                    # A local Ray gets a CPU per actor and one for the read and write tasks.
                    num_cpus=None if self.address else self.workers + 1,
                    logging_level=logging.WARNING,
                    log_to_driver=self.verbose,
                    include_dashboard=False,
                    configure_logging=self.verbose,
                )
            context = DataContext.get_current()
            context.enable_progress_bars = self.verbose
            context.print_on_execution_start = self.verbose
            gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0  # type: ignore[no-untyped-call]
            # Resolved here: a worker on another machine has no managed node's card to find the cluster by.
            urls = ",".join(resolve_urls(self.connection))
            sink = _BulkSink(index, settings, self.connection.model_copy(update={"url": urls}))
            (
                ray.data.read_datasource(_CatalogSource(catalog, fmt))
                .map_batches(
                    _EncodeActor,
                    fn_constructor_kwargs={
                        "encoder_settings": self.encoder_settings.model_dump(mode="json"),
                        "fingerprint": encoder.fingerprint.value,
                        "index": index,
                    },
                    batch_size=_BLOCK_ROWS,
                    batch_format="pyarrow",
                    compute=ActorPoolStrategy(size=self.workers),
                    num_gpus=gpus,
                    num_cpus=0 if gpus else 1,
                )
                .write_datasink(sink)
            )
        except RayError as exc:
            cause = _engine_cause(exc)
            if cause is not None:
                raise cause from exc
            raise DistributedLoadError(
                f"The Ray load into {index} failed ({type(exc).__name__}: {str(exc).splitlines()[0][:300]}); "
                "the alias was not moved."
            ) from exc
        report = sink.report(index, rejects, settings.canary_count)
        report.seconds = time.perf_counter() - started
        return report


def _check_reachable(address: str, index: str) -> None:
    # Ray's own client retries an unreachable head for minutes, logging from C++; a refused or silent port
    # is better said at once.
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=5):
            return
    except (OSError, ValueError) as exc:
        raise DistributedLoadError(
            f"No Ray cluster answers at {address!r} ({exc}); nothing was loaded into {index} and the alias was "
            "not moved. Start one (`ray start --head`), pass its HOST:PORT, or use `--ray local`."
        ) from exc


def _engine_cause(exc: BaseException) -> EngineError | None:
    # A worker's EngineError arrives wrapped (RayTaskError); the driver reports it as itself.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, EngineError):
            return seen
        cause = getattr(seen, "cause", None)
        seen = cause if isinstance(cause, BaseException) and cause is not seen else seen.__cause__
    return None


_ROWS = pa.schema(
    [
        ("line", pa.int64()),
        ("id", pa.string()),
        ("product", pa.string()),
        ("code", pa.string()),
        ("reason", pa.string()),
    ]
)


def _rows_block(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=_ROWS)


def _read_validated(catalog: Path, fmt: CatalogFormat | None) -> Iterator[pa.Table]:
    validator = RowValidator()
    rows: list[dict[str, Any]] = []
    for row in read_products(catalog, fmt):
        outcome = validator.validate(row)
        if isinstance(outcome, Rejection):
            rows.append(
                {"line": outcome.line, "id": outcome.product_id, "code": outcome.code, "reason": outcome.reason}
            )
        else:
            rows.append({"line": row.line, "id": outcome.id, "product": outcome.model_dump_json()})
        if len(rows) >= _BLOCK_ROWS:
            yield _rows_block(rows)
            rows = []
    if rows:
        yield _rows_block(rows)


class _CatalogSource(Datasource):
    """The catalog as one read task: validation is one pass in line order (a repeated id is the second)."""

    def __init__(self, catalog: Path, fmt: CatalogFormat | None) -> None:
        self._catalog = catalog
        self._fmt = fmt

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(
        self, parallelism: int, per_task_row_limit: int | None = None, data_context: DataContext | None = None
    ) -> list[ReadTask]:
        catalog, fmt = self._catalog, self._fmt
        metadata = BlockMetadata(num_rows=None, size_bytes=None, exec_stats=None, input_files=(str(catalog),))
        return [ReadTask(lambda: _read_validated(catalog, fmt), metadata, per_task_row_limit=per_task_row_limit)]


class _EncodeActor:
    """One per worker slot: loads the encoder once, then turns blocks of validated rows into bulk actions."""

    def __init__(self, encoder_settings: dict[str, Any], fingerprint: str, index: str) -> None:
        self._encoder = load_encoder(EncoderSettings.model_validate(encoder_settings))
        if self._encoder.fingerprint.value != fingerprint:
            raise DistributedLoadError(
                f"A Ray worker's encoder is {self._encoder.fingerprint.value}, the driver's {fingerprint}: the "
                "workers must see the same model directory."
            )
        self._index = index

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.to_pylist()
        accepted = [i for i, row in enumerate(rows) if row["product"] is not None]
        products = [Product.model_validate_json(rows[i]["product"]) for i in accepted]
        actions = bulk_actions(self._index, products, self._encoder.encode_products(products)) if products else []
        serializer = OrjsonSerializer()
        documents: list[str | None] = [None] * len(rows)
        for i, action in zip(accepted, actions, strict=True):
            documents[i] = serializer.dumps(action["_source"])
        return batch.append_column("document", pa.array(documents, type=pa.string()))


class _BulkSink(Datasink[dict[str, Any]]):
    """Bulk-loads encoded rows from the workers; what each write task saw comes back to the driver."""

    def __init__(self, index: str, settings: IndexerSettings, connection: ConnectionSettings) -> None:
        self._index = index
        self._settings = settings
        self._connection = connection
        self._returns: list[dict[str, Any]] = []

    def write(self, blocks: Iterable[Any], ctx: Any) -> dict[str, Any]:
        """Bulk-load the blocks of one write task; its counts, rejections and canary sample go back."""
        index, settings = self._index, self._settings
        store = IndexStore(make_client(self._connection), settings)
        report = LoadReport(index)
        rejected: list[Rejection] = []
        canaries: CanarySample[str] = CanarySample(settings.canary_count)
        for block in blocks:
            rows = block.to_pylist() if hasattr(block, "to_pylist") else block.to_dict("records")
            lines: dict[str, int] = {}
            actions = []
            for row in rows:
                report.read += 1
                if row["document"] is None:
                    rejected.append(Rejection(row["line"], row["id"], row["code"], row["reason"]))
                    continue
                report.accepted += 1
                canaries.offer(row["id"], row["product"])
                lines[row["id"]] = row["line"]
                actions.append({"_index": index, "_id": row["id"], "_source": row["document"]})
            for ok, item in store.bulk(actions):
                line = lines.get(str(next(iter(item.values())).get("_id")), 0)
                record_bulk_item(ok, item, line, report, rejected.append)
        return {
            "read": report.read,
            "accepted": report.accepted,
            "indexed": report.indexed,
            "bulk_failures": report.bulk_failures,
            "rejections": [(r.line, r.product_id, r.code, r.reason) for r in rejected],
            "canaries": canaries.items(),
        }

    def on_write_complete(self, write_result: WriteResult[dict[str, Any]]) -> None:
        """Keep what every write task returned (this runs on the driver)."""
        self._returns = [r for r in write_result.write_returns if r]

    def report(self, index: str, rejects: RejectLog, canary_count: int) -> LoadReport:
        """The load's report from the write tasks' returns; their rejections go to `rejects` in line order."""
        load = LoadReport(index)
        sample: CanarySample[str] = CanarySample(canary_count)
        rejections: list[Rejection] = []
        for part in self._returns:
            load.read += part["read"]
            load.accepted += part["accepted"]
            load.indexed += part["indexed"]
            load.bulk_failures += part["bulk_failures"]
            rejections.extend(Rejection(*r) for r in part["rejections"])
            for product_id, product in part["canaries"]:
                sample.offer(product_id, product)
        for rejection in sorted(rejections, key=lambda r: r.line):
            rejects.add(rejection)
        load.canaries = [Product.model_validate_json(product) for _, product in sample.items()]
        return load
