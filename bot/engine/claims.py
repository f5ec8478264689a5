"""Claim-level checks: does one sentence say what its aligned source sentence says?

Embedding similarity sees topic, not truth: "Article 1 calls Kazakhstan a
secular state" and "Article 9 calls Kazakhstan a religious state" are close
neighbours. So a sentence an LLM wrote is first aligned to the source sentence
(or two neighbouring sentences) of the answer unit it is closest to, and then
must agree with *that* text on everything that makes a claim true or false:

- **polarity**: no word said negatively on one side and only positively on the
  other ("does not prohibit" against "prohibits"; не/нет/ни; емес/жоқ and the
  Kazakh negative verb forms). Counting negations is not enough: a paraphrase
  may say "different things" for "not the same", and a false sentence may move
  a negation to another word while keeping the count;
- **numbers**: every number, year, date and article number, in digits or words;
- **names**: every proper name, acronym and month;
- **claim words**: words that flip a claim (banned, allowed, obliged, state
  religion, atheist, only, all, most, short/long, first/last, …) must be in the
  aligned source text too (a synonym counts: "bans" for "prohibits");
- **novelty**: most content words must come from the unit, so a new fact cannot
  be appended to a true one;
- **examples stay quotes**: a sentence that repeats a unit's example line (what
  a recruiter says) outside quotation marks is advice in the bot's voice.

These checks are deliberately lexical and strict: a dropped faithful sentence
costs a little fluency (the extractive answer is the fallback), a kept false one
reaches a teenager.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A word and its 5-letter stem: enough to match inflected forms in kk/ru/en.
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_QUOTED = re.compile(r"[«“\"„‘'].{3,}?[»”\"“’']")
STEM = 5


def _words(text: str) -> list[str]:
    """A word list written as one string, as word lists read best."""
    return text.split()


# Share of a sentence's content stems that must occur in its unit.
MIN_UNIT_OVERLAP = 0.7

_NEGATIONS = {
    "en": re.compile(r"\b(not|no|never|none|nothing|nobody|neither|nor|cannot)\b|n't\b", re.I),
    "ru": re.compile(r"\b(не|нет|ни|никогда|ничего|никто|нельзя|нигде|ничто)\b", re.I),
    "kk": re.compile(
        r"\b(емес|жоқ|ешқашан|ешкім|ешнәрсе|ешбір|ештеңе)\b"
        r"|\w{2,}(?:ма|ме|ба|бе|па|пе)(?:йды|йді|йтын|йтін|ған|ген|ды|ді|йсың|йсыз|йсіз"
        r"|у|уы|уі|уға|уге|са|се|сын|сін|ңыз|ңіз|ңдар|ңдер|ймын|ймін|йміз|ймыз)\b",
        re.I,
    ),
}

# Words that turn one claim into another; if the sentence has one, the source
# must have it too (by stem).
_CLAIM_WORDS = {
    "en": (
        "ban|prohib|forbid illeg allow|permit oblig|must|mandat|compul volunt atheis most "
        "state-r only every always never majori minori large small "
        "crimi unite equal super false "
        "short long individ collect privat public first last increas decreas popular "
        "rare often seldom rarely usually"
    ),
    "ru": (
        "запре|запрещ нелег разре|позво обяза|должн добро атеис только всегд никогд "
        "больш меньш уголо объед равны высше ложны госуд все всех "
        "кратк долгос индивид личн коллект частн публич перв послед увелич уменьш "
        "попул редк обычн многочисл"
    ),
    "kk": (
        "тыйым|тыйыл рұқса заңсы міндет ерікт атеис тек әрқаш ешқаш көпші азшы қылмы "
        "біріг тең жоғар жалға мемле көбі барлы бәрі "
        "қысқа ұзақ ұжым алғаш соңғ көбей азай танымал сирек жиі әдетте"
    ),
}
# Number words per language: whole words (English, Kazakh) or word starts that
# carry the number in every case form (Russian). "он" is ten in Kazakh but "he"
# in Russian, so each language reads only its own.
_NUMBER_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "one": "1",
        "two": "2",
        "three": "3",
        "four": "4",
        "five": "5",
        "six": "6",
        "seven": "7",
        "eight": "8",
        "nine": "9",
        "ten": "10",
        "eleven": "11",
        "twelve": "12",
        "twenty": "20",
        "thirty": "30",
        "forty": "40",
        "fifty": "50",
        "sixty": "60",
        "seventy": "70",
        "eighty": "80",
        "ninety": "90",
        "hundred": "100",
        "thousand": "1000",
        "million": "1000000",
    },
    "ru": {
        "один": "1",
        "одна": "1",
        "одно": "1",
        "два": "2",
        "две": "2",
        "двух": "2",
        "три": "3",
        "трёх": "3",
        "трех": "3",
        "четыр": "4",
        "пят": "5",
        "шест": "6",
        "сем": "7",
        "восьм": "8",
        "восем": "8",
        "девят": "9",
        "десят": "10",
        "двадцат": "20",
        "тридцат": "30",
        "сорок": "40",
        "пятьдесят": "50",
        "сто": "100",
        "тысяч": "1000",
        "миллион": "1000000",
    },
    "kk": {
        "бір": "1",
        "екі": "2",
        "үш": "3",
        "төрт": "4",
        "бес": "5",
        "алты": "6",
        "жеті": "7",
        "сегіз": "8",
        "тоғыз": "9",
        "он": "10",
        "жиырма": "20",
        "отыз": "30",
        "қырық": "40",
        "елу": "50",
        "жүз": "100",
        "мың": "1000",
        "миллион": "1000000",
    },
}
# Kazakh collective and ordinal numerals carry their number in the word start
# («бесеуін», five of them; «үшінші», third).
_KK_NUMBER_STARTS = {
    "екеу": "2",
    "үшеу": "3",
    "төртеу": "4",
    "бесеу": "5",
    "алтау": "6",
    "жетеу": "7",
    "бірінші": "1",
    "екінші": "2",
    "үшінші": "3",
    "төртінші": "4",
    "бесінші": "5",
    "алтыншы": "6",
    "жетінші": "7",
    "сегізінші": "8",
    "тоғызыншы": "9",
    "оныншы": "10",
}
# Russian number words decline ("пяти", "семью"): matched by their start, but only
# when nothing but a case ending follows (so "семья", family, is not seven).
_RU_ENDINGS = re.compile(r"(ь|и|ью|ью|ём|ем|ми|ого|ому|ой|ым|ых|ыми|ая|ую|ое)?$")


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a sentence may be kept, and if not, the first reason why."""

    ok: bool
    reason: str = ""


