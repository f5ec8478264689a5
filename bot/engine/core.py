"""The engine: one ``answer()`` path for every front end.

language → safety policy → retrieval → generation → output guard → reply.
Nothing here knows about Telegram, HTTP or the terminal.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from bot import language
from bot.engine.composer import compose
from bot.engine.framing import Framing
from bot.engine.inputs import bounded_history, clean_input
from bot.engine.prompts import Prompts, load_prompts
from bot.engine.replies import (
    clarify,
    crisis_brief,
    no_answer,
    no_answer_near,
    related_block,
    sources_block,
    templated,
)
from bot.engine.retrieval import Hit, Retriever, UnitText
from bot.engine.someone_close import speaks_of_someone_close
from bot.errors import GeneratorError, KelisimError
from bot.knowledge import store
from bot.knowledge.embeddings import KelisimEmbeddings, get_embeddings
from bot.language import detect
from bot.models import LANGS, Decision, Lang, Question, Reply, Source, Suggestion, Turn, Verdict
from bot.safety.policy import SafetyPolicy, embedded
from bot.safety.screening import screen
from bot.safety.wrappers import unwrap
from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    import chromadb

    from bot.posts.checker import PostCheck, PostChecker
    from bot.posts.lessons import LessonBook

log = logging.getLogger(__name__)

# Next questions offered under an answer, and "Did you mean" choices.
RELATED = 3
CLARIFY_MAX = 3
# "Did you mean" lists units down to this far below the did-you-mean band.
CLARIFY_SPREAD = 0.02
# "Not covered" offers the nearest unit questions down to this far below the band.
NEAR_SPREAD = 0.03
# A reply quotes at most this many units; of a message's questions, this many are
# searched alone.
MAX_UNITS = 2
MAX_PARTS = 4
PART_POOL = 40  # units searched per question part, to find one the whole message matched
MAX_PARTS_CHARS = 600  # a long story is not a list of questions (and stays cheap)
# Two units whose answers are this alike (about the closest 0.1% of unit pairs in the
# corpus) say nearly the same thing: quoting both reads as one answer repeated.
REPEATS = 0.935
_PARTS = re.compile(r"(?<=[?!.…])\s+|\n+")
_QUESTION_WORDS = (
    r"why|how|what|who|when|where|which|is|are|was|were|can|do|does|did|should|"
    r"почему|зачем|как|что|кто|когда|где|сколько|скольк\w*|можно|правда|ли|чем|"
    r"как(?:ой|ая|ое|ие)|откуда|"
    r"неге|қалай|кім|қашан|қайда|қанша|рас|қандай|қайсы|қайдан"
)
# A sentence that asks without a question mark: "…deepfake? and is sharing one a crime".
_ASKS = re.compile(
    rf"^(?:(?:and|or|but|also|и|или|а|ещё|еще|және|әрі|ал)\s+)?(?:{_QUESTION_WORDS})\b",
    re.IGNORECASE,
)
# A Kazakh question particle (or Russian «ли») ends a question that has no "?":
# «…мен ешқандай дінге сенбесем бола ма».
_ASKS_AT_END = re.compile(
    r"\s(?:ма|ме|ба|бе|па|пе|ли)[.!]?$|^\w+\s+ли\b",  # «…бола ма», «Есть ли наказание»
    re.IGNORECASE,
)
# "Who are Jehovah's Witnesses, are they banned here?": a second question after a comma
# that refers back with a pronoun.
_REFERS_BACK = re.compile(
    r",\s+(?=(?:is it|are they|was it|were they|is that|они|она|он|оно|её|ее|его|их|это|"
    r"олар|оларды|олардың|оларға|ол|оны|оның|оған|бұл)\b)",
    re.IGNORECASE,
)
# "…, and why…", "… и сколько…", "… және неге…": a second question joined to the first.
# Kazakh «не» ("what") is Russian «не» ("not"): it starts a question only after a
# Kazakh conjunction.
_JOINED = re.compile(
    r",?\s+(?:(?:and|or|but|и|или|а|және|әрі|ал)\s+(?=(?:why|how|what|who|when|where|which|"
    r"is|are|can|do|does|did|was|were|has|have|will|should|почему|зачем|как|что|кто|когда|"
    r"где|куда|откуда|сколько|скольк\w*|можно|правда|чем|как(?:ой|ая|ое|ие)|есть ли|"
    r"будет ли|нужно ли|надо ли|(?:с|в|на|до|от) как(?:ого|ом|ой|их)|за что|"
    r"неге|қалай|кім|қашан|қайда|қанша|қандай)\b)"
    r"|(?:және|әрі|ал)\s+(?=(?:(?:олар|оларды|оларға|оны|оған)\s+)?не\b))",
    re.IGNORECASE,
)

Listener = Callable[[Question, Reply], object]
CheckListener = Callable[["PostCheck"], object]
Draft = Callable[[str], None]
# A sentence is complete at its end mark, with the citation that follows it.
_SENTENCE_END = re.compile(r"[.!?…](?:\s*\[\d+\])*(?=\s)")


class Engine:
    """Answers questions. Thread-safe; build one per process with :func:`get_engine`."""

    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: KelisimEmbeddings | None = None,
        client: chromadb.ClientAPI | None = None,
        record: bool = True,
    ) -> None:
        self.settings = settings
        self.embeddings = embeddings or get_embeddings(settings)
        self._client = client
        self._client_lock = threading.Lock()
        self.retriever = Retriever(
            lambda: self.client,
            self.embeddings,
            settings.data_dir / "cache",
            store.mirror_path(settings),
            classifier_weight=settings.classifier_weight,
        )
        language.use_cache(settings.data_dir / "cache")
        self.prompts: Prompts = load_prompts(settings.prompts_dir)
        self.framing = Framing(
            {
                lang: self.prompts.value(lang, "request_framing") or []
                for lang in LANGS
                if "request_framing" in self.prompts.keys(lang)
            }
        )
        self.policy = SafetyPolicy.from_settings(settings, self.embeddings)
        self._generator = None
        if settings.generator == "llm":
            from bot.engine.llm import LLMGenerator

            self._generator = LLMGenerator(settings, self.prompts)
        from bot.engine.guard import OutputGuard

        self.guard = OutputGuard(self.policy, settings.support_threshold, self.prompts)
        # Evaluation, benchmarks and red-teaming traffic must not look like real usage.
        self.listeners: list[Listener] = self._default_listeners() if record else []
        self.check_listeners: list[CheckListener] = []
        if record:
            from bot.curation.trends import record_check

            self.check_listeners.append(partial(record_check, settings=settings))
        self._quotable_cache: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._checker: PostChecker | None = None
        self._lessons: LessonBook | None = None
        self._lessons_version: tuple[tuple[str, int, int], ...] = ()

    def _default_listeners(self) -> list[Listener]:
        """Anonymous records for educators and analysts (see ``bot.curation``)."""
        from bot.curation.gaps import record_gap
        from bot.curation.trends import record_event

        return [
            partial(record_gap, settings=self.settings),
            partial(record_event, settings=self.settings),
        ]

    # ------------------------------------------------------------------ public
    @property
    def client(self) -> chromadb.ClientAPI:
        """The index store's client, opened on first use (answering may not need it)."""
        with self._client_lock:
            if self._client is None:
                self._client = store.make_client(self.settings)
            return self._client

    def warm_up(self) -> None:
        """Load the language model and the index now, so the first answer is quick."""
        from bot.language import warm_up

        warm_up()
        self.retriever.refresh()
        self.embeddings.query_vector("warm up")

    def health(self) -> dict[str, str]:
        """Each dependency's state now: ``ok`` or ``error: …`` (for health endpoints).

        The index is read afresh, not from memory; the LLM endpoint is checked only
        when it is configured (answers fall back to the composer without it).
        """
        index = self.retriever.health()
        checks = {"index": "ok" if index.readable else f"error: {index.error}"}
        if self._generator is not None:
            checks["llm"] = self._generator.ping()
        return checks

    def ready(self) -> bool:
        """True when an index generation is in memory to answer from."""
        return self.retriever.health().serving is not None

    def answer(self, question: Question, on_draft: Draft | None = None) -> Reply:
        """Answer one message. Never raises for bad input; see :mod:`bot.errors`.

        With the LLM generator, ``on_draft`` is called with the answer so far as it
        is written — only sentences that already passed the output guard — so a
        front end can show progress; the returned reply is the final, guarded text.
        """
        started = time.perf_counter()
        reply = self._answer(question, on_draft)
        reply.latency_ms = (time.perf_counter() - started) * 1000
        for listener in self.listeners:
            try:
                listener(question, reply)
            except KelisimError as exc:  # e.g. the database is away: one line, no traceback
                log.warning("reply listener failed: %s", exc)
            except Exception:  # a listener must never break answering
                log.exception("reply listener failed")
        return reply

    # ----------------------------------------------------------------- private
    def check(
        self,
        text: str,
        *,
        lang: Lang | None = None,
        preferred_lang: Lang | None = None,
        record: bool = True,
    ) -> PostCheck:
        """Analyse a forwarded post for manipulation techniques (see :mod:`bot.posts`).

        ``lang`` is the reply language (the user's); without it, the post's own.
        ``record=False`` leaves the trend counters alone (call :meth:`record_check`
        once the result is actually shown).
        """
        from bot.posts.checker import PostChecker

        with self._lock:
            if self._checker is None:
                self._checker = PostChecker(self)
        result = self._checker.check(text, lang=lang, preferred_lang=preferred_lang)
        if record:
            self.record_check(result)
        return result

    def record_check(self, result: PostCheck) -> None:
        """Tell the check listeners (anonymous trend counters) about a shown analysis."""
        for listener in self.check_listeners:
            try:
                listener(result)
            except KelisimError as exc:
                log.warning("check listener failed: %s", exc)
            except Exception:  # a listener must never break checking
                log.exception("check listener failed")

    @property
    def lessons(self) -> LessonBook:
        """The published micro-lessons, read again when a lesson file changes."""
        from bot.posts.lessons import lessons_version, load_lessons

        version = lessons_version(self.settings.lessons_dir)
        with self._lock:
            if self._lessons is None or self._lessons_version != version:
                self._lessons = load_lessons(self.settings.lessons_dir)
                self._lessons_version = version
            return self._lessons

    def _answer(self, question: Question, on_draft: Draft | None = None) -> Reply:
        settings, prompts = self.settings, self.prompts
        history = bounded_history(question.history, settings.history_turns)
        if history != question.history:
            question = dataclasses.replace(question, history=history)
        clean = clean_input(question.text, settings.max_input_chars)
        detection = detect(clean.text, preferred=question.preferred_lang)
        lang: Lang = question.lang or detection.lang
        notices = (
            [prompts.text(lang, "truncated", limit=settings.max_input_chars)]
            if clean.truncated
            else []
        )
        if clean.empty or clean.no_words:
            text = prompts.text(lang, "empty")
            return Reply(Decision.NO_ANSWER, "empty", lang, text, body=text, notices=notices)

        # A prompt-injection wrapper is not part of the question: decide and search
        # on what it wraps (language is still detected on the whole message).
        unwrapped = unwrap(clean.text)
        asked = self.policy.without_greeting(unwrapped.text or clean.text)
        written_in = detect(asked) if unwrapped.wrapped else detection
        cyrillic = written_in.cyrillic
        search_text = cyrillic or asked
        vector = self.embeddings.query_vector(embedded(search_text))
        verdict = self.policy.decide(
            asked if not unwrapped.only_wrapper else clean.text,
            lang=lang,
            history=question.history,
            vector=vector,
            alt_text=cyrillic,
            wrapped=unwrapped.wrapped,
        )
        explanation = [
            f"language: {lang} ({detection.confidence:.2f}"
            f"{', Latin-script Kazakh' if detection.kazakh_latin else ''})",
            *verdict.reasons,
        ]
        # Units are searched for what is asked, without how it is asked ("explain it
        # simply, for my essay"); the policy above read the whole message.
        focus = self.framing.focus(search_text, written_in.lang)
        if focus != search_text:
            explanation.append(f"searched without the request's framing: {focus[:80]}")
            vector = self.embeddings.query_vector(embedded(focus))
        grounded = partial(
            self._grounded,
            question,
            focus,
            vector,
            lang,
            verdict,
            notices,
            explanation,
            on_draft,
            # Units are matched in the language the question is written in and quoted
            # in the reply language (they differ when the user forces one with ``--lang``).
            written_in.lang,
        )
        if verdict.decision is Decision.CRISIS and (
            verdict.confidence < self.settings.crisis_answer_below
            or verdict.category in self.settings.crisis_answer_kinds
        ):
            # An uncertain crisis reading, or a worry about someone else or a stranger's
            # message: help lines first, and the answer too, so that "my father pays a
            # healer online, is that a scam?" is not met with phone numbers alone.
            brief = crisis_brief(self.prompts, self._crisis_kind(verdict), lang)
            return self._lead_then_answer(verdict, brief, lang, notices, explanation, grounded)
        note = self._redirect_note(verdict, lang)
        if verdict.decision is Decision.REDIRECT and note:
            # "Can I pray at work? Can my employer forbid it?" is for an imam *and* about
            # the law: who decides for the asker, then what vetted sources say in general.
            return self._lead_then_answer(verdict, note, lang, notices, explanation, grounded)
        if verdict.decision is not Decision.ANSWER or verdict.category == "greeting":
            return self._templated(verdict, lang, notices, explanation)
        return grounded()

    def _crisis_kind(self, verdict: Verdict) -> str:
        """The kind of crisis whose advice the reply gives, or ``default`` when unsure.

        Advice for the wrong kind ("if someone is planning to hurt people…" to a
        student whose classmate may not wear a headscarf) reads as an accusation;
        the general help text fits every kind.
        """
        if verdict.confidence < self.settings.crisis_detail_above:
            return "default"
        return verdict.category

    def _redirect_note(self, verdict: Verdict, lang: Lang) -> str:
        notes = self.prompts.value(lang, "redirect_with_answer_by_category") or {}
        return str(notes.get(verdict.category) or "").strip()

    def _lead_then_answer(
        self,
        verdict: Verdict,
        lead: str,
        lang: Lang,
        notices: list[str],
        explanation: list[str],
        grounded: Callable[..., Reply],
    ) -> Reply:
        """``lead`` (help lines, or who decides), then the unit that clearly answers.

        Without such a unit the decision's own template stands alone; a redirect
        still offers the close questions the corpus answers, a crisis reply does not
        (nothing is put between a young person in crisis and the help lines).
        """
        reply = grounded()
        if reply.decision is not Decision.ANSWER and verdict.decision is Decision.CRISIS:
            # "My cousin met people online who want her to go abroad": no unit is sure,
            # but the topic written for a worry the policy is sure of has what to do.
            sure = self._crisis_kind(verdict) == verdict.category
            groups = self.retriever.help_groups(verdict.category) if sure else frozenset()
            if groups:
                explanation.append(f"{verdict.category}: searched {', '.join(sorted(groups))}")
                reply = grounded(within=groups)
        if reply.decision is Decision.ANSWER:
            explanation.append(f"{verdict.decision.value}: {lead[:40]}…, then the answer")
            return _led_by(reply, lead, verdict, notices)
        explanation.append(f"{verdict.decision.value}: no unit clearly answers the question")
        alone = self._templated(verdict, lang, notices, explanation)
        if verdict.decision is Decision.REDIRECT and reply.suggestions:
            alone.suggestions = reply.suggestions
            alone.text += "\n\n" + related_block(self.prompts, lang, reply.suggestions)
        return alone

    def _templated(
        self, verdict: Verdict, lang: Lang, notices: list[str], explanation: list[str]
    ) -> Reply:
        kind = (
            self._crisis_kind(verdict) if verdict.decision is Decision.CRISIS else verdict.category
        )
        text = templated(self.prompts, verdict.decision, kind, lang)
        return _plain(verdict.decision, verdict.category, lang, text, notices, explanation)

    def _grounded(
        self,
        question: Question,
        text: str,
        vector: np.ndarray,
        lang: Lang,
        verdict: Verdict,
        notices: list[str],
        explanation: list[str],
        on_draft: Draft | None = None,
        search_lang: Lang | None = None,
        within: frozenset[str] | None = None,
    ) -> Reply:
        """The reply quoting the units that answer ``text``.

        ``within`` limits the search to those topics, written for a worry the policy
        is sure of: their closest unit answers, whatever its similarity.
        """
        settings = self.settings
        search_lang = search_lang or lang
        answer_threshold = -1.0 if within else settings.answer_threshold
        clarify_threshold = -1.0 if within else settings.clarify_threshold
        shown = _shown_units(question.history)
        follow = None if within else self._follow_up(question, text, lang, shown, explanation)
        if follow is not None:
            units = [follow]
        else:
            hits = self.retriever.search(vector, search_lang, settings.top_k, text, within)
            if shown and len(text.split()) <= 6:
                hits = self._with_context(question, text, search_lang, hits, shown, explanation)
            held = [h.unit_id for h in hits if not self._quotable_id(h.unit_id, lang)]
            if held:  # retrieved text is data: a unit the output rules flag is never quoted
                explanation.append(f"held back by the output rules: {', '.join(held)}")
                hits = [h for h in hits if h.unit_id not in held]
            if not hits:
                return self._no_answer(lang, notices, explanation, [])
            best = hits[0]
            explanation.append(
                "retrieval: "
                + ", ".join(
                    f"{h.unit_id} {h.score:.3f} (phrasing {h.phrasing:.3f}, text {h.text:.3f}, "
                    f"words {h.lexical:.3f})"
                    for h in hits[:3]
                )
                + f"; bands: answer ≥ {settings.answer_threshold:.3f}, "
                f"did-you-mean ≥ {settings.clarify_threshold:.3f}"
            )
            if _closest(hits) < answer_threshold:
                hits = self._one_part_clear(text, vector, search_lang, hits, explanation)
            # The classifier may put first a unit that is not the most similar: whether
            # the corpus answers at all is judged by the closest unit's similarity.
            if _closest(hits) < clarify_threshold:
                return self._no_answer(lang, notices, explanation, hits)
            if _closest(hits) < answer_threshold:
                return self._clarify(lang, notices, explanation, hits)
            if best.score < settings.part_threshold and not within:
                # Not a sure match: a question about a name the unit never mentions
                # is not answered by it.
                unit = self.retriever.unit(best.unit_id, search_lang)
                missing = _unnamed(text, unit) if unit is not None else []
                if missing:
                    explanation.append(f"{best.unit_id} never names {', '.join(missing)}")
                    return self._clarify(lang, notices, explanation, hits)
            # Each other question in the message gets the unit that answers it. One that
            # found none alone ("…? Is there a punishment by law") leans on the first:
            # a close second from the same topic then completes the answer. From another
            # topic it mostly says the same again in other words, and for a single
            # question (judged blind) it mostly answered something not asked.
            chosen = self._other_part(text, search_lang, [best.unit_id], hits, explanation)
            asks_more = len(text) <= MAX_PARTS_CHARS and len(_question_parts(text)) > 1
            if asks_more and len(chosen) == 1:
                chosen += [
                    h.unit_id
                    for h in hits[1:2]
                    if h.score >= settings.answer_threshold
                    and best.score - h.score <= settings.second_unit_margin
                    and _group(h.unit_id) == _group(best.unit_id)
                ]
            if len(chosen) == 1:
                chosen += self._names_the_rest(text, search_lang, best, hits, explanation)
            units = [u for u in (self.retriever.unit(c, lang) for c in chosen) if u is not None]
        reply = None
        if self._generator is not None:
            reply = self._from_llm(text, lang, units, explanation, on_draft)
        if reply is None:
            reply = self._extractive(lang, units, explanation)
        reply.category = verdict.category if follow is None else "follow_up"
        reply.topic = units[0].group
        # A crisis reply leads with the help lines anyway; a general question that a
        # worry topic also answers ("how does someone get radicalised?") is not a worry.
        if verdict.decision is not Decision.CRISIS and speaks_of_someone_close(question.text):
            self._help_first(reply, units, lang, shown, explanation)
        reply.suggestions = self._related(units, lang, shown)
        reply.text = "\n\n".join(
            [reply.text, related_block(self.prompts, lang, reply.suggestions)]
            if reply.suggestions
            else [reply.text]
        )
        reply.notices = notices
        reply.text = _with_notices(reply.text, notices)
        return reply

    def _one_part_clear(
        self, text: str, vector: np.ndarray, lang: Lang, hits: list[Hit], explanation: list[str]
    ) -> list[Hit]:
        """The hits of the message's first question that a unit clearly answers, else ``hits``.

        "How do recruiters draw young people in online? What signs give it away?"
        asks two things, and the message as a whole sits between the units that
        answer each: no unit clears the answer band. Each question is then searched
        alone; the first one whose best unit clears the band (and which the whole
        message also found among its closest units, so that a vague "what signs?"
        alone cannot pick a topic) is answered, and the others are looked for as
        usual (:meth:`_other_part`).
        """
        parts = _question_parts(text) if len(text) <= MAX_PARTS_CHARS else []
        if len(parts) < 2:
            return hits
        settings = self.settings
        pool: set[str] | None = None
        for part in parts:
            found = self.retriever.search(
                self.embeddings.query_vector(embedded(part)), lang, settings.top_k, part
            )
            if not found or found[0].score < settings.answer_threshold:
                continue
            if pool is None:  # searched only when a question alone clears the band
                pool = {h.unit_id for h in self.retriever.search(vector, lang, PART_POOL, text)}
            if found[0].unit_id in pool:
                explanation.append(
                    f"no unit clears the band for the whole message; its question {part!r} "
                    f"→ {found[0].unit_id} {found[0].score:.3f}"
                )
                return found
        return hits

    def _other_part(
        self, text: str, lang: Lang, chosen: list[str], hits: list[Hit], explanation: list[str]
    ) -> list[str]:
        """``chosen`` (and a unit that answers another question), in the questions' order.

        "What was Operation Zhusan? Were the women who came back punished?" asks two
        things; the whole message matches the first best, so each question in it is
        also searched alone, and a unit that clearly answers another one is quoted too
        — only one the whole message also found (``hits``) or one of the first unit's
        topic, so that "why did they do it?" read alone cannot bring in a unit about
        something else. A question that
        leans on the first ("Who are Jehovah's Witnesses, are they banned here?") rarely
        finds its unit alone, so it may also pick, among the units the whole message
        clearly matches, the one closest to it. Units follow the order of the questions
        they answer.
        """
        parts = _question_parts(text) if len(text) <= MAX_PARTS_CHARS else []
        if len(parts) < 2:
            return chosen
        settings = self.settings
        candidates = {h.unit_id for h in hits}
        topics = {_group(c) for c in chosen}
        # Never looser than the answer band, whatever the two settings say.
        floor = max(settings.part_threshold, settings.answer_threshold)
        clear = {h.unit_id for h in hits if h.score >= floor}
        best: list[Hit | None] = []
        for part in parts:
            found = self.retriever.search(
                self.embeddings.query_vector(embedded(part)), lang, PART_POOL, part
            )
            top = found[0] if found else None
            known = top is not None and (top.unit_id in candidates or _group(top.unit_id) in topics)
            if top is None or not known or top.score < floor:
                top = next((h for h in found if h.unit_id in clear), None)
                if top is not None and top.score < settings.clarify_threshold:
                    top = None
            best.append(top)
        answered = [h.unit_id if h is not None else None for h in best]
        chosen = list(chosen)
        for n, hit in enumerate(best):
            if len(chosen) >= MAX_UNITS:
                break
            if hit is None or hit.unit_id in chosen:
                continue
            repeated = next(
                (c for c in chosen if self.retriever.likeness(c, hit.unit_id) >= REPEATS), None
            )
            if repeated is not None:
                explanation.append(
                    f"another question in the message: {parts[n]!r} → {hit.unit_id}, "
                    f"which says nearly what {repeated} says"
                )
                continue
            explanation.append(
                f"another question in the message: {parts[n]!r} → {hit.unit_id} {hit.score:.3f}"
            )
            chosen.append(hit.unit_id)
        return sorted(chosen, key=lambda u: answered.index(u) if u in answered else len(parts))

    def _names_the_rest(
        self, text: str, lang: Lang, best: Hit, hits: list[Hit], explanation: list[str]
    ) -> list[str]:
        """A second unit of the same topic that names what the question names and the
        first unit does not ("what happened in Atyrau and Taraz in 2011?" → the Taraz
        unit, then the Atyrau one), when it too clears the answer band."""
        first = self.retriever.unit(best.unit_id, lang)
        missing = _unnamed(text, first, answer_only=True) if first is not None else []
        if not missing:
            return []
        for hit in hits[1:3]:
            if hit.score < self.settings.answer_threshold or _group(hit.unit_id) != _group(
                best.unit_id
            ):
                continue
            unit = self.retriever.unit(hit.unit_id, lang)
            if unit is not None and set(missing) - set(_unnamed(text, unit, answer_only=True)):
                explanation.append(
                    f"{best.unit_id} never names {', '.join(missing)}; {hit.unit_id} does"
                )
                return [hit.unit_id]
        return []

    def answer_unit(self, unit_id: str, lang: Lang, history: tuple[Turn, ...] = ()) -> Reply:
        """The reply quoting one unit, for a picked "Did you mean" or next question."""
        started = time.perf_counter()
        unit = self.retriever.unit(unit_id, lang)
        if unit is None or not self._quotable(unit):
            reply = self._no_answer(lang, [], [f"unit {unit_id} is not served"], [])
        else:
            reply = self._extractive(lang, [unit], [f"picked unit {unit_id}"])
            reply.category = "picked"
            reply.topic = unit.group
            self._help_first(reply, [unit], lang, _shown_units(history), reply.explanation)
            reply.suggestions = self._related([unit], lang, _shown_units(history))
            if reply.suggestions:
                reply.text += "\n\n" + related_block(self.prompts, lang, reply.suggestions)
        reply.latency_ms = (time.perf_counter() - started) * 1000
        return reply

    def _help_first(
        self,
        reply: Reply,
        units: list[UnitText],
        lang: Lang,
        shown: list[str],
        explanation: list[str],
    ) -> None:
        """Lead ``reply`` with help lines when a quoted unit's document asks for them.

        A worry about a friend asked calmly is still a worry: whom to call comes first,
        whatever part of the topic's advice answers the question (for a message, the
        caller checks that it names someone close: see :mod:`bot.engine.someone_close`).
        Once per topic in a conversation: "tell me more" need not repeat the phone numbers.
        """
        kinds = [u.help for u in units if u.help]
        if not kinds or any(_group(uid) in {u.group for u in units} for uid in shown):
            return
        explanation.append(f"help lines first: {units[0].group} asks for them ({kinds[0]})")
        lead = crisis_brief(self.prompts, kinds[0], lang)
        reply.body = f"{lead}\n\n{reply.body}"
        reply.text = f"{lead}\n\n{reply.text}"

    def _follow_up(
        self,
        question: Question,
        text: str,
        lang: Lang,
        shown: list[str],
        explanation: list[str],
    ) -> UnitText | None:
        """ "Tell me more" after an answer: the next unit of the same topic."""
        if not shown:
            return None
        said = re.sub(r"[^\w\s]", "", text.lower()).strip()
        phrases = {
            re.sub(r"[^\w\s]", "", p.lower()).strip()
            for lg in LANGS
            for p in self.prompts.value(lg, "follow_up_more") or []
        }
        if said not in phrases:
            return None
        unit = self.retriever.next_in_group(shown[-1], lang, set(shown))
        if unit is not None:
            explanation.append(f"follow-up: more on {shown[-1]} → {unit.unit_id}")
        return unit

    def _with_context(
        self,
        question: Question,
        text: str,
        lang: Lang,
        hits: list[Hit],
        shown: list[str],
        explanation: list[str],
    ) -> list[Hit]:
        """A short follow-up ("а почему?", "and at school?") read with the last question.

        The combined reading wins only when it is surer than the message alone, and
        never repeats a unit that was just shown.
        """
        previous = next((t.content for t in reversed(question.history) if t.role == "user"), "")
        if not previous:
            return hits
        joined = embedded(f"{previous} {text}")
        combined = self.retriever.search(
            self.embeddings.query_vector(joined), lang, self.settings.top_k, joined
        )
        combined = [h for h in combined if h.unit_id not in shown]
        if combined and (not hits or _closest(combined) > _closest(hits)):
            explanation.append(
                f"follow-up: read with the previous question → {combined[0].unit_id}"
            )
            return combined
        return hits

    def _related(self, units: list[UnitText], lang: Lang, shown: list[str]) -> list[Suggestion]:
        exclude = set(shown) | {u.unit_id for u in units}
        return [
            Suggestion(u.unit_id, u.question)
            for u in self.retriever.related(units[0].unit_id, lang, exclude, RELATED)
        ]

    def _clarify(
        self, lang: Lang, notices: list[str], explanation: list[str], hits: list[Hit]
    ) -> Reply:
        floor = self.settings.clarify_threshold - CLARIFY_SPREAD
        suggestions: list[Suggestion] = []
        for hit in hits:
            unit = self.retriever.unit(hit.unit_id, lang)
            if unit is not None and hit.score >= floor and len(suggestions) < CLARIFY_MAX:
                suggestions.append(Suggestion(unit.unit_id, unit.question))
        body = clarify(self.prompts, lang, suggestions)
        reply = _plain(Decision.CLARIFY, "did_you_mean", lang, body, notices, explanation)
        reply.suggestions = suggestions
        return reply

    def _no_answer(
        self, lang: Lang, notices: list[str], explanation: list[str], hits: list[Hit]
    ) -> Reply:
        """ "Not covered yet" — with the nearest questions the corpus does answer, if any.

        A list of every topic helps little when the question was about something
        close to what the corpus has; the nearest units (down to a floor well below
        the did-you-mean band) are offered as next questions instead, so the reply
        stays honest and the asker still has somewhere to go.
        """
        floor = self.settings.clarify_threshold - NEAR_SPREAD
        near = [
            Suggestion(unit.unit_id, unit.question)
            for hit in hits
            if hit.score >= floor and (unit := self.retriever.unit(hit.unit_id, lang)) is not None
        ][:CLARIFY_MAX]
        if near:
            explanation.append(f"not covered; nearest units offered (≥ {floor:.3f})")
            body = no_answer_near(self.prompts, lang, near)
            reply = _plain(Decision.NO_ANSWER, "uncovered", lang, body, notices, explanation)
            reply.suggestions = near
            return reply
        topics = [
            title
            for group in self.prompts.value(lang, "starter_topics") or []
            if (title := self.retriever.title(group, lang))
        ] or self.retriever.topics(lang)
        body = no_answer(self.prompts, lang, topics)
        return _plain(Decision.NO_ANSWER, "uncovered", lang, body, notices, explanation)

    def _extractive(self, lang: Lang, units: list[UnitText], explanation: list[str]) -> Reply:
        composition = compose(units)
        explanation.append(f"composer: quoted {', '.join(composition.units)}")
        return self._cited_reply(
            lang,
            composition.body,
            composition.sources,
            composition.units,
            "extractive",
            explanation,
        )

    def _quotable_id(self, unit_id: str, lang: Lang) -> bool:
        return self.quotable_unit(unit_id, lang) is not None

    def quotable_unit(self, unit_id: str, lang: Lang) -> UnitText | None:
        """The published unit ``unit_id`` in ``lang``, if it may be quoted."""
        unit = self.retriever.unit(unit_id, lang)
        return unit if unit is not None and unit.lang == lang and self._quotable(unit) else None

    def _quotable(self, unit: UnitText) -> bool:
        """Retrieved text is data: a unit with a line the screening flags is never quoted.

        Publishing refuses such lines; this also covers an index built before a
        rule existed. Example lines are quotations a unit teaches to recognise;
        they are checked as part of their framing sentence's unit, not on their own.
        """
        verdict = self._quotable_cache.get(unit.body)
        if verdict is None:
            examples = set(unit.examples)
            claims = "\n".join(x for x in unit.body.splitlines() if x not in examples)
            verdict = all(
                self.policy.check_output(s) is None for s in claims.splitlines() if s
            ) and not screen(f"{unit.question}\n{unit.body}", unit.examples)
            if len(self._quotable_cache) < 100_000:  # corpus units: a bounded set
                self._quotable_cache[unit.body] = verdict
        return verdict

    def _cited_reply(
        self,
        lang: Lang,
        body: str,
        sources: list[Source],
        units: list[str],
        generator: str,
        explanation: list[str],
    ) -> Reply:
        text = f"{body}\n\n{sources_block(self.prompts, lang, sources)}" if sources else body
        return Reply(
            Decision.ANSWER,
            "",
            lang,
            text,
            sources=list(sources),
            body=body,
            generator=generator,
            explanation=explanation,
            units=list(units),
        )

    def _from_llm(
        self,
        text: str,
        lang: Lang,
        units: list[UnitText],
        explanation: list[str],
        on_draft: Draft | None = None,
    ) -> Reply | None:
        assert self._generator is not None
        generator = self._generator
        deadline = time.monotonic() + self.settings.llm_deadline
        try:
            if on_draft is None:
                raw = generator.generate(text, lang, units, deadline)
            else:
                raw = self._stream(text, lang, units, on_draft)
        except GeneratorError as exc:
            explanation.append(f"llm: failed ({exc}); extractive fallback")
            return None
        entails = None
        if self.settings.llm_self_check:
            until = min(deadline, time.monotonic() + self.settings.llm_self_check_timeout)

            def entails(pairs: list[tuple[str, str]]) -> list[bool] | None:
                return generator.entailed(pairs, lang, until)

        checked = self.guard.check(raw, units, lang, entails)
        explanation.extend(checked.reasons)
        if not checked.ok:
            return None
        sources = _sources_of(checked.cited)
        body = _renumber(checked.text, checked.cited, sources)
        return self._cited_reply(
            lang, body, sources, [u.unit_id for u in checked.cited], "llm", explanation
        )

    def _stream(self, text: str, lang: Lang, units: list[UnitText], on_draft: Draft) -> str:
        """The LLM's answer, passing each guarded draft to ``on_draft`` along the way."""
        assert self._generator is not None
        written = ""
        checked_upto = 0
        shown = ""
        started = time.monotonic()
        overall = started + self.settings.llm_deadline
        first = started + min(self.settings.llm_first_sentence_deadline, self.settings.llm_deadline)

        def until() -> float:
            return overall if shown else first

        for piece in self._generator.stream(text, lang, units, until):
            written += piece
            ends = [m.end() for m in _SENTENCE_END.finditer(written)]
            if not ends or ends[-1] <= checked_upto:
                continue
            checked_upto = ends[-1]
            draft = self.guard.check(written[:checked_upto], units, lang)
            if draft.ok and draft.text != shown:
                shown = draft.text
                try:
                    on_draft(_renumber(shown, draft.cited, _sources_of(draft.cited)))
                except Exception:  # progress display must never break answering
                    log.exception("draft callback failed")
        if not written.strip():
            raise GeneratorError("empty answer")
        return written

    def with_settings(self, **changes: object) -> Engine:
        """A new engine sharing this one's embeddings and client, with some settings changed."""
        return Engine(
            self.settings.model_copy(update=changes), embeddings=self.embeddings, client=self.client
        )


