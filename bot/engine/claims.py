"""Claim-level checks: does one clause say what its aligned source sentence says?

Embedding similarity sees topic, not truth: "Article 1 calls Kazakhstan a
secular state" and "Article 9 calls Kazakhstan a religious state" are close
neighbours. So each clause an LLM wrote ("X, and Y" is two claims) is aligned
to the source sentence(s) of the answer unit that share most of its words, and
then must agree with *that* text on everything that makes a claim true or false:

- **polarity**: negations and prohibitions counted together, so "does not
  permit" retells "forbids" but "does not prohibit" does not (not/no/never;
  не/нет/без; емес/жоқ and Kazakh negative verb forms -ма/-ме/-ба/-бе/-па/-пе);
- **numbers**: every number, year, date and article number, in digits or words;
- **names**: every proper name and acronym, in the aligned sentence itself (a
  name from elsewhere in the unit is a swapped entity);
- **claim words**: words that flip a claim (banned, compulsory, only, all,
  guaranteed, …) must be in the aligned text, and a word may not stand where
  the source has its antonym (allowed/forbidden, secular/religious, …);
- **novelty**: most content words must come from the unit (synonyms are hard
  to tell from new facts, so a word anywhere in the unit counts), so a new
  fact cannot be appended to a true one;
- **examples stay quotes**: a sentence that repeats a unit's example line (what
  a recruiter says) outside quotation marks is advice in the bot's voice.

These checks are deliberately lexical and strict: a dropped faithful sentence
costs a little fluency (the extractive answer is the fallback), a kept false one
reaches a teenager.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_QUOTED = re.compile(r"[«“\"„‘'].{3,}?[»”\"“’']")
# A word's first five letters: enough to match inflected forms in kk/ru/en.
STEM = 5
# Novelty is judged on shorter stems ("фетвы"/"фетва", "адамның"/"адам"): a
# paraphrase inflects words differently, and a new fact brings new roots.
NOVELTY_STEM = 4
# Function words say nothing a unit must support.
_FUNCTION_TEXT = """
    that this these those which with from into have been were also such them they their
    there then than when what where while about even only just very will would could should
    если было была были быть даже чтобы стоит вместе самому самой этот этого этой этом
    того также который которая которые которую которых тоже просто очень когда где есть
    того может могут можно нужно нужна нужен никак никакой никакая никакие
    және немесе үшін туралы бойынша болса болып болады деген осы сол оның олар бұл да де
    қатар ретінде арқылы кейін дейін бірге сияқты тағы ғана
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())
# Claim-neutral words a retelling swaps for each other, by their short stems:
# a root that alternates ("вынесение"/"выносить"), a plain synonym
# ("частный"/"личный", "обманывать"/"вводить в заблуждение", "қажет"/"керек"),
# a shortening ("теракт"/"терроризм"). None of them decides a claim, so the
# claim checks never see this table; only novelty does.
_SYNONYM_GROUPS = (
    "выне выно",
    "част личн",
    "обма забл",
    "мини мене",
    "тера терр",
    "гибе поги",
    "қаже кере",
    "маңы мәнд",
    "kids chil",
    "ofte freq",
)
_SYNONYM = {stem: group.split()[0] for group in _SYNONYM_GROUPS for stem in group.split()}
# Share of a sentence's content stems that must occur in its unit.
MIN_UNIT_OVERLAP = 0.7
# Share of a clause's content stems that must occur in its aligned source text.
MIN_ALIGNED_OVERLAP = 0.5

# Where one claim ends and another begins inside a sentence. A comma alone is
# not enough (lists), a comma before a conjunction is.
_CLAUSE_BREAK = {
    "en": re.compile(
        r";|,\s*(?:and|but|while|whereas|although|though|so|because|since|yet)\s"
        r"|\s(?:but|whereas|because)\s",
        re.I,
    ),
    "ru": re.compile(
        r";|,\s*(?:а|но|и|однако|хотя|поэтому|потому что|так как|зато)\s|\s(?:но|однако)\s",
        re.I,
    ),
    "kk": re.compile(
        r";|,\s*(?:ал|бірақ|алайда|әрі|сондықтан|өйткені|себебі|және)\s"
        r"|\s(?:бірақ|алайда|сондықтан|өйткені|себебі)\s",
        re.I,
    ),
}
# A clause needs this many content words to stand alone; shorter ones stay with
# the clause before them ("…, and it is not").
_MIN_CLAUSE_WORDS = 3

