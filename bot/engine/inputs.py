"""Cleaning what a user typed before anything else looks at it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.models import Turn

# An earlier turn is read up to this many characters: enough for a follow-up's
# context, and a long history cannot multiply the cost of a short question.
MAX_TURN_CHARS = 1000

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
    raw = raw or ""
    # Everything below is linear, but a 50 MB body should not be walked four times.
    overlong = len(raw) > 2 * max_chars
    text = _SURROGATE.sub("", raw[: 2 * max_chars])
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if not text:
        return CleanText("", empty=True)
    truncated = overlong or len(text) > max_chars
    if len(text) > max_chars:
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


def bounded_history(history: Sequence[Turn], turns: int) -> tuple[Turn, ...]:
    """The last ``turns`` turns, each cleaned and cut to :data:`MAX_TURN_CHARS`."""
    kept = tuple(history)[-turns:] if turns else ()
    return tuple(
        replace(t, content=_SURROGATE.sub("", t.content[:MAX_TURN_CHARS]))
        if len(t.content) > MAX_TURN_CHARS or _SURROGATE.search(t.content)
        else t
        for t in kept
    )
