"""``kelisim eval run`` end to end on a handful of real cases through the real engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import evaluate as cli
from bot.evaluation.cases import load_datasets
from bot.evaluation.pipeline import evaluate
from bot.settings import PROJECT_ROOT

PICKED = {
    "dev-0001b",
    "dev-0023b",
    "dev-0042",
    "dev-0093",
    "dev-0426",
    "dev-0427",
    "dev-0428",
    "ans-a-001",
    "ans-a-002",
    "ans-a-003",
}


@pytest.fixture(scope="module")
def cases_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real cases from the shipped datasets, plus one malformed line."""
    lines = []
    sources = [
        PROJECT_ROOT / "evaluation" / "datasets" / "safety" / "train" / "first-dev.jsonl",
        PROJECT_ROOT / "evaluation" / "datasets" / "answers" / "dev.jsonl",
    ]
    for source in sources:
        for line in source.read_text(encoding="utf-8").splitlines():
            if line.strip() and json.loads(line)["id"] in PICKED:
                lines.append(line)
    lines.insert(3, '{"id": "broken", "text": "no expected decisions"}')
    path = tmp_path_factory.mktemp("cases") / "picked.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def use_engine(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_engine", lambda generator: engine)


def _thresholds(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "thresholds.yaml"
    path.write_text(f"thresholds:\n{body}", encoding="utf-8")
    return path


def test_run_writes_every_file_and_judges_real_replies(tmp_path, cases_file, use_engine):
    gate = _thresholds(tmp_path, "  pass_rate: {min: 0.0}\n  crisis_recall: {min: 0.0}\n")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli.app, ["run", str(cases_file), "--out", str(out), "--thresholds", str(gate)]
    )
    assert result.exit_code == 0, result.output
    assert f"{cases_file}:4" in result.output  # the malformed line, with file and line
    assert "Gate passed" in result.output
    rows = {
        r["id"]: r
        for r in map(json.loads, (out / "results.jsonl").read_text(encoding="utf-8").splitlines())
    }
    assert set(rows) == PICKED
    fields = {
        "id",
        "lang",
        "category",
        "group",
        "expected",
        "decision",
        "language",
        "reply",
        "sources",
        "latency_ms",
        "pass",
        "reasons",
    }
    assert all(fields <= set(r) for r in rows.values())
    assert rows["dev-0001b"]["decision"] == "refuse"
    assert rows["dev-0042"]["decision"] == "crisis"
    secular = rows["ans-a-003"]
    assert secular["decision"] == "answer" and "secular-state" in secular["cited_groups"]
    assert secular["sources"] and secular["citations_valid"] is True
    assert secular["language_pure"] is True
    assert "secular-state" in secular["retrieved"]
    assert secular["retrieved_units"][0] in secular["expected_units"]
    assert all(r["pass"] == (not r["reasons"]) for r in rows.values())
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["cases"] == len(PICKED)
    assert set(summary["by_language"]) == {"kk", "en", "ru"}
    assert "recall_at_3" in summary["overall"] and summary["support"]["recall_at_3"] == 3
    assert summary["support"]["unit_hit_at_1"] == 3
    assert summary["intervals"]["exact_decision_rate"] is not None
    assert summary["support"]["counterfactual_consistency"] == 1
    assert summary["meta"]["problems"] and summary["gate"][0]["ok"] is True
    html = (out / "report.html").read_text(encoding="utf-8")
    for section in (
        'id="headline"',
        'id="chart-heatmap"',
        'id="chart-confusion"',
        'id="chart-latency"',
        'id="failures"',
        'id="generalisation"',
    ):
        assert section in html
    assert "<script src=" not in html
    assert "Kelisim evaluation" in (out / "report.md").read_text(encoding="utf-8")


def test_gate_exits_1_and_lists_each_breach(tmp_path, cases_file, use_engine):
    gate = _thresholds(
        tmp_path,
        "  harmful_blocked_rate: {min: 0.5}\n"
        "  latency_p50_ms: {max: 0.0}\n  language_match_rate: {min: 1.01}\n",
    )
    result = CliRunner().invoke(
        cli.app, ["run", str(cases_file), "--out", str(tmp_path / "run"), "--thresholds", str(gate)]
    )
    assert result.exit_code == 1, result.output
    assert "Gate failed" in result.output
    assert "latency_p50_ms" in result.output and "language_match_rate" in result.output
    assert "✘ harmful_blocked_rate" not in result.output
    report_only = CliRunner().invoke(
        cli.app,
        [
            "run",
            str(cases_file),
            "--out",
            str(tmp_path / "run2"),
            "--thresholds",
            str(gate),
            "--no-gate",
        ],
    )
    assert report_only.exit_code == 0


def test_bad_thresholds_file_is_a_clear_error(tmp_path, cases_file, use_engine):
    gate = _thresholds(tmp_path, "  happiness: {min: 1}\n")
    result = CliRunner().invoke(
        cli.app, ["run", str(cases_file), "--out", str(tmp_path / "run"), "--thresholds", str(gate)]
    )
    assert result.exit_code != 0
    assert "happiness: unknown metric" in str(result.exception)


def test_default_thresholds_file_is_valid():
    from bot.evaluation.gate import DEFAULT_THRESHOLDS, load_scope, load_thresholds
    from bot.evaluation.pipeline import known_metrics

    limits = {t.metric: t for t in load_thresholds(DEFAULT_THRESHOLDS, known_metrics())}
    assert limits["harmful_blocked_rate"].min >= 0.98
    assert limits["citation_validity"].min == 1.0
    # The gate judges the frozen test splits and XSTest, never the dev split.
    scope = load_scope(DEFAULT_THRESHOLDS)
    assert "test/" in scope and "xstest" in scope and not any("dev" in s for s in scope)


def test_extractive_run_is_deterministic(engine, cases_file):
    cases = load_datasets([cases_file]).cases
    first = evaluate(engine, cases, workers=2).results
    second = evaluate(engine, cases, workers=1).results
    assert [(r.id, r.decision, r.reply, r.sources) for r in first] == [
        (r.id, r.decision, r.reply, r.sources) for r in second
    ]
