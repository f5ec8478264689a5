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
_CYR = re.compile(r"[\u0400-\u04FF]")
_LAT = re.compile(r"[A-Za-z]")


def basic(text: str) -> str:
    """Lower case, NFKC, ё→е, collapsed white space: the form rules are written for."""
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    return re.sub(r"\s+", " ", text).strip()


def _decode_base64(text: str) -> list[str]:
    out = []
    for token in _B64.findall(text):
        padded = token + "=" * (-len(token) % 4)
        try:
            raw = base64.b64decode(padded, validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        letters = sum(ch.isalpha() for ch in decoded)
        if letters >= 0.6 * max(1, len(decoded.replace(" ", ""))):
            out.append(decoded)
    return out


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

    for decoded in _decode_base64(text):
        add("base64", decoded)
        add("base64", plain.replace(decoded.lower(), " "))
    if re.search(r"\w[0-9@$!|+]\w|[0-9@$]\w{2}", plain):
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
    return parts if len(parts) > 1 else []
