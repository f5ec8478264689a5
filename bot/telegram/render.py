"""Turning an engine reply into Telegram HTML messages.

Text from the engine is escaped with :func:`html.escape`; the only markup is the
source list, whose titles become links. ``[n]`` citation markers stay as they are.
Telegram refuses messages over 4,096 characters, counted in UTF-16 code units
(an emoji counts two), so long replies are split at paragraph boundaries (then
lines, then words) below :data:`LIMIT` UTF-16 units.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.models import Reply, Source

MAX_MESSAGE = 4096
# Measured on the HTML, which is never shorter than the text Telegram counts.
LIMIT = 4000


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class Rendered:
    """A reply as messages. The last message exists in two forms, with and without sources."""

    messages: list[str]
    last_without_sources: str | None  # None when the sources cannot be toggled

    @property
    def togglable(self) -> bool:
        return self.last_without_sources is not None


def source_line(n: int, source: Source) -> str:
    title = html.escape(source.title, quote=False)
    if source.url.startswith(("https://", "http://")):
        return f'[{n}] <a href="{html.escape(source.url, quote=True)}">{title}</a>'
    return f"[{n}] {title}"


def sources_html(heading: str, sources: list[Source]) -> str:
    lines = [f"<b>{html.escape(heading, quote=False)}</b>"]
    lines += [source_line(n, s) for n, s in enumerate(sources, 1)]
    return "\n".join(lines)


def main_text(reply: Reply) -> str:
    """The reply without its plain-text source list, notices first."""
    body = reply.body or reply.text
    missing = [n for n in reply.notices if n not in body]
    return "\n\n".join([*missing, body])


def render_reply(reply: Reply, sources_heading: str, extra: list[str] | None = None) -> Rendered:
    """The messages for ``reply``; ``extra`` are already-HTML paragraphs added at the end."""
    block = sources_html(sources_heading, reply.sources) if reply.sources else ""
    chunks = _body_chunks(reply, extra or [], LIMIT)
    if not block:
        return Rendered(chunks, None)
    if utf16_len(chunks[-1]) + 2 + utf16_len(block) > LIMIT and utf16_len(block) <= LIMIT // 2:
        # Leave room for the sources under the last part, so they can be toggled there.
        chunks = _body_chunks(reply, extra or [], LIMIT - utf16_len(block) - 2)
    with_sources = f"{chunks[-1]}\n\n{block}"
    if utf16_len(with_sources) <= LIMIT:
        return Rendered([*chunks[:-1], with_sources], chunks[-1])
    return Rendered(chunks + _pack(block.split("\n"), "\n"), None)


def _body_chunks(reply: Reply, extra: list[str], limit: int) -> list[str]:
    chunks = split_text(main_text(reply), limit)
    for paragraph in extra:
        chunks = _append(chunks, paragraph, limit)
    return chunks


def _append(chunks: list[str], paragraph: str, limit: int) -> list[str]:
    joined = f"{chunks[-1]}\n\n{paragraph}"
    if utf16_len(joined) <= limit:
        return [*chunks[:-1], joined]
    return [*chunks, paragraph]


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """Escaped HTML chunks of plain ``text``, each at most ``limit`` characters."""
    paragraphs = [p for p in text.strip().split("\n\n") if p.strip()] or [text]
    units: list[str] = []
    for paragraph in paragraphs:
        units.extend(_escaped_units(paragraph, limit))
    return _pack(units, "\n\n", limit)


def _escaped_units(paragraph: str, limit: int) -> list[str]:
    """``paragraph`` escaped, cut at lines, then words, then characters if it is too long."""
    escaped = html.escape(paragraph, quote=False)
    if utf16_len(escaped) <= limit:
        return [escaped]
    for separator in ("\n", " "):
        parts = paragraph.split(separator)
        if len(parts) > 1:
            units: list[str] = []
            for part in parts:
                units.extend(_escaped_units(part, limit))
            return _pack(units, separator, limit)
    # One unbroken run of characters: cut it so no escape sequence is split.
    pieces, current = [], ""
    for char in paragraph:
        escaped_char = html.escape(char, quote=False)
        if utf16_len(current) + utf16_len(escaped_char) > limit:
            pieces.append(current)
            current = ""
        current += escaped_char
    return [*pieces, current] if current else pieces


def _pack(units: list[str], separator: str, limit: int = LIMIT) -> list[str]:
    """Greedily join ``units`` with ``separator`` into chunks of at most ``limit``."""
    chunks: list[str] = []
    for unit in units:
        if chunks and utf16_len(chunks[-1]) + utf16_len(separator) + utf16_len(unit) <= limit:
            chunks[-1] += separator + unit
        else:
            chunks.append(unit)
    return [c for c in chunks if c.strip()] or [""]
