"""Undoing the tricks people use to slip a request past a filter.

The policy classifies every *variant* of a message: the plain text, and the text
with base64 decoded, leetspeak and look-alike letters undone, and spaced-out
letters joined. A harmful request found only in a variant is a jailbreak.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata

_B64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "+": "t",
    }
)
# Latin look-alikes inside Cyrillic words, and the other way round.
_TO_CYRILLIC = str.maketrans("aceopxyiABCEHKMOPTXk", "асеорхуіАВСЕНКМОРТХк")
_TO_LATIN = str.maketrans("асеорхуіАВСЕНКМОРТХ", "aceopxyiABCEHKMOPTX")
_SPACED = re.compile(r"(?<!\w)(?:\w[ .\-_*·]){3,}\w(?!\w)")
# Sentences tried one by one; the whole text is always checked as well.
MAX_SENTENCES = 60
_CYR = re.compile(r"[\u0400-\u04FF]")
_LAT = re.compile(r"[A-Za-z]")


def basic(text: str) -> str:
    """Lower case, NFKC, ё→е, collapsed white space: the form rules are written for."""
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    return re.sub(r"\s+", " ", text).strip()


def _decoded(token: str) -> str | None:
    padded = token + "=" * (-len(token) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    letters = sum(ch.isalpha() for ch in decoded)
    return decoded if letters >= 0.6 * max(1, len(decoded.replace(" ", ""))) else None


def _decode_base64(text: str) -> tuple[str, str] | None:
    """``(decoded parts joined, text with each part decoded in place)``, or None.

    Two forms however many encoded parts there are, so that the policy's work
    stays linear in the length of the message.
    """
    parts: list[str] = []

    def swap(match: re.Match[str]) -> str:
        decoded = _decoded(match.group(0))
        if decoded is None:
            return match.group(0)
        parts.append(decoded)
        return f" {decoded} "

    in_place = _B64.sub(swap, text)
    return (" ".join(parts), in_place) if parts else None


def _fix_mixed_scripts(text: str) -> str:
    words = []
    for word in text.split(" "):
        cyr, lat = len(_CYR.findall(word)), len(_LAT.findall(word))
        if cyr and lat:
            word = word.translate(_TO_CYRILLIC) if cyr >= lat else word.translate(_TO_LATIN)
        words.append(word)
    return " ".join(words)


def _join_spaced(text: str) -> str:
    return _SPACED.sub(lambda m: re.sub(r"[ .\-_*·]", "", m.group(0)), text)


def variants(text: str) -> list[tuple[str, str]]:
    """``(how, text)`` pairs: the plain form first, then each de-obfuscated form."""
    plain = basic(text)
    found: list[tuple[str, str]] = [("plain", plain)]
    seen = {plain}

    def add(how: str, candidate: str) -> None:
        candidate = basic(candidate)
        if candidate and candidate not in seen:
            seen.add(candidate)
            found.append((how, candidate))

    decoded = _decode_base64(text)
    if decoded is not None:
        add("base64", decoded[0])
        add("base64", decoded[1])
    # A digit or symbol inside a word ("b0mb", "@ttack"); numbers such as 2016 or
    # 9/11 are not leetspeak.
    if re.search(r"[^\W\d_][0-9@$!|+]\w|\w[0-9@$!|+][^\W\d_]|[0-9@$][^\W\d_]{2}", plain):
        add("leetspeak", plain.translate(_LEET))
    if _CYR.search(plain) and _LAT.search(plain):
        add("look-alike letters", _fix_mixed_scripts(plain))
    if _SPACED.search(plain):
        joined = _join_spaced(plain)
        add("spaced letters", joined)
        if re.search(r"[0-9@$]", joined):
            add("spaced letters", joined.translate(_LEET))
    if "rot13" in plain:
        add("rot13", codecs.decode(plain, "rot13"))
    return found


_THEN = "then|and then|after that|а потом|потом|затем|сосын|содан кейін|кейін"
_SENTENCE = re.compile(rf"(?<=[.!?…])\s+|\n+|(?<=,)\s+(?=(?:{_THEN})\b)")


def sentences(text: str) -> list[str]:
    """The sentences of a message of several, each normalised; empty for one sentence."""
    parts = [basic(p) for p in _SENTENCE.split(text) if p and len(p.strip()) > 3]
    return parts[:MAX_SENTENCES] if len(parts) > 1 else []
