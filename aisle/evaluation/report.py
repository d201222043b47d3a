"""Reports people can read: Markdown and HTML tables, PNG plots, and the JSON regression checks use."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import Any

__all__ = ["write_report"]

HEADLINE = ["ndcg@10", "recall@10", "recall@24", "recall@100", "mrr", "judged_ndcg@10"]


def _table(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = ["system", *HEADLINE, "p50 ms"]
    rows = []
    for name, system in results["systems"].items():
        cells = [name]
        for metric in HEADLINE:
            m = system["metrics"][metric]
            cells.append(f"{m['mean']:.4f} [{m['ci95'][0]:.3f}, {m['ci95'][1]:.3f}]")
        rows.append([*cells, f"{system['median_latency_ms']:.1f}"])
    return header, rows


def _segment_tables(results: dict[str, Any], metric: str) -> list[tuple[str, list[str], list[list[str]]]]:
    systems = results["systems"]
    dimensions = sorted({d for s in systems.values() for d in s["segments"]})
    tables = []
    for dimension in dimensions:
        values = sorted({v for s in systems.values() for v in s["segments"].get(dimension, {})})
        header = [
            "system",
            *[f"{v} (n={int(next(iter(systems.values()))['segments'][dimension][v]['queries'])})" for v in values],
        ]
        rows = [[name, *[f"{s['segments'][dimension][v][metric]:.4f}" for v in values]] for name, s in systems.items()]
        tables.append((dimension, header, rows))
    return tables


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _plots(results: dict[str, Any], out: Path, model_card: Path | None) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = []
    systems = results["systems"]
    names = list(systems)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, ("ndcg@10", "recall@24"), strict=True):
        means = [systems[n]["metrics"][metric]["mean"] for n in names]
        cis = [systems[n]["metrics"][metric]["ci95"] for n in names]
        errors = [
            [m - ci[0] for m, ci in zip(means, cis, strict=True)],
            [ci[1] - m for m, ci in zip(means, cis, strict=True)],
        ]
        ax.bar(names, means, yerr=errors, capsize=4, color="#f36f21")
        ax.set_title(f"{metric} (95% bootstrap CI)")
        ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(out / "metrics.png", dpi=110)
    figures.append(("Metric by system", "metrics.png"))
    fig, ax = plt.subplots(figsize=(7, 4))
    for name in names:
        curve = systems[name]["recall_curve"]
        ax.plot(range(1, len(curve) + 1), curve, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("K")
    ax.set_ylabel("Recall@K")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "recall_at_k.png", dpi=110)
    figures.append(("Recall@K", "recall_at_k.png"))
    plt.close("all")
    for dimension, _, _ in _segment_tables(results, "recall@24"):
        fig, ax = plt.subplots(figsize=(8, 4))
        values = sorted({v for s in systems.values() for v in s["segments"].get(dimension, {})})
        width = 0.8 / max(len(names), 1)
        for i, name in enumerate(names):
            ys = [systems[name]["segments"][dimension][v]["recall@24"] for v in values]
            ax.bar([x + i * width for x in range(len(values))], ys, width, label=name)
        ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(values))], values)
        ax.set_title(f"Recall@24 by {dimension}")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / f"segments_{dimension}.png", dpi=110)
        figures.append((f"Recall@24 by {dimension}", f"segments_{dimension}.png"))
        plt.close(fig)
    curve_file = model_card.parent / "curve.csv" if model_card else None
    if curve_file and curve_file.is_file():
        with curve_file.open() as file:
            points = list(csv.DictReader(file))
        fig, ax = plt.subplots(figsize=(7, 4))
        for metric in ("ndcg@10", "recall@100"):
            if points and metric in points[0]:
                ax.plot([float(p["step"]) for p in points], [float(p[metric]) for p in points], label=f"dev {metric}")
        ax.set_xlabel("step")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "training.png", dpi=110)
        figures.append(("Training curve (dev split)", "training.png"))
        plt.close(fig)
    return figures


def write_report(results: dict[str, Any], out: Path, *, model_card: Path | None = None) -> dict[str, Path]:
    """Write results.json, report.md, report.html and the PNG figures into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"json": out / "results.json", "markdown": out / "report.md", "html": out / "report.html"}
    files["json"].write_text(json.dumps(results, indent=2))
    figures = _plots(results, out, model_card)
    header, rows = _table(results)
    title = f"aisle evaluation: {results['dataset']}"
    intro = [
        f"{results['queries']} judged queries, top {results['depth']} per system, over the full catalog; "
        "[x, y] = 95% bootstrap interval. Models: " + ", ".join(f"{k} = {v}" for k, v in results["models"].items()),
        *results["notes"],
    ]
    tests = [
        [t["a"], t["b"], t["metric"], f"{t['difference']:+.4f}", f"{t['p_value']:.4f}"] for t in results["paired_tests"]
    ]
    test_header = ["system", "vs", "metric", "difference", "p (paired randomization)"]
    md = [f"# {title}", "", *[f"> {line}" for line in intro], "", "## Systems", "", _markdown_table(header, rows)]
    md += ["", "## Paired significance tests", "", _markdown_table(test_header, tests)]
    html_parts = [
        f"<h1>{html.escape(title)}</h1>",
        *[f"<p>{html.escape(line)}</p>" for line in intro],
        "<h2>Systems</h2>",
        _html_table(header, rows),
        "<h2>Paired significance tests</h2>",
        _html_table(test_header, tests),
    ]
    for dimension, seg_header, seg_rows in _segment_tables(results, "recall@24"):
        md += ["", f"## Recall@24 by {dimension}", "", _markdown_table(seg_header, seg_rows)]
        html_parts += [f"<h2>Recall@24 by {html.escape(dimension)}</h2>", _html_table(seg_header, seg_rows)]
    for caption, name in figures:
        md += ["", f"![{caption}]({name})"]
        html_parts += [
            f"<figure><img src='{name}' alt='{html.escape(caption)}'><figcaption>"
            f"{html.escape(caption)}</figcaption></figure>"
        ]
    files["markdown"].write_text("\n".join(md) + "\n")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#1d2430}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #d9dee5;padding:4px 8px;"
        "font-size:13px}th{background:#f7f8fa}img{max-width:100%}"
    )
    files["html"].write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(html_parts)}</body></html>"
    )
    return files