# "No: …" / "Жоқ, …" answer the question; they are not part of the claim.
_ANSWER_WORD = re.compile(
    r"^\s*(?:no|yes|нет|да|жоқ|иә|иа|of course|конечно|әрине)\s*[,:.!—–-]\s*", re.I
)

# Negation, counted per clause. "Not only" does not negate, nor does "whether
# or not" (a choice, not a denial), nor a bound on a number ("не менее 50" is
# "at least 50", "кем емес" after a number the same).
_NOT_ONLY = re.compile(
    r"\bnot only\b|\bне только\b|\bғана емес\b"
    r"|\bor not\b|\bили нет\b|\bжоқ па\b|\bжоқ па\?"
    r"|\bno (?:more|less|fewer) than\b|\bnot (?:more|less|fewer) than\b"
    r"|\bне (?:менее|более|меньше|больше)\b|\bкем емес\b",
    re.I,
)
_NEGATORS = {
    "en": re.compile(
        r"\b(?:not|no|never|cannot|without|neither|nor|rather than|instead of)\b|n't\b", re.I
    ),
    "ru": re.compile(r"\b(?:не|нет|нельзя|без|вместо)\b", re.I),
    "kk": re.compile(r"\b(?:емес(?:пін|піз|сің|сіз|сіңдер|сіздер)?|жоқ|орнына)\b", re.I),
}
# Negative-concord words: in Russian and Kazakh they repeat a negation that a
# verb already carries ("ничего не доказывает"), so they count only alone.
_CONCORD = {
    "en": re.compile(r"\b(?:none|nothing|nobody|no one|nowhere)\b", re.I),
    "ru": re.compile(r"\b(?:ни|никогда|ничего|никто|нигде|ничто|ник[ао]\w*|ни\s?одн\w*)\b", re.I),
    "kk": re.compile(r"\b(?:ешқашан|ешкім\w*|ешнәрсе\w*|ешбір|ештеңе\w*|ешқандай|еш)\b", re.I),
}
# Kazakh negative verb forms: a stem, -ма/-ме/-ба/-бе/-па/-пе, then a tense,
# participle, verbal noun or person ending ("салмайды", "болмаған", "жазбағансың").
_KK_NEGATIVE_VERB = re.compile(
    r"(\w{2,}?)(?:ма|ме|ба|бе|па|пе)(?:й\w*|ған\w*|ген\w*|ды|ді|у|уы|уі|уға|уге|са|се|сын|сін"
    r"|ңыз|ңіз|ңдар|ңдер|ңыздар|ңіздер|с|спе|спа)",
    re.I,
)
# A bare negative imperative ("бөліспе", "жасама", "айтпа") closes its clause;
# nouns made with the same suffixes ("хабарлама", "жазба") are left out.
_KK_NEGATIVE_IMPERATIVE = re.compile(r"(\w{3,}?)(?:ма|ме|ба|бе|па|пе)", re.I)
_KK_NOT_IMPERATIVE = frozenset(
    {"хабарлама", "жазба", "бағдарлама", "көрме", "бөлме", "қосымша", "мұражай", "ережеге"}
)
# Words that end like a negative verb but are not one.
_KK_NOT_NEGATIVE = frozenset({"немесе", "бойынша", "мемлекеттің", "тамыз", "бағдарламасы"})
# Words that say "not allowed" without a negation: "forbids X" retells "does
# not permit X", so they count as one negation each.
_PROHIBITION = {
    "en": re.compile(r"\b(?:ban|prohibit|forbid|illegal|unlawful|reject)\w*", re.I),
    "ru": re.compile(r"\b(?:запре[тщ]|незакон|отверг)\w*", re.I),
    "kk": re.compile(r"\b(?:тыйым|заңсыз)\w*", re.I),
}

