"""A local OpenAI-compatible chat server whose answers the tests script.

It speaks the same HTTP protocol as OpenAI, vLLM or Ollama's /v1 endpoint
(``POST /v1/chat/completions``, JSON in and out), so the real LangChain client is
exercised end to end.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from tests.servers import free_port

Script = Callable[[list[dict[str, Any]]], str]


def passages_of(messages: list[dict[str, Any]]) -> dict[int, str]:
    """The numbered passages the engine put into the user message."""
    user = next(m["content"] for m in messages if m["role"] == "user")
    found = re.findall(r"\[(\d+)\] [^\n]*\n(.*?)(?=\n\n\[\d+\] |\n\n\S+:|\Z)", user, re.S)
    return {int(n): text.strip() for n, text in found}


class FakeOpenAI:
    """Runs uvicorn in a thread on 127.0.0.1; ``script`` decides each answer."""

    def __init__(self) -> None:
        self.script: Script = lambda messages: "Hello [1]"
        self.status = 200
        self.delay = 0.0
        self.stream_delay = 0.05
        self.requests: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            if self.delay:
                await asyncio.sleep(self.delay)  # a slow request must not hold up the next
            if self.status != 200:
                return JSONResponse(
                    {"error": {"message": "scripted failure", "type": "server_error"}},
                    status_code=self.status,
                )
            text = self.script(body["messages"])
            if body.get("stream"):
                return StreamingResponse(self._chunks(text, body), media_type="text/event-stream")
            return JSONResponse(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )

        self.port = free_port()
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    async def _chunks(self, text: str, body: dict[str, Any]) -> AsyncIterator[str]:
        """Server-sent events in OpenAI's chunk format, a few words at a time."""
        words = re.findall(r"\S+\s*", text)
        for start in range(0, len(words), 3):
            chunk = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": "".join(words[start : start + 3])},
                        "finish_reason": None,
                    }
                ],
            }
            yield f"data: {json.dumps(chunk)}\n\n"
            await asyncio.sleep(self.stream_delay)
        done = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
        yield f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        while not self._server.started:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