def stems(text: str) -> set[str]:
    return {w.lower()[:STEM] for w in _WORD.findall(text) if len(w) >= 4}


def content_stems(text: str) -> set[str]:
    """The stems of ``text`` without the common words that carry no claim."""
    return stems(text) - _FILLER_STEMS


def _numbers(text: str, lang: str) -> set[str]:
    found = {n.replace(",", ".") for n in _NUMBER.findall(text)}
    words = _NUMBER_WORDS.get(lang, _NUMBER_WORDS["en"])
    tokens = [part for word in _WORD.findall(text.lower()) for part in re.split(r"[-'’]", word)]
    for word in tokens:
        if word in words:
            found.add(words[word])
        elif lang == "kk":
            for start, value in _KK_NUMBER_STARTS.items():
                if word.startswith(start):
                    found.add(value)
                    break
        elif lang == "ru":
            for start, value in words.items():
                if word.startswith(start) and _RU_ENDINGS.fullmatch(word[len(start) :]):
                    found.add(value)
                    break
    return found


def _names(text: str) -> set[str]:
    """Stems of capitalised words and acronyms that are not the sentence's first word."""
    return {stem for stem, _ in _named_words(text)}


# Longer "names" are not abbreviations, and the search below stays cheap on any input.
MAX_ABBREVIATION = 24