# Words that turn one claim into another; if the clause has one, its aligned
# source text must have it or a synonym joined to it by "|" (by stem).
_CLAIM_WORDS = {
    "en": (
        "ban|prohib|forbid illeg allow|permit oblig|must|mandat|compul volunt atheis "
        "state-r only every always never majori|most minori crimi unite equal super false "
        "guarant entire complet all"
    ),
    "ru": (
        "запре|запрещ нелег разре|позво|можно обяза|должн добро атеис только всегд никогд "
        "уголо объед равны высше ложны гаран полно целик всех все всё каждый большинств"
    ),
    "kk": (
        "тыйым|тыйыл рұқса заңсы міндет ерікт атеис тек әрқаш ешқаш қылмы "
        "біріг тең жоғар жалға кепіл толық барлы бәрі әрбір көпшілі|көбі"
    ),
}
# The claim-word groups for "banned" and "allowed", per language.
_BAN_AND_ALLOW = {"en": ("ban", "allow"), "ru": ("запре", "разре"), "kk": ("тыйым", "рұқса")}
# Pairs of opposite word starts: a clause that uses one side where its aligned
# source uses only the other says the opposite. (Allowed/forbidden is left to
# polarity, where "forbids" and "does not allow" agree.)
_ANTONYMS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("secular", "religious"),
        ("separat", "unite merge"),
        ("voluntar", "compuls mandator oblig"),
        ("legal", "illegal"),
        ("short", "long"),
        ("most majority larg", "minority few small"),
        ("weak", "strong"),
        ("condemn", "support approv prais"),
    ),
    "ru": (
        ("светск", "религиозн"),
        ("отдел", "объедин единен"),
        ("доброволь", "обязат принуд"),
        ("законн", "незакон"),
        ("кратк краткоср", "долг долгоср"),
        ("большинств многочисл крупн", "меньшинств немногочисл"),
        ("слаб", "сильн"),
        ("осужд", "поддерж одобр"),
    ),
    "kk": (
        ("зайырлы", "діни"),
        ("бөлін", "біріг"),
        ("ерікті", "міндетті мәжбүр"),
        ("заңды", "заңсыз"),
        ("қысқа", "ұзақ"),
        ("көпшілі ірі", "азшылы"),
        ("әлсіз", "күшті"),
        ("айыпта", "қолда мақта"),
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
# Russian number words decline ("пяти", "семью"): matched by their start, but only
# when nothing but a case ending follows (so "семья", family, is not seven).
_RU_ENDINGS = re.compile(r"(ь|и|ью|ью|ём|ем|ми|ого|ому|ой|ым|ых|ыми|ая|ую|ое)?$")


# Russian collective numerals ("семеро", "четверых") and Kazakh ones ("жетеуі",
# "бесеуін") name how many people: they are numbers too.
_COLLECTIVES: dict[str, dict[str, str]] = {
    "ru": {
        "двое": "2",
        "двоих": "2",
        "трое": "3",
        "троих": "3",
        "четверо": "4",
        "четверых": "4",
        "пятеро": "5",
        "пятерых": "5",
        "шестеро": "6",
        "шестерых": "6",
        "семеро": "7",
        "семерых": "7",
    },
    "kk": {
        "екеу": "2",
        "үшеу": "3",
        "төртеу": "4",
        "бесеу": "5",
        "алтау": "6",
        "жетеу": "7",
        "сегізеу": "8",
        "тоғызау": "9",
        "онау": "10",
    },
}
# "Article 7", "статье 174", "ст. 405" and Kazakh "7-бап", "7-бабы", "7-бабында".
# Roman numerals name centuries ("XVIII века", "XX ғасыр"); two letters or more,
# so the English "I" is not one.
_ROMAN = re.compile(r"\b([IVXLC]{2,}|[VX])\b")
_EVENT_NAME = re.compile(r"\b\d{1,2}/\d{1,2}\b")
_MONTHS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december"
    r"|январ\w*|феврал\w*|март\w*|апрел\w*|ма[йя]|июн\w*|июл\w*|август\w*|сентябр\w*"
    r"|октябр\w*|ноябр\w*|декабр\w*|қаңтар\w*|ақпан\w*|наурыз\w*|сәуір\w*|мамыр\w*"
    r"|маусым\w*|шілде\w*|тамыз\w*|қыркүйек\w*|қазан\w*|қараша\w*|желтоқсан\w*"
)
_DATE = re.compile(rf"\b(\d{{1,2}})\s+({_MONTHS})\b|\b({_MONTHS})\s+(\d{{1,2}})\b(?!\s*\d)", re.I)
_ARTICLE = re.compile(r"\b(?:article|art\.|стать[яиеюё]\w*|ст\.)\s*(\d+)|(\d+)\s*-?\s*ба[пб]", re.I)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a sentence may be kept, and if not, the first reason why."""

    ok: bool
    reason: str = ""


# The same unit sentences are read for every clause of every answer: the pure
# text functions below keep what they found for the texts they saw last.
_CACHED = functools.lru_cache(maxsize=8192)


@_CACHED
def _words(text: str) -> tuple[str, ...]:
    """Lower-cased words, hyphenated ones split into their parts."""
    return tuple(p for w in _WORD.findall(text.lower()) for p in re.split(r"[-'’]", w) if p)


@_CACHED
def stems(text: str) -> frozenset[str]:
    """Content stems: the first letters of every word of four letters or more."""
    return frozenset(w[:STEM] for w in _words(text) if len(w) >= 4)


@_CACHED
def _content(text: str) -> frozenset[str]:
    """Short stems of the words that carry content, for the novelty checks.

    Stems of one synonym group count as the same word.
    """
    found = {w[:NOVELTY_STEM] for w in _words(text) if len(w) >= 4 and w not in _FUNCTION_WORDS}
    return frozenset(_SYNONYM.get(stem, stem) for stem in found)


def clauses(sentence: str, lang: str) -> list[str]:
    """The sentence cut where one claim ends and the next begins.

    A true clause joined to a false one ("X, and Y") must fail on the false
    one, which a whole-sentence comparison dilutes. Pieces too short to be a
    claim stay with the clause before them.
    """
    pattern = _CLAUSE_BREAK.get(lang, _CLAUSE_BREAK["en"])
    out: list[str] = []
    for piece in pattern.split(sentence):
        piece = piece.strip(" ,.;:—–-")
        if not piece:
            continue
        if out and len(stems(piece)) < _MIN_CLAUSE_WORDS:
            out[-1] = f"{out[-1]}, {piece}"
        else:
            out.append(piece)
    if len(out) > 1 and len(stems(out[0])) < _MIN_CLAUSE_WORDS:
        out[1] = f"{out[0]}, {out[1]}"
        out.pop(0)
    return out or [sentence]


@_CACHED
def _numbers(text: str, lang: str) -> frozenset[str]:
    """Every number of a text: digits, number words and Roman numerals ("XVIII век").

    A "9/11"-style token names an event; it is a name, not the numbers 9 and 11.
    """
    text = _EVENT_NAME.sub(" ", text)
    found = {n.replace(",", ".") for n in _NUMBER.findall(text)}
    found |= {str(_roman(r)) for r in _ROMAN.findall(text)}
    words = _NUMBER_WORDS.get(lang, _NUMBER_WORDS["en"])
    collectives = _COLLECTIVES.get(lang, {})
    for word in _words(text):
        if word in words:
            found.add(words[word])
        elif word in collectives:
            found.add(collectives[word])
        elif lang == "kk":
            for start, value in collectives.items():
                if word.startswith(start):
                    found.add(value)
                    break
        elif lang == "ru":
            for start, value in words.items():
                if word.startswith(start) and _RU_ENDINGS.fullmatch(word[len(start) :]):
                    found.add(value)
                    break
    return frozenset(found)


def _roman(numeral: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for n, letter in enumerate(numeral):
        value = values[letter]
        following = values[numeral[n + 1]] if n + 1 < len(numeral) else 0
        total += -value if value < following else value
    return total


def _event_names(text: str) -> set[str]:
    """ "9/11"-style names and day-and-month dates, normalised ("11 сентя")."""
    found = set(_EVENT_NAME.findall(text))
    for match in _DATE.finditer(text.lower()):
        day = match.group(1) or match.group(4)
        month = match.group(2) or match.group(3)
        found.add(f"{int(day)} {month[:5]}")
    return found


def _without_events(text: str, known: set[str]) -> str:
    """The text without the event names and dates its unit's heading or source uses.

    "Who died on 9/11?" heads a unit whose sentences never repeat the date; a
    retelling that names the day ("11 сентября погибли…") adds no number.
    """

    def drop(match: re.Match[str]) -> str:
        return " " if _event_names(match.group(0)) <= known else match.group(0)

    return _DATE.sub(drop, _EVENT_NAME.sub(drop, text))


def _names(text: str) -> set[str]:
    """Capitalised words and acronyms that are not a sentence's first word.

    Each part of a hyphenated word counts ("al-Baghdadi", "әл-Фараби"), and a
    possessive "'s" or a Kazakh case ending after a hyphen ("ҚМДБ-ның") is not
    part of the name.
    """
    names = set()
    for match in _WORD.finditer(text):
        before = text[: match.start()].rstrip()
        first = not before or before[-1] in '.!?:«“"(—–-' or before.endswith("]")
        for part in re.split(r"[-'’]", match.group(0)):
            if len(part) < 2:
                continue
            if _ROMAN.fullmatch(part):
                first = False
                continue  # a century, read as a number
            acronym = part.isupper()
            if acronym or (part[0].isupper() and not first):
                names.add(part.lower())
            first = False
    return names


def _name_in(name: str, text: str, words: set[str]) -> bool:
    """Whether a name occurs in ``text``, inflected or as its acronym.

    An inflected name shares all but its ending with the source word, so the
    common start must cover most of both words ("Қазақ" is not "Қазақстан").
    """
    for word in words:
        common = 0
        for a, b in zip(name, word, strict=False):
            if a != b:
                break
            common += 1
        need = max(3, len(name) - 3) if len(name) <= 5 else max(4, len(name) - 4)
        if common >= min(len(name), need) and len(word) - common <= 5:
            return True
    return len(name) >= 2 and (_acronym_of(name, text) or _compound_of(name, text))


def _compound_of(name: str, text: str) -> bool:
    """ "Нацгвардия" is in a text that says "Национальная гвардия": the start of
    one word joined to the next, as Russian and Kazakh shorten institutions."""
    words = _words(text)
    for first, second in itertools.pairwise(words):
        for cut in range(3, min(len(first), len(name) - 3) + 1):
            rest = name[cut:]
            if name.startswith(first[:cut]) and second.startswith(rest[:4]):
                return True
    return False


def _acronym_of(acronym: str, text: str) -> bool:
    """ "КНБ" is in a text that says "Комитет национальной безопасности"."""
    initials = "".join(w[0] for w in _words(text))
    return len(acronym) >= 2 and acronym.isalpha() and acronym in initials


def _core(text: str) -> str:
    return _NOT_ONLY.sub(" ", _ANSWER_WORD.sub("", text))


def polarity(text: str, lang: str) -> int:
    """0 or 1: whether one clause is negated, a prohibition counting as a negation.

    "does not permit" stands for "forbids", "does not prohibit" is the opposite
    of "prohibits". Repeated negations do not cancel out: "cannot and must not"
    retells "may not".
    """
    core = _core(text)
    negators = len(_NEGATORS.get(lang, _NEGATORS["en"]).findall(core))
    if lang == "kk":
        negators += sum(
            1 for w in _words(core) if w not in _KK_NOT_NEGATIVE and _KK_NEGATIVE_VERB.fullmatch(w)
        )
    if not negators and _CONCORD.get(lang, _CONCORD["en"]).search(core):
        negators = 1
    prohibitions = len(_PROHIBITION.get(lang, _PROHIBITION["en"]).findall(core))
    return int(bool(negators)) ^ int(bool(prohibitions))


# Words a negation passes over to reach the word it negates ("does not *fight*",
# "не *обязывает*"); Kazakh "емес"/"жоқ" negate the word before them instead.
_NEGATION_SKIP_TEXT = """
    the and any anyone anything one are was were been being does did have has had can
    could may might must should will would its all even yet always just very really
    that this for with from into longer through about how what whether who those them
    был была были было быть для при так это ещё еще уже совсем вовсе
