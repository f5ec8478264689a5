"""The optional LLM generator: any OpenAI-compatible chat endpoint via LangChain.

It sees only the vetted answer units chosen by retrieval and must cite them by number.
Every answer goes through the output guard afterwards; any failure here raises
:class:`~bot.errors.GeneratorError` and the engine falls back to the composer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI

from bot.engine.prompts import Prompts
from bot.engine.retrieval import UnitText
from bot.errors import ConfigurationError, GeneratorError
from bot.models import Lang
from bot.settings import Settings


class LLMGenerator:
    """Writes an answer from numbered passages."""

    def __init__(self, settings: Settings, prompts: Prompts) -> None:
        if not settings.llm_base_url:
            raise ConfigurationError("KELISIM_GENERATOR=llm needs KELISIM_LLM_BASE_URL")
        self._prompts = prompts
        self._model = ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            temperature=settings.llm_temperature,
            max_completion_tokens=600,
        )

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

    def generate(self, question: str, lang: Lang, context: Sequence[UnitText]) -> str:
        """The model's answer text, or :class:`GeneratorError`."""
        try:
            result = self._model.invoke(self._messages(question, lang, context))
        except Exception as exc:  # network, HTTP status, timeout, bad JSON: all fall back
            raise GeneratorError(f"{type(exc).__name__}") from exc
        text = result.content if isinstance(result.content, str) else ""
        if not text.strip():
            raise GeneratorError("empty answer")
        return text.strip()

    def stream(self, question: str, lang: Lang, context: Sequence[UnitText]) -> Iterator[str]:
        """The answer as it is written (unguarded: for progress display only)."""
        try:
            for chunk in self._model.stream(self._messages(question, lang, context)):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content
        except Exception as exc:
            raise GeneratorError(f"{type(exc).__name__}") from exc