def _abbreviates(word: str, unit_words: list[str]) -> bool:
    """Whether ``word`` shortens a run of the unit's words: "UN" for "United Nations",
    «КНБ» for «Комитет национальной безопасности», «Нацгвардии» for «Национальной
    гвардии». Each word of the run gives the start of itself (its first letter in an
    acronym); the last one may be inflected differently."""
    if not 2 <= len(word) <= MAX_ABBREVIATION:
        return False
    return any(_spells(word, unit_words, start, 0) for start in range(len(unit_words)))


def _spells(word: str, words: list[str], at: int, used: int) -> bool:
    if not word:
        return used >= 2
    if at >= len(words):
        return False
    source = words[at]
    for size in range(min(len(word), len(source)), 0, -1):
        if word[:size] != source[:size]:
            continue
        rest = word[size:]
        if not rest and used >= 1:
            return True
        if _spells(rest, words, at + 1, used + 1):
            return True
    # The last word, inflected: «гвардии» for «гвардия».
    tail = min(len(word), STEM - 1)
    return used >= 1 and tail >= 4 and source.startswith(word[:tail])


def _named_words(text: str) -> set[tuple[str, str]]:
    """(stem, word) of capitalised words and acronyms that are not the sentence's first word."""
    names = set()
    for match in _WORD.finditer(text):
        word = match.group(0)
        before = text[: match.start()].rstrip()
        first = not before or before[-1] in '.!?:«“"(—–-' or before.endswith("[1]")
        word = re.sub(r"[’']s?$", "", word)
        acronym = len(word) >= 2 and word.isupper()
        particle = (
            re.fullmatch(r"[^\W\d_]{1,3}-[^\W\d_]+", word) and word.split("-")[1][:1].isupper()
        )
        if acronym or particle or (word[0].isupper() and not first):
            names.add((word.lower()[:STEM], word))
    return names


# Negation words whose scope is the words that follow ("not allowed", «не
# разрешено») or, in Kazakh, the words before («рұқсат етілген емес»).
_NEGATORS = {
    "en": frozenset(
        _words(
            "not no never none nothing nobody neither nor cannot don't doesn't isn't aren't "
            "wasn't weren't won't can't mustn't shouldn't didn't impossible"
        )
    ),
    "ru": frozenset(
        _words(
            "не нет ни никогда ничего никто нельзя нигде ничто никого никому ничем никем "
            "никакой никакая никакие никакого никакому никаких невозможно"
        )
    ),
    "kk": frozenset(
        _words("емес жоқ ешқашан ешкім ешкімді ешкімнің ешкімге ешнәрсе ешбір ештеңе ештеңені")
    ),
}
_KK_NEGATIVE_VERB = re.compile(
    r"(\w{2,}?)(?:ма|ме|ба|бе|па|пе)"
    r"(?:й\w*|ған\w*|ген\w*|с[ае]\w*|у\w*|ңыз\w*|ңіз\w*|ды|ді|сын|сін|ңдар|ңдер)"
)
# Words too common to carry a claim inside a negation's scope.
_FILLER = frozenset(
    _words(
        "does have been will that this with from into their there they them your about "
        "through what which whether when where because since over under after before "
        "also only just even more must should would could "
        "было будет может этого этой того также быть более даже свой своей своих "
        "через после перед между около чтобы потому когда какой какая какие "
        "болып бола болса деген туралы сияқты үшін және немесе бірақ"
    )
)
_SCOPE = 1
# Words this close after a negation (before «емес», «жоқ») may be in its scope:
# they count as neither negative nor positive.
_NEAR = 3
_FILLER_STEMS = frozenset(word[:STEM] for word in _FILLER)


def _negated(text: str, lang: str) -> int:
    return len(_NEGATIONS.get(lang, _NEGATIONS["en"]).findall(text))


