"""Request bodies of the OpenAI chat API, as far as Kelisim reads them.

Unknown fields (temperature, max_tokens, ...) are accepted and ignored, as an
OpenAI-compatible server must: the engine's answers do not depend on them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MODEL_ID = "kelisim"
MAX_MESSAGES = 100


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text; only text parts are understood."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        unsupported = sorted({p.type for p in self.content if p.type != "text"})
        if unsupported:
            raise ValueError(f"only text content is supported, not {', '.join(unsupported)}")
        return "\n".join(p.text or "" for p in self.content)


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    # Only the last few turns are read (see Settings.history_turns); more is abuse.
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    n: int = Field(1, ge=1)
