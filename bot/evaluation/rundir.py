"""A run's folder: ``results.jsonl``, ``summary.json``, ``report.html``, ``report.md``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.errors import KelisimError
from bot.evaluation import report
from bot.evaluation.gate import Check
from bot.evaluation.runner import CaseResult

RESULTS = "results.jsonl"
SUMMARY = "summary.json"


def write_run(
    out_dir: Path,
    results: Sequence[CaseResult],
    summary: dict[str, Any],
    checks: Sequence[Check],
    meta: dict[str, Any],
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / RESULTS).open("w", encoding="utf-8") as fh:
        for r in results:
            fh.write(json.dumps(r.as_dict(), ensure_ascii=False) + "\n")
    document = {
        "meta": meta,
        **summary,
        "gate": [
            {
                "metric": c.threshold.metric,
                "min": c.threshold.min,
                "max": c.threshold.max,
                "value": c.value,
                "ok": c.ok,
                "measured": c.measured,
            }
            for c in checks
        ],
    }
    (out_dir / SUMMARY).write_text(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out_dir / "report.html").write_text(
        report.render_html(summary, results, checks, meta), encoding="utf-8"
    )
    (out_dir / "report.md").write_text(
        report.render_markdown(summary, checks, meta), encoding="utf-8"
    )


def read_run(run_dir: Path) -> tuple[list[CaseResult], dict[str, Any]]:
    """Results and summary of an earlier run (for ``compare``)."""
    results_path, summary_path = run_dir / RESULTS, run_dir / SUMMARY
    if not results_path.exists() or not summary_path.exists():
        raise KelisimError(f"{run_dir} is not a run folder (needs {RESULTS} and {SUMMARY})")
    results = []
    for number, line in enumerate(results_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            results.append(CaseResult.from_dict(json.loads(line)))
        except (json.JSONDecodeError, TypeError) as exc:
            raise KelisimError(f"{results_path}:{number}: unreadable result ({exc})") from exc
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise KelisimError(f"{summary_path}: not JSON ({exc.msg})") from exc
    return results, summary
