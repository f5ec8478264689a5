"""The output guard's test set: LLM sentences that must be kept or dropped.

Each case is one sentence an LLM might write from one answer unit: a faithful
paraphrase (``expected: keep``) or a sentence with one claim changed —
negated, a number or article swapped, a name replaced, a claim word changed, a
false clause added to a true one, a new fact added, or an example line turned
into advice (``expected: drop``). The guard sees exactly the unit the case names.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import CorpusError
from bot.models import LANGS

if TYPE_CHECKING:
    from bot.engine import Engine


@dataclass(frozen=True, slots=True)
class GuardCase:
    id: str
    lang: str
    unit: str
    kind: str
    sentence: str
    expected: str  # keep | drop


@dataclass(slots=True)
class GuardOutcome:
    case: GuardCase
    kept: bool
    reasons: list[str]
    ms: float


@dataclass(slots=True)
class GuardReport:
    outcomes: list[GuardOutcome] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Per language: unsupported sentences passed and faithful ones kept, by kind."""
        out: dict[str, Any] = {}
        for lang in (*LANGS, "all"):
            rows = [o for o in self.outcomes if lang in ("all", o.case.lang)]
            if not rows:
                continue
            bad = [o for o in rows if o.case.expected == "drop"]
            good = [o for o in rows if o.case.expected == "keep"]
            kinds: dict[str, list[GuardOutcome]] = defaultdict(list)
            for o in bad:
                kinds[o.case.kind].append(o)
            out[lang] = {
                "cases": len(rows),
                "unsupported_passed": _rate(sum(o.kept for o in bad), len(bad)),
                "faithful_kept": _rate(sum(o.kept for o in good), len(good)),
                "passed_by_kind": {
                    k: _rate(sum(o.kept for o in v), len(v)) for k, v in sorted(kinds.items())
                },
            }
        times = sorted(o.ms for o in self.outcomes)
        if times:
            out["latency_ms"] = {
                "p50": round(times[len(times) // 2], 1),
                "p95": round(times[int(len(times) * 0.95)], 1),
            }
        return out


def _rate(hits: int, total: int) -> dict[str, float | int]:
    return {"rate": round(hits / total, 4) if total else 0.0, "hits": hits, "total": total}


def load_cases(paths: list[Path]) -> list[GuardCase]:
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise CorpusError(f"{path}: no such file or folder")
        files += sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    cases = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CorpusError(f"{file}: cannot be read as UTF-8 text ({exc})") from exc
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                cases.append(GuardCase(**{k: raw[k] for k in GuardCase.__dataclass_fields__}))
            except (ValueError, KeyError, TypeError) as exc:
                raise CorpusError(f"{file}:{n}: not a guard case ({exc})") from exc
    return cases


def evaluate(engine: Engine, cases: list[GuardCase], *, timed: bool = True) -> GuardReport:
    """Run the real output guard on each case's sentence against its unit.

    Times are for a running bot, whose code is warm: each case is checked once
    untimed first. ``timed=False`` checks each case once, for the verdicts alone.
    """
    report = GuardReport()
    for case in cases:
        unit = engine.retriever.unit(case.unit, case.lang)  # type: ignore[arg-type]
        if unit is None:
            raise CorpusError(f"{case.id}: no published unit {case.unit} in {case.lang}")
        if timed:
            engine.guard.check(case.sentence + " .", [unit], case.lang)  # type: ignore[arg-type]
        started = time.perf_counter()
        result = engine.guard.check(case.sentence, [unit], case.lang)  # type: ignore[arg-type]
        ms = (time.perf_counter() - started) * 1000
        report.outcomes.append(GuardOutcome(case, result.ok, result.reasons, ms))
    return report
