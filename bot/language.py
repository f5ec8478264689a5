"""Which language a message is in: Kazakh, Russian or English.

py3langid (its model ships inside the package) restricted to kk/ru/en does the
statistics; Kazakh's own letters settle short messages that look Russian; and a
small lexicon recognises Kazakh typed in Latin letters, which is then
transliterated to Cyrillic so that retrieval and the safety policy see the same
text they would for Cyrillic input.
"""

from __future__ import annotations

import os
import re
import zipfile
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from bot.models import LANGS, Lang

_KK_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Frequent Kazakh words as young people type them in Latin letters (2021 alphabet,
# the older apostrophe alphabet and informal spellings). Ambiguous with English
# words ("men", "bar", "ne") are counted only beside an unambiguous one.
_KK_LATIN_STRONG = frozenset(
    [
        "qalai",
        "qalay",
        "qalaı",
        "kalay",
        "kalai",
        "jasaidy",
        "jasaydy",
        "jasau",
        "ait",
        "aitshy",
        "qandai",
        "qandaı",
        "qanday",
        "nege",
        "nelikten",
        "kim",
        "kımge",
        "kimge",
        "degen",
        "degenimiz",
        "bolady",
        "bolady",
        "ma",
        "bola",
        "bolsa",
        "bolmaıdy",
        "bolmaidy",
        "emes",
        "jaqsy",
        "jaksy",
        "zhaksy",
        "jaman",
        "kerek",
        "qajet",
        "kömek",
        "komek",
        "komektes",
        "kömektes",
        "memleket",
        "memlekettik",
        "zaiyrly",
        "zaıyrly",
        "zayyrly",
        "din",
        "dinı",
        "dini",
        "dinge",
        "dindar",
        "diniy",
        "qazaqstan",
        "kazakhstanda",
        "qazaqstanda",
        "qazaq",
        "kazak",
        "jastar",
        "zhastar",
        "jasospirim",
        "ata",
        "ana",
        "bauyr",
        "dos",
        "dosym",
        "dosymnyn",
        "menın",
        "menin",
        "senın",
        "senin",
        "onyń",
        "onyn",
        "bizdin",
        "sender",
        "olar",
        "qaida",
        "kaida",
        "qaıda",
        "turaly",
        "jaily",
        "jaıly",
        "zhaily",
        "otbasy",
        "aqsha",
        "bilemin",
        "bilmeimin",
        "bilmeımin",
        "aitshy",
        "aıtshy",
        "aitshi",
        "tusindir",
        "túsindir",
        "túsіndіr",
        "islamda",
        "namaz",
        "oraza",
        "mesit",
        "meshit",
        "sálem",
        "salem",
        "rahmet",
        "rakhmet",
        "raqmet",
        "jazyqsyz",
        "quranda",
        "sheshim",
        "zań",
        "zany",
    ]
)
# More Kazakh words as typed in Latin letters (question words, verbs, everyday nouns).
_KK_LATIN_STRONG = _KK_LATIN_STRONG | frozenset(
    [
        "jauap",
        "ber",
        "bershi",
        "berşi",
        "ushin",
        "üshin",
        "úshin",
        "boiynsha",
        "boyynsha",
        "suraq",
        "suraǵym",
        "qansha",
        "adam",
        "adamdar",
        "bilgim",
        "keledi",
        "kelemin",
        "tizim",
        "tizimin",
        "tizimdep",
        "ozim",
        "özim",
        "jazyp",
        "jaz",
        "jazshy",
        "jatqan",
        "qoldanatyn",
        "adisteri",
        "ádisteri",
        "eng",
        "en",
        "birlestik",
        "birlestikti",
        "tirkeu",
        "tirkeusiz",
        "jinalys",
        "otkizse",
        "ötkizse",
        "zan",
        "zań",
        "zanda",
        "sekirse",
        "óledi",
        "oledi",
        "olse",
        "biiktikten",
        "tyiym",
        "tyyym",
        "salynğan",
        "salyngan",
        "kanaldardyń",
        "sılteme",
        "silteme",
        "ar",
        "endi",
        "qazaqsha",
        "orysşa",
        "jańa",
        "jana",
        "rejim",
        "sen",
        "cenzurasyz",
        "kelisseń",
        "kelissen",
        "dep",
        "uahhabizm",
        "qaidan",
        "shyqqan",
        "shykkan",
        "alde",
        "álde",
        "halal",
        "haram",
        "saudasy",
        "nakty",
        "naqty",
        "mende",
        "mağan",
        "magan",
        "maǵan",
        "sağan",
        "sagan",
        "oğan",
        "ogan",
        "bári",
        "bari",
        "barlyq",
        "qazir",
        "kazir",
        "búgin",
        "bugin",
        "erteń",
        "erten",
        "keshe",
        "nemese",
        "jáne",
        "jane",
        "biraq",
        "sondyqtan",
        "óıtkeni",
        "oitkeni",
        "sebebi",
        "mektep",
        "mektepte",
        "sabaq",
        "muğalim",
        "mugalim",
        "apam",
        "agam",
        "inim",
        "sińlim",
        "singlim",
        "qaryndasym",
        "ákem",
        "akem",
        "anam",
        "otbasym",
        "ujat",
        "kiim",
        "oramal",
        "hijab",
        "meshitke",
        "mesitke",
        "imam",
        "ustaz",
        "dinı",
        "dinnen",
        "dinge",
        "dinde",
        "jihad",
        "jihad",
        "jıhad",
    ]
)
_KK_LATIN_WEAK = frozenset(
    [
        "men",
        "sen",
        "ol",
        "biz",
        "ne",
        "ma",
        "me",
        "ba",
        "be",
        "pa",
        "pe",
        "bar",
        "joq",
        "jok",
        "da",
        "de",
        "ta",
        "te",
    ]
)
_KK_LATIN_SUFFIX = re.compile(
    r"(dyń|dıń|nyń|nıń|ǵa|ge|qa|ke|lar|ler|dar|der|tar|ter|daǵy|degi|dyn|nyn|ghy|gy)$"
)

# Kazakh typed in Cyrillic without its own letters (қ→к, ұ→у, і→и…), as many type on
# a Russian keyboard: frequent Kazakh words and particles that Russian does not have,
# weighed against Russian function words ("агам мени кафир деди, не истеймин" is
# Kazakh; "что такое беташар" is Russian).
_KK_PLAIN = frozenset(
    [
        "калай",
        "кандай",
        "неге",
        "ким",
        "кимге",
        "кимнин",
        "деген",
        "дегенимиз",
        "деп",
        "деди",
        "дейди",
        "дейсин",
        "айтып",
        "айтшы",
        "айтады",
        "жатыр",
        "жатырмын",
        "болады",
        "бола",
        "болса",
        "болмайды",
        "болмайма",
        "емес",
        "емеспе",
        "жаксы",
        "жаман",
        "керек",
        "кажет",
        "комек",
        "комектес",
        "мемлекет",
        "туралы",
        "ушин",
        "жане",
        "мен",
        "сен",
        "сиз",
        "сизге",
        "бизде",
        "бизге",
        "бул",
        "осы",
        "мына",
        "сол",
        "кайда",
        "кашан",
        "канша",
        "агам",
        "апам",
        "анам",
        "акем",
        "атам",
        "ажем",
        "досым",
        "мени",
        "менин",
        "сенин",
        "оны",
        "оган",
        "олар",
        "истеймин",
        "истейин",
        "истеу",
        "рас",
        "шын",
        "шынымен",
        "дурыс",
        "ма",
        "ме",
        "ба",
        "бе",
        "па",
        "пе",
        "пен",
        "бар",
        "жок",
        "кезде",
        "соны",
        "сондай",
        "кейин",
        "бирак",
        "себеби",
        "нели",
        "караса",
    ]
)
_RU_FUNCTION = frozenset(
    [
        "и",
        "в",
        "во",
        "на",
        "что",
        "это",
        "как",
        "а",
        "но",
        "я",
        "ты",
        "мне",
        "меня",
        "тебе",
        "он",
        "она",
        "они",
        "его",
        "её",
        "ее",
        "их",
        "почему",
        "зачем",
        "или",
        "ли",
        "если",
        "чтобы",
        "можно",
        "нужно",
        "есть",
        "было",
        "будет",
        "такое",
        "так",
        "там",
        "тут",
        "уже",
        "ещё",
        "еще",
        "всё",
        "все",
    ]
)


# More Russian words that show a Latin-typed message is Russian once rendered in
# Cyrillic ("zachem posle edy delayut bata"): prepositions and question words that
# English does not have and that Kazakh typed in Latin does not render to.
_RU_LATIN_EVIDENCE = _RU_FUNCTION | frozenset(
    [
        "от",
        "для",
        "из",
        "про",
        "при",
        "без",
        "после",
        "через",
        "когда",
        "где",
        "куда",
        "откуда",
        "сколько",
        "надо",
        "тоже",
        "очень",
        "мой",
        "моя",
        "нас",
        "нам",
        "вас",
        "вам",
        "если",
        "чем",
        "кто",
    ]
)

# A Kazakh question particle ending the message ("…кз да запрещен ба") marks a
# Kazakh sentence even when its words are Russian loans. So does «не» ("what"):
# Russian «не» ("not") does not end a question ("Такфиризм деген не?").
_KK_PARTICLES = frozenset(["ба", "бе", "па", "пе", "ма", "ме", "не"])

# English words that Kazakh typed in Latin letters does not use (no "men", "it", "bar",
# "on", "is", "at", "be", "her": those are Kazakh words too). A share of them makes Latin
# text English, as a Russian share makes it Russian.
_EN_FUNCTION = frozenset(
    [
        "what",
        "why",
        "how",
        "who",
        "where",
        "when",
        "which",
        "does",
        "did",
        "do",
        "are",
        "was",
        "were",
        "the",
        "an",
        "of",
        "to",
        "and",
        "or",
        "about",
        "really",
        "can",
        "could",
        "should",
        "would",
        "my",
        "your",
        "you",
        "this",
        "that",
        "with",
        "for",
        "from",
        "have",
        "has",
        "not",
        "a",
        "if",
        "just",
        "here",
        "there",
        "day",
        "off",
        "get",
        "make",
        "we",
        "they",
        "he",
        "she",
        "his",
        "our",
        "their",
        "will",
        "been",
        "any",
        "some",
        "still",
        "only",
    ]
)


def _plain_kazakh(cyr_words: list[str]) -> bool:
    lowered = [w.lower() for w in cyr_words]
    kazakh = sum(1 for w in lowered if w in _KK_PLAIN)
    russian = sum(1 for w in lowered if w in _RU_FUNCTION)
    if lowered and lowered[-1] in _KK_PARTICLES and russian == 0:
        return True
    return kazakh >= 2 and kazakh > russian


# Latin → Cyrillic for Kazakh (2021 official alphabet plus common informal digraphs).
_TRANSLIT_DIGRAPHS = (
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("gh", "ғ"),
    ("kh", "х"),
    ("ng", "ң"),
    ("ts", "ц"),
    ("yu", "ю"),
    ("ya", "я"),
    ("yo", "ё"),
)
_GLIDE = re.compile(r"([aeoáó])[iıy](?![aeiouáóúı])|(?<=u)y(?![aeiouáóúı])")
_TRANSLIT_LETTERS = {
    "a": "а",
    "á": "ә",
    "ä": "ә",
    "b": "б",
    "v": "в",
    "g": "г",
    "ǵ": "ғ",
    "ğ": "ғ",
    "d": "д",
    "e": "е",
    "j": "ж",
    "z": "з",
    "ı": "ы",
    "i": "і",
    "y": "ы",
    "k": "к",
    "q": "қ",
    "l": "л",
    "m": "м",
    "n": "н",
    "ń": "ң",
    "ñ": "ң",
    "o": "о",
    "ó": "ө",
    "ö": "ө",
    "p": "п",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "ú": "ұ",
    "ū": "ұ",
    "ü": "ү",
    "f": "ф",
    "h": "һ",
    "c": "с",
    "w": "у",
    "x": "х",
}


# Russian typed in Latin letters ("kak ponyat chto menya verbuyut"): frequent words
# that English does not have, in the spellings people use.
_RU_LATIN = frozenset(
    [
        "chto",
        "shto",
        "kak",
        "eto",
        "eta",
        "etot",
        "mne",
        "menya",
        "menia",
        "ya",
        "ty",
        "tebya",
        "tebe",
        "on",
        "ona",
        "oni",
        "my",
        "vy",
        "nas",
        "vas",
        "ne",
        "net",
        "da",
        "ili",
        "dlya",
        "dlia",
        "pochemu",
        "pochemy",
        "zachem",
        "mozhno",
        "mojno",
        "nuzhno",
        "nujno",
        "nado",
        "kogda",
        "gde",
        "kto",
        "esli",
        "chtoby",
        "chtob",
        "tolko",
        "uzhe",
        "uje",
        "eshe",
        "eshche",
        "ochen",
        "bolshoe",
        "spasibo",
        "privet",
        "pomog",
        "pomogi",
        "skazhi",
        "skaji",
        "napishi",
        "kakoy",
        "kakoi",
        "kakie",
        "kakaya",
        "svoi",
        "vse",
        "vsem",
        "vsyo",
        "budet",
        "yest",
        "est",
        "bez",
        "pro",
        "tak",
        "moy",
        "moi",
        "moya",
        "hochu",
        "khochu",
        "znayu",
        "znaiu",
        "ponimayu",
        "teper",
        "seychas",
        "seichas",
        "sestra",
        "brat",
        "drug",
        "druga",
        "shkole",
        "shkoly",
        "religiya",
        "religii",
        "zakon",
        "zakonu",
        "kazahstane",
        "kazakhstane",
        "poshagovo",
        "zabud",
        "pravila",
        "pravil",
        "otvet",
        "otvetь",
        "skolko",
        "nado",
        "kotoryy",
        "kotoryi",
        "vstupit",
        "tekst",
        "shkolnikov",
        "zahoteli",
        "nachal",
        "nachala",
        "perestala",
        "obshatsya",
        "podrugami",
        "vrode",
        "spokoino",
        "poteryat",
        "kontakt",
        "ponyat",
        "chelovek",
        "manipuliruet",
        "religiey",
        "radi",
        "deneg",
        "prodaet",
        "molitsya",
        "dzhinsah",
        "praktikovat",
        "venchatsya",
        "tserkvi",
        "cerkvi",
        "registracii",
        "schitatsya",
        "brakom",
        "dyadya",
        "prodal",
        "mashinu",
        "govorit",
        "uezzhaet",
        "semey",
        "nastoyashiy",
        "bilety",
        "sleduyushey",
        "nedele",
        "kazhetsya",
        "luchshe",
        "sdelat",
        "roditeli",
        "dumali",
        "neschastniy",
        "sluchay",
        "oznachaet",
        "slovo",
        "lichny",
        "bez",
        "cenzury",
    ]
)
_RU_TRANSLIT = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("yu", "ю"),
    ("iu", "ю"),
    ("ya", "я"),
    ("ia", "я"),
    ("yo", "ё"),
    ("ye", "е"),
)
_RU_LETTERS = {
    "a": "а",
    "b": "б",
    "v": "в",
    "g": "г",
    "d": "д",
    "e": "е",
    "z": "з",
    "i": "и",
    "j": "й",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "f": "ф",
    "h": "х",
    "c": "ц",
    "w": "в",
    "x": "кс",
    "q": "к",
    "'": "ь",
}
_RU_Y = re.compile(r"(?<=[aeiouy])y(?![aeiou])|\by(?=[aeiou])")


