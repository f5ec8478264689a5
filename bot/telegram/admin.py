"""Educators' commands in a private chat with the bot, for allow-listed Telegram ids only.

A document sent as a file becomes a draft; ``/drafts``, ``/publish ID`` (which
rebuilds the index the running engine serves), ``/gaps``, ``/feedback`` and
``/stats``. For anyone else the handlers never match, so the bot behaves as if
these commands did not exist; the command menu lists them only in admins' chats.
Every action is written to the curation audit log under a hash of the admin's id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import logging
import re
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram import Bot, BotCommand, BotCommandScopeChat, Message, Update, User
from telegram.constants import ChatAction, ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.curation import audit, drafts, files
from bot.curation.importer import SUPPORTED, ImportResult, import_file
from bot.curation.publishing import PublishError, publish, unpublish
from bot.errors import CorpusError
from bot.knowledge.documents import Problem, load_corpus
from bot.knowledge.screening_check import document_problems
from bot.models import LANGS, Lang
from bot.telegram.commands import bot_commands
from bot.telegram.delivery import best_effort, with_retries
from bot.telegram.questions import NO_PREVIEW
from bot.telegram.render import LIMIT, utf16_len
from bot.telegram.services import Services, services_of

if TYPE_CHECKING:  # LangChain and Chroma load only when an educator rebuilds the index
    from bot.knowledge.index import BuildReport

log = logging.getLogger(__name__)

COMMANDS = ("drafts", "publish", "unpublish", "gaps", "feedback", "stats")
# Telegram lets bots download files up to this size.
MAX_DOWNLOAD = 20 * 1024 * 1024
SHOWN_DRAFTS = 30
SHOWN_PROBLEMS = 12
SHOWN_GAPS = 10
SHOWN_CASES = 8
EXCERPT = 200
_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,80}")
_URL = re.compile(r"https?://[^\s<>\"]+")
_UNSAFE = re.compile(r"[^\w.-]+")


# ------------------------------------------------------------------ wiring
def add_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], admins: frozenset[int]
) -> None:
    """Admin handlers; call before the public ones so an admin's file is not "text only"."""
    if not admins:
        return
    only = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & filters.User(user_id=admins)
    for name, callback in (
        ("drafts", on_drafts),
        ("publish", on_publish),
        ("unpublish", on_unpublish),
        ("gaps", on_gaps),
        ("feedback", on_feedback),
        ("stats", on_stats),
    ):
        application.add_handler(CommandHandler(name, callback, filters=only))
    application.add_handler(MessageHandler(only & filters.Document.ALL, on_document))
    application.add_handler(MessageHandler(only, on_admin_message), group=1)


def admin_commands(services: Services, lang: Lang) -> list[BotCommand]:
    return [
        *bot_commands(services.texts, lang),
        *(BotCommand(name, services.texts.get(lang, f"admin_cmd_{name}")) for name in COMMANDS),
    ]


async def show_menu(bot: Bot, services: Services, chat_id: int) -> bool:
    """The public commands plus the admin ones, in this one chat only (``setMyCommands``).

    Fails (and is retried on the admin's next message) until the admin has
    started a chat with the bot.
    """
    scope = BotCommandScopeChat(chat_id)
    done = True
    for lang in LANGS:
        done &= await best_effort(
            bot.set_my_commands(admin_commands(services, lang), scope=scope, language_code=lang),
            f"setMyCommands admin {lang}",
        )
    done &= await best_effort(
        bot.set_my_commands(admin_commands(services, "en"), scope=scope), "setMyCommands admin"
    )
    if done:
        services.admin_menus.add(chat_id)
    return done


async def show_menus(bot: Bot, services: Services) -> None:
    for admin_id in sorted(services.admins):
        await show_menu(bot, services, admin_id)