def _polarity(text: str, lang: str) -> tuple[set[str], set[str]]:
    """Stems said negatively and stems said positively in ``text``.

    "Does not prohibit" puts ``prohi`` in the first set; "prohibits" in the
    second. A sentence that says negatively what its source says positively
    (or the reverse) flips the claim, whatever the count of negations.
    """
    negators = _NEGATORS.get(lang, _NEGATORS["en"])
    negative: set[str] = set()
    positive: set[str] = set()
    for clause in re.split(
        r"[,;:.!?()«»“”\"—–]|\b(?:but|while|whereas|а|но|ал|бірақ)\b", text.lower()
    ):
        words = [w for w in _WORD.findall(clause)]
        scoped: set[int] = set()
        near: set[int] = set()
        for n, word in enumerate(words):
            if word in negators or (lang == "kk" and word.startswith(("емес", "жоқ"))):
                if lang == "kk" and word.startswith(("емес", "жоқ")):
                    span = range(n - 1, max(-1, n - 1 - _NEAR), -1)
                else:
                    span = range(n + 1, min(len(words), n + 1 + _NEAR))
                taken = 0
                for m in span:
                    if len(words[m]) >= 4 and words[m] not in _FILLER and words[m] not in negators:
                        (scoped if taken < _SCOPE else near).add(m)
                        taken += 1
        for n, word in enumerate(words):
            if word in negators or len(word) < 4 or word in _FILLER:
                continue
            if lang == "kk" and word.startswith(("емес", "жоқ")):
                continue
            if lang == "kk":
                verb = _KK_NEGATIVE_VERB.fullmatch(word)
                if verb:
                    if len(verb.group(1)) >= 3:
                        negative.add(verb.group(1)[:STEM])
                    if n and len(words[n - 1]) >= 4 and words[n - 1] not in _FILLER:
                        negative.add(words[n - 1][:STEM])
                        positive.discard(words[n - 1][:STEM])
                    continue
            if n in scoped:
                negative.add(word[:STEM])
            elif n not in near:  # "not equal to a qualification": maybe negated, so neither
                positive.add(word[:STEM])
    return negative, positive


def _flipped(sentence: str, aligned: str, closest: str, lang: str) -> str | None:
    """The first word whose polarity the source does not confirm, if any.

    Every word the sentence says negatively must be in the aligned text and
    not only positively there; a word the closest source sentence says
    negatively may not be said only positively, nor left out of the scope of
    a negation when the sentence has fewer negations. An added negation is
    looked for against the whole aligned text (the claim may come from either
    of its sentences), a dropped one against the closest sentence alone, so a
    neighbouring sentence that uses the same word positively cannot excuse it.
    """
    neg_s, pos_s = _polarity(sentence, lang)
    neg_src, pos_src = _polarity(aligned, lang)
    added = _negated(sentence, lang) > _negated(closest, lang)
    for stem in sorted(neg_s):
        if among(stem, pos_src) and not among(stem, neg_src) and not among(stem, pos_s):
            return stem
        if added and not among(stem, neg_src | pos_src):
            return stem  # a negation its source cannot confirm
    neg_src, pos_src = _polarity(closest, lang)
    dropped = _negated(sentence, lang) < _negated(closest, lang)
    for stem in sorted(neg_src):
        if among(stem, pos_s) and not among(stem, neg_s) and not among(stem, pos_src):
            return stem
        if dropped and among(stem, pos_s) and not among(stem, neg_s):
            return stem  # a negation of the source left out of a word the sentence keeps
    return None


def among(stem: str, stems_: set[str]) -> bool:
    """Kazakh negative verbs leave a short root ("сал" of «салмайды»): match by prefix."""
    for other in stems_:
        size = min(len(other), len(stem), 4)
        if size >= 3 and other[:size] == stem[:size]:
            return True
    return False