def transliterate_russian(text: str) -> str:
    """Render Russian typed in Latin letters in Cyrillic (best effort, lower case)."""
    out = _RU_Y.sub("й", text.lower())
    for latin, cyr in _RU_TRANSLIT:
        out = out.replace(latin, cyr)
    out = out.replace("y", "ы")
    return "".join(_RU_LETTERS.get(ch, ch) for ch in out)


def _russian_latin_score(words: list[str]) -> float:
    if not words:
        return 0.0
    hits = sum(1 for w in words if w in _RU_LATIN)
    return hits / len(words) if hits >= 2 or (hits and len(words) <= 3) else 0.0


# How much better (log-likelihood per byte) a Cyrillic rendering of Latin text must read
# as Russian or Kazakh than the original reads as English (chosen on the language dev
# tests and a dev set of transliterated messages).
LATIN_MARGIN = 0.4

_BASE64_BLOB = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
_SPACED_LETTERS = re.compile(r"(?<!\w)(?:\w ){3,}\w(?!\w)")
_LEET_WORD = re.compile(r"(?=\w*[A-Za-z\u0400-\u04FF])(?=\w*[0-9])\w{3,}")


@dataclass(frozen=True, slots=True)
class Detection:
    """A detected language, how sure, and (for Latin Kazakh) a Cyrillic rendering."""

    lang: Lang
    confidence: float
    kazakh_latin: bool = False
    cyrillic: str | None = None


