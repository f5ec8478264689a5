"""Answering text messages: private chats, group mentions, ``/ask`` and edits.

Edited messages: the edited text is answered as a new question, once per
message (later edits of the same message are ignored), so that fixing a typo
gets a fresh answer but repeated edits cannot be used to flood the chat.
"""

from __future__ import annotations

import asyncio
import html
import logging
from functools import partial
from typing import Any

from telegram import (
    Chat,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatAction, ParseMode
from telegram.ext import CallbackContext, ContextTypes

from bot.models import Decision, Lang, Question, Reply
from bot.telegram import keyboards
from bot.telegram.delivery import best_effort, with_retries
from bot.telegram.drafts import DraftMessage
from bot.telegram.journal import answered
from bot.telegram.ratelimit import Limit
from bot.telegram.render import render_reply
from bot.telegram.services import AnswerRecord, PendingReason, Services, services_of

log = logging.getLogger(__name__)

# How long the reply waits for the typing indicator to go out first.
TYPING_WAIT = 2.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def is_group(chat: Chat) -> bool:
    return chat.type in (Chat.GROUP, Chat.SUPERGROUP)


def addressed_text(message: Message, bot_id: int, username: str) -> str | None:
    """In a group: the text without the @mention if the bot is addressed, else None."""
    text = message.text or ""
    reply_to = message.reply_to_message
    addressed = bool(reply_to and reply_to.from_user and reply_to.from_user.id == bot_id)
    mention = f"@{username}".lower()
    for entity, value in message.parse_entities(
        [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    ).items():
        if (entity.type == MessageEntity.MENTION and value.lower() == mention) or (
            entity.user is not None and entity.user.id == bot_id
        ):
            addressed = True
            text = text.replace(value, " ")
    return " ".join(text.split()) if addressed else None


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None or message.from_user is None:
        return
    services = services_of(context)
    pending = services.take_pending(message.chat_id, message.from_user.id)
    if pending is not None:
        await _save_reason(context, services, message, pending)
        return
    from bot.telegram.posts import try_long_post  # posts imports this module

    if await try_long_post(context, message):
        return
    await answer(context, message, message.text)


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    text = addressed_text(message, context.bot.id, context.bot.username)
    if text is not None:
        await answer(context, message, text)


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    text = " ".join(context.args or [])
    if not text:
        services = services_of(context)
        await with_retries(
            lambda: message.reply_text(
                services.texts.get(services.ui_lang(message.from_user), "ask_usage")
            )
        )
        return
    await answer(context, message, text)


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.edited_message
    if message is None or message.from_user is None or message.text is None:
        return
    services = services_of(context)
    key = (message.chat_id, message.message_id)
    if key in services.edited:
        return
    text: str | None = message.text
    if is_group(message.chat):
        text = addressed_text(message, context.bot.id, context.bot.username)
    if text is None:
        return
    services.edited[key] = True
    await answer(context, message, text)


async def on_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, voice, photos, files…: ask for text, in the user's language."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    services = services_of(context)
    if services.limiter.check(message.from_user.id) is not Limit.ALLOW:
        return
    await with_retries(
        lambda: message.reply_text(
            services.texts.get(services.ui_lang(message.from_user), "text_only")
        )
    )


async def over_limit(
    context: CallbackContext[Any, Any, Any, Any], services: Services, message: Message, user: User
) -> bool:
    """True when the user's rate limit says no (told once per episode, then silence)."""
    verdict = services.limiter.check(user.id)
    if verdict is Limit.NOTIFY:
        await with_retries(
            lambda: context.bot.send_message(
                message.chat_id, services.texts.get(services.ui_lang(user), "rate_limited")
            )
        )
    return verdict is not Limit.ALLOW


async def answer(context: CallbackContext[Any, Any, Any, Any], message: Message, text: str) -> None:
    """Rate-limit, ask the engine, send the reply with its buttons, remember the turn."""
    services = services_of(context)
    user = message.from_user
    assert user is not None
    if await over_limit(context, services, message, user):
        return
    conversation = (message.chat_id, user.id)
    async with services.lock(conversation):
        typing = asyncio.create_task(
            best_effort(context.bot.send_chat_action(message.chat_id, ChatAction.TYPING), "typing")
        )
        question = Question(
            text,
            preferred_lang=services.chosen_lang(user),
            history=services.memory.history(conversation),
        )
        draft = None
        if services.engine.settings.generator == "llm":
            draft = DraftMessage(
                context.bot,
                message.chat_id,
                link_preview_options=NO_PREVIEW,
                reply_parameters=ReplyParameters(
                    message.message_id, allow_sending_without_reply=True
                )
                if is_group(message.chat)
                else None,
            )
            reply = await asyncio.to_thread(services.engine.answer, question, draft.update)
        else:
            reply = await asyncio.to_thread(services.engine.answer, question)
        await asyncio.wait({typing}, timeout=TYPING_WAIT)
        shown = await draft.close() if draft else None
        await _send_reply(context, services, message, user, text, reply, shown)
        services.memory.add(conversation, text, reply.body or reply.text, tuple(reply.units))
    services.store.touch(services.hash_user(user.id))


async def answer_picked(
    context: CallbackContext[Any, Any, Any, Any],
    message: Message,
    user: User,
    unit_id: str,
    question: str,
    lang: Lang,
) -> None:
    """Answer a question the user picked from buttons ("Did you mean…?", next questions)."""
    services = services_of(context)
    if services.limiter.check(user.id) is not Limit.ALLOW:
        return
    conversation = (message.chat_id, user.id)
    async with services.lock(conversation):
        history = services.memory.history(conversation)
        reply = await asyncio.to_thread(services.engine.answer_unit, unit_id, lang, history)
        await _send_reply(context, services, message, user, question, reply)
        services.memory.add(conversation, question, reply.body, tuple(reply.units))


async def _send_reply(
    context: CallbackContext[Any, Any, Any, Any],
    services: Services,
    message: Message,
    user: User,
    question: str,
    reply: Reply,
    draft: Message | None = None,
) -> None:
    """Send the reply; with a ``draft`` message, its first part replaces the draft."""
    group = is_group(message.chat)
    extra = []
    crisis_in_group = group and reply.decision is Decision.CRISIS
    if crisis_in_group:
        note = services.engine.prompts.text(reply.language, "crisis_group_note")
        extra.append(f"<i>{html.escape(note, quote=False)}</i>")
    heading = services.engine.prompts.text(reply.language, "sources_heading")
    rendered = render_reply(reply, heading, extra)
    reply_to = (
        ReplyParameters(message.message_id, allow_sending_without_reply=True) if group else None
    )
    key = services.new_key()
    record = AnswerRecord(
        message.chat_id, 0, question, reply, rendered.messages[-1], rendered.last_without_sources
    )
    for n, chunk in enumerate(rendered.messages):
        last = n == len(rendered.messages) - 1
        markup = None
        if last and crisis_in_group:
            markup = keyboards.private_chat_button(
                services.texts, reply.language, context.bot.username
            )
        elif last and reply.decision is not Decision.CRISIS:
            markup = keyboards.answer_buttons(key, record, services.texts, reply.language)
        if n == 0 and draft is not None:
            edited = await with_retries(
                partial(
                    context.bot.edit_message_text,
                    chunk,
                    message.chat_id,
                    draft.message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=NO_PREVIEW,
                )
            )
            message_id = edited.message_id if isinstance(edited, Message) else draft.message_id
        else:
            sent = await with_retries(
                partial(
                    context.bot.send_message,
                    message.chat_id,
                    chunk,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    reply_parameters=reply_to,
                    link_preview_options=NO_PREVIEW,
                )
            )
            message_id = sent.message_id
        reply_to = None
        record.message_id = message_id
    answered()
    services.answers[key] = record


async def _save_reason(
    context: CallbackContext[Any, Any, Any, Any],
    services: Services,
    message: Message,
    pending: PendingReason,
) -> None:
    services.store.set_reason(pending.case_id, pending.user_hash, message.text or "")
    if pending.prompt_message_id is not None:
        await best_effort(
            context.bot.edit_message_reply_markup(
                message.chat_id, pending.prompt_message_id, reply_markup=None
            ),
            "remove skip button",
        )
    await with_retries(
        lambda: message.reply_text(services.texts.get(pending.lang, "feedback_saved"))
    )
