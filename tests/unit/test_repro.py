"""Reproductions as data: the docs' tables come from the YAML and the committed results, and reruns check claims."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from aisle.errors import ReproError
from aisle.repro import Claim, Run, documents, load_runs, regenerate_tables, rerun


def test_every_generated_table_in_the_docs_is_what_the_results_give() -> None:
    runs = load_runs()
    stale = [str(d) for d in documents() if regenerate_tables(d.read_text(), runs) != d.read_text()]
    assert not stale, f"tables out of date (run `aisle repro --tables`): {stale}"
    assert any("<!-- repro:table" in d.read_text() for d in documents())


def test_every_claim_agrees_with_its_committed_result() -> None:
    for run in load_runs():
        results = run.committed_results()
        for claim in run.claims:
            value = claim.value_in(results)
            assert abs(value - claim.expected) <= claim.tolerance, f"{run.name}: {claim.metric} is {value}"


def test_a_table_changes_when_a_committed_result_does(tmp_path: Path) -> None:
    committed = tmp_path / "r.json"
    committed.write_text(json.dumps({"systems": {"bm25": {"ndcg@10": 0.5}}}))
    run = Run("r", "true", "x", committed, [], "m", "d", [Claim("systems.bm25.ndcg@10", 0.5, 0.01, "t", "bm25", "v")])
    page = "before\n<!-- repro:table t -->\nold\n<!-- /repro:table -->\nafter\n"
    assert "| bm25 | 0.5000 |" in regenerate_tables(page, [run])
    committed.write_text(json.dumps({"systems": {"bm25": {"ndcg@10": 0.25}}}))
    assert "| bm25 | 0.2500 |" in regenerate_tables(page, [run])


def _run(tmp_path: Path, value: float, dataset: list[dict[str, str]] | None = None) -> Run:
    script = f"import json, sys; open(sys.argv[1], 'w').write(json.dumps({{'score': {value}}}))"
    command = f'{sys.executable} -c "{script}" {{out}}/result.json'
    claims = [Claim("score", 0.40, 0.01), Claim("score", 0.30, 0.01)]
    return Run("demo", command, "{out}/result.json", tmp_path / "c.json", dataset or [], "m", "d", claims)


def test_a_rerun_says_which_numbers_hold(tmp_path: Path) -> None:
    checked = rerun(_run(tmp_path, 0.405), tmp_path)
    assert not isinstance(checked, str)
    assert [c.ok for c in checked] == [True, False]
    assert [c.measured for c in checked] == [0.405, 0.405]
    dry = rerun(_run(tmp_path, 0.405), tmp_path, dry_run=True)
    assert isinstance(dry, str) and "result.json" in dry


def test_a_rerun_refuses_data_that_is_not_what_was_measured(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("id\n1\n")
    run = _run(tmp_path, 0.4, [{"path": "data.csv", "sha256": "0" * 64}])
    with pytest.raises(ReproError, match="not the data it was measured on"):
        rerun(run, tmp_path)
    with pytest.raises(ReproError, match="missing"):
        rerun(_run(tmp_path, 0.4, [{"path": "nope.csv", "sha256": "0" * 64}]), tmp_path)


def test_the_reproductions_file_names_a_command_machine_and_date_for_every_number() -> None:
    runs = load_runs()
    assert any(r.fast for r in runs), "CI reruns the fast runs"
    for run in runs:
        assert run.command and run.machine and run.date and run.claims


def test_reference_tables_list_every_setting_and_command_the_code_has() -> None:
    from aisle.reference import REFERENCE_TABLES
    from encoders.settings import EncoderSettings

    settings = REFERENCE_TABLES["reference-settings-encoder"]()
    assert all(f"`AISLE_ENCODER_{name.upper()}`" in settings for name in EncoderSettings.model_fields)
    commands = REFERENCE_TABLES["reference-commands"]()
    assert "`aisle repro`" in commands and "`aisle index build`" in commands
    assert "`invalid_api_key`" in REFERENCE_TABLES["reference-error-codes"]()


def test_a_claim_picks_one_item_of_a_list_by_its_fields() -> None:
    results = {
        "paired_tests": [
            {"a": "ltr", "b": "bm25", "metric": "ndcg@10", "p_value": 0.0001},
            {"a": "ltr", "b": "bm25", "metric": "recall@24", "p_value": 0.02},
        ],
        "curve": [{"epoch": 0, "dev_ndcg@10": 0.12}, {"epoch": 1, "dev_ndcg@10": 0.25}],
    }
    assert Claim("paired_tests[a=ltr,b=bm25,metric=recall@24].p_value", 0.02, 0).value_in(results) == 0.02
    assert Claim("curve.[epoch=1].dev_ndcg@10", 0.25, 0).value_in(results) == 0.25
    with pytest.raises(ReproError, match="matches 2 items"):
        Claim("paired_tests[a=ltr].p_value", 0, 0).value_in(results)
    with pytest.raises(ReproError, match="matches 0 items"):
        Claim("curve[epoch=9].dev_ndcg@10", 0, 0).value_in(results)
    with pytest.raises(ReproError, match="inside a list"):
        Claim("curve.0.dev_ndcg@10", 0, 0).value_in(results)