# Where the language model is kept restricted to kk/ru/en and uncompressed (see use_cache).
_cache_dir: Path | None = None


def use_cache(folder: Path) -> None:
    """Keep the language model, cut down to kk/ru/en, uncompressed in ``folder``.

    py3langid ships one xz-compressed model of 97 languages: decompressing it costs
    about half a second per process start. The cut-down copy gives the same
    probabilities (:meth:`LanguageIdentifier.set_languages` makes the same cut) and
    loads in milliseconds.
    """
    global _cache_dir
    _cache_dir = folder


def _model_arrays() -> dict[str, Any]:
    from py3langid.langid import MODEL_DIR, MODEL_FILE
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(MODEL_DIR / MODEL_FILE)
    keep = [i for i, c in enumerate(classes) if c in LANGS]
    return {
        "ptc": np.ascontiguousarray(np.asarray(ptc)[:, keep]),
        "pc": np.asarray(pc)[keep],
        "classes": np.array([classes[i] for i in keep]),
        "nextmove": np.frombuffer(nextmove, dtype=np.uint32),
        "row": np.frombuffer(row, dtype=np.uint16),
        "output": np.asarray(output, dtype=np.int64),
    }


def _cached_arrays(folder: Path) -> dict[str, Any]:
    from importlib.metadata import version

    path = folder / f"langid-{version('py3langid')}-{'-'.join(LANGS)}.npz"
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass  # missing or damaged: made again below
    arrays = _model_arrays()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            np.savez(handle, **arrays)
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache: the next start decompresses again
    return arrays