def _claim_reversed(sentence: str, aligned: str, lang: str) -> str | None:
    """A claim word ("obliged", "banned") said plainly where all its source says is "not …".

    The polarity check compares most words with the closest source sentence only; a
    claim word is compared with the whole aligned text, since either sentence may be
    the one it came from.
    """
    starts = [a for g in _CLAIM_WORDS.get(lang, _CLAIM_WORDS["en"]).split() for a in g.split("|")]
    negative, positive = _polarity(aligned, lang)
    for stem in sorted(_polarity(sentence, lang)[1]):
        claim = any(stem.startswith(a) or a.startswith(stem) for a in starts if "-" not in a)
        if claim and among(stem, negative) and not among(stem, positive):
            return stem
    return None


def _claim_stems(text: str, lang: str) -> set[str]:
    """The claim words of ``text``; synonyms ("ban|prohib|forbid") count as one."""
    found = set()
    lowered = text.lower()
    tokens = {w.lower() for w in _WORD.findall(text)}
    for group in _CLAIM_WORDS.get(lang, _CLAIM_WORDS["en"]).split():
        for stem in group.split("|"):
            if "-" in stem:
                hit = stem.replace("-", " ") in lowered or stem in lowered
            else:
                hit = any(t.startswith(stem) for t in tokens)
            if hit:
                found.add(group)
                break
    return found


# Claim words that come in opposite pairs: "an individual duty" where the source
# says "a collective duty, not a private decision of an individual" keeps every
# word the source has, yet says the opposite.
_OPPOSITES = {
    "en": (
        "individ/collect privat/public first/last increas/decreas majori/minori large/small "
        "short/long allow|permit/ban|prohib|forbid volunt/oblig|mandat|compul often/rare|seldom "
        "legal/illeg weak/strong early/late "
        # Closed classes of names (stems of five letters, as claims are compared): one
        # school of law, creed or branch of Islam for another.
        "hanaf/malik/shafi/hanba matur/ashar|ashʿa|athar sunni/shia|shiit"
    ),
    "ru": (
        "индивид|личн/коллект частн/публич перв/послед увелич/уменьш большин/меньшин "
        "кратк/долгос разре|позво/запре|запрещ добровол/обяза часто/редк слаб/сильн ранн/поздн "
        "ханаф/малик/шафи/ханба матур/ашар|ашъа сунни|сунни/шиит"
    ),
    "kk": (
        "жеке/ұжым алғаш/соңғ көбей/азай көпші/азшы қысқа/ұзақ рұқса/тыйым|тыйыл ерікт/міндет "
        "жиі/сирек әлсіз/күшті ерте/кеш "
        "ханаф/мәлик|малик/шафи/ханба матур|матұр/ашар|әшғар|ашғар сүнни|сунни/шиит"
    ),
}


def _said(stems_: str, polarity: tuple[set[str], set[str]]) -> tuple[bool, bool]:
    """Whether any of ``stems_`` (``a|b``) is said positively, and negatively."""
    negative, positive = polarity
    starts = stems_.split("|")
    return (
        any(w.startswith(starts_) for w in positive for starts_ in starts),
        any(w.startswith(starts_) for w in negative for starts_ in starts),
    )


def _opposite(sentence: str, source: str, lang: str) -> str | None:
    """A claim word said where its source says its opposite (and not the word itself).

    A group of more than two ("hanafi/maliki/shafii/hanbali") is a closed class of
    names: one member said where the source names only another is a swapped entity.
    """
    mine, theirs = _polarity(sentence, lang), _polarity(source, lang)
    for group in _OPPOSITES.get(lang, _OPPOSITES["en"]).split():
        members = group.split("/")
        for word in members:
            if not _said(word, mine)[0] or any(_said(word, theirs)):
                continue
            if any(_said(other, theirs)[0] for other in members if other != word):
                return word.split("|")[0]
    return None


_ARTICLE = re.compile(r"\b(?:article|art\.|стать[яиеюё]|ст\.)\s*(\d+)|(\d+)\s*-?\s*ба[пб]", re.I)


