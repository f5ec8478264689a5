"""Claim-level checks: does one sentence say what its aligned source sentence says?

Embedding similarity sees topic, not truth: "Article 1 calls Kazakhstan a
secular state" and "Article 9 calls Kazakhstan a religious state" are close
neighbours. So a sentence an LLM wrote is first aligned to the source sentence
(or two neighbouring sentences) of the answer unit it is closest to, and then
must agree with *that* text on everything that makes a claim true or false:

- **polarity**: a negation present on one side only (not/no/never; не/нет/ни;
  емес/жоқ and Kazakh negative verb forms);
- **numbers**: every number, year, date and article number, in digits or words;
- **names**: every proper name, acronym and month;
- **claim words**: words that flip a claim (banned, allowed, obliged, state
  religion, atheist, only, all, …) must be in the source too;
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
        "ban prohib forbid illeg allow permit oblig must mandat compul volunt atheis "
        "state-r only every always never majori minori large small "
        "crimi unite equal super false"
    ),
    "ru": (
        "запре запрещ нелег разре позво обяза должн добро атеис только всегд никог "
        "больш меньш уголо объед равны высше ложны госуд"
    ),
    "kk": (
        "тыйым тыйыл рұқса заңсы міндет ерікт атеис тек әрқаш ешқаш көпші азшы қылмы "
        "біріг тең жоғар жалға мемле"
    ),
}
# Words that say "not allowed" without a negation: "prohibits X" retells "may not X".
_PROHIBITION = re.compile(
    r"(ban|prohibit|forbid|without|refus|reject|запре|запрещ|без|отверг|тыйым|жоқ)\w*|\w+сыз|\w+сіз",
    re.I,
)

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


def _numbers(text: str, lang: str) -> set[str]:
    found = {n.replace(",", ".") for n in _NUMBER.findall(text)}
    words = _NUMBER_WORDS.get(lang, _NUMBER_WORDS["en"])
    tokens = [part for word in _WORD.findall(text.lower()) for part in re.split(r"[-'’]", word)]
    for word in tokens:
        if word in words:
            found.add(words[word])
        elif lang == "ru":
            for start, value in words.items():
                if word.startswith(start) and _RU_ENDINGS.fullmatch(word[len(start) :]):
                    found.add(value)
                    break
    return found


def _names(text: str) -> set[str]:
    """Stems of capitalised words and acronyms that are not the sentence's first word."""
    names = set()
    for match in _WORD.finditer(text):
        word = match.group(0)
        before = text[: match.start()].rstrip()
        first = not before or before[-1] in '.!?:«“"(—–-' or before.endswith("[1]")
        acronym = len(word) >= 2 and word.isupper()
        if acronym or (word[0].isupper() and not first):
            names.add(word.lower()[:STEM])
    return names


def _prohibitions(text: str) -> set[str]:
    return {m.group(0).lower()[:STEM] for m in _PROHIBITION.finditer(text)}


def _negated(text: str, lang: str) -> int:
    return len(_NEGATIONS.get(lang, _NEGATIONS["en"]).findall(text))


def _claim_stems(text: str, lang: str) -> set[str]:
    words = _CLAIM_WORDS.get(lang, _CLAIM_WORDS["en"]).split()
    found = set()
    lowered = text.lower()
    tokens = {w.lower() for w in _WORD.findall(text)}
    for stem in words:
        if "-" in stem:
            if stem.replace("-", " ") in lowered or stem in lowered:
                found.add(stem)
        elif any(t.startswith(stem) for t in tokens):
            found.add(stem)
    return found


_ARTICLE = re.compile(r"\b(?:article|art\.|стать[яиеюё]|ст\.)\s*(\d+)|(\d+)\s*-?\s*бап", re.I)


def _article_clauses(text: str) -> list[tuple[str, set[str]]]:
    """Each article number with the content words of the clause it stands in."""
    clauses = re.split(r"[,;:—–]|\band\b|\bи\b|\bал\b|\bwhile\b|\bа\b", text)
    found = []
    for clause in clauses:
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
    new_names = {n for n in _names(sentence) if n not in known}
    if new_names:
        return Verdict(False, f"name not in its unit: {sorted(new_names)[0]}")
    source = closest or aligned
    mine, theirs = _negated(sentence, lang), _negated(source, lang)
    if mine != theirs and not (
        (mine < theirs and _prohibitions(sentence) - _prohibitions(source))
        or (mine > theirs and _prohibitions(source) - _prohibitions(sentence))
    ):
        return Verdict(False, "negation differs from its source")
    new_claims = _claim_stems(sentence, lang) - _claim_stems(unit, lang)
    if new_claims:
        return Verdict(False, f"claim word not in its source: {sorted(new_claims)[0]}")
    own = stems(sentence)
    if own and len(own & stems(unit)) / len(own) < MIN_UNIT_OVERLAP:
        return Verdict(False, "adds words its unit does not have")
    return Verdict(True)


def _example_text(line: str) -> str:
    return line.lstrip("> ").strip().strip("«»“”\"'").strip()


def _echoes(sentence: str, quote: str) -> bool:
    """Most of an example line's content words appear in the sentence."""
    quoted = stems(quote)
    return bool(quoted) and len(quoted & stems(sentence)) / len(quoted) >= 0.5
