""" "Check this post" and the micro-lessons in Telegram.

A forwarded message (``forward_origin``), ``/check`` with text (or as a reply to
a message), and a long pasted text that reads like a post are analysed as posts
(:meth:`bot.engine.core.Engine.check`), not answered as questions. ``/learn``
lists the lessons; a lesson's quiz is answered with buttons, and progress is
kept per hashed user id (deleted by ``/forget``).
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

from telegram import CallbackQuery, Message, Update, User
from telegram.constants import ChatAction, ParseMode
from telegram.ext import CallbackContext, ContextTypes

from bot.models import Lang
from bot.posts.checker import PostCheck
from bot.posts.lessons import Lesson
from bot.telegram import keyboards
from bot.telegram.delivery import best_effort, with_retries
from bot.telegram.journal import answered
from bot.telegram.questions import NO_PREVIEW, over_limit
from bot.telegram.render import render_reply
from bot.telegram.services import Services, services_of

# A pasted text at least this long that does not end with a question, and that
# the detector finds manipulative, is treated as a post.
LONG_POST_CHARS = 500


def post_text(message: Message) -> str:
    return message.text or message.caption or ""


def _reply_lang(services: Services, user: User) -> Lang | None:
    """The user's language (chosen, else the Telegram app's); None: the post's own."""
    return services.chosen_lang(user)


async def on_forwarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    await check_post(context, message, message.from_user, post_text(message))


async def on_check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    text = " ".join(context.args or [])
    if not text and message.reply_to_message is not None:
        text = post_text(message.reply_to_message)
    if not text:
        services = services_of(context)
        lang = services.ui_lang(message.from_user)
        await with_retries(
            lambda: message.reply_text(services.engine.prompts.text(lang, "check_usage"))
        )
        return
    await check_post(context, message, message.from_user, text)


def looks_like_post(text: str) -> bool:
    """A long pasted text that is not a question (the detector decides the rest)."""
    return len(text) >= LONG_POST_CHARS and not text.rstrip().endswith("?")


async def try_long_post(context: CallbackContext[Any, Any, Any, Any], message: Message) -> bool:
    """Analyse a long pasted text as a post if it is one; False: answer it as a question."""
    services = services_of(context)
    user = message.from_user
    if user is None or message.text is None or not looks_like_post(message.text):
        return False
    result = await asyncio.to_thread(
        services.engine.check, message.text, lang=_reply_lang(services, user), record=False
    )
    if not result.manipulative or result.routing == "crisis":
        return False
    if await over_limit(context, services, message, user):
        return True
    services.engine.record_check(result)
    await _send_check(context, services, message, result)
    services.store.touch(services.hash_user(user.id))
    return True


async def check_post(
    context: CallbackContext[Any, Any, Any, Any], message: Message, user: User, text: str
) -> None:
    """Rate-limit, analyse, and send the analysis with a button for the lesson."""
    services = services_of(context)
    if not text.strip():  # a forwarded photo or sticker without a caption
        await with_retries(
            lambda: message.reply_text(services.texts.get(services.ui_lang(user), "text_only"))
        )
        return
    if await over_limit(context, services, message, user):
        return
    async with services.lock((message.chat_id, user.id)):
        await best_effort(
            context.bot.send_chat_action(message.chat_id, ChatAction.TYPING), "typing"
        )
        result = await asyncio.to_thread(
            services.engine.check, text, lang=_reply_lang(services, user)
        )
        await _send_check(context, services, message, result)
    services.store.touch(services.hash_user(user.id))


async def _send_check(
    context: CallbackContext[Any, Any, Any, Any],
    services: Services,
    message: Message,
    result: PostCheck,
) -> None:
    prompts = services.engine.prompts
    rendered = render_reply(result.as_reply(), prompts.text(result.language, "sources_heading"))
    markup = None
    book = services.engine.lessons
    lessons = (book.get(t, result.language) for t in result.techniques)
    lesson = next((x for x in lessons if x is not None), None)
    if lesson is not None and result.routing != "crisis":
        name = prompts.value(result.language, "techniques")[lesson.technique]["name"]
        label = prompts.text(result.language, "check_lesson_button", name=name)
        markup = keyboards.lesson_button(label, lesson.technique)
    for n, chunk in enumerate(rendered.messages):
        last = n == len(rendered.messages) - 1
        await with_retries(
            lambda chunk=chunk, last=last: context.bot.send_message(  # type: ignore[misc]
                message.chat_id,
                chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if last else None,
                link_preview_options=NO_PREVIEW,
            )
        )
    answered()


