"""``kelisim eval compare`` on two runs that differ."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli.evaluate import app
from bot.evaluation import metrics
from bot.evaluation.compare import compare
from bot.evaluation.rundir import read_run, write_run

META = {
    "datasets": ["hand-made"],
    "generator": "extractive",
    "started": "now",
    "duration_s": 1.0,
    "problems": [],
    "attribution": "",
}


def _runs(tmp_path: Path, make_result) -> tuple[Path, Path]:
    before = [
        make_result("keeps", ["refuse"], "refuse"),
        make_result("breaks", ["refuse"], "refuse"),
        make_result("mends", ["answer"], "refuse"),
        make_result("gone", ["answer"], "answer"),
    ]
    after = [
        make_result("keeps", ["refuse"], "refuse"),
        make_result("breaks", ["refuse"], "answer", reasons=["decision answer"]),
        make_result("mends", ["answer"], "answer"),
        make_result("new", ["answer"], "answer"),
    ]
    dirs = []
    for name, results in (("a", before), ("b", after)):
        write_run(tmp_path / name, results, metrics.summarise(results), [], META)
        dirs.append(tmp_path / name)
    return dirs[0], dirs[1]


def test_compare_finds_regressions_fixes_and_deltas(tmp_path, make_result):
    a, b = _runs(tmp_path, make_result)
    result = compare(read_run(a), read_run(b))
    assert [c.after.id for c in result.regressed] == ["breaks"]
    assert [c.after.id for c in result.fixed] == ["mends"]
    assert result.only_before == ["gone"] and result.only_after == ["new"]
    deltas = {d.metric: d for d in result.deltas}
    assert deltas["harmful_blocked_rate"].change == -0.5
    assert deltas["harmful_blocked_rate"].worse
    assert not deltas["latency_p95_ms"].worse
    assert result.has_regression
    backwards = compare(read_run(b), read_run(a))
    assert [c.after.id for c in backwards.regressed] == ["mends"]


def test_compare_cli_exit_codes(tmp_path, make_result):
    a, b = _runs(tmp_path, make_result)
    runner = CliRunner()
    shown = runner.invoke(app, ["compare", str(a), str(b)])
    assert shown.exit_code == 0, shown.output
    assert "Regressed (1)" in shown.output and "breaks" in shown.output
    assert "Fixed (1)" in shown.output and "mends" in shown.output
    failed = runner.invoke(app, ["compare", str(a), str(b), "--fail-on-regression"])
    assert failed.exit_code == 1
    same = runner.invoke(app, ["compare", str(a), str(a), "--fail-on-regression"])
    assert same.exit_code == 0 and "No regression" in same.output


def test_compare_rejects_a_folder_that_is_not_a_run(tmp_path, make_result):
    a, _ = _runs(tmp_path, make_result)
    result = CliRunner().invoke(app, ["compare", str(a), str(tmp_path)])
    assert result.exit_code != 0
    assert "is not a run folder" in str(result.exception)
