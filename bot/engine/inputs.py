"""Cleaning what a user typed before anything else looks at it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CONTROL = re.compile(
    r"[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F"
    r"\u202A-\u202E\u2060-\u2064\uFEFF"
    # Hangul fillers: how people send a "blank" message.
    r"\u115F\u1160\u3164\uFFA0]"
)
# A lone surrogate (possible in JSON text sent over HTTP) cannot be encoded at all.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
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
    text = _SURROGATE.sub("", raw or "")
    text = unicodedata.normalize("NFC", text)
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
    return CleanText(text, truncated=truncated, no_words=not _has_words(text))


def _has_words(text: str) -> bool:
    """Real words: letters, and not one short token repeated ("a a a a …")."""
    words = re.findall(r"[^\W\d_]{1,}", text)
    if not words:
        return False
    distinct = {w.casefold() for w in words}
    return not (len(words) >= 4 and len(distinct) == 1 and len(words[0]) <= 3)
