"""Figures of speech about dying and killing that mean nothing of the kind.

"I'm dying of boredom", "this homework is killing me", «чуть не умерла со смеху»,
«зеріккеннен өліп барам» are how teenagers say they are bored, amused or tired;
read word by word they look like a crisis, and a crisis reply to a joke teaches a
young person that the bot does not listen. The policy reads such a figure of speech
as what it means before it decides, so that the rest of the message — and only the
rest — can still make it a crisis ("this homework is killing me and I want to die"
keeps "I want to die").

Only figures that cannot be meant literally are read this way. Those that can ("my
mom will kill me", «ұяттан өлгім келді») count as a joke only in a message with a laughing
mark (haha, lol, 😂, «ахах»); without one they are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Laughter or a wink: "haha", "lol", "lmao", «ахах», «хаха», «ха-ха», emoji.
_LAUGH = (
    r"(?:\b(?:a?ha(?:ha)+h?|lol|lmao|rofl|jk)\b"
    r"|(?<!\w)(?:а?ха(?:ха)+х?|ха-ха|лол|ржу|кек)(?!\w)|[😂🤣😅😆😁😄😜🙃])"
)

# (pattern, what it means as a replacement template): matched on lower-cased text.
_ALWAYS: list[tuple[str, str]] = [
    # English
    (r"\b(dying|died|die|dead) (of|from) (boredom|laugh\w*|cringe)\b", "very bored or amused"),
    (
        r"\b(almost|nearly|literally|just) (died|dead) (laughing|of laughter|from laughing)\b",
        "laughed a lot",
    ),
    (r"\bi'?m dead\b(?= *" + _LAUGH + r")", "that is funny"),
    (
        r"\b(this |the |my |these |that )?(homework|exam|exams|test|tests|class|lesson|lecture|"
        r"maths?|physics|chemistry|school|traffic|heat|waiting|commute|deadline)s? (is|are|was) "
        r"(literally |honestly )?killing me\b",
        "is a lot of work",
    ),
    (r"\bkill(ed|ing)? it (at|in|on|today)\b", "did very well"),
    (
        r"\b(destroyed|killed|murdered|wrecked) me (in|at) (fifa|cs|dota|chess|fortnite|pubg|"
        r"valorant|minecraft|the game|tennis|basketball|football)\b",
        "won against me in a game",
    ),
    # Russian
    (
        r"(умираю|умерла?|помираю|сдохну|сдыхаю) (со|от) (скуки|смеха|смеху|кринжа)",
        "скучно или смешно",
    ),
    (
        r"(чуть не|чуть ли не|почти) (умер|умерла|помер|померла|сдох|сдохла) (со|от) (смеху|смеха)",
        "очень смеялся",
    ),
    (
        r"(эта |этот |эти |мой |моя )?(домашка|домашнее задание|домашк\w*|контрольная|экзамен\w*|"
        r"сессия|пара|пары|урок\w*|физика|математика|химия|школа|учеба|учёба) "
        r"(меня )?(убь[её]т|убивает|добь[её]т|доконает)( меня)?",
        "задали очень много домашки",
    ),
    (
        r"(разнес|разнёс|уничтожил|убил) меня в (фифе|кс|доте|шахматах|игре)",
        "выиграл у меня в игре",
    ),
    # Kazakh
    (
        r"(зеріккеннен|іш пысқаннан|күлкіден|күлгеннен) "
        r"(өліп (барам|барамын|қалдым|қала жаздадым)|өлдім|өлем|өлемін)",
        "қатты зеріктім немесе күлдім",
    ),
    (r"(күлдіріп|күлдіртіп) (өлтірді|өлтіре жаздады|өлтіреді)", "қатты күлдірді"),
    (
        r"(бұл |осы )?(үй тапсырмасы|тапсырма|емтихан\w*|сабақ\w*|бақылау жұмысы|физика|"
        r"математика|химия|мектеп) "
        r"(мені )?(өлтіреді|өлтіретін болды|өлтіріп барады)",
        "тапсырма көп",
    ),
]

# Figures that can be meant: a joke only in a message with a laughing mark.
_WITH_LAUGH: list[tuple[str, str]] = [
    (
        r"\b(mom|mum|dad|mother|father|parents|teacher|coach|sister|brother|she|he|they)"
        r"('ll| will| is going to| gonna) (literally )?kill me\b",
        r"\1 will not be happy",
    ),
    (r"\b(die|died|dying) of (embarrassment|shame)\b", "it was awkward"),
    (
        r"(мама|папа|мать|отец|родители|учитель\w*|тренер|сестра|брат|она|он) (меня )?"
        r"(убь[её]т|прибь[её]т|убьют|прибьют)",
        r"\1 будет недовольна",
    ),
    (r"(со стыда|от стыда) (умер|умерла|умру|провалиться)", "неловко вышло"),
    (
        r"(анам|әкем|ата-анам|апам|ағам|мұғалім|жаттықтырушы) (мені )?"
        r"(өлтіреді|өлтіретін болды|сойып тастайды)",
        r"\1 ренжиді",
    ),
    (
        r"(ұяттан|ұялғаннан) "
        r"(өлдім|өле жаздадым|өлгім келді|жерге кіріп кеткім келді|жерге кіріп кете жаздадым)",
        "ыңғайсыз болды",
    ),
]

_ALWAYS_RE = [(re.compile(p), meaning) for p, meaning in _ALWAYS]
_WITH_LAUGH_RE = [(re.compile(p), meaning) for p, meaning in _WITH_LAUGH]
_LAUGH_RE = re.compile(_LAUGH)


@dataclass(frozen=True, slots=True)
class Reading:
    """``text`` with its figures of speech read as what they mean; ``figures`` lists them."""

    text: str
    figures: tuple[str, ...]


def literal(text: str) -> Reading:
    """``text`` with every figure of speech about dying or killing replaced by its meaning."""
    low = text.lower()
    figures: list[str] = []
    patterns = [*_ALWAYS_RE, *(_WITH_LAUGH_RE if _LAUGH_RE.search(low) else [])]
    for pattern, meaning in patterns:
        figures.extend(match.group(0) for match in pattern.finditer(low))
        low = pattern.sub(meaning, low)
    return Reading(low if figures else text, tuple(figures))