def _plain(
    decision: Decision,
    category: str,
    lang: Lang,
    body: str,
    notices: list[str],
    explanation: list[str],
) -> Reply:
    """A reply that quotes nothing (templates, "did you mean", "not covered")."""
    return Reply(
        decision,
        category,
        lang,
        _with_notices(body, notices),
        body=body,
        notices=notices,
        explanation=explanation,
    )


def _led_by(reply: Reply, lead: str, verdict: Verdict, notices: list[str]) -> Reply:
    """A grounded ``reply`` led by ``lead`` (after any notices), as ``verdict`` decided."""
    reply.decision, reply.category = verdict.decision, verdict.category
    reply.body = f"{lead}\n\n{reply.body}"
    before = _with_notices("", notices)
    reply.text = before + f"{lead}\n\n{reply.text.removeprefix(before)}"
    return reply


def _question_parts(text: str) -> list[str]:
    """The questions a message asks, each alone ("What was X? Why Y?" → two).

    Only sentences that end with a question mark count, and only those of three
    words or more: "Really?" or a story around the question is not a question of
    its own.
    """
    sentences = [s.strip() for s in _PARTS.split(text) if s.strip()]
    questions = [
        s
        for s in sentences
        if len(s.split()) >= 3
        and (s.endswith("?") or (len(sentences) > 1 and (_ASKS.match(s) or _ASKS_AT_END.search(s))))
    ]
    if not questions and len(sentences) == 1:  # many people leave the "?" out
        questions = sentences
    if len(questions) == 1:  # "What is X and why Y?": two questions in one sentence
        for joint in (_JOINED, _REFERS_BACK):
            halves = [h.strip(" ,") for h in joint.split(questions[0], maxsplit=1)]
            if len(halves) == 2 and all(len(h.split()) >= 2 for h in halves):
                questions = halves
                break
    return questions[:MAX_PARTS]