# ------------------------------------------------------------------ lessons
async def on_learn(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    lang = services.ui_lang(user)
    prompts, book = services.engine.prompts, services.engine.lessons
    order = book.techniques()
    if not order:
        await with_retries(lambda: message.reply_text(prompts.text(lang, "learn_none")))
        return
    done = services.store.lessons_done(services.hash_user(user.id))
    titles = []
    for tid in order:
        lesson = book.get(tid, lang)
        assert lesson is not None
        titles.append((tid, ("✅ " if done.get(tid) else "") + lesson.title))
    text = prompts.text(lang, "learn_intro")
    if done:
        count = sum(1 for t in order if t in done)
        text += "\n" + prompts.text(lang, "learn_progress", done=count, count=len(order))
    await with_retries(lambda: message.reply_text(text, reply_markup=keyboards.lesson_list(titles)))


def lesson_html(lesson: Lesson, services: Services, lang: Lang) -> str:
    prompts = services.engine.prompts
    options = "\n".join(f"{n}. {html.escape(o.text)}" for n, o in enumerate(lesson.options, 1))
    return (
        f"<b>{html.escape(lesson.title)}</b>\n\n{html.escape(lesson.explain)}\n\n"
        f"<i>{html.escape(prompts.text(lang, 'learn_example_heading'))}</i>\n"
        f"<blockquote>{html.escape(lesson.example)}</blockquote>\n\n"
        f"<b>{html.escape(prompts.text(lang, 'learn_question_heading'))}</b> "
        f"{html.escape(lesson.question)}\n{options}"
    )


async def open_lesson(services: Services, query: CallbackQuery, technique: str) -> str | None:
    """Send a lesson with its quiz buttons; a toast text if there is nothing to send."""
    lang = services.ui_lang(query.from_user)
    lesson = services.engine.lessons.get(technique, lang)
    message = query.message
    if lesson is None or not isinstance(message, Message):
        return services.texts.get(lang, "button_expired")
    await with_retries(
        lambda: message.reply_text(
            lesson_html(lesson, services, lang),
            parse_mode=ParseMode.HTML,
            reply_markup=keyboards.quiz_buttons(technique, len(lesson.options)),
            link_preview_options=NO_PREVIEW,
        )
    )
    return None


async def answer_quiz(services: Services, query: CallbackQuery, data: str) -> str | None:
    """Feedback on a quiz answer, progress saved, and the next lesson offered."""
    lang = services.ui_lang(query.from_user)
    technique, _, number = data.rpartition(":")
    book = services.engine.lessons
    lesson = book.get(technique, lang)
    message = query.message
    if lesson is None or not number.isdigit() or not isinstance(message, Message):
        return services.texts.get(lang, "button_expired")
    if int(number) >= len(lesson.options):
        return None
    prompts = services.engine.prompts
    picked = lesson.options[int(number)]
    services.store.lesson_done(services.hash_user(query.from_user.id), technique, picked.correct)
    mark = prompts.text(lang, "learn_right" if picked.correct else "learn_wrong")
    lines = [f"{mark} {html.escape(picked.feedback)}"]
    if not picked.correct:
        right = lesson.options[lesson.correct]
        lines.append(f"✓ <b>{html.escape(right.text)}</b> {html.escape(right.feedback)}")
    heading = html.escape(prompts.text(lang, "sources_heading"))
    lines.append(
        f"<b>{heading}</b>\n"
        + "\n".join(
            f'[{n}] <a href="{html.escape(s.url, quote=True)}">{html.escape(s.title)}</a>'
            for n, s in enumerate(lesson.sources, 1)
        )
    )
    following = book.next_after(technique)
    markup = None
    if following is not None:
        markup = keyboards.lesson_button(prompts.text(lang, "learn_next"), following)
    else:
        count = len(book.techniques())
        lines.append(html.escape(prompts.text(lang, "learn_all_done", count=count)))
    await best_effort(message.edit_reply_markup(reply_markup=None), "remove quiz buttons")
    await with_retries(
        lambda: message.reply_text(
            "\n\n".join(lines),
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=NO_PREVIEW,
        )
    )
    return None


__all__ = ["on_check", "on_forwarded", "on_learn", "try_long_post"]
