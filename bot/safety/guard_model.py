"""An optional guard model (e.g. Llama Guard served by vLLM) as one more vote."""

from __future__ import annotations

import logging

from openai import OpenAI, OpenAIError

log = logging.getLogger(__name__)


class GuardModel:
    """Asks an OpenAI-compatible guard model whether a user message is unsafe.

    Llama Guard answers ``safe`` or ``unsafe`` followed by category codes. Any
    failure counts as no vote: the policy's own layers stay in charge.
    """

    def __init__(self, base_url: str, model: str, api_key: str, timeout: float = 5.0) -> None:
        self._client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)
        self._model = model

    def is_unsafe(self, text: str) -> bool:
        try:
            result = self._client.chat.completions.create(
                model=self._model,
                messages=[{"role": "user", "content": text}],
                max_tokens=10,
                temperature=0,
            )
        except OpenAIError as exc:
            log.warning("guard model unavailable: %s", type(exc).__name__)
            return False
        answer = (result.choices[0].message.content or "").strip().lower()
        return answer.startswith("unsafe")
