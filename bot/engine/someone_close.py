"""Whether a message speaks of a person in the asker's life.

Some topics are written for a worry about someone close ("my brother has changed,
what do I do?") and lead every answer with help lines. The same advice also
answers general questions ("how does someone become radicalised?", "how do we
debate religion without a fight?"), and phone numbers in front of those read as
an alarm nobody raised. The help lines lead only when the message names someone
the asker knows: a relative, a friend, a classmate, a partner.

In Russian a bare kin noun already means the asker's own ("брат перестал с нами
говорить"); in English and Kazakh the possessive says it ("my cousin", "ағам").
"""

from __future__ import annotations

import re

_EN = re.compile(
    r"\b(?:my|our)\s+(?:\w+\s+)?(?:friends?|bff|bestie|mates?|buddy|bro(?:ther)?s?|sis(?:ter)?s?|"
    r"cousins?|sons?|daughters?|kids?|child(?:ren)?|classmates?|mom|mum|mother|dad|father|"
    r"parents?|uncles?|aunts?|nephews?|nieces?|grand\w+|girlfriend|boyfriend|husband|wife|"
    r"fianc\w*|partner|neighbou?rs?|roommates?|flatmates?|relatives?|family|colleagues?|"
    r"students?|pupils?)\b"
    r"|\b(?:a\s+)?(?:friend|classmate|guy|girl|boy|kid)\s+(?:of mine|from my|in my|at my)\b"
    r"|\bsomeone (?:i know|close to me)\b",
    re.IGNORECASE,
)
_RU = re.compile(
    r"(?<!\w)(?:друг(?:а|у|ом|е)?|подруг\w*|лучш\w+ друг\w*|брат\w*|сестр\w*|двоюродн\w+|"
    r"сын\w*|доч\w*|одноклассни\w*|однокурсни\w*|парн(?:я|ю|ем|е)|мо(?:й|я|его|ему|им|ю|ей|и|их) "
    r"(?:\w+ )?(?:парень|девушк\w*|муж\w*|жен\w*)|мам\w*|пап\w*|отц\w*|отец|мат(?:ь|ери)|"
    r"родител\w*|дяд\w*|тет\w*|тёт\w*|бабушк\w*|дедушк\w*|племянни\w*|сосед\w*|знаком\w+)(?!\w)",
    re.IGNORECASE,
)
_KK_CONSONANT = r"дос|ұл|қыз|жиен|таныс|сыныптас|курстас|туыс|қарындас|бауыр|жігіт|әйел|күйеу"
_KK_VOWEL = r"құрбы|аға|іні|әпке|сіңлі|бала|әке|ана|апа|ата|әже|жеңге|жезде|немере|көрші"
# My/our (-ым, -ім, -м; -ымыз, -іміз, -мыз, -міз), then at most a case ending.
_KK = re.compile(
    rf"(?<!\w)(?:(?:{_KK_CONSONANT})(?:ым|ім|ымыз|іміз)|(?:{_KK_VOWEL})(?:м|мыз|міз))"
    r"(?:дың|дің|ның|нің|тың|тің|ға|ге|қа|ке|а|е|ды|ді|ны|ні|ты|ті|мен|бен|пен|менен|"
    r"да|де|та|те|нда|нде|дан|ден|тан|тен|нан|нен)?(?!\w)",
    re.IGNORECASE,
)


def speaks_of_someone_close(text: str) -> bool:
    """True when ``text`` names a person the asker knows (kk, ru or en)."""
    return bool(_EN.search(text) or _RU.search(text) or _KK.search(text))
