"""`aisle encoders …`: export models for serving, and train a static query tower beside one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aisle.cli.console import err, out
from aisle.cli.options import command_from_dataclass
from aisle.query_tower import QueryTowerJob
from encoders.export import export_model
from encoders.loading import BASE_MODEL_ID, base_model_dir
from encoders.text import DEFAULT_TEMPLATE, ProductTextTemplate

__all__ = ["app"]

app = typer.Typer(help="Product, query and user encoders.", no_args_is_help=True)


@app.command("export")
def export(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write (an earlier export there is replaced).")],
    model: Annotated[
        Path | None, typer.Option(help="A sentence-transformers model directory; default: the base.")
    ] = None,
    model_id: Annotated[
        str | None, typer.Option(help="Name recorded in the fingerprint; default: the folder name.")
    ] = None,
    template: Annotated[str, typer.Option(help="Product text template.")] = DEFAULT_TEMPLATE,
    attribute: Annotated[
        list[str] | None, typer.Option(help="Attribute keys the template's {attributes} shows.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace --out even if it holds files that are not an export.")] = False,
) -> None:
    """Write a serving directory: the model, ONNX fp32 and int8, and its fingerprint."""
    source = model or base_model_dir()
    name = model_id or (BASE_MODEL_ID if model is None else source.name)
    fingerprint = export_model(
        source, out_dir, name, ProductTextTemplate(template, tuple(attribute or ())), replace=force
    )
    out.print(f"exported {name} to {out_dir}; fingerprint {fingerprint.value}")
    out.print(f"serve it with AISLE_ENCODER_MODEL_DIR={out_dir}")


def _query_tower(job: QueryTowerJob) -> None:
    run = job.run(err)
    card = run.tower.card
    out.print(
        f"query tower {card['name']}: dev nDCG@10 (dense, all products) {card['curve'][0]['dev_ndcg@10']} distilled → "
        f"{card['best_dev_ndcg@10']} trained (transformer: {card['dev_ndcg@10_transformer']}), {card['seconds']:.0f}s"
    )
    out.print(
        f"saved in {run.folder}; the API uses it from now on (AISLE_ENCODER_QUERY_TOWER=transformer turns it off)"
    )
    out.print(f"replay it: aisle encoders query-tower --replay {run.folder / 'query_tower_args.json'}")


app.command("query-tower")(
    command_from_dataclass(
        QueryTowerJob,
        _query_tower,
        "Distil a static query tower from the model and train it against the model's frozen product vectors.",
    )
)
