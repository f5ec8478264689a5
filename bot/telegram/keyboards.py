"""Inline keyboards and their callback data (at most 64 bytes each)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.models import LANGS, Lang
from bot.telegram.services import AnswerRecord
from bot.telegram.texts import LANGUAGE_LABELS, Texts

LANG_PREFIX = "lang:"
VOTE_PREFIX = "vote:"  # vote:up:<key> / vote:down:<key>
SOURCES_PREFIX = "src:"  # src:<key>
SKIP_PREFIX = "skip:"  # skip:<case id>
ASK_PREFIX = "ask:"  # ask:<key>:<n>: the n-th question offered under answer <key>
LEARN_PREFIX = "learn:"  # learn:<technique>: open a lesson
QUIZ_PREFIX = "quiz:"  # quiz:<technique>:<n>: the n-th option of a lesson's quiz
_BUTTON_TEXT = 60
FORGET_YES = "forget:yes"
FORGET_NO = "forget:no"


def language_picker() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(LANGUAGE_LABELS[lang], callback_data=LANG_PREFIX + lang)
                for lang in LANGS
            ]
        ]
    )


def answer_buttons(
    key: str, record: AnswerRecord, texts: Texts, lang: Lang, voted: str | None = None
) -> InlineKeyboardMarkup:
    up = "👍 ✓" if voted == "up" else "👍"
    down = "👎 ✓" if voted == "down" else "👎"
    row = [
        InlineKeyboardButton(up, callback_data=f"{VOTE_PREFIX}up:{key}"),
        InlineKeyboardButton(down, callback_data=f"{VOTE_PREFIX}down:{key}"),
    ]
    if record.without_sources is not None:
        label = texts.get(lang, "sources_hide" if record.sources_shown else "sources_show")
        row.append(InlineKeyboardButton(label, callback_data=SOURCES_PREFIX + key))
    # "Did you mean…?" and next questions: one button each, above the vote row.
    rows = [
        [InlineKeyboardButton(_short(s.question), callback_data=f"{ASK_PREFIX}{key}:{n}")]
        for n, s in enumerate(record.reply.suggestions)
    ]
    return InlineKeyboardMarkup([*rows, row])


def _short(text: str) -> str:
    return text if len(text) <= _BUTTON_TEXT else text[: _BUTTON_TEXT - 1].rstrip() + "…"


def private_chat_button(texts: Texts, lang: Lang, username: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.get(lang, "private_chat"), url=f"https://t.me/{username}")]]
    )


def skip_button(texts: Texts, lang: Lang, case_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.get(lang, "feedback_skip"), callback_data=f"{SKIP_PREFIX}{case_id}"
                )
            ]
        ]
    )


def forget_buttons(texts: Texts, lang: Lang) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.get(lang, "forget_yes"), callback_data=FORGET_YES),
                InlineKeyboardButton(texts.get(lang, "forget_no"), callback_data=FORGET_NO),
            ]
        ]
    )


def lesson_button(label: str, technique: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=LEARN_PREFIX + technique)]]
    )


def lesson_list(titles: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One button per lesson: (technique, label)."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_short(label), callback_data=LEARN_PREFIX + tid)]
            for tid, label in titles
        ]
    )


def quiz_buttons(technique: str, options: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(str(n + 1), callback_data=f"{QUIZ_PREFIX}{technique}:{n}")
                for n in range(options)
            ]
        ]
    )
