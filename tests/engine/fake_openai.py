"""A local OpenAI-compatible chat server whose answers the tests script.

It speaks the same HTTP protocol as OpenAI, vLLM or Ollama's /v1 endpoint
(``POST /v1/chat/completions``, JSON in and out), so the real LangChain client is
exercised end to end.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

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
        self.requests: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            if self.delay:
                time.sleep(self.delay)
            if self.status != 200:
                return JSONResponse(
                    {"error": {"message": "scripted failure", "type": "server_error"}},
                    status_code=self.status,
                )
            text = self.script(body["messages"])
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
