"""The safety policy: one decision and category for every message.

Three layers, cheapest and most precise first:

1. curated rules (``rules.yaml``) on the message and every de-obfuscated variant
   of it, and on the last turns of the conversation joined together, so a request
   split across messages is still seen whole;
2. the exemplar classifier: a vote of the nearest labelled examples;
3. optionally, a guard model behind an OpenAI-compatible endpoint — one more vote
   that can only make the decision stricter, never required.

Priority when layers disagree: crisis > refuse > redirect > out_of_scope > answer.
A young person in crisis must never get a refusal, and a refusal must never be
downgraded to an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.knowledge.embeddings import KelisimEmbeddings
from bot.models import Decision, Lang, Turn, Verdict
from bot.safety import normalize
from bot.safety.exemplars import ExemplarClassifier, Vote, load_exemplars
from bot.safety.rules import Rule, load_rules
from bot.settings import Settings

log = logging.getLogger(__name__)

CONTEXT_CHARS = 300
PRIORITY = {
    Decision.CRISIS: 0,
    Decision.REFUSE: 1,
    Decision.REDIRECT: 2,
    Decision.OUT_OF_SCOPE: 3,
    Decision.ANSWER: 4,
    Decision.NO_ANSWER: 5,
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How sure the exemplar vote must be before it overrides the default (answer)."""

    crisis_share: float = 0.6
    crisis_top: float = 0.875
    refuse_share: float = 0.6
    refuse_top: float = 0.87
    redirect_share: float = 0.6
    redirect_top: float = 0.88
    out_of_scope_share: float = 0.6
    out_of_scope_top: float = 0.86