"""
_NEGATION_SKIP = frozenset(_NEGATION_SKIP_TEXT.split())
_EN_NEGATORS = frozenset({"not", "no", "never", "cannot", "without", "nor", "neither"})
_EN_CONCORD = frozenset({"none", "nothing", "nobody", "nowhere"})
_RU_NEGATORS = frozenset({"не", "нет", "нельзя", "без", "вместо"})
# "емес" takes person endings: "міндетті емессің", "кінәлі емеспін".
_KK_AFTER = frozenset(
    {"емес", "емеспін", "емеспіз", "емессің", "емессіз", "емессіңдер", "емессіздер"}
    | {"жоқ", "орнына"}
)
# How many letters of a negated word must match: enough for case endings.
_SCOPE_STEM = 4
# A negation reaches this many content words after it ("not a reason to hate
# anyone or join anything"), and never past a comma, a colon or "but".
_SCOPE_WORDS = 3
_SCOPE_BREAK = re.compile(r"[,;:()—–]|\s(?:but|yet|а|но|зато|бірақ|ал|алайда)\s", re.I)


@dataclass(frozen=True, slots=True)
class _Scope:
    """What a text negates, negation by negation, and what it states plainly.

    ``negated`` holds, for each negation, the stems of the words it reaches,
    the negated word first (empty where no word was found); ``plain`` the
    stems of every other content word.
    """

    negated: tuple[tuple[str, ...], ...]
    plain: frozenset[str]

    def all_negated(self) -> set[str]:
        return {stem for group in self.negated for stem in group}


@_CACHED
def _scope(text: str, lang: str) -> _Scope:
    """Each negation of a text bound to the words it negates.

    Comparing whole clauses ("is it negated?") reads a dropped detail as a
    flipped claim: "Takfir is declaring a Muslim an unbeliever" leaves out the
    source's "and no longer a Muslim" but negates nothing. Bound to its words,
    a negation only counts where the other text says the same words.
    """
    groups: list[tuple[str, ...]] = []
    plain: set[str] = set()
    for segment in _SCOPE_BREAK.split(_core(text)):
        words = _words(segment)
        taken: set[int] = set()
        for i in range(len(words)):
            reach = _negation_reach(words, i, lang)
            if reach is None:
                continue
            taken.add(i)
            taken.update(reach)
            stems = []
            for j in reach:
                found = None
                if lang == "kk":
                    found = _KK_NEGATIVE_VERB.fullmatch(
                        words[j]
                    ) or _KK_NEGATIVE_IMPERATIVE.fullmatch(words[j])
                stems.append((found.group(1) if found and j == i else words[j])[:_SCOPE_STEM])
            groups.append(tuple(stems))
        plain.update(w[:_SCOPE_STEM] for i, w in enumerate(words) if i not in taken and len(w) >= 3)
    return _Scope(tuple(groups), frozenset(plain))


def _negation_reach(words: tuple[str, ...], i: int, lang: str) -> list[int] | None:
    """The positions of the words negated by ``words[i]``, or None if it is no negation."""
    word = words[i]

    def after(start: int) -> list[int]:
        found = []
        for j in range(start + 1, len(words)):
            if len(words[j]) >= 3 and words[j] not in _NEGATION_SKIP:
                found.append(j)
                if len(found) == _SCOPE_WORDS:
                    break
        return found

    if lang == "kk":
        if word in _KK_AFTER:
            # "табиғи емес мимика" negates one word; a predicate at the end
            # ("топқа кіруге себеп емес") the phrase before it, last word first.
            before = [j for j in range(i - 1, -1, -1) if len(words[j]) >= 3]
            return before[: _SCOPE_WORDS if i == len(words) - 1 else 1]
        found = _KK_NEGATIVE_VERB.fullmatch(word)
        if word not in _KK_NOT_NEGATIVE and found:
            return [i] if len(found.group(1)) >= 3 else []
        imperative = _KK_NEGATIVE_IMPERATIVE.fullmatch(word)
        closes = i == len(words) - 1 or words[i + 1] in ("және", "немесе", "да", "де", "әрі")
        if closes and imperative and word not in _KK_NOT_IMPERATIVE:
            return [i]
        return None
    if lang == "ru":
        if word in _RU_NEGATORS:
            return after(i) + ([i - 1] if word == "нет" and i > 0 else [])
        return None
    if word in ("rather", "instead") and i + 1 < len(words) and words[i + 1] in ("than", "of"):
        return after(i + 1)
    n_t = word == "t" and i > 0 and words[i - 1].endswith("n")
    if word in _EN_NEGATORS or word in _EN_CONCORD or n_t:
        return after(i)
    return None


def _stated(stem: str, stems: Iterable[str]) -> bool:
    return any(s.startswith(stem) or (len(s) >= 3 and stem.startswith(s)) for s in stems)


def _is_claim_word(stem: str, lang: str) -> bool:
    """Whether a stem is one of the claim words ("banned", "compulsory", …)."""
    groups = _CLAIM_WORDS.get(lang, _CLAIM_WORDS["en"]).split()
    return any(w[:_SCOPE_STEM] == stem for g in groups for w in g.split("|") if len(w) >= 3)


def _negation_differs(clause: str, aligned: str, source: str, lang: str) -> bool:
    """Whether the clause negates what its source states, or states what it negates.

    A word the clause negates is looked up in the aligned text, a word the
    closest source clause (``source``) negates in the clause. Where a negation
    cannot be placed that way (its word retold by a synonym, a verb as a noun)
    the polarity of the whole clause is compared with that of ``source``.
    """
    mine, theirs, near = _scope(clause, lang), _scope(aligned, lang), _scope(source, lang)
    their_negated, my_negated = theirs.all_negated(), mine.all_negated()
    my_words = mine.plain | my_negated
    near_open = [g for g in near.negated if not any(_stated(t, my_words) for t in g)]
    my_open = False
    for group in mine.negated:
        head = group[0] if group else ""
        if head and _stated(head, their_negated):
            continue
        if head and _is_claim_word(head, lang) and _stated(head, near.plain):
            return True  # "does not ban" where the source says "bans"
        if any(_stated(t, their_negated) for t in group):
            continue  # the same negation, its first word retold
        if head and _stated(head, near.plain) and not near_open:
            return True
        my_open = True
    bans = bool(_PROHIBITION.get(lang, _PROHIBITION["en"]).search(_core(clause)))
    for group in near.negated:
        if any(_stated(t, my_negated) for t in group):
            continue  # the clause keeps this negation
        if bans:
            my_open = True  # "forbids" may retell "does not allow": compare polarity
            continue
        for stem in group:
            stated_here = _stated(stem, mine.plain) and not _stated(stem, my_negated)
            if stated_here and not _stated(stem, near.plain) and not my_open:
                return True
    return my_open and polarity(clause, lang) != polarity(source, lang)


def _has(stem_list: str, words: Iterable[str]) -> bool:
    starts = stem_list.split()
    return any(w.startswith(s) for w in words for s in starts)


def _claim_stems(text: str, lang: str) -> set[str]:
    """The claim words of a text, each named by the first word of its synonym group."""
    found = set()
    lowered = text.lower()
    tokens = set(_words(text))
    for group in _CLAIM_WORDS.get(lang, _CLAIM_WORDS["en"]).split():
        for stem in group.split("|"):
            if "-" in stem:
                hit = stem.replace("-", " ") in lowered or stem in lowered
            elif len(stem) <= 3 or stem in ("все", "всё", "всех", "бәрі", "көбі"):
                hit = stem in tokens
            else:
                hit = any(t.startswith(stem) for t in tokens)
            if hit:
                found.add(group.split("|")[0])
                break
    return found


def _antonym(sentence: str, source: str, lang: str) -> str | None:
    """A word whose opposite, not the word itself, is in the source."""
    mine, theirs = set(_words(sentence)), set(_words(source))
    for left, right in _ANTONYMS.get(lang, _ANTONYMS["en"]):
        for side, other in ((left, right), (right, left)):
            if _has(side, mine) and not _has(side, theirs) and _has(other, theirs):
                return side.split()[0]
    return None


@_CACHED
def _article_clauses(text: str, lang: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Each article number with the content words of the clause it stands in.

    Clauses are cut where claims are ("…, а статья 7 — …"), so two articles
    of one sentence keep what each of them says.
    """
    found = []
    for sentence in _split_plain(text):
        for part in clauses(sentence, lang):
            words = stems(_ARTICLE.sub(" ", part))  # "бабына", "статье" say nothing
            for match in _ARTICLE.finditer(part):
                found.append((match.group(1) or match.group(2), words))
    return tuple(found)