def _article_clauses(text: str) -> list[tuple[str, set[str]]]:
    """Each article number with the content words of what is said about it.

    That is its sentence, or its clause when the sentence names several articles.
    """
    found = []
    for sentence in re.split(r"(?<!ст)(?<!art)[.!?](?:\s|$)", text):
        if len(_ARTICLE.findall(sentence)) == 1:
            match = _ARTICLE.search(sentence)
            assert match is not None
            found.append((match.group(1) or match.group(2), stems(sentence)))
            continue
        for clause in re.split(r"[,;:—–]|\band\b|\bи\b|\bал\b|\bwhile\b|\bа\b", sentence):
            for match in _ARTICLE.finditer(clause):
                found.append((match.group(1) or match.group(2), stems(clause)))
    return found


def _articles_swapped(sentence: str, unit: str) -> str | None:
    """An article number attached to what another article of the unit says."""
    source = _article_clauses(unit)
    for number, words in _article_clauses(sentence):
        own = [w for n, w in source if n == number]
        other = [w for n, w in source if n != number]
        if not own or not words:
            continue
        best_own = max(len(words & w) for w in own)
        if other and max(len(words & w) for w in other) > best_own:
            return number
    return None


def verify(
    sentence: str,
    aligned: str,
    unit: str,
    examples: tuple[str, ...],
    lang: str,
    closest: str | None = None,
) -> Verdict:
    """Check ``sentence`` against its ``aligned`` source text and its whole ``unit``.

    ``closest`` is the single closest source sentence (``aligned`` may join two):
    polarity is compared with it alone.
    """
    for example in examples:
        quote = _example_text(example)
        if quote and _echoes(sentence, quote) and not _QUOTED.search(sentence):
            return Verdict(False, "repeats an example line as its own words")
    missing = _numbers(sentence, lang) - _numbers(aligned, lang)
    if missing:
        return Verdict(False, f"number not in its source: {sorted(missing)[0]}")
    swapped = _articles_swapped(sentence, unit)
    if swapped:
        return Verdict(False, f"article {swapped} says something else in its source")
    known = _names(unit) | stems(unit)
    unknown = [(n, word) for n, word in _named_words(sentence) if n not in known]
    if unknown:  # most sentences name nothing new: read the unit's words only then
        unit_words = [w.lower() for w in _WORD.findall(unit)]
        unknown = [(n, w) for n, w in unknown if not _abbreviates(w.lower(), unit_words)]
    new_names = {n for n, _ in unknown}
    if new_names:
        return Verdict(False, f"name not in its unit: {sorted(new_names)[0]}")
    source = closest or aligned
    flipped = _flipped(sentence, aligned, source, lang)
    if flipped:
        return Verdict(False, f"negation differs from its source: {flipped}")
    reversed_claim = _claim_reversed(sentence, aligned, lang)
    if reversed_claim:
        return Verdict(False, f"negation differs from its source: {reversed_claim}")
    opposite = _opposite(sentence, source, lang)
    if opposite:
        return Verdict(False, f"says the opposite of its source: {opposite}")
    new_claims = _claim_stems(sentence, lang) - _claim_stems(aligned, lang)
    if new_claims:
        return Verdict(False, f"claim word not in its source: {sorted(new_claims)[0]}")
    own = stems(sentence) - _FILLER_STEMS
    theirs = stems(unit)
    if own and sum(among(stem, theirs) for stem in own) / len(own) < MIN_UNIT_OVERLAP:
        return Verdict(False, "adds words its unit does not have")
    return Verdict(True)


def _example_text(line: str) -> str:
    return line.lstrip("> ").strip().strip("«»“”\"'").strip()


def _echoes(sentence: str, quote: str) -> bool:
    """Most of an example line's content words appear in the sentence."""
    quoted = stems(quote)
    return bool(quoted) and len(quoted & stems(sentence)) / len(quoted) >= 0.5