async def on_admin_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After any message from an admin: show the admin menu if it is not shown yet."""
    services = services_of(context)
    user = update.effective_user
    if user is not None and user.id not in services.admin_menus:
        await show_menu(context.bot, services, user.id)


# ---------------------------------------------------------------- helpers
def _esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _chunks(text: str) -> list[str]:
    """``text`` cut at line ends into messages Telegram accepts (no tag spans two lines)."""
    chunks: list[str] = []
    for line in text.split("\n"):
        if utf16_len(line) > LIMIT:
            line = line[: LIMIT - 1]
            while utf16_len(line) > LIMIT - 1:  # emoji count two units
                line = line[:-1]
            line += "…"
        if chunks and utf16_len(chunks[-1]) + 1 + utf16_len(line) <= LIMIT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return [c for c in chunks if c.strip()]


async def _send(message: Message, text: str) -> None:
    for chunk in _chunks(text):
        await with_retries(
            lambda chunk=chunk: message.reply_text(  # type: ignore[misc]
                chunk, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            )
        )


def _admin(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Services, Lang, Message, User] | None:
    services = services_of(context)
    message, user = update.effective_message, update.effective_user
    if message is None or not services.is_admin(user):
        return None
    assert user is not None
    return services, services.ui_lang(user), message, user


def _record(services: Services, user: User, action: str, document: str = "") -> None:
    audit.record(services.settings, action, document, who=services.actor(user))


def _problem_lines(problems: list[Problem]) -> list[str]:
    lines = [
        f"• {_esc(p.field)}: {_esc(p.message)}" + (" (warning)" if p.severity == "warning" else "")
        for p in problems[:SHOWN_PROBLEMS]
    ]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"… +{len(problems) - SHOWN_PROBLEMS}")
    return lines


async def _typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    await best_effort(context.bot.send_chat_action(chat_id, ChatAction.TYPING), "typing")


# -------------------------------------------------------------- documents
def safe_name(file_name: str | None) -> str:
    """A plain file name (its suffix kept) that cannot leave the temporary folder."""
    name = Path(file_name or "").name
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = _UNSAFE.sub("_", stem).strip("._")[:80] or "document"
    suffix = _UNSAFE.sub("", suffix)[:10].lower()
    return f"{stem}.{suffix}" if suffix else stem


def fill_source_url(path: Path, url: str) -> bool:
    """Put ``url`` in place of a fresh draft's source address placeholder."""
    text = path.read_text(encoding="utf-8")
    placeholder = f"url: {json.dumps(drafts.TODO_URL, ensure_ascii=False)}"
    if placeholder not in text:
        return False
    new = text.replace(placeholder, f"url: {json.dumps(url, ensure_ascii=False)}", 1)
    with files.staged(path, new) as tmp:
        files.commit(tmp, path, overwrite=True)
    return True


def _import(source: Path, corpus_dir: Path, url: str | None) -> ImportResult:
    result = import_file(source, corpus_dir)
    if result.ok and url and "source url" in result.todo:
        assert result.path is not None
        if fill_source_url(result.path, url):
            result.todo.remove("source url")
    return result


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's file → a draft in the corpus; reply with its id and its problems."""
    found = _admin(update, context)
    if found is None or found[2].document is None:
        return
    services, lang, message, user = found
    document = message.document
    assert document is not None
    name = safe_name(document.file_name)
    texts = services.texts
    if Path(name).suffix.lower() not in SUPPORTED:
        await _send(message, texts.get(lang, "admin_unsupported"))
        return
    if (document.file_size or 0) > MAX_DOWNLOAD:
        await _send(message, texts.get(lang, "admin_too_big"))
        return
    await _typing(context, message.chat_id)
    caption_url = _URL.search(message.caption or "")
    with tempfile.TemporaryDirectory(prefix="kelisim-upload-") as folder:
        source = Path(folder) / name
        telegram_file = await with_retries(document.get_file)
        await with_retries(lambda: telegram_file.download_to_drive(source))
        async with services.curation_lock:
            result = await asyncio.to_thread(
                _import,
                source,
                services.settings.corpus_dir,
                caption_url.group(0) if caption_url else None,
            )
    if not result.ok:
        _record(services, user, "import_failed", name)
        await _send(
            message,
            texts.get(lang, "admin_import_failed", file=_esc(name), error=_esc(result.error)),
        )
        return
    assert result.path is not None
    _record(services, user, "import", result.doc_id)
    problems = await asyncio.to_thread(document_problems, result.path, services.settings)
    doc_id = _esc(result.doc_id)
    lines = [
        texts.get(
            lang, "admin_imported", file=_esc(name), doc_id=doc_id, language=_esc(result.lang)
        )
    ]
    if problems:
        relative = result.path.relative_to(services.settings.corpus_dir).as_posix()
        lines += [
            texts.get(lang, "admin_problems"),
            *_problem_lines(problems),
            texts.get(lang, "admin_fix_in", path=_esc(relative), doc_id=doc_id),
        ]
    else:
        lines.append(texts.get(lang, "admin_ready", doc_id=doc_id))
    if "source url" in result.todo:
        lines.append(texts.get(lang, "admin_caption_hint"))
    await _send(message, "\n".join(lines))