def _articles_swapped(sentence: str, aligned: str, unit: str, lang: str) -> str | None:
    """An article number attached to what another article says.

    Each article of the clause is compared with the articles of its aligned
    sentence (of the whole unit when that sentence does not name it): the
    clause of the source it shares most words with must be its own, unless
    the two are close. Words that every article clause of the source has
    ("Criminal Code") decide nothing.
    """
    near, whole = _article_clauses(aligned, lang), _article_clauses(unit, lang)
    for number, words in _article_clauses(sentence, lang):
        source = near if any(n == number for n, _ in near) else whole
        if len({n for n, _ in source}) < 2:
            continue
        framing = frozenset.intersection(*(w for _, w in source))
        mine = words - framing
        own = [w - framing for n, w in source if n == number]
        other = [w - framing for n, w in source if n != number]
        if not own or not mine:
            continue
        # Twice as close to another article: a clause that elides its verb
        # ("…, and inciting discord under Article 174") shares less with its own.
        theirs, ours = max(len(mine & w) for w in other), max(len(mine & w) for w in own)
        if theirs > ours and (not ours or theirs >= 2 * ours):
            return number
    return None


def _source_clause(clause: str, aligned: str, lang: str) -> str:
    """The clause of the aligned text that shares most words with ``clause``."""
    mine = stems(clause)
    options = [c for s in _split_plain(aligned) for c in clauses(s, lang)]
    return max(options, key=lambda c: len(mine & stems(c)), default=aligned)


