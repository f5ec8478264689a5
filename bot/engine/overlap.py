"""Does a question share any real word with a document?

Embedding similarity alone lets an unrelated question ("where should I take my
friend for dinner?") reach a loosely related document. A vetted answer should
share at least one content word with the question; words are compared by their
first five letters, which is enough for Kazakh and Russian endings.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]{4,}")
STEM = 5
STOPWORDS = frozenset(
    """
    what when where which while with would could should about after again also because been
    before being between both does doing down during each from further have having here into
    itself just more most other over same some such than that their them then there these they
    this those through under until very your yours tell know want need like really thing things
    someone something good best make take kind show find explain please mean means
    что как почему зачем когда где какой какая какие какое каких этот эта это эти если или для
    чтобы может можно нужно надо меня мне тебя тебе есть быть было были очень просто сейчас
    расскажи объясни скажи значит вообще такое
    деген қалай неге қашан қайда қандай осы егер немесе үшін болады бола керек маған саған
    туралы айтшы түсіндір білдіреді дегеніміз нені
    """.split()  # noqa: SIM905 - a word list educators can read and extend
)


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning."""
    return {w[:STEM] for w in (m.lower() for m in _WORD.findall(text)) if w not in STOPWORDS}
