"""What to search for: a question without the way it is asked.

Young people wrap a question in instructions to the bot: "explain it simply",
«қарапайым тілмен түсіндіріп берші», «объясни простыми словами, для доклада»,
"in 3 sentences, for my presentation". The wrapping carries no topic, yet it
weighs on a short question's embedding: «зайырлы мемлекет деген не, қарапайым
тілмен түсіндіріп берші» came closer to "what is a madhhab?" than to the
secular-state unit, and framed questions fell from an answer to "did you mean".

The phrases are data (``request_framing`` in ``prompts/<lang>.yaml``). Only
retrieval reads the focused text; the safety policy always reads the whole
message, since "write it simply" is part of what a harmful request asks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A focus shorter than this many words is no question of its own ("explain it
# simply" alone): then the whole message is searched.
_MIN_WORDS = 2
_WORD = re.compile(r"\w+")
_LEFTOVER = re.compile(r"^[\s,;:.!\-–—]+|[\s,;:\-–—]+$")
_GAPS = re.compile(r"\s*([,;:])(\s*[,;:])+|\s{2,}")


class Framing:
    """Removes request framing from a question, per language."""

    def __init__(self, phrases: dict[str, Iterable[str]]) -> None:
        self._patterns = {
            lang: re.compile(
                r"(?<!\w)(?:"
                + "|".join(f"(?:{p})" for p in sorted(items, key=len, reverse=True))
                + r")(?!\w)",
                re.IGNORECASE,
            )
            for lang, items in phrases.items()
            if items
        }

    def focus(self, text: str, lang: str) -> str:
        """``text`` without its request framing, or ``text`` itself when nothing is left."""
        pattern = self._patterns.get(lang)
        if pattern is None:
            return text
        stripped = pattern.sub(" ", text)
        if stripped == text:
            return text
        stripped = _GAPS.sub(lambda m: m.group(1) or " ", stripped)
        stripped = _LEFTOVER.sub("", stripped).strip()
        if len(_WORD.findall(stripped)) < _MIN_WORDS:
            return text
        return stripped
