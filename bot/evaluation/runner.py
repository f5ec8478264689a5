"""Runs cases through the engine and judges each reply.

Every check that fails adds a plain-language reason, so a reviewer reading
``results.jsonl`` or the report sees why a case failed, not only that it did.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.engine import Engine
from bot.engine.inputs import clean_input
from bot.evaluation.cases import Case
from bot.knowledge.sentences import split_sentences
from bot.language import detect
from bot.models import Decision, Question, Reply, Turn
from bot.safety.wrappers import unwrap

# Retrieval recall is measured at these cut-offs.
RECALL_KS = (1, 3, 5)
_GUARD_KEPT = re.compile(r"guard: kept (\d+) of (\d+) sentences")
_CITATIONS = re.compile(r"\s*\[\d+\]")


@dataclass(slots=True)
class CaseResult:
    """One case, the engine's reply and the verdict on it (a line of ``results.jsonl``)."""

    id: str
    lang: str | None
    category: str
    group: str | None
    expected: list[str]
    decision: str
    language: str
    reply: str
    sources: list[dict[str, str]]
    latency_ms: float
    passed: bool
    reasons: list[str] = field(default_factory=list)
    dataset: str = ""
    text: str = ""
    reply_category: str = ""
    generator: str = "none"
    must_cite: list[str] = field(default_factory=list)
    cited_groups: list[str] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    citations_valid: bool | None = None
    grounded: float | None = None
    units: list[str] = field(default_factory=list)
    expected_units: list[str] = field(default_factory=list)
    retrieved_units: list[str] = field(default_factory=list)
    language_pure: bool | None = None
    foreign_sentences: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["pass"] = out.pop("passed")
        out["latency_ms"] = round(self.latency_ms, 1)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        values = dict(data)
        values["passed"] = bool(values.pop("pass", values.get("passed", False)))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


def retrieved_units(engine: Engine, text: str, k: int) -> list[str]:
    """The ``k`` best answer units retrieval finds for ``text``, best first.

    The query is prepared as the engine prepares it (cleaned, injection wrapper
    removed, Latin-script Kazakh searched in Cyrillic), so this measures the
    retrieval the engine really does.
    """
    clean = clean_input(text, engine.settings.max_input_chars)
    if clean.empty:
        return []
    asked = unwrap(clean.text).text or clean.text
    detection = detect(asked)
    searched = detection.cyrillic or asked
    vector = engine.embeddings.query_vector(searched)
    return [h.unit_id for h in engine.retriever.search(vector, detection.lang, k, searched)]


def group_of(unit_id: str) -> str:
    return unit_id.split("/", 1)[0]


def foreign_sentences(body: str, lang: str) -> list[str]:
    """Sentences of a reply that read as another language than ``lang``.

    Short fragments (fewer than four words) are not judged: names and numbers
    carry no language.
    """
    out = []
    for line in body.splitlines():
        for sentence in split_sentences(_CITATIONS.sub("", line)):
            if len(re.findall(r"[^\W\d_]{2,}", sentence)) < 4:
                continue
            if detect(sentence).lang != lang:
                out.append(sentence)
    return out


def sources_of_units(engine: Engine, reply: Reply) -> bool:
    """Every source shown belongs to a quoted unit (in the reply's language)."""
    allowed = set()
    for unit_id in reply.units:
        unit = engine.retriever.unit(unit_id, reply.language)
        if unit is not None:
            allowed |= {(s.title, s.url) for s in unit.sources}
    return all((s.title, s.url) in allowed for s in reply.sources)


def grounded_share(explanation: Sequence[str]) -> float | None:
    """Share of an LLM answer's sentences the output guard found supported."""
    for line in explanation:
        match = _GUARD_KEPT.search(line)
        if match:
            total = int(match.group(2))
            return int(match.group(1)) / total if total else 0.0
    return None


def judge(case: Case, reply: Reply, engine: Engine) -> CaseResult:
    """Compare a reply with what the case accepts."""
    reasons: list[str] = []
    expected = [d.value for d in case.expected]
    if reply.decision not in case.expected:
        reasons.append(f"decision {reply.decision.value}, expected {' or '.join(expected)}")
    if case.lang and reply.language != case.lang:
        reasons.append(f"replied in {reply.language}, asked in {case.lang}")
    cited = sorted({group_of(u) for u in reply.units})
    if case.must_cite and reply.decision is Decision.ANSWER:
        missing = [g for g in case.must_cite if g not in cited]
        if missing:
            reasons.append(
                f"did not quote {', '.join(missing)}"
                + (f" (quoted {', '.join(reply.units)})" if reply.units else " (quoted nothing)")
            )
    lowered = reply.text.casefold()
    for phrase in case.must_not_contain:
        if phrase.casefold() in lowered:
            reasons.append(f"reply contains forbidden text {phrase!r}")
    needs_retrieval = bool(case.must_cite or case.units)
    depth = max(engine.settings.top_k, *RECALL_KS)
    retrieved = retrieved_units(engine, case.text, depth) if needs_retrieval else []
    valid: bool | None = None
    pure: bool | None = None
    foreign: list[str] = []
    if reply.decision in (Decision.ANSWER, Decision.CLARIFY, Decision.NO_ANSWER):
        foreign = foreign_sentences(reply.body or reply.text, reply.language)
        pure = not foreign
        if foreign:
            reasons.append(
                f"{len(foreign)} sentence(s) not in {reply.language}: {foreign[0][:60]!r}"
            )
    if reply.sources:
        valid = sources_of_units(engine, reply)
        if not valid:
            reasons.append("shows a source that is not a source of the quoted unit")
    groups = list(dict.fromkeys(group_of(u) for u in retrieved))
    return CaseResult(
        id=case.id,
        lang=case.lang,
        category=case.category,
        group=case.group,
        expected=expected,
        decision=reply.decision.value,
        language=reply.language,
        reply=reply.text,
        sources=[s.as_dict() for s in reply.sources],
        latency_ms=reply.latency_ms,
        passed=not reasons,
        reasons=reasons,
        dataset=case.dataset,
        text=case.text,
        reply_category=reply.category,
        generator=reply.generator,
        must_cite=list(case.must_cite),
        cited_groups=cited,
        retrieved=groups[: max(RECALL_KS)],
        citations_valid=valid,
        grounded=grounded_share(reply.explanation),
        units=list(reply.units),
        expected_units=list(case.units),
        retrieved_units=retrieved[: max(RECALL_KS)],
        language_pure=pure,
        foreign_sentences=foreign,
    )


def evaluate_case(engine: Engine, case: Case) -> CaseResult:
    history = tuple(Turn(t.role, t.content) for t in case.history)  # type: ignore[arg-type]
    reply = engine.answer(Question(case.text, history=history))
    return judge(case, reply, engine)


def run_cases(
    engine: Engine,
    cases: Sequence[Case],
    *,
    workers: int = 2,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Evaluate every case; results come back in the cases' order whatever ``workers`` is."""
    if workers <= 1:
        results = []
        for case in cases:
            results.append(evaluate_case(engine, case))
            if on_result:
                on_result(results[-1])
        return results
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eval") as pool:
        futures = [pool.submit(evaluate_case, engine, case) for case in cases]
        out = []
        for future in futures:
            out.append(future.result())
            if on_result:
                on_result(out[-1])
        return out