def _closest(hits: list[Hit]) -> float:
    """The highest similarity among ``hits`` (which are ordered by the unit classifier too)."""
    return max(h.score for h in hits)


def _group(unit_id: str) -> str:
    return unit_id.split("/", 1)[0]


# A capitalised word that does not open a sentence: a name ("Hazret Sultan", "Ахмед").
_NAME = re.compile(r"(?<![.!?…]\s)(?<!^)(?<![\w-])[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][\w-]{2,}")
# Names too common to tell units apart: the country, and where young people read things.
_COMMON_NAMES = frozenset(
    [
        "kazakhstan",
        "kz",
        "rk",
        "казахстан",
        "қазақстан",
        "рк",
        "қр",
        "kazakh",
        "казах",
        "қазақ",
        "telegram",
        "телеграм",
        "tiktok",
        "тикток",
        "instagram",
        "инстаграм",
        "youtube",
        "ютуб",
        "whatsapp",
        "ватсап",
        "google",
        "гугл",
        "discord",
        "дискорд",
        "roblox",
        "роблокс",
        "minecraft",
        "майнкрафт",
        "snapchat",
        "facebook",
        "фейсбук",
        "twitter",
        "твиттер",
        "twitch",
        "reddit",
        "vk",
        "вк",
        "вконтакте",
        "threads",
        "likee",
        "лайки",
    ]
)


