"""The optional LLM generator: any OpenAI-compatible chat endpoint via LangChain.

It sees only the vetted answer units chosen by retrieval and must cite them by number.
Every answer goes through the output guard afterwards; any failure here raises
:class:`~bot.errors.GeneratorError` and the engine falls back to the composer.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI

from bot.engine.prompts import Prompts
from bot.engine.retrieval import UnitText
from bot.errors import ConfigurationError, GeneratorError
from bot.models import Lang
from bot.settings import Settings

_VOTE = re.compile(r"(\d+)\s*[:.)-]\s*\**\s*(yes|no)\b")


class LLMGenerator:
    """Writes an answer from numbered passages."""

    def __init__(self, settings: Settings, prompts: Prompts) -> None:
        if not settings.llm_base_url:
            raise ConfigurationError("KELISIM_GENERATOR=llm needs KELISIM_LLM_BASE_URL")
        self._prompts = prompts
        self._base_url = settings.llm_base_url.rstrip("/")
        self._api_key = settings.llm_api_key.get_secret_value()
        self._model = ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            temperature=settings.llm_temperature,
            max_completion_tokens=600,
        )

    def ping(self) -> str:
        """``ok``, or why the endpoint cannot be used now (for health checks)."""
        try:
            response = httpx.get(
                f"{self._base_url}/models",
                headers={"Authorization": f"Bearer {self._api_key}"},
                timeout=2.0,
            )
        except httpx.HTTPError as exc:
            return f"error: {type(exc).__name__}"
        return "ok" if response.status_code < 500 else f"error: HTTP {response.status_code}"

    def _messages(
        self, question: str, lang: Lang, context: Sequence[UnitText]
    ) -> list[BaseMessage]:
        passages = "\n\n".join(
            f"[{n}] {unit.question}\n{unit.body}" for n, unit in enumerate(context, 1)
        )
        template = ChatPromptTemplate.from_messages(
            [
                ("system", self._prompts.text(lang, "llm_system")),
                ("human", self._prompts.text(lang, "llm_user")),
            ]
        )
        return template.format_messages(passages=passages, question=question)

    def generate(
        self, question: str, lang: Lang, context: Sequence[UnitText], deadline: float
    ) -> str:
        """The model's answer text by ``deadline`` (monotonic), or :class:`GeneratorError`."""
        messages = self._messages(question, lang, context)
        pieces = self._pieces(lambda: iter([self._model.invoke(messages)]), lambda: deadline)
        text = "".join(pieces)
        if not text.strip():
            raise GeneratorError("empty answer")
        return text.strip()

    def entailed(
        self, pairs: Sequence[tuple[str, str]], lang: Lang, deadline: float
    ) -> list[bool] | None:
        """For each (sentence, source) pair, whether the model says the source supports it.

        One call for all pairs, answered "N: yes|no" per line. ``None`` when the
        endpoint fails, misses ``deadline`` or answers in another form: the self-check
        is a second vote, and without it the guard's own checks stand.
        """
        listed = "\n\n".join(
            f"{n}. Source: {source}\n{n}. Sentence: {sentence}"
            for n, (sentence, source) in enumerate(pairs, 1)
        )
        prompt = self._prompts.text(lang, "llm_self_check", pairs=listed)
        try:
            pieces = self._pieces(lambda: iter([self._model.invoke(prompt)]), lambda: deadline)
            answer = "".join(pieces)
        except GeneratorError:
            return None
        votes: dict[int, bool] = {}
        for number, word in _VOTE.findall(answer.lower()):
            votes.setdefault(int(number), word == "yes")
        if set(votes) != set(range(1, len(pairs) + 1)):
            return None
        return [votes[n] for n in range(1, len(pairs) + 1)]

    def stream(
        self,
        question: str,
        lang: Lang,
        context: Sequence[UnitText],
        until: Callable[[], float],
    ) -> Iterator[str]:
        """The answer as it is written (unguarded: for progress display only).

        ``until()`` is the monotonic time by which the next piece must arrive; the
        caller moves it (a first-sentence deadline, then the overall one).
        """
        messages = self._messages(question, lang, context)
        yield from self._pieces(lambda: self._model.stream(messages), until)

    @staticmethod
    def _pieces(produce: Callable[[], Iterator[Any]], until: Callable[[], float]) -> Iterator[str]:
        """Text pieces from a model call run in a worker thread, abandoned at the deadline.

        The HTTP client's own timeout is per read: a server that trickles bytes, or
        hangs after the headers, would hold the young person far longer than that.
        """
        pipe: queue.Queue[tuple[str, Any]] = queue.Queue()
        abandoned = threading.Event()

        def work() -> None:
            try:
                for message in produce():
                    if abandoned.is_set():
                        return
                    pipe.put(("piece", message))
                pipe.put(("end", None))
            except Exception as exc:  # network, HTTP status, timeout, bad JSON: all fall back
                pipe.put(("error", exc))

        threading.Thread(target=work, name="llm-call", daemon=True).start()
        try:
            while True:
                remaining = until() - time.monotonic()
                try:
                    kind, value = pipe.get(timeout=max(remaining, 0.0))
                except queue.Empty:
                    raise GeneratorError("deadline passed") from None
                if kind == "end":
                    return
                if kind == "error":
                    raise GeneratorError(type(value).__name__) from value
                content = getattr(value, "content", "")
                if isinstance(content, str) and content:
                    yield content
        finally:
            abandoned.set()
