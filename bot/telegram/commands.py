"""Commands and button presses: /start, /help, /lang, /privacy, /forget, /reset, /about,
the language picker, 👍 / 👎, the sources toggle, the 👎 reason prompt, and the
lesson and quiz buttons (handled in :mod:`bot.telegram.posts`)."""

from __future__ import annotations

import time
from typing import Any, cast

from telegram import BotCommand, CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ContextTypes

from bot.models import LANGS, Lang
from bot.telegram import keyboards, posts, questions
from bot.telegram.delivery import best_effort, with_retries
from bot.telegram.questions import NO_PREVIEW
from bot.telegram.services import AnswerRecord, PendingReason, Services, services_of
from bot.telegram.texts import Texts


async def _reply(message: Message, text: str, **kwargs: Any) -> Message:
    return await with_retries(lambda: message.reply_text(text, parse_mode=ParseMode.HTML, **kwargs))


def _context(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[Services, Lang]:
    services = services_of(context)
    return services, services.ui_lang(update.effective_user)


async def _send_template(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    key: str,
    reply_markup: Any = None,
    **values: object,
) -> None:
    """Answer a command with one of the UI texts, in the user's language."""
    services, lang = _context(update, context)
    if update.effective_message:
        markup = reply_markup(services.texts, lang) if callable(reply_markup) else reply_markup
        await _reply(
            update.effective_message,
            services.texts.get(lang, key, **values),
            reply_markup=markup,
        )


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send_template(update, context, "start", keyboards.language_picker())


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send_template(update, context, "help", username=context.bot.username)


async def on_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send_template(update, context, "lang_prompt", keyboards.language_picker())


async def on_privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    days = services_of(context).settings.retention_days
    await _send_template(update, context, "privacy", days=days)


async def on_about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send_template(update, context, "about")


async def on_reset(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services, lang = _context(update, context)
    message, user = update.effective_message, update.effective_user
    if message and user:
        services.memory.clear((message.chat_id, user.id))
        await _reply(message, services.texts.get(lang, "reset_done"))


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send_template(update, context, "forget_confirm", keyboards.forget_buttons)


# ------------------------------------------------------------------ buttons
async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    services, lang = _context(update, context)
    data = query.data
    toast: str | None = None
    if data.startswith(keyboards.LANG_PREFIX):
        toast = await _choose_language(services, query, data.removeprefix(keyboards.LANG_PREFIX))
    elif data in (keyboards.FORGET_YES, keyboards.FORGET_NO):
        toast = await _forget(services, query, lang, confirmed=data == keyboards.FORGET_YES)
    elif data.startswith(keyboards.VOTE_PREFIX):
        toast = await _vote(
            context, services, query, lang, data.removeprefix(keyboards.VOTE_PREFIX)
        )
    elif data.startswith(keyboards.SOURCES_PREFIX):
        toast = await _toggle_sources(
            services, query, lang, data.removeprefix(keyboards.SOURCES_PREFIX)
        )
    elif data.startswith(keyboards.SKIP_PREFIX):
        toast = await _skip_reason(services, query, lang)
    elif data.startswith(keyboards.ASK_PREFIX):
        toast = await _ask_picked(context, services, query, data.removeprefix(keyboards.ASK_PREFIX))
    elif data.startswith(keyboards.LEARN_PREFIX):
        toast = await posts.open_lesson(services, query, data.removeprefix(keyboards.LEARN_PREFIX))
    elif data.startswith(keyboards.QUIZ_PREFIX):
        toast = await posts.answer_quiz(services, query, data.removeprefix(keyboards.QUIZ_PREFIX))
    await best_effort(query.answer(toast), "answer button")


async def _ask_picked(
    context: ContextTypes.DEFAULT_TYPE, services: Services, query: CallbackQuery, data: str
) -> str | None:
    key, _, number = data.rpartition(":")
    record = services.answers.get(key)
    message = query.message
    if record is None or not number.isdigit() or not isinstance(message, Message):
        return services.texts.get(_lang_of(services, query), "button_expired")
    suggestions = record.reply.suggestions
    if int(number) >= len(suggestions):
        return None
    picked = suggestions[int(number)]
    await questions.answer_picked(
        context, message, query.from_user, picked.unit_id, picked.question, record.reply.language
    )
    return None


def _lang_of(services: Services, query: CallbackQuery) -> Lang:
    return services.ui_lang(query.from_user)


async def _edit(query: CallbackQuery, text: str, **kwargs: Any) -> None:
    await best_effort(
        query.edit_message_text(text, parse_mode=ParseMode.HTML, **kwargs), "edit message"
    )


async def _choose_language(services: Services, query: CallbackQuery, code: str) -> str | None:
    if code not in LANGS:
        return None
    lang = cast(Lang, code)
    services.store.set_language(services.hash_user(query.from_user.id), lang, consent=True)
    await _edit(query, services.texts.get(lang, "lang_set"))
    return None


async def _forget(
    services: Services, query: CallbackQuery, lang: Lang, *, confirmed: bool
) -> str | None:
    if not confirmed:
        await _edit(query, services.texts.get(lang, "forget_cancelled"))
        return None
    user_id = query.from_user.id
    user_hash = services.hash_user(user_id)
    services.store.forget(user_hash)
    services.memory.clear_user(user_id)
    for key in [k for k in services.pending if k[1] == user_id]:
        del services.pending[key]
    for record in services.answers.values():
        record.votes.pop(user_hash, None)
    await _edit(query, services.texts.get(lang, "forget_done"))
    return None


async def _vote(
    context: ContextTypes.DEFAULT_TYPE,
    services: Services,
    query: CallbackQuery,
    lang: Lang,
    payload: str,
) -> str | None:
    vote, _, key = payload.partition(":")
    record: AnswerRecord | None = services.answers.get(key)
    if record is None or vote not in ("up", "down"):
        return services.texts.get(lang, "feedback_expired")
    user_hash = services.hash_user(query.from_user.id)
    if user_hash in record.votes:
        return services.texts.get(lang, "feedback_thanks")
    record.votes[user_hash] = "up" if vote == "up" else "down"
    reply = record.reply
    case_id = services.store.add_feedback(
        user_hash,
        record.votes[user_hash],
        decision=reply.decision.value,
        category=reply.category,
        lang=reply.language,
        question=record.question,
        reply=reply.text,
    )
    private = query.message is not None and query.message.chat.type == "private"
    if private:
        await best_effort(
            query.edit_message_reply_markup(
                reply_markup=keyboards.answer_buttons(
                    key, record, services.texts, reply.language, voted=vote
                )
            ),
            "mark vote",
        )
    if vote == "up" or not private:
        return services.texts.get(lang, "feedback_thanks" if vote == "up" else "feedback_saved")
    prompt = await with_retries(
        lambda: context.bot.send_message(
            record.chat_id,
            services.texts.get(lang, "feedback_reason_prompt"),
            reply_markup=keyboards.skip_button(services.texts, lang, case_id),
        )
    )
    services.pending[(record.chat_id, query.from_user.id)] = PendingReason(
        case_id, user_hash, lang, prompt.message_id, time.monotonic()
    )
    return None


async def _toggle_sources(
    services: Services, query: CallbackQuery, lang: Lang, key: str
) -> str | None:
    record: AnswerRecord | None = services.answers.get(key)
    if record is None or record.without_sources is None:
        return services.texts.get(lang, "feedback_expired")
    record.sources_shown = not record.sources_shown
    text = record.with_sources if record.sources_shown else record.without_sources
    user_hash = services.hash_user(query.from_user.id)
    markup = keyboards.answer_buttons(
        key, record, services.texts, record.reply.language, voted=record.votes.get(user_hash)
    )
    await _edit(query, text, reply_markup=markup, link_preview_options=NO_PREVIEW)
    return None


async def _skip_reason(services: Services, query: CallbackQuery, lang: Lang) -> str | None:
    if query.message is not None:
        services.take_pending(query.message.chat.id, query.from_user.id)
    await _edit(query, services.texts.get(lang, "feedback_saved"))
    return None


# --------------------------------------------------------------- commands
COMMANDS = ("start", "help", "lang", "ask", "reset", "privacy", "forget", "about")


def bot_commands(texts: Texts, lang: Lang) -> list[BotCommand]:
    descriptions = texts.commands(lang)
    return [BotCommand(name, descriptions[name]) for name in COMMANDS]


async def register_commands(
    application: Application[Any, Any, Any, Any, Any, Any], texts: Texts
) -> None:
    """``setMyCommands`` for kk, ru, en and the default; failures are only logged."""
    bot = application.bot
    for lang in LANGS:
        await best_effort(
            bot.set_my_commands(bot_commands(texts, lang), language_code=lang),
            f"setMyCommands {lang}",
        )
    await best_effort(bot.set_my_commands(bot_commands(texts, "en")), "setMyCommands")