def _unnamed(question: str, unit: UnitText, *, answer_only: bool = False) -> list[str]:
    """Names in ``question`` that ``unit`` never mentions (matched by their first letters,
    so that inflected forms count): a unit about visiting a mosque cannot say who designed
    the Hazret Sultan mosque, however close its words are.

    ``answer_only``: what the unit's question and answer say, not its topic's title or
    the ways people ask it (what a reader of the quoted unit learns about)."""
    parts = (
        (unit.question, unit.body)
        if answer_only
        else (unit.question, unit.body, unit.title, *unit.examples)
    )
    said = " ".join(parts).lower()
    names = (n for n in _NAME.findall(question.strip()) if n.lower() not in _COMMON_NAMES)
    return [n for n in names if n.lower()[:5] not in said]


def _shown_units(history: tuple[Turn, ...]) -> list[str]:
    """Units quoted earlier in the conversation, oldest first."""
    return [u for turn in history if turn.role == "assistant" for u in turn.units]


def _sources_of(units: list[UnitText]) -> list[Source]:
    """The sources of ``units``, in order, each once (one page is one source, however
    differently two topics' documents describe it)."""
    sources: list[Source] = []
    for unit in units:
        sources.extend(s for s in unit.sources if _position(sources, s) is None)
    return sources