# ---------------------------------------------------------------- commands
async def on_drafts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = _admin(update, context)
    if found is None:
        return
    services, lang, message, user = found
    settings = services.settings
    corpus = await asyncio.to_thread(
        load_corpus, settings.corpus_dir, max_review_age_days=settings.review_max_age_days
    )
    _record(services, user, "view_drafts")
    pending = sorted((d for d in corpus.documents if not d.published), key=lambda d: d.id)
    if not pending:
        await _send(message, services.texts.get(lang, "admin_no_drafts"))
        return
    issues = Counter(p.path for p in corpus.problems)
    lines = [services.texts.get(lang, "admin_drafts", count=len(pending))]
    for doc in pending[:SHOWN_DRAFTS]:
        line = f"• <code>{_esc(doc.id)}</code> — {_esc(_excerpt(doc.title, 80))}"
        if issues[doc.path]:
            line += " " + services.texts.get(lang, "admin_warnings", count=issues[doc.path])
        lines.append(line)
    if len(pending) > SHOWN_DRAFTS:
        lines.append(f"… +{len(pending) - SHOWN_DRAFTS}")
    await _send(message, "\n".join(lines))


async def on_publish(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Publish with the admin as reviewer, then rebuild the index the engine serves."""
    await _change_status(update, context, publishing=True)


async def on_unpublish(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Withdraw a topic (all three languages), then rebuild the index the engine serves."""
    await _change_status(update, context, publishing=False)


async def _change_status(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, publishing: bool
) -> None:
    found = _admin(update, context)
    if found is None:
        return
    services, lang, message, user = found
    texts = services.texts
    action = "publish" if publishing else "unpublish"
    args = context.args or []
    if len(args) != 1 or not _ID.fullmatch(args[0]):
        await _send(message, texts.get(lang, f"admin_{action}_usage"))
        return
    doc_id, corpus_dir = args[0], services.settings.corpus_dir
    async with services.curation_lock:
        try:
            if publishing:
                changes = await asyncio.to_thread(
                    publish, corpus_dir, doc_id, services.actor(user), settings=services.settings
                )
            else:
                changes = await asyncio.to_thread(unpublish, corpus_dir, doc_id)
        except PublishError as exc:
            _record(services, user, "publish_refused", doc_id)
            lines = [texts.get(lang, "admin_refused", doc_id=doc_id), *_problem_lines(exc.problems)]
            await _send(message, "\n".join(lines))
            return
        except CorpusError:
            await _send(message, texts.get(lang, "admin_not_found", doc_id=doc_id))
            return
        for change in changes:
            _record(services, user, action, change.doc_id)
        done = (
            texts.get(lang, "admin_published", doc_id=doc_id, reviewer=_esc(services.actor(user)))
            if publishing
            else texts.get(lang, "admin_unpublished", doc_id=doc_id)
        )
        await _send(message, done)
        await _typing(context, message.chat_id)
        try:
            report = await asyncio.to_thread(rebuild, services)
        except Exception as exc:  # the previous index keeps serving; say so, keep details
            log.error("index rebuild after %s failed: %s", action, type(exc).__name__)
            await _send(message, texts.get(lang, "admin_index_failed", doc_id=doc_id))
            return
    ready = "admin_index_ready" if publishing else "admin_index_ready_without"
    await _send(message, texts.get(lang, ready, doc_id=doc_id, documents=report.documents))


def rebuild(services: Services) -> BuildReport:
    """Build the index into the engine's own store and switch the engine to it now."""
    from bot.knowledge.index import build_index

    engine = services.engine
    report = build_index(services.settings, engine.embeddings, client=engine.client)
    engine.retriever.refresh()
    return report


async def on_gaps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The top groups of ``kelisim kb gaps``: unanswered questions and 👎 feedback."""
    from bot.curation.clustering import cluster_gaps
    from bot.curation.gaps import load_all

    found = _admin(update, context)
    if found is None:
        return
    services, lang, message, user = found
    await _typing(context, message.chat_id)
    entries = await asyncio.to_thread(load_all, services.settings)
    _record(services, user, "view_gaps")
    if not entries:
        await _send(message, services.texts.get(lang, "admin_no_gaps"))
        return
    clusters = await asyncio.to_thread(cluster_gaps, entries, services.engine.embeddings)
    lines = [services.texts.get(lang, "admin_gaps", entries=len(entries), groups=len(clusters))]
    for n, cluster in enumerate(clusters[:SHOWN_GAPS], 1):
        votes = f" · 👎 {cluster.feedback}" if cluster.feedback else ""
        lines.append(
            f"<b>{n}.</b> ×{cluster.count}{votes} · {','.join(cluster.langs)} — "
            f"{_esc(_excerpt(cluster.example.question))}"
        )
        if cluster.example.reason:
            lines.append(f"    👎 <i>{_esc(_excerpt(cluster.example.reason))}</i>")
    await _send(message, "\n".join(lines))


async def on_feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The latest 👎 cases: question, reply excerpt and reason (no one's identity)."""
    found = _admin(update, context)
    if found is None:
        return
    services, lang, message, user = found
    texts = services.texts
    cases = await asyncio.to_thread(services.store.cases, "down")
    _record(services, user, "view_feedback")
    if not cases:
        await _send(message, texts.get(lang, "admin_no_feedback"))
        return
    lines = [
        texts.get(lang, "admin_feedback", shown=min(len(cases), SHOWN_CASES), count=len(cases))
    ]
    for n, case in enumerate(cases[:SHOWN_CASES], 1):
        day = dt.datetime.fromtimestamp(case.created_at, dt.UTC).date().isoformat()
        reason = (
            _esc(_excerpt(case.reason))
            if case.reason
            else f"<i>{_esc(texts.get(lang, 'admin_no_reason'))}</i>"
        )
        lines += [
            "",
            f"<b>{n}.</b> {day} · {_esc(case.lang)} · {_esc(case.decision)}",
            f"<b>{_esc(texts.get(lang, 'admin_question'))}:</b> "
            f"{_esc(_excerpt(case.question or ''))}",
            f"<b>{_esc(texts.get(lang, 'admin_reply'))}:</b> {_esc(_excerpt(case.reply or ''))}",
            f"<b>{_esc(texts.get(lang, 'admin_reason'))}:</b> {reason}",
        ]
    await _send(message, "\n".join(lines))


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Documents by status and which topics lack a published language."""
    found = _admin(update, context)
    if found is None:
        return
    services, lang, message, user = found
    texts, settings = services.texts, services.settings
    corpus = await asyncio.to_thread(
        load_corpus, settings.corpus_dir, max_review_age_days=settings.review_max_age_days
    )
    _record(services, user, "view_stats")
    published: dict[str, set[str]] = defaultdict(set)
    groups = set()
    for doc in corpus.documents:
        groups.add(doc.group)
        if doc.published:
            published[doc.group].add(doc.lang)
    per_lang = {code: sum(1 for langs in published.values() if code in langs) for code in LANGS}
    counts = Counter(doc.status for doc in corpus.documents)
    lines = [
        texts.get(
            lang,
            "admin_stats",
            published=counts["published"],
            drafts=counts["draft"],
            invalid=len({p.path for p in corpus.errors}),
            groups=len(groups),
            **per_lang,
        )
    ]
    incomplete = sorted(g for g in groups if len(published[g]) < len(LANGS))
    if incomplete:
        lines.append(texts.get(lang, "admin_incomplete"))
        lines += [
            f"• {_esc(g)}: "
            + " ".join(f"{code} {'✓' if code in published[g] else '—'}" for code in LANGS)
            for g in incomplete
        ]
    else:
        lines.append(texts.get(lang, "admin_complete"))
    await _send(message, "\n".join(lines))
