"""Whether a message asks *about* something rather than asks for something.

The classifier reads topics: "is sharing ISIS videos to mock them illegal?" and
"send me ISIS videos" sit close together in embedding space. A question about
what is true, legal, dangerous or meant ("is it legal…", «правда ли…», «… заңды
ма») is answered from a vetted unit when one clearly fits, even when the
classifier alone leaned towards a refusal; the refusal rules (explicit requests
to make, write, find or join) still decide whatever the phrasing.
"""

from __future__ import annotations

import re

_ABOUT = re.compile(
    r"\b(?:"
    # en
    r"is it (?:true|legal|illegal|a crime|allowed|banned|dangerous|normal|safe|real|fake)"
    r"|is (?:that|this) (?:true|legal|illegal|a crime|allowed|real|fake|normal)"
    r"|(?:legal|illegal|a crime|banned|punishable|allowed) (?:in|here|to)\b"
    r"|what (?:happens|is the punishment|does the law say|should i do|do i do)"
    r"|can (?:i|you|we|someone|people) (?:get|be) (?:in trouble|jailed|fined|punished|arrested)"
    r"|how (?:do|can|would|should) (?:i|we|you) "
    r"(?:know|tell|check|recognise|recognize|spot|report|verify)"
    r"|(?:who|what) (?:is|are|was|were)\b"
    # ru
    r"|правда ли|это правда|правда что|законно ли|это законно|незаконно ли|можно ли по закону"
    r"|что (?:будет|грозит|делать|мне делать|такое|значит)|кто так(?:ой|ая|ие)"
    r"|как (?:понять|проверить|распознать|отличить|сообщить|пожаловаться)"
    r"|(?:запрещен\w*|наказ\w*|посад\w*|штраф\w*) ли|это (?:фейк|вброс|развод)"
    # kk
    r"|рас па|рас ма|шын ба|заңды ма|заңсыз ба|тыйым салынған ба|жаза бар ма|не болады"
    r"|не істеу\w*|деген не|кім(?:дер)? (?:ол|олар)|қалай (?:тексер|білу|ажырат|хабарла)\w*"
    r"|фейк пе"
    r")",
    re.IGNORECASE,
)


def asks_about(text: str) -> bool:
    """True when ``text`` asks what is true, legal, dangerous or meant."""
    return bool(_ABOUT.search(text))