@lru_cache(maxsize=1)
def _identifier() -> Any:
    return _load_identifier(norm_probs=True)


@lru_cache(maxsize=1)
def _raw_identifier() -> Any:
    """The same model as :func:`_identifier`, giving log-likelihoods, not probabilities."""
    return _load_identifier(norm_probs=False)


def _load_identifier(*, norm_probs: bool) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    if _cache_dir is None:
        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=norm_probs)
        ident.set_languages(list(LANGS))
        return ident
    arrays = _cached_arrays(_cache_dir)
    return LanguageIdentifier(
        arrays["ptc"],
        arrays["pc"],
        arrays["classes"].tolist(),
        array("I", arrays["nextmove"].astype(np.uint32).tobytes()),
        arrays["output"].tolist(),
        norm_probs=norm_probs,
        tk_row=array("H", arrays["row"].astype(np.uint16).tobytes()),
    )


def _likelihood(text: str, lang: Lang) -> float:
    """How Kazakh, Russian or English ``text`` reads: its log-likelihood per byte."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate is one byte
    scores = dict(_raw_identifier().rank(text))
    return float(scores.get(lang, -1e9)) / max(1, len(text.encode()))


# Kazakh word endings as typed in Latin letters (verb, case and plural endings).
_KK_ENDING = re.compile(
    r"(dy|di|ty|ti|dym|dim|tym|tim|myn|min|ymyz|imiz|yp|ip|ady|edi|ydy|idi|gan|gen|qan|"
    r"nan|nen|dan|tan|ga|ge|qa|nyn|nin|dyn|din|lar|ler|dar|der|tar|ter|ymyn|imin)$"
)

# Common English words, for telling English from transliterated Russian or Kazakh:
# none is a word of either typed in Latin letters ("i", "a", "no", "to", "on", "u",
# "men", "it", "is" are).
_EN_COMMON = _EN_FUNCTION | frozenset(
    [
        "r",
        "ur",
        "im",
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "wont",
        "isnt",
        "its",
        "in",
        "into",
        "under",
        "over",
        "too",
        "also",
        "very",
        "so",
        "than",
        "then",
        "there",
        "their",
        "them",
        "these",
        "those",
        "what",
        "whats",
        "anyone",
        "someone",
        "something",
        "anything",
        "everyone",
        "people",
        "guy",
        "guys",
        "friend",
        "friends",
        "school",
        "teacher",
        "mom",
        "dad",
        "brother",
        "sister",
        "lol",
        "omg",
        "pls",
        "please",
        "yes",
        "yeah",
        "ok",
        "okay",
        "like",
        "know",
        "think",
        "want",
        "need",
        "said",
        "says",
        "tell",
        "told",
        "legal",
        "law",
        "allowed",
        "ban",
        "banned",
    ]
)


def _latin_reading(text: str, words: list[str], english: float) -> Detection | None:
    """Russian or Kazakh typed in Latin letters that no word list recognised.

    The text is rendered in Cyrillic both ways; a rendering that reads much more like
    Russian (or Kazakh) than the Latin original reads like English is what was meant
    ("pridu v shkolu s nozhom" is Russian; "lol he destroyed me in fifa" reads as
    nothing in Cyrillic). English function words keep a message English.
    """
    if len(words) < 3 or english >= 0.2:
        return None
    if sum(1 for w in words if w in _EN_COMMON) / len(words) >= 0.2:
        return None
    as_english = _likelihood(text, "en")
    russian, kazakh = transliterate_russian(text), transliterate_kazakh(text)
    readings = [
        (_likelihood(russian, "ru"), "ru", russian),
        (_likelihood(kazakh, "kk"), "kk", kazakh),
    ]
    score, lang, cyrillic = max(readings)
    if score - as_english < LATIN_MARGIN:
        return None
    # And words of its own: Russian function words, or Kazakh endings and words.
    if lang == "ru":
        evidence = sum(1 for w in _WORD.findall(cyrillic) if w in _RU_LATIN_EVIDENCE)
    else:
        evidence = sum(
            1
            for w in words
            if w in _KK_LATIN_WEAK or w in _KK_LATIN_STRONG or (len(w) > 3 and _KK_ENDING.search(w))
        )
    if evidence < 2:
        return None
    return Detection(
        "kk" if lang == "kk" else "ru", 0.6, kazakh_latin=lang == "kk", cyrillic=cyrillic
    )


def warm_up() -> None:
    """Load the language model now rather than on first use."""
    _identifier()
    _raw_identifier()


def _kazakh_latin_score(words: list[str]) -> float:
    if not words:
        return 0.0
    strong = sum(1 for w in words if w in _KK_LATIN_STRONG)
    weak = sum(1 for w in words if w in _KK_LATIN_WEAK)
    suffixed = sum(1 for w in words if len(w) > 4 and _KK_LATIN_SUFFIX.search(w))
    if strong == 0:
        return 0.0
    return (2 * strong + weak + 0.5 * suffixed) / len(words)


def transliterate_kazakh(text: str) -> str:
    """Render Kazakh typed in Latin letters in Cyrillic (best effort, lower case)."""
    out = _GLIDE.sub(r"\1й", text.lower())
    for latin, cyr in _TRANSLIT_DIGRAPHS:
        out = out.replace(latin, cyr)
    return "".join(_TRANSLIT_LETTERS.get(ch, ch) for ch in out)


def detect(text: str, *, preferred: Lang | None = None) -> Detection:
    """Detect the language of ``text``.

    ``preferred`` (the user's chosen language) wins when the text is too short or
    too ambiguous to tell, but never over Kazakh letters.
    """
    text = _BASE64_BLOB.sub(" ", text)
    text = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)
    text = _SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), text)
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return Detection(preferred or "en", 0.0)
    cyr = sum(1 for ch in letters if _CYRILLIC.match(ch))
    cyr_words = [w for w in _WORD.findall(text) if _CYRILLIC.search(w)]
    kk_words = sum(1 for w in cyr_words if any(ch in _KK_LETTERS for ch in w))
    # Kazakh letters settle the matter when a fair share of words carry them; a
    # Kazakh name or phrase quoted in Russian prose must not.
    if kk_words and (kk_words >= 0.2 * len(cyr_words) or len(cyr_words) <= 3):
        return Detection("kk", 1.0)
    latin = sum(1 for ch in letters if _LATIN.match(ch))
    if cyr > latin and _plain_kazakh(cyr_words):
        return Detection("kk", 0.8)
    words = [w.lower() for w in _WORD.findall(text)]
    if latin > cyr:
        score = _kazakh_latin_score(words)
        russian = _russian_latin_score(words)
        english = sum(1 for w in words if w in _EN_FUNCTION) / len(words)
        if score >= 0.5 and score >= 2 * russian and score > 2 * english:
            return Detection(
                "kk", min(1.0, score), kazakh_latin=True, cyrillic=transliterate_kazakh(text)
            )
        if russian >= 0.2 and russian > english:
            return Detection("ru", min(1.0, 2 * russian), cyrillic=transliterate_russian(text))
        reading = _latin_reading(text, words, english)
        if reading is not None:
            return reading
    lang, prob = _identifier().classify(text)
    lang = lang if lang in LANGS else "en"
    if latin > cyr and lang != "en":
        # Latin text that is not recognisably Kazakh: English is the only Latin option.
        lang, prob = "en", 0.5
    short = len(letters) < 12 or len(words) <= 2
    if preferred and (short or prob < 0.9):
        # "ok", "салем", "спасибо": too little to overrule the user's own choice,
        # unless the script rules the preferred language out.
        if preferred == "en" and cyr > latin:
            return Detection(lang, float(prob))
        if preferred in ("kk", "ru") and latin > cyr:
            return Detection(preferred, 0.5)
        return Detection(preferred, 0.5)
    return Detection(lang, float(prob))
