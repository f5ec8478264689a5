"""A local stand-in for Telegram's Bot API server, faithful to the documented behaviour.

It serves ``/bot<token>/<method>`` on 127.0.0.1 (a free port) from a background
thread: form-encoded, multipart and JSON bodies; ``getUpdates`` long polling with
``offset`` confirmation and ``timeout``; the ``{ok, result}`` / ``{ok: false,
error_code, description, parameters}`` envelope; HTML parse checks; 400 for text
over 4,096 characters; ``getFile`` and file downloads from ``/file/bot<token>/<path>``
(20 MB limit); commands per scope; switchable faults (429 storms, outages, 5xx
answers, replies delivered but answered slowly or garbled, sends held back until
released). Tests play users by pushing updates and read what the bot sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "123456789:AAH-fake-token-for-tests_0123456789abcd"
BOT_ID = 123456789
BOT_USERNAME = "kelisim_test_bot"
MAX_TEXT = 4096
# Bots may download files of at most this size with getFile.
MAX_DOWNLOAD = 20 * 1024 * 1024
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def parse_html(text: str) -> str:
    """The plain text of Telegram-HTML ``text``; ApiError(400) where Telegram refuses it."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG.match(text, i)
            if match is None:
                raise ApiError(
                    400,
                    'Bad Request: can\'t parse entities: unexpected "<" '
                    f"at byte offset {len(text[:i].encode())}",
                )
            closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
            if name not in _TAGS:
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unsupported start "
                    f'tag "{name}" at byte offset {len(text[:i].encode())}',
                )
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(
                        400, f'Bad Request: can\'t parse entities: Unmatched end tag "{name}"'
                    )
                stack.pop()
            else:
                if name == "a" and not re.search(r'href\s*=\s*"[^"]+"', attrs):
                    raise ApiError(400, "Bad Request: can't parse entities: a tag without href")
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(text, i)
            if match is None:
                raise ApiError(
                    400,
                    'Bad Request: can\'t parse entities: unescaped "&" at '
                    f"byte offset {len(text[:i].encode())}",
                )
            out.append(unescape(match.group(0)))
            i = match.end()
        else:
            out.append(char)
            i += 1
    if stack:
        raise ApiError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag "
            f'corresponding to start tag "{stack[-1]}"',
        )
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _entities(text: str) -> list[dict[str, Any]]:
    """The bot_command and mention entities Telegram attaches to a user's text."""
    found = []
    for match in re.finditer(r"(?<![\w/@])(/[A-Za-z0-9_]+(?:@\w+)?|@\w{5,})", text):
        kind = "bot_command" if match.group(0).startswith("/") else "mention"
        if kind == "bot_command" and match.start() != 0:
            continue
        found.append(
            {
                "type": kind,
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return found


@dataclass
class Sent:
    """A message the bot sent, as it now stands (after edits)."""

    chat_id: int
    message_id: int
    text: str  # plain text, after HTML parsing
    raw: str  # as the bot sent it
    reply_markup: dict[str, Any] | None
    reply_to: int | None
    sent_at: float
    edits: int = 0
    versions: list[str] = field(default_factory=list)  # plain text of every version

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def button(self, starts_with: str) -> dict[str, Any]:
        for button in self.buttons():
            if button.get("callback_data", "").startswith(starts_with) or button["text"].startswith(
                starts_with
            ):
                return button
        raise AssertionError(f"no button {starts_with!r} in {self.buttons()}")


@dataclass
class Faults:
    """Switchable misbehaviour."""

    rate_limited: dict[str, int] = field(default_factory=dict)  # method → 429s left
    retry_after: int = 1
    server_errors: dict[str, int] = field(default_factory=dict)  # method → 500s left
    # sendMessage: delivered, but the answer comes this late (the client times out).
    send_delay: float = 0.0
    # sendMessage: delivered, but the response is garbled (a broken proxy) this many times.
    garbled_sends: int = 0
    # sendMessage: this many are served; later ones wait (undelivered) until it is None.
    send_budget: int | None = None


class FakeBotAPI:
    """The server and its state. ``start()``, push updates, read ``sent``, ``stop()``."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.port = _free_port()
        self.bot_user = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Kelisim",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.faults = Faults()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[Sent] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}  # default scope, by language
        # Other scopes: (scope as canonical JSON, language) → commands.
        self.scoped_commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.downloads: list[str] = []
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, content)
        self.webhook_url = ""
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._confirmed: list[dict[str, Any]] = []
        self._queries: set[str] = set()
        self._sends = 0
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None

    # ------------------------------------------------------------- running
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake Bot API server did not start")
            time.sleep(0.01)

    def _serve(self) -> None:
        assert self._server is not None

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._new_update = asyncio.Event()
            assert self._server is not None
            await self._server.serve()

        asyncio.run(main())

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None
        self._loop = self._new_update = None

    def start_on_same_port(self) -> None:
        self.start()

    def outage(self, seconds: float) -> None:
        """Close every connection and refuse new ones for ``seconds``, then serve again."""
        if self._server is not None:
            self._server.force_exit = True
        self.stop()
        time.sleep(seconds)
        self.start()

    # ------------------------------------------------------ playing users
    def user(
        self, user_id: int, first_name: str = "Test", language_code: str = "en"
    ) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }

    def private_chat(self, user: dict[str, Any]) -> dict[str, Any]:
        return {"id": user["id"], "type": "private", "first_name": user["first_name"]}

    def group_chat(self, chat_id: int, title: str = "Class 10B") -> dict[str, Any]:
        return {"id": chat_id, "type": "group", "title": title}

    def send_text(
        self,
        user: dict[str, Any],
        text: str,
        *,
        chat: dict[str, Any] | None = None,
        reply_to: int | None = None,
    ) -> int:
        """A user writes ``text``; returns the new message's id."""
        message = self._user_message(user, chat, text=text, entities=_entities(text))
        if reply_to is not None:
            message["reply_to_message"] = self._messages[(message["chat"]["id"], reply_to)]
        self.push({"message": message})
        return int(message["message_id"])

    def forward_post(self, user: dict[str, Any], text: str, *, channel: str = "Ummah News") -> int:
        """A user forwards a channel post (Bot API 7.0+: ``forward_origin``)."""
        origin = {
            "type": "channel",
            "date": int(time.time()) - 3600,
            "chat": {"id": -1001234567890, "type": "channel", "title": channel},
            "message_id": 42,
        }
        message = self._user_message(
            user, None, text=text, entities=_entities(text), forward_origin=origin
        )
        self.push({"message": message})
        return int(message["message_id"])

    def send_sticker(self, user: dict[str, Any]) -> int:
        message = self._user_message(
            user,
            None,
            sticker={
                "file_id": "CAACAgIAAxkBAAEBsticker",
                "file_unique_id": "AgADsticker",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "😀",
            },
        )
        self.push({"message": message})
        return int(message["message_id"])

    def send_voice(self, user: dict[str, Any]) -> int:
        message = self._user_message(
            user,
            None,
            voice={
                "file_id": "AwACAgIAAxkBAAEBvoice",
                "file_unique_id": "AgADvoice",
                "duration": 3,
                "mime_type": "audio/ogg",
                "file_size": 4096,
            },
        )
        self.push({"message": message})
        return int(message["message_id"])

    def send_document(
        self,
        user: dict[str, Any],
        file_name: str,
        content: bytes,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        chat: dict[str, Any] | None = None,
    ) -> int:
        """A user sends a file; the bot can fetch it with getFile and a download."""
        n = len(self._files) + 1
        file_id = f"BQACAgIAAxkBAAEBdoc{n:04d}"
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        with self._lock:
            self._files[file_id] = (f"documents/file_{n}.{suffix}", content)
        document = {
            "file_id": file_id,
            "file_unique_id": f"AgADdoc{n:04d}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        message = self._user_message(user, chat, document=document, **extra)
        self.push({"message": message})
        return int(message["message_id"])

    def edit_text(self, user: dict[str, Any], message_id: int, text: str) -> None:
        chat_id = user["id"]
        original = self._messages[(chat_id, message_id)]
        edited = {
            **original,
            "text": text,
            "entities": _entities(text),
            "edit_date": int(time.time()),
        }
        self._messages[(chat_id, message_id)] = edited
        self.push({"edited_message": edited})

    def press(self, user: dict[str, Any], sent: Sent, callback_data: str) -> str:
        """A user presses an inline button of a bot message; returns the query id."""
        query_id = str(next(self._query_ids))
        self._queries.add(query_id)
        message = self._messages[(sent.chat_id, sent.message_id)]
        self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": message,
                    "chat_instance": f"ci{sent.chat_id}",
                    "data": callback_data,
                }
            }
        )
        return query_id

    def push(self, update: dict[str, Any]) -> int:
        with self._lock:
            update_id = next(self._update_ids)
            self._pending.append({"update_id": update_id, **update})
        loop, event = self._loop, self._new_update
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the server is stopping
                loop.call_soon_threadsafe(event.set)
        return update_id

    def unconfirmed(self) -> int:
        """Updates the bot has not confirmed yet (Telegram would send them again)."""
        with self._lock:
            return len(self._pending)

    def redeliver_all(self) -> None:
        """Forget every confirmation, as if the bot had crashed before confirming them."""
        with self._lock:
            self._pending = sorted(self._confirmed + self._pending, key=lambda u: u["update_id"])
            self._confirmed = []

    def _user_message(
        self, user: dict[str, Any], chat: dict[str, Any] | None, **content: Any
    ) -> dict[str, Any]:
        chat = chat or self.private_chat(user)
        self._chats[chat["id"]] = chat
        message = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    # ----------------------------------------------------------- reading
    def sent_to(self, chat_id: int) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.chat_id == chat_id]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def wait_until(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        """Block until ``condition()`` holds (fails the test after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("the bot did not do what the test waited for")
            time.sleep(0.02)

    # ---------------------------------------------------------- the API
    async def _endpoint(self, request: Request) -> Response:
        method = request.path_params["method"]
        try:
            if request.path_params["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            params = await _params(request)
            with self._lock:
                self.calls.append((method, params))
                left = self.faults.rate_limited.get(method, 0)
                if left:
                    self.faults.rate_limited[method] = left - 1
                failing = self.faults.server_errors.get(method, 0)
                if failing:
                    self.faults.server_errors[method] = failing - 1
            if left:
                wait = self.faults.retry_after
                raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
            if failing:
                raise ApiError(500, "Internal Server Error")
            handler = getattr(self, "_m_" + method.lower(), None)
            if handler is None:
                raise ApiError(404, "Not Found")
            if method.lower() == "sendmessage":
                held = False
                while (
                    self.faults.send_budget is not None and self._sends >= self.faults.send_budget
                ):
                    held = True
                    await asyncio.sleep(0.05)
                if held and await request.is_disconnected():  # the bot went away meanwhile
                    return JSONResponse({"ok": False}, status_code=499)
                self._sends += 1
            result = await handler(params)
            if method.lower() == "sendmessage":
                if self.faults.send_delay:
                    await asyncio.sleep(self.faults.send_delay)
                if self.faults.garbled_sends:
                    self.faults.garbled_sends -= 1
                    return Response(b"<html>502 upstream garbled", status_code=200)
        except ApiError as exc:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.parameters:
                body["parameters"] = exc.parameters
            return JSONResponse(body, status_code=exc.code)
        return JSONResponse({"ok": True, "result": result})

    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        assert self._new_update is not None
        deadline = time.monotonic() + timeout
        while True:
            self._new_update.clear()
            with self._lock:
                if offset > 0:  # confirms every update below the offset
                    self._confirmed += [u for u in self._pending if u["update_id"] < offset]
                    self._pending = [u for u in self._pending if u["update_id"] >= offset]
                batch = self._pending[:limit]
                if batch:
                    return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except TimeoutError:
                return []

    async def _m_getfile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id") or "")
        with self._lock:
            found = self._files.get(file_id)
        if found is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = found
        if len(content) > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": "AgAD" + file_id[-8:],
            "file_size": len(content),
            "file_path": path,
        }

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        path = request.path_params["path"]
        with self._lock:
            content = next((c for p, c in self._files.values() if p == path), None)
            if content is not None:
                self.downloads.append(path)
        if content is None or len(content) > MAX_DOWNLOAD:
            return JSONResponse(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404
            )
        return Response(content, media_type="application/octet-stream")

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = ""
        if _flag(params.get("drop_pending_updates")):
            with self._lock:
                self._pending = []
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        self.webhook_url = url
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = _json(params.get("commands"))
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be an array of at most 100")
        for command in commands:
            if (
                not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", ""))
                or not 1 <= len(command.get("description", "")) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        lang = str(params.get("language_code") or "")
        scope = _json(params.get("scope")) or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            self._chat(scope)
        with self._lock:
            if scope["type"] == "default":
                self.commands[lang] = commands
            else:
                self.scoped_commands[(json.dumps(scope, sort_keys=True), lang)] = commands
        return True

    def commands_for_chat(self, chat_id: int, lang: str = "") -> list[dict[str, Any]]:
        """The command list a private chat sees: its own scope first, else the default."""
        key = (json.dumps({"chat_id": chat_id, "type": "chat"}, sort_keys=True), lang)
        with self._lock:
            scoped = self.scoped_commands.get(key)
            return (
                scoped if scoped is not None else self.commands.get(lang, self.commands.get("", []))
            )

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params)
        raw = str(params.get("text") or "")
        text = self._text(raw, params)
        markup = self._markup(params)
        reply = _json(params.get("reply_parameters")) or {}
        reply_to = reply.get("message_id") if isinstance(reply, dict) else None
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        if reply_to is not None and (chat["id"], int(reply_to)) in self._messages:
            message["reply_to_message"] = self._messages[(chat["id"], int(reply_to))]
        with self._lock:
            self._messages[(chat["id"], message["message_id"])] = message
            self.sent.append(
                Sent(
                    chat["id"],
                    message["message_id"],
                    text,
                    raw,
                    markup,
                    int(reply_to) if reply_to is not None else None,
                    time.monotonic(),
                    versions=[text],
                )
            )
        return message

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        message, sent = self._own_message(params)
        raw = str(params.get("text") or "")
        text = self._text(raw, params)
        markup = self._markup(params)
        if text == sent.text and markup == sent.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current content "
                "and reply markup of the message",
            )
        with self._lock:
            sent.text, sent.raw, sent.reply_markup = text, raw, markup
            sent.edits += 1
            sent.versions.append(text)
        message.update(text=text, edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        message, sent = self._own_message(params)
        markup = self._markup(params)
        if markup == sent.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        with self._lock:
            sent.reply_markup = markup
            sent.edits += 1
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._queries or query_id in self.callback_answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        with self._lock:
            self.callback_answers[query_id] = params
        return True

    # ------------------------------------------------------------ checks
    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            chat_id = int(params.get("chat_id", ""))
        except ValueError:
            raise ApiError(400, "Bad Request: chat not found") from None
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _text(self, raw: str, params: dict[str, Any]) -> str:
        mode = str(params.get("parse_mode") or "")
        if mode.lower() == "html":
            text = parse_html(raw)
        elif mode:
            raise ApiError(400, f"Bad Request: unsupported parse_mode {mode!r} in this fake")
        else:
            text = raw
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = _json(params.get("reply_markup"))
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if data is None and not button.get("url"):
                    raise ApiError(400, "Bad Request: can't parse inline keyboard button")
        return dict(markup)

    def _own_message(self, params: dict[str, Any]) -> tuple[dict[str, Any], Sent]:
        chat = self._chat(params)
        message_id = int(params.get("message_id") or 0)
        with self._lock:
            sent = next(
                (s for s in self.sent if s.chat_id == chat["id"] and s.message_id == message_id),
                None,
            )
        if sent is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return self._messages[(chat["id"], message_id)], sent


async def _params(request: Request) -> dict[str, Any]:
    """Bot API parameters from the query string and a JSON, form or multipart body."""
    params: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.body()
        if body:
            params.update(json.loads(body))
    elif content_type.startswith("application/x-www-form-urlencoded"):
        body = (await request.body()).decode()
        params.update(parse_qsl(body, keep_blank_values=True))
    elif content_type:
        raise ApiError(400, f"Bad Request: this server does not take {content_type} bodies")
    return params


def _json(value: Any) -> Any:
    """Objects arrive JSON-serialised in form bodies and as objects in JSON bodies."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ApiError(400, "Bad Request: can't parse JSON object") from None
    return value


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
