"""``kelisim serve``: the engine behind an OpenAI-compatible HTTP endpoint."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import console, ensure_index, settings


def serve(
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on. Keep 127.0.0.1 unless a "
            "reverse proxy with authentication is in front."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8088,
) -> None:
    """Serve `/v1/chat/completions`, `/v1/models` and `/healthz` (model name `kelisim`).

    Any OpenAI client works: base URL `http://HOST:PORT/v1`, model `kelisim`, any API key.
    """
    import uvicorn

    from bot.engine import get_engine
    from bot.server import create_app

    s = settings()
    ensure_index(s)
    app = create_app(get_engine(s, record=False))
    console.print(f"Kelisim is listening on http://{host}:{port}/v1 (model `kelisim`).")
    uvicorn.run(app, host=host, port=port, log_level=s.log_level.lower())
