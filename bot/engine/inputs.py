"""Cleaning what a user typed before anything else looks at it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CONTROL = re.compile(
    r"[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F"
    r"\u202A-\u202E\u2060-\u2064\uFEFF]"
)
_SPACES = re.compile(r"[ \t\u00A0\u2000-\u200A\u3000]+")


@dataclass(frozen=True, slots=True)
class CleanText:
    """The cleaned message and what was done to it."""

    text: str
    truncated: bool = False
    empty: bool = False
    no_words: bool = False


def clean_input(raw: str, max_chars: int) -> CleanText:
    """Normalise Unicode, drop control and invisible characters, bound the length."""
    text = unicodedata.normalize("NFC", raw or "")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if not text:
        return CleanText("", empty=True)
    truncated = len(text) > max_chars
    if truncated:
        cut = text[:max_chars]
        # Cut at a word boundary when one is near the limit.
        space = cut.rfind(" ", max_chars - 200)
        text = cut[:space] if space > 0 else cut
    no_words = not any(ch.isalnum() for ch in text)
    return CleanText(text, truncated=truncated, no_words=no_words)
