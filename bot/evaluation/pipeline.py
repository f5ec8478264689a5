"""One evaluation run from datasets to a run folder: load, answer, score, gate, write."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine import Engine
from bot.evaluation import metrics
from bot.evaluation.cases import XSTEST_ATTRIBUTION, Case, LoadProblem, load_datasets
from bot.evaluation.gate import Check, check, load_scope, load_thresholds
from bot.evaluation.rundir import write_run
from bot.evaluation.runner import CaseResult, run_cases


@dataclass(slots=True)
class Outcome:
    results: list[CaseResult]
    summary: dict[str, Any]
    checks: list[Check]
    problems: list[LoadProblem]
    seconds: float

    @property
    def breaches(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


def known_metrics() -> set[str]:
    return set(metrics.compute([]))


def evaluate(
    engine: Engine,
    cases: Sequence[Case],
    *,
    problems: Sequence[LoadProblem] = (),
    out_dir: Path | None = None,
    thresholds: Path | None = None,
    workers: int = 2,
    datasets: Sequence[str] = (),
    on_result: Callable[[CaseResult], None] | None = None,
) -> Outcome:
    """Run ``cases``; with ``out_dir``, write the run folder there."""
    limits = load_thresholds(thresholds, known_metrics()) if thresholds else []
    scope = load_scope(thresholds) if thresholds else ()
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    results = run_cases(engine, cases, workers=workers, on_result=on_result)
    seconds = time.perf_counter() - clock
    summary = metrics.summarise(results)
    gated = [r for r in results if r.dataset.startswith(scope)] if scope else []
    summary["gated_on"] = sorted({r.dataset for r in gated})
    checks = check(metrics.compute(gated) if gated else summary["overall"], limits)
    if out_dir is not None:
        meta = {
            "datasets": list(datasets) or sorted({c.dataset for c in cases}),
            "generator": engine.settings.generator,
            "started": started.isoformat(timespec="seconds"),
            "duration_s": round(seconds, 2),
            "workers": workers,
            "problems": [str(p) for p in problems],
            "attribution": XSTEST_ATTRIBUTION if any(c.dataset == "xstest" for c in cases) else "",
        }
        write_run(out_dir, results, summary, checks, meta)
    return Outcome(results, summary, checks, list(problems), seconds)


def evaluate_paths(engine: Engine, paths: Sequence[Path], **kwargs: Any) -> Outcome:
    loaded = load_datasets(paths)
    return evaluate(
        engine, loaded.cases, problems=loaded.problems, datasets=[str(p) for p in paths], **kwargs
    )
