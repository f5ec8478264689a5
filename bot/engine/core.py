"""The engine: one ``answer()`` path for every front end.

language → safety policy → retrieval → generation → output guard → reply.
Nothing here knows about Telegram, HTTP or the terminal.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from functools import partial

import chromadb
import numpy as np

from bot.engine.composer import render, select_quotes
from bot.engine.inputs import clean_input
from bot.engine.overlap import content_stems
from bot.engine.prompts import Prompts, load_prompts
from bot.engine.replies import no_answer, sources_block, templated
from bot.engine.retrieval import DocInfo, Retriever
from bot.errors import GeneratorError
from bot.knowledge import store
from bot.knowledge.embeddings import KelisimEmbeddings, get_embeddings
from bot.language import detect
from bot.models import Decision, Lang, Passage, Question, Reply, Source, Verdict
from bot.safety.policy import SafetyPolicy
from bot.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Groups ranking this close to the best one are quoted too (at most two groups).
GROUP_MARGIN = 0.03
MAX_GROUPS = 2

Listener = Callable[[Question, Reply], object]
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
        self.client = client or store.make_client(settings)
        self.retriever = Retriever(self.client, self.embeddings)
        self.prompts: Prompts = load_prompts(settings.prompts_dir)
        self.policy = SafetyPolicy.from_settings(settings, self.embeddings)
        self._generator = None
        if settings.generator == "llm":
            from bot.engine.llm import LLMGenerator

            self._generator = LLMGenerator(settings, self.prompts)
        from bot.engine.guard import OutputGuard

        self.guard = OutputGuard(
            self.policy, self.embeddings, settings.support_threshold, self.prompts
        )
        # Evaluation, benchmarks and red-teaming traffic must not look like real usage.
        self.listeners: list[Listener] = self._default_listeners() if record else []
        self._quotable_cache: dict[str, bool] = {}

    def _default_listeners(self) -> list[Listener]:
        """Anonymous records for educators and analysts (see ``bot.curation``)."""
        from bot.curation.gaps import record_gap
        from bot.curation.trends import record_event

        return [
            partial(record_gap, settings=self.settings),
            partial(record_event, settings=self.settings),
        ]

    # ------------------------------------------------------------------ public
    def warm_up(self) -> None:
        """Load the language model and the index now, so the first answer is quick."""
        from bot.language import warm_up

        warm_up()
        self.retriever.refresh()
        self.embeddings.query_vector("warm up")

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
            except Exception:  # a listener must never break answering
                log.exception("reply listener failed")
        return reply

    # ----------------------------------------------------------------- private
    def _answer(self, question: Question, on_draft: Draft | None = None) -> Reply:
        settings, prompts = self.settings, self.prompts
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

        search_text = detection.cyrillic or clean.text
        vector = self.embeddings.query_vector(search_text)
        verdict = self.policy.decide(
            clean.text,
            lang=lang,
            history=question.history,
            vector=vector,
            alt_text=detection.cyrillic,
        )
        explanation = [
            f"language: {lang} ({detection.confidence:.2f}"
            f"{', Latin-script Kazakh' if detection.kazakh_latin else ''})",
            *verdict.reasons,
        ]
        if verdict.decision is not Decision.ANSWER or verdict.category == "greeting":
            return self._templated(verdict, lang, notices, explanation)
        # The words of the question, in the language it is written in.
        words = (detection.lang, content_stems(search_text))
        return self._grounded(
            clean.text, vector, lang, verdict, notices, explanation, on_draft, words
        )

    def _templated(
        self, verdict: Verdict, lang: Lang, notices: list[str], explanation: list[str]
    ) -> Reply:
        text = templated(self.prompts, verdict.decision, verdict.category, lang)
        text = _with_notices(text, notices)
        return Reply(
            verdict.decision,
            verdict.category,
            lang,
            text,
            body=text,
            notices=notices,
            explanation=explanation,
        )

    def _grounded(
        self,
        text: str,
        vector: np.ndarray,
        lang: Lang,
        verdict: Verdict,
        notices: list[str],
        explanation: list[str],
        on_draft: Draft | None = None,
        words: tuple[Lang, set[str]] | None = None,
    ) -> Reply:
        settings = self.settings
        passages = self.retriever.search(vector, settings.top_k, lang)
        best = max((p.score for p in passages[:3]), default=0.0)
        explanation.append(
            f"retrieval: best passage {best:.3f} "
            f"(threshold {settings.relevance_threshold:.3f})"
            + (f" from {passages[0].doc_id}" if passages else "")
        )
        if best < settings.relevance_threshold:
            return self._no_answer(lang, notices, explanation, passages)
        doc_ids = self._choose_documents(passages, lang)
        explanation.append(f"documents: {', '.join(doc_ids)}")
        if words and words[1]:
            doc_ids = [d for d in doc_ids if self._may_answer(words, d)]
            if not doc_ids:
                explanation.append("no word of the question occurs in the documents: no answer")
                return self._no_answer(lang, notices, explanation, passages)
        reply = None
        if self._generator is not None:
            reply = self._from_llm(text, vector, lang, doc_ids, explanation, on_draft)
        if reply is None:
            reply = self._extractive(vector, lang, doc_ids, explanation)
        if not reply.sources:  # every candidate sentence was held back
            return self._no_answer(lang, notices, explanation, passages)
        reply.category = verdict.category
        reply.topic = self.retriever.doc(doc_ids[0]).group
        groups = {self.retriever.doc(d).group for d in doc_ids}
        reply.passages = [p for p in passages if p.group in groups]
        reply.notices = notices
        reply.text = _with_notices(reply.text, notices)
        return reply

    def _no_answer(
        self, lang: Lang, notices: list[str], explanation: list[str], passages: list[Passage]
    ) -> Reply:
        body = no_answer(self.prompts, lang, self.retriever.topics(lang))
        return Reply(
            Decision.NO_ANSWER,
            "uncovered",
            lang,
            _with_notices(body, notices),
            body=body,
            notices=notices,
            explanation=explanation,
            passages=passages[:3],
        )

    def _may_answer(self, words: tuple[Lang, set[str]], doc_id: str) -> bool:
        """A document in the question's language must share a content word with it.

        A document in another language cannot, so it is judged by retrieval alone.
        """
        lang, stems = words
        return self.retriever.doc(doc_id).lang != lang or bool(stems & self.retriever.stems(doc_id))

    def _choose_documents(self, passages: list[Passage], lang: Lang) -> list[str]:
        """The best groups' documents, each in the user's language when it exists."""
        best = passages[0].rank
        chosen: list[str] = []
        for passage in passages:
            if passage.rank < best - GROUP_MARGIN or len(chosen) >= MAX_GROUPS:
                break
            doc_id = self.retriever.version(passage.group, lang) or passage.doc_id
            if doc_id not in chosen:
                chosen.append(doc_id)
        return chosen

    def _extractive(
        self, vector: np.ndarray, lang: Lang, doc_ids: list[str], explanation: list[str]
    ) -> Reply:
        quotes = select_quotes(
            vector, doc_ids, self.retriever, self.settings.max_sentences, self._quotable
        )
        body, cited = render(quotes)
        intro = self.prompts.text(lang, "answer_intro")
        foreign = sorted({d.lang for d in cited if d.lang != lang})
        if foreign:
            names = ", ".join(self.prompts.value(lang, "language_names")[f] for f in foreign)
            intro += "\n" + self.prompts.text(lang, "other_language_note", languages=names)
        body = f"{intro}\n\n{body}"
        explanation.append(
            f"composer: {len(quotes)} sentences, relevance "
            + ", ".join(f"{q.relevance:.3f}" for q in quotes)
        )
        return self._cited_reply(lang, body, cited, "extractive", explanation)

    def _quotable(self, sentence: str) -> bool:
        """Retrieved text is data: a sentence the output rules flag is never passed on."""
        verdict = self._quotable_cache.get(sentence)
        if verdict is None:
            verdict = self.policy.check_output(sentence) is None
            if len(self._quotable_cache) < 100_000:  # corpus sentences: a bounded set
                self._quotable_cache[sentence] = verdict
        return verdict

    def _cited_reply(
        self, lang: Lang, body: str, cited: list, generator: str, explanation: list[str]
    ) -> Reply:
        text = f"{body}\n\n{sources_block(self.prompts, lang, cited)}"
        sources = [Source(d.id, d.title, d.url, d.lang) for d in cited]
        return Reply(
            Decision.ANSWER,
            "",
            lang,
            text,
            sources=sources,
            body=body,
            generator=generator,
            explanation=explanation,
        )

    def _from_llm(
        self,
        text: str,
        vector: np.ndarray,
        lang: Lang,
        doc_ids: list[str],
        explanation: list[str],
        on_draft: Draft | None = None,
    ) -> Reply | None:
        assert self._generator is not None
        docs = [self.retriever.doc(d) for d in doc_ids]
        context = [(d, self._context_text(d.id, vector)) for d in docs]
        try:
            if on_draft is None:
                raw = self._generator.generate(text, lang, context)
            else:
                raw = self._stream(text, lang, context, docs, on_draft)
        except GeneratorError as exc:
            explanation.append(f"llm: failed ({exc}); extractive fallback")
            return None
        checked = self.guard.check(raw, docs, self.retriever, lang)
        explanation.extend(checked.reasons)
        if not checked.ok:
            return None
        return self._cited_reply(lang, checked.text, checked.cited, "llm", explanation)

    def _stream(
        self,
        text: str,
        lang: Lang,
        context: list[tuple[DocInfo, str]],
        docs: list[DocInfo],
        on_draft: Draft,
    ) -> str:
        """The LLM's answer, passing each guarded draft to ``on_draft`` along the way."""
        assert self._generator is not None
        written = ""
        checked_upto = 0
        shown = ""
        for piece in self._generator.stream(text, lang, context):
            written += piece
            ends = [m.end() for m in _SENTENCE_END.finditer(written)]
            if not ends or ends[-1] <= checked_upto:
                continue
            checked_upto = ends[-1]
            draft = self.guard.check(written[:checked_upto], docs, self.retriever, lang)
            if draft.ok and draft.text != shown:
                shown = draft.text
                try:
                    on_draft(shown)
                except Exception:  # progress display must never break answering
                    log.exception("draft callback failed")
        if not written.strip():
            raise GeneratorError("empty answer")
        return written

    def _context_text(self, doc_id: str, vector: np.ndarray) -> str:
        sents = self.retriever.sentences(doc_id)
        return " ".join(t for t in sents.texts if self._quotable(t)) if sents else ""

    def with_settings(self, **changes: object) -> Engine:
        """A new engine sharing this one's embeddings and client, with some settings changed."""
        return Engine(
            self.settings.model_copy(update=changes), embeddings=self.embeddings, client=self.client
        )


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