class SafetyPolicy:
    """Decides what to do with a message. Thread-safe after construction."""

    def __init__(
        self,
        rules: list[Rule],
        classifier: ExemplarClassifier | None,
        embeddings: KelisimEmbeddings | None,
        *,
        history_turns: int = 6,
        thresholds: Thresholds | None = None,
        guard: object | None = None,
    ) -> None:
        self.input_rules = [r for r in rules if r.scope in ("input", "both")]
        self.output_rules = [r for r in rules if r.scope in ("output", "both")]
        self.classifier = classifier
        self.embeddings = embeddings
        self.history_turns = history_turns
        self.thresholds = thresholds or Thresholds()
        self.guard = guard

    @classmethod
    def from_settings(cls, settings: Settings, embeddings: KelisimEmbeddings) -> SafetyPolicy:
        folder: Path = settings.safety_dir
        rules = load_rules(folder / "rules.yaml")
        classifier = ExemplarClassifier.build(
            load_exemplars(folder / "exemplars.yaml"), embeddings, settings.data_dir / "cache"
        )
        guard = None
        if settings.guard_base_url:
            from bot.safety.guard_model import GuardModel

            guard = GuardModel(
                settings.guard_base_url,
                settings.guard_model,
                settings.llm_api_key.get_secret_value(),
            )
        return cls(rules, classifier, embeddings, history_turns=settings.history_turns, guard=guard)

    # ----------------------------------------------------------------- input
    def decide(
        self,
        text: str,
        *,
        lang: Lang,
        history: Sequence[Turn] = (),
        vector: np.ndarray | None = None,
        alt_text: str | None = None,
    ) -> Verdict:
        """The decision for ``text`` (already cleaned) in the context of ``history``."""
        forms = normalize.variants(text)
        forms.extend(("one sentence of the", sentence) for sentence in normalize.sentences(text))
        if alt_text:
            forms.append(("Latin-script Kazakh", normalize.basic(alt_text)))
        hits = self._rule_hits(forms)
        hits.extend(self._conversation_hits(text, history))
        if hits:
            rule, how = min(hits, key=lambda h: PRIORITY[h[0].decision])
            category = rule.category
            if rule.decision is Decision.REFUSE and how not in (
                "plain",
                "conversation",
                "Latin-script Kazakh",
                "one sentence of the",
            ):
                category = "jailbreak"
            reasons = tuple(
                f"rule {r.id} ({r.decision.value}) matched the {h} text" for r, h in hits
            )
            verdict = Verdict(rule.decision, category, 1.0, reasons)
            if verdict.decision is Decision.ANSWER:  # greetings: let a crisis vote still win
                vote = self._vote(text, vector, forms)
                if vote and vote.decision is Decision.CRISIS and self._confident(vote):
                    return self._from_vote(vote)
            return verdict
        context = next((t.content for t in reversed(history) if t.role == "user"), "")
        vote = self._vote(text, vector, forms, context)
        verdict = self._from_vote(vote) if vote else Verdict(Decision.ANSWER, "general")
        return self._guard_vote(text, verdict)

    def _rule_hits(self, forms: list[tuple[str, str]]) -> list[tuple[Rule, str]]:
        hits: list[tuple[Rule, str]] = []
        for rule in self.input_rules:
            for how, form in forms:
                if rule.matches(form):
                    hits.append((rule, how))
                    break
        return hits

    def _conversation_hits(self, text: str, history: Sequence[Turn]) -> list[tuple[Rule, str]]:
        """Refusal rules that match only when the last turns are read together with this one.

        The message is also tried sentence by sentence, so that "forget the history
        part, just tell me how to put it together" is not excused by its first half.
        """
        # Assistant turns are long quotes; their opening (a refusal, a framing line)
        # is the part a follow-up refers to.
        earlier = [
            t.content if t.role == "user" else t.content[:CONTEXT_CHARS]
            for t in history[-self.history_turns :]
        ][-4:]
        if not earlier:
            return []
        before = normalize.basic(" ".join(earlier))
        together = [
            f"{before} {part}" for part in (normalize.basic(text), *normalize.sentences(text))
        ]
        hits = []
        for rule in self.input_rules:
            if rule.decision is not Decision.REFUSE:
                continue
            if any(rule.matches(t) for t in together) and not rule.matches(before):
                hits.append((rule, "conversation"))
        return hits

    def _vote(
        self, text: str, vector: np.ndarray | None, forms: list[tuple[str, str]], context: str = ""
    ) -> Vote | None:
        if self.classifier is None:
            return None
        if vector is None and self.embeddings is not None:
            vector = self.embeddings.query_vector(text)
        if context and self.embeddings is not None and len(text.split()) < 15:
            # A short follow-up means little alone: vote on it with the previous question.
            vector = self.embeddings.query_vector(f"{context} {text}")
        if vector is None:
            return None
        best = self.classifier.vote(vector)
        # A decoded or de-obfuscated form is voted on too; the stricter verdict wins.
        if self.embeddings is not None:
            for how, form in forms[1:]:
                if how in ("Latin-script Kazakh", "one sentence of the"):
                    continue
                vote = self.classifier.vote(self.embeddings.query_vector(form))
                if self._confident(vote) and PRIORITY[vote.decision] < PRIORITY[best.decision]:
                    best = Vote(
                        vote.decision,
                        "jailbreak" if vote.decision is Decision.REFUSE else vote.category,
                        vote.share,
                        vote.top,
                        vote.neighbours,
                    )
        return best

    def _confident(self, vote: Vote) -> bool:
        t = self.thresholds
        need = {
            Decision.CRISIS: (t.crisis_share, t.crisis_top),
            Decision.REFUSE: (t.refuse_share, t.refuse_top),
            Decision.REDIRECT: (t.redirect_share, t.redirect_top),
            Decision.OUT_OF_SCOPE: (t.out_of_scope_share, t.out_of_scope_top),
        }.get(vote.decision)
        return need is None or (vote.share >= need[0] and vote.top >= need[1])

    def _from_vote(self, vote: Vote) -> Verdict:
        reasons = [
            f"exemplars: {vote.decision.value}/{vote.category} "
            f"share {vote.share:.2f}, nearest {vote.top:.3f}"
        ]
        reasons += [
            f"  {sim:.3f} {ex.decision.value}/{ex.category}: {ex.text[:70]}"
            for sim, ex in vote.neighbours[:3]
        ]
        if vote.decision is not Decision.ANSWER and self._confident(vote):
            return Verdict(vote.decision, vote.category, vote.share, tuple(reasons))
        category = vote.category if vote.decision is Decision.ANSWER else "general"
        return Verdict(Decision.ANSWER, category, vote.share, tuple(reasons))

    def _guard_vote(self, text: str, verdict: Verdict) -> Verdict:
        if self.guard is None or verdict.decision is not Decision.ANSWER:
            return verdict
        unsafe = self.guard.is_unsafe(text)  # type: ignore[attr-defined]
        if unsafe:
            return Verdict(
                Decision.REFUSE, "guard_model", 1.0, (*verdict.reasons, "guard model: unsafe")
            )
        return verdict

    # ---------------------------------------------------------------- output
    def check_output(self, text: str) -> Verdict | None:
        """A refusal verdict if an LLM answer contains what the bot must never say."""
        form = normalize.basic(text)
        for rule in self.output_rules:
            if rule.matches(form):
                return Verdict(rule.decision, rule.category, 1.0, (f"output rule {rule.id}",))
        return None
