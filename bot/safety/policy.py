"""The safety policy: one decision and category for every message.

First, prompt-injection wrappers ("ignore your rules…") are removed
(:mod:`bot.safety.wrappers`): the decision is about what is really asked. Then
three layers, cheapest and most precise first:

1. curated rules (``rules.yaml``) on the message and every de-obfuscated variant
   of it, and on the last turns of the conversation joined together, so a request
   split across messages is still seen whole: high-precision overrides;
2. the trained classifier (:mod:`bot.safety.classifier`): calibrated
   probabilities over decisions from the message's embedding, with thresholds
   chosen on the dev split;
3. optionally, a guard model behind an OpenAI-compatible endpoint — one more vote
   that can only make the decision stricter, never required.

Priority when layers disagree: crisis > refuse > redirect > out_of_scope > answer.
A young person in crisis must never get a refusal, and a refusal must never be
downgraded to an answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.knowledge.embeddings import KelisimEmbeddings
from bot.models import Decision, Lang, Turn, Verdict
from bot.safety import idioms, normalize
from bot.safety.classifier import Prediction, SafetyClassifier
from bot.safety.rules import Rule, load_rules
from bot.safety.wrappers import unwrap
from bot.settings import Settings

log = logging.getLogger(__name__)

CONTEXT_CHARS = 300
# Rule decisions that the classifier may make stricter (crisis or refuse).
SOFT = (Decision.REDIRECT, Decision.OUT_OF_SCOPE, Decision.ANSWER)
# The embedding model reads at most 512 tokens; longer text only costs time
# (a forwarded post is embedded up to this length, see bot.posts).
MAX_EMBEDDED_CHARS = 2000
# A message is classified and searched by its start and its end, where a request
# is. e5's cost grows faster than the text (2,000 characters cost about fifty
# short questions), so a long message must not be embedded whole; the rules still
# read all of it. Almost every labelled message is shorter than this.
MESSAGE_HEAD, MESSAGE_TAIL = 300, 100
# De-obfuscated forms that are classified, at most, and how much of each: an
# encoded request is short. They are embedded together, as one text, so that an
# encoded message costs one embedding more than a plain one, however many forms.
MAX_DECODED_FORMS = 2
MAX_DECODED_CHARS = 200
MAX_DECODED_TOKENS = 64


def embedded(text: str) -> str:
    """What of a message is embedded: all of a short one, the start and end of a long one."""
    if len(text) <= MESSAGE_HEAD + MESSAGE_TAIL:
        return text
    return f"{text[:MESSAGE_HEAD]} … {text[-MESSAGE_TAIL:]}"


PRIORITY = {
    Decision.CRISIS: 0,
    Decision.REFUSE: 1,
    Decision.REDIRECT: 2,
    Decision.OUT_OF_SCOPE: 3,
    Decision.ANSWER: 4,
    Decision.NO_ANSWER: 5,
}


class SafetyPolicy:
    """Decides what to do with a message. Thread-safe after construction."""

    def __init__(
        self,
        rules: list[Rule],
        classifier: SafetyClassifier | None,
        embeddings: KelisimEmbeddings | None,
        *,
        history_turns: int = 6,
        guard: object | None = None,
    ) -> None:
        self.input_rules = [r for r in rules if r.scope in ("input", "both")]
        self.output_rules = [r for r in rules if r.scope in ("output", "both")]
        self.classifier = classifier
        self.embeddings = embeddings
        self.history_turns = history_turns
        self.guard = guard

    @classmethod
    def from_settings(cls, settings: Settings, embeddings: KelisimEmbeddings) -> SafetyPolicy:
        folder: Path = settings.safety_dir
        rules = load_rules(folder / "rules.yaml")
        classifier = SafetyClassifier.load(folder / "classifier.json")
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
        wrapped: bool = False,
    ) -> Verdict:
        """The decision for ``text`` (already cleaned) in the context of ``history``.

        ``wrapped`` says the caller already removed a prompt-injection wrapper from
        ``text`` (see :mod:`bot.safety.wrappers`); ``vector`` is then the vector of
        what remained.
        """
        unwrapped = unwrap(text)
        if unwrapped.only_wrapper:
            return Verdict(
                Decision.OUT_OF_SCOPE,
                "role_change",
                1.0,
                ("an attempt to change my rules, with no question in it",),
            )
        if unwrapped.wrapped:
            text, vector, alt_text, wrapped = unwrapped.text, None, None, True
        reading = idioms.literal(text)
        if reading.figures:  # "dying of boredom" is decided as what it means
            text, vector = reading.text, None
            alt_text = idioms.literal(alt_text).text if alt_text else None
        verdict = self._decide(text, lang, history, vector, alt_text)
        if reading.figures:
            said = ", ".join(f"«{f}»" for f in reading.figures)
            verdict = replace(
                verdict, reasons=(f"read {said} as a figure of speech", *verdict.reasons)
            )
        if not wrapped:
            return verdict
        category = "jailbreak" if verdict.decision is Decision.REFUSE else verdict.category
        reasons = ("removed a prompt-injection wrapper; decided on the rest", *verdict.reasons)
        return Verdict(verdict.decision, category, verdict.confidence, reasons)

    def without_greeting(self, text: str) -> str:
        """``text`` without a greeting sentence in front ("Hi! What is takfir?" → the question).

        A message that is only a greeting is returned as it is.
        """
        match = _FIRST_SENTENCE.match(text)
        if not match or not text[match.end() :].strip():
            return text
        first = normalize.basic(match.group(0))
        if any(r.category == "greeting" and r.matches(first) for r in self.input_rules):
            return text[match.end() :].strip()
        return text

    def _decide(
        self,
        text: str,
        lang: Lang,
        history: Sequence[Turn],
        vector: np.ndarray | None,
        alt_text: str | None,
    ) -> Verdict:
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
            if verdict.decision in SOFT:
                # Redirect, out-of-scope and greeting rules say what kind of message it
                # is, not that it is safe: a crisis or a harmful request the classifier
                # sees still wins.
                prediction = self._classify(text, vector, forms)
                if (
                    prediction
                    and PRIORITY[prediction.decision] < PRIORITY[verdict.decision]
                    and prediction.decision in (Decision.CRISIS, Decision.REFUSE)
                ):
                    return _from_prediction(prediction, reasons)
                if verdict.decision is Decision.ANSWER and rule.category != "greeting":
                    return self._guard_vote(text, verdict)
            return verdict
        context = next((t.content for t in reversed(history) if t.role == "user"), "")
        prediction = self._classify(text, vector, forms, context)
        verdict = (
            _from_prediction(prediction) if prediction else Verdict(Decision.ANSWER, "general")
        )
        if verdict.category == "greeting" and not _short_remark(text):
            # The greeting rules know every short hello; a longer message the
            # classifier finds greeting-like is a question to answer, not a hello.
            verdict = Verdict(verdict.decision, "general", verdict.confidence, verdict.reasons)
        return self._guard_vote(text, verdict)

    def _rule_hits(self, forms: list[tuple[str, str]]) -> list[tuple[Rule, str]]:
        hits: list[tuple[Rule, str]] = []
        plain = forms[0][1] if forms else ""
        for rule in self.input_rules:
            # A sentence is part of the plain text: an unanchored rule whose conditions
            # do not hold on all of it cannot match one sentence of it (keeps the
            # policy linear in the length of a message).
            # A greeting is what a whole message is: "Hi! What is takfir?" is a question.
            by_sentence = rule.category != "greeting" and (rule.anchored or rule.holds(plain))
            if rule.excused(plain):
                continue
            for how, form in forms:
                if how == "one sentence of the" and not by_sentence:
                    continue
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
            t.content[-CONTEXT_CHARS:] if t.role == "user" else t.content[:CONTEXT_CHARS]
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

    def _classify(
        self, text: str, vector: np.ndarray | None, forms: list[tuple[str, str]], context: str = ""
    ) -> Prediction | None:
        if self.classifier is None:
            return None
        if vector is None and self.embeddings is not None:
            vector = self.embeddings.query_vector(embedded(text))
        if context and self.embeddings is not None and len(text.split()) < 15:
            # A short follow-up means little alone: classify it with the previous question.
            vector = self.embeddings.query_vector(embedded(f"{context} {text}"))
        if vector is None:
            return None
        best = self.classifier.predict(vector)
        # Decoded or de-obfuscated forms are classified too; the stricter decision wins.
        if self.embeddings is not None:
            plain = forms[0][1] if forms else ""
            decoded = list(
                dict.fromkeys(
                    form
                    for how, form in forms[1:]
                    if how not in ("Latin-script Kazakh", "one sentence of the") and form != plain
                )
            )
            if decoded:
                together = " ".join(
                    form[:MAX_DECODED_CHARS] for form in decoded[:MAX_DECODED_FORMS]
                )
                other = self.classifier.predict(
                    self.embeddings.query_vector(together, MAX_DECODED_TOKENS)
                )
                if PRIORITY[other.decision] < PRIORITY[best.decision]:
                    category = "jailbreak" if other.decision is Decision.REFUSE else other.category
                    best = Prediction(
                        other.decision, category, other.probability, other.probabilities
                    )
        return best

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


_FIRST_SENTENCE = re.compile(r"[^.!?…\n]{1,40}[.!?…,\n]+\s*")


def _short_remark(text: str) -> bool:
    """At most four words and no question mark: what a hello or thanks looks like."""
    return "?" not in text and len(text.split()) <= 4


def _from_prediction(prediction: Prediction, reasons: tuple[str, ...] = ()) -> Verdict:
    category = prediction.category
    if prediction.decision is Decision.ANSWER and category in (
        "injection_benign",
        "corpus_question",
    ):
        category = "general"
    return Verdict(
        prediction.decision,
        category,
        prediction.probability,
        (*reasons, prediction.explain()),
    )