def _split_plain(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def examples_echoed(sentence: str, examples: tuple[str, ...]) -> bool:
    """The sentence repeats an example line (a recruiter's words) outside quotes."""
    for example in examples:
        quote = _example_text(example)
        if quote and _echoes(sentence, quote) and not _QUOTED.search(sentence):
            return True
    return False


def verify(
    sentence: str,
    aligned: str,
    unit: str,
    examples: tuple[str, ...],
    lang: str,
    closest: str | None = None,
    heading: str = "",
) -> Verdict:
    """Check one clause, ``sentence``, against its ``aligned`` source text and its ``unit``.

    ``closest`` is the single closest source sentence (``aligned`` may join
    two); the polarity of the clause is compared with the clause of it that
    shares most words, or of ``aligned`` when it is not given. ``heading`` is
    the unit's title and question: the event they name ("9/11", "11 сентября")
    may be named in a clause although the unit's sentences do not repeat it.
    """
    if examples_echoed(sentence, examples):
        return Verdict(False, "repeats an example line as its own words")
    known = _event_names(f"{heading} {aligned}")
    unknown = {e for e in _EVENT_NAME.findall(sentence) if e not in known}
    if unknown:
        return Verdict(False, f"name not in its source: {sorted(unknown)[0]}")
    missing = _numbers(_without_events(sentence, known), lang) - _numbers(aligned, lang)
    if missing:
        return Verdict(False, f"number not in its source: {sorted(missing)[0]}")
    swapped = _articles_swapped(sentence, aligned, unit, lang)
    if swapped:
        return Verdict(False, f"article {swapped} says something else in its source")
    source_words = set(_words(aligned))
    new_names = {n for n in _names(sentence) if not _name_in(n, aligned, source_words)}
    if new_names:
        return Verdict(False, f"name not in its source: {sorted(new_names)[0]}")
    source = _source_clause(sentence, closest or aligned, lang)
    if _negation_differs(sentence, aligned, source, lang):
        return Verdict(False, "negation differs from its source")
    theirs = _claim_stems(aligned, lang)
    ban, allow = _BAN_AND_ALLOW.get(lang, _BAN_AND_ALLOW["en"])
    if allow in theirs and polarity(source, lang):
        theirs.add(ban)  # "does not allow" is what "bans" retells
    new_claims = _claim_stems(sentence, lang) - theirs
    if new_claims:
        return Verdict(False, f"claim word not in its source: {sorted(new_claims)[0]}")
    opposite = _antonym(sentence, aligned, lang)
    if opposite:
        return Verdict(False, f"says the opposite of its source: {opposite}")
    # A name already matched to the unit (an abbreviation, an inflected form) and
    # the words of the unit's own heading are not new.
    unit_words = set(_words(unit))
    named = {n[:NOVELTY_STEM] for n in _names(sentence) if _name_in(n, unit, unit_words)}
    own = _content(sentence)
    new = own - _content(f"{unit} {heading}") - named
    if own and 1 - len(new) / len(own) < MIN_UNIT_OVERLAP:
        return Verdict(False, "adds words its unit does not have")
    if own and len(own & _content(aligned)) / len(own) < MIN_ALIGNED_OVERLAP:
        return Verdict(False, "says little of what its source sentence says")
    return Verdict(True)


def _example_text(line: str) -> str:
    return line.lstrip("> ").strip().strip("«»“”\"'").strip()


def _echoes(sentence: str, quote: str) -> bool:
    """Most of an example line's content words appear in the sentence."""
    quoted = stems(quote)
    return bool(quoted) and len(quoted & stems(sentence)) / len(quoted) >= 0.5
