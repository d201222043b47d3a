"""Reference tables generated from the code (settings, API parameters, error codes, commands), so they cannot drift.

Each is a Markdown table `aisle repro --tables` writes between `<!-- repro:table reference-… -->`
markers, beside the tables of measured numbers; the same unit test fails when one is stale.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic_settings import BaseSettings

__all__ = ["REFERENCE_TABLES"]


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _default(field: Any) -> str:
    if field.default_factory is not None:
        return "(computed)"
    value = field.default
    return "(required)" if value is ... else f"`{value.value if hasattr(value, 'value') else value}`"


def _settings_table(cls: type[BaseSettings]) -> str:
    prefix = str(cls.model_config.get("env_prefix", ""))
    lines = ["| variable | default | what it sets |", "|---|---|---|"]
    for name, field in cls.model_fields.items():
        lines.append(f"| `{prefix}{name.upper()}` | {_cell(_default(field))} | {_cell(field.description or '')} |")
    return "\n".join(lines)


def _request_table(model: type[BaseModel]) -> str:
    lines = ["| parameter | default | what it does |", "|---|---|---|"]
    for name, field in model.model_fields.items():
        shown = field.serialization_alias or field.alias or name
        lines.append(f"| `{shown}` | {_cell(_default(field))} | {_cell(field.description or '')} |")
    return "\n".join(lines)


def _settings(module: str, name: str) -> Callable[[], str]:
    def table() -> str:
        import importlib

        return _settings_table(getattr(importlib.import_module(module), name))

    return table


def _search_parameters() -> str:
    from query_api.schemas import SearchRequest

    return _request_table(SearchRequest)


def _error_codes() -> str:
    from query_api import errors

    lines = ["| HTTP status | code | when |", "|---|---|---|"]
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.QueryApiError)]
    # The root class answers a bug in aisle; its docstring says what it is in the hierarchy instead.
    root = "an error in aisle itself, or a request OpenSearch refused (a bug in aisle's query)"
    for cls in sorted(classes, key=lambda c: (c.status_code, c.code)):
        doc = root if cls is errors.QueryApiError else (cls.__doc__ or "").strip().splitlines()[0]
        lines.append(f"| {cls.status_code} | `{cls.code}` | {_cell(doc)} |")
    why = {
        "search_unavailable": "OpenSearch is down, slow, failing or refuses the API's credentials (Retry-After when "
        "a retry may help)",
        "index_not_ready": "the alias does not exist yet: build the index (Retry-After)",
    }
    for status, code in sorted({(a.status, a.code) for a in errors.ENGINE_ANSWERS.values()}):
        if code in why:
            lines.append(f"| {status} | `{code}` | {why[code]} |")
    return "\n".join(lines)


def _commands() -> str:
    import typer

    from aisle.cli.app import app

    lines = ["| command | what it does |", "|---|---|"]

    # Groups are told by their subcommands (typer ships its own click, so no isinstance on click's classes).
    def walk(group: Any, prefix: str) -> None:
        for name in sorted(group.commands):
            command = group.commands[name]
            if hasattr(command, "commands"):
                walk(command, f"{prefix} {name}")
                continue
            summary = (command.help or "").strip().split("\n")[0]
            lines.append(f"| `{prefix} {name}` | {_cell(summary)} |")

    walk(typer.main.get_command(app), "aisle")
    return "\n".join(lines)


def _capacity_plan() -> str:
    from aisle.capacity import plan_table

    return plan_table()


REFERENCE_TABLES: dict[str, Callable[[], str]] = {
    "capacity-plan": _capacity_plan,
    "reference-commands": _commands,
    "reference-search-parameters": _search_parameters,
    "reference-error-codes": _error_codes,
    "reference-settings-opensearch": _settings("aisle.engine.settings", "EngineSettings"),
    "reference-settings-indexer": _settings("indexer.settings", "IndexerSettings"),
    "reference-settings-encoder": _settings("encoders.settings", "EncoderSettings"),
    "reference-settings-api": _settings("query_api.settings", "QueryApiSettings"),
    "reference-settings-stack": _settings("aisle.quickstart.settings", "StackSettings"),
}
