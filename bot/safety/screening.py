"""Screening corpus text before it can reach a young person as a vetted source.

An imported leaflet or web page may carry lines nobody reviewed: a note
addressed to the assistant, a link to a channel, "subscribe and don't tell your
parents", a propaganda claim. Every sentence of a document's answer units is
screened when it is imported, validated and published, and the engine never
quotes a unit that has such a line.

What is flagged, in kk, ru and en:

- **links and contacts** anywhere in the text (sources belong in the front
  matter's source list, never in the answer): URLs, ``t.me/…``, invite links,
  @handles, phone numbers other than the emergency numbers;
- **instructions to an assistant** (system notes, "ignore the rules", "the bot
  must recommend …");
- **calls to secrecy, to join, subscribe, donate, travel or repost**, in the
  text's own voice — the same words inside quotation marks or on an example
  line are a quotation the unit teaches to recognise;
- **claims recruiters make**, stated as fact: a "true believer" does not obey
  secular law, democracy or voting is unbelief, only one group will be saved;
- anything the policy's **output rules** refuse (calls to violence, ranking faiths…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.knowledge.sentences import split_sentences
from bot.safety import normalize
from bot.safety.rules import Rule, load_rules

_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|„[^“”]*[“”]|\"[^\"]*\"")
_MIN_WORDS = 4  # fewer own words than this: nothing for the model to read
_EMERGENCY = re.compile(r"\b1(?:0[1-4]|1[1-2])\b")

_LINK = re.compile(
    r"(?:https?://|www\.)\S+|\b(?:t|telegram)\.me/\S+|\bchat\.whatsapp\.com/\S+"
    r"|\bdiscord\.gg/\S+|\b(?:vk|instagram|tiktok|youtube)\.com/\S+|(?<![\w.])@[A-Za-z]\w{3,}"
    r"|\+\d[\d\s().-]{9,}\d|\b8[\s(-]*7\d\d[\s)-]*\d{3}[\s-]*\d\d[\s-]*\d\d\b",
    re.I,
)
_FAMILIES: dict[str, tuple[str, ...]] = {
    "an instruction to the assistant": (
        r"\b(system|developer) (note|prompt|message|instruction)s?\b",
        r"\b(note|instruction|message|directive)s? (to|for) (the )?(assistant|ai|model"
        r"|bot|chatbot)\b",
        r"\b(assistant|ai|model|bot|chatbot)s?,? (must|should|always|never|shall) \w+",
        r"\bignore (all |any |the )?(previous|prior|above|earlier|other) (instructions|rules)\b",
        r"(примечание|инструкция|указание|сообщение|заметка) (для|к) (ассистент|бот|ии\b"
        r"|модел|нейросет)",
        r"систем\w* (примечание|инструкц|сообщение|промпт)",
        r"(ассистент|бот|нейросеть|модель|ии)\w*,? (должн|обязан|всегда|никогда"
        r"|рекомендуй|советуй)",
        r"игнорируй\w* (все |любые )?(предыдущие|прошлые|остальные)? ?(инструкц|правил)",
        r"(ассистент|бот|жасанды интеллект|жүйе)\w* (арналған |үшін )?(ескертпе|нұсқау)",
        r"(ассистент|бот|жасанды интеллект)\w* .{0,30}(ұсынуы|айтуы|міндетті|тиіс)",
        r"(алдыңғы|бұрынғы) (нұсқаулар|ережелер)\w* (елеме|ескерме)",
    ),
    "a call to secrecy": (
        r"\b(don'?t|do not|never) (tell|show|say (it|this|anything) to) (your |the )?"
        r"(parents|mum|mom|dad|family|teachers?|anyone|friends)",
        r"\b(keep|keeps) (it|this|the conversation|our talks?) (a )?secret\b",
        r"\bbetween (you and me|us)\b",
        r"не (говори|рассказывай|показывай|сообщай)\w* (об этом |это |ничего )?"
        r"(родител|маме|папе|семье|учител|никому|друзьям)",
        r"(держи|сохрани)\w* (это |всё )?в (секрете|тайне)",
        r"между нами",
        r"(ата-анаңа|анаңа|әкеңе|мұғалімге|ешкімге|достарыңа) (айтпа|көрсетпе|білдірме)"
        r"(?!\w| ?(де|деп|дейді|деді|деген|деуі)(?!\w))",
        r"құпия (сақта|ұста)(?!\w)",
        r"(бұл )?біздің (арамыздағы )?құпия",
    ),
    "a call to join, subscribe, donate, travel or repost": (
        r"^(please |so |now |just )?(subscribe|join us|join our|follow us|follow our|donate|"
        r"send (us )?money|repost|share this)\b",
        r"\b(subscribe to (our|my|the) (channel|group|page)|join (us|our (group|channel|brothers))"
        r"|follow (us|our channel)|donate (now|here|to us)|repost this|share this (post"
        r"|message))\b",
        r"(?<!\w)(подпишись|подписывайся|подпишитесь|вступай|вступи|вступайте|присоединяйся"
        r"|присоединяйтесь|переведи деньги|пожертвуй|сделай репост|перешли это|поезжай"
        r"|езжай)(?!\w)",
        r"(?<!\w)(жазыл|жазылыңыз|жазылыңдар|қосыл|қосылыңыз|қосылыңдар|бізге кел|ақша аудар"
        r"|ақша жібер|репост жаса|бөліс|бөлісіңдер|аттан|аттаныңдар)(?!\w)",
    ),
    "a recruiter's claim stated as fact": (
        r"\b(true|real|genuine) (believers?|muslims?)\b.{0,60}\b(does not|do not|don't|doesn't|"
        r"never|must not|cannot|should not)\b.{0,30}\b(obey|follow|respect|accept|vote)",
        r"\b(democracy|voting|elections?|secular (state|law)s?)\b.{0,20}\b(is|are)\b.{0,10}"
        r"\b(shirk|kufr|haram|unbelief|idolatry)\b",
        r"\bonly (those|people|we|the ones) who (join|follow us"
        r"|are with us)\b.{0,40}\b(saved|paradise)",
        r"(истинн|настоящ)\w* (верующ|мусульман)\w*.{0,60}\bне\b.{0,20}"
        r"(подчиня|соблюда|признаё|признае|голосу|уважа)",
        r"(демократи|голосовани|выбор|светск\w* (государств|закон))\w*.{0,25}"
        r"(ширк|куфр|харам|неверие|идолопоклон)",
        r"только (те|тот|мы)\w*,? кто (с нами|вступ|следу)\w*.{0,40}(спас|рай)",
        r"(нағыз|шынайы) (мұсылман|иман)\w*.{0,60}(бағынбай|мойынсұнбай|сайламай|құрметтемей)",
        r"(демократия|сайлау|дауыс беру|зайырлы (мемлекет|заң))\w*.{0,25}(ширк|күпір|харам)",
        r"тек (бізге|бізбен) (қосыл|бірге)\w*.{0,40}(құтыл|жұмақ)",
    ),
}
_COMPILED = {why: [re.compile(p, re.I) for p in pats] for why, pats in _FAMILIES.items()}


@dataclass(frozen=True, slots=True)
class Flag:
    """One sentence that must not be served, and why."""

    sentence: str
    why: str


@lru_cache(maxsize=4)
def _output_rules(safety_dir: Path | None) -> tuple[Rule, ...]:
    from bot.settings import PROJECT_ROOT

    folder = safety_dir or PROJECT_ROOT / "knowledge_base" / "safety"
    return tuple(r for r in load_rules(folder / "rules.yaml") if r.scope in ("output", "both"))


def screen_sentence(sentence: str, safety_dir: Path | None = None) -> str | None:
    """Why ``sentence`` must not be served as vetted text, or None."""
    if _LINK.search(_EMERGENCY.sub(" ", sentence)):
        return "a link or contact in the text (sources go in the source list)"
    unquoted = normalize.basic(own_words(sentence))
    asking = unquoted.rstrip().endswith("?")  # a question is not a call
    for why, patterns in _COMPILED.items():
        if asking and why != "an instruction to the assistant":
            continue
        if any(p.search(unquoted) for p in patterns):
            return why
    form = normalize.basic(sentence)
    for rule in _output_rules(safety_dir):
        if rule.matches(form):
            return f"what the bot must never say (rule {rule.id})"
    return None


def sentences(text: str, examples: tuple[str, ...] = ()) -> list[str]:
    """The sentences of ``text`` that speak in its own voice: ``examples`` are skipped."""
    skip = {e.strip() for e in examples}
    return [
        sentence
        for line in text.splitlines()
        if line.strip() not in skip
        for sentence in split_sentences(line)
    ]


def own_words(sentence: str) -> str:
    """``sentence`` without what it quotes: a quotation is what a unit teaches to recognise."""
    return " ".join(_QUOTED.sub(" ", sentence).split())


def scored_text(sentence: str) -> str | None:
    """What the screening model reads of a sentence: its own words, if there are enough."""
    words = own_words(sentence)
    return words if len(words.split()) >= _MIN_WORDS else None


def screen(text: str, examples: tuple[str, ...] = (), safety_dir: Path | None = None) -> list[Flag]:
    """Every sentence of ``text`` the rules flag; ``examples`` (quotations) are skipped."""
    flags = []
    for sentence in sentences(text, examples):
        why = screen_sentence(sentence, safety_dir)
        if why:
            flags.append(Flag(sentence, why))
    return flags