def _position(sources: list[Source], source: Source) -> int | None:
    """Where ``source`` (or another description of the same page) is in ``sources``."""
    for n, known in enumerate(sources):
        if known == source or (source.url and known.url == source.url):
            return n
    return None


def _renumber(text: str, cited: list[UnitText], sources: list[Source]) -> str:
    """``[n]`` (the n-th cited unit) becomes the numbers of that unit's sources."""

    def marks(match: re.Match[str]) -> str:
        n = int(match.group(1)) - 1
        if not 0 <= n < len(cited):
            return ""
        found = (_position(sources, s) for s in cited[n].sources)
        return "".join(dict.fromkeys(f"[{p + 1}]" for p in found if p is not None))

    return re.sub(r"\[(\d+)\]", marks, text)


def _with_notices(text: str, notices: list[str]) -> str:
    return "\n\n".join([*notices, text]) if notices else text


_engine: Engine | None = None
_engine_lock = threading.Lock()


def get_engine(settings: Settings | None = None, *, record: bool = True) -> Engine:
    """The process-wide engine (created on first use).

    ``record=False`` for evaluation, benchmarks and the red-teaming endpoint: no
    gap or trend records are written for their traffic.
    """
    global _engine
    with _engine_lock:
        if _engine is None or (settings is not None and _engine.settings != settings):
            _engine = Engine(settings or get_settings(), record=record)
        if not record:
            _engine.listeners.clear()
        return _engine


__all__ = ["Engine", "get_engine"]
