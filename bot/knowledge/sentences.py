"""Splitting plain text into sentences (Kazakh, Russian and English).

The output guard checks an LLM answer sentence by sentence against the
sentences of the units it was given.
"""

from __future__ import annotations

import re

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "т.е",
        "т.д",
        "т.п",
        "т.б",
        "т.с.с",
        "и.т.д",
        "др",
        "ст",
        "стт",
        "п",
        "пп",
        "г",
        "гг",
        "ж",
        "жж",
        "б.з.б",
        "бзб",
        "e.g",
        "i.e",
        "etc",
        "no",
        "nos",
        "art",
        "vs",
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "prof",
        "ул",
        "им",
        "тел",
        "см",
        "напр",
        "рис",
        "қ",
        "мыс",
    ]
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»”)]*\s+(?=[\"«“(\[]?[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ0-9])")


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences; list items and lines count as sentences."""
    out: list[str] = []
    for block in re.split(r"\n+", text):
        block = block.strip()
        if not block:
            continue
        pieces = _SENTENCE_END.split(block)
        merged: list[str] = []
        for piece in pieces:
            if merged and _ends_with_abbreviation(merged[-1]):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        out.extend(p.strip() for p in merged if len(p.strip()) > 1)
    return out


def _ends_with_abbreviation(text: str) -> bool:
    last = text.rsplit(None, 1)[-1].rstrip(".").lower() if text.strip() else ""
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())
