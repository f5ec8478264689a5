"""Helpers for tests that start real local servers on 127.0.0.1."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, what: str, seconds: float = 30.0) -> None:
    """Poll ``url`` until it answers 200, or fail saying which server did not start."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


@contextlib.contextmanager
def serving(command: list[str], health_url: str, what: str) -> Iterator[None]:
    """Run ``command`` (a server) until the block ends, once ``health_url`` answers."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(health_url, what)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)
