"""``kelisim report trends``: anonymous weekly trends for educators and partners."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli.common import console, settings

app = typer.Typer(help="Anonymous reports on how Kelisim is used.", no_args_is_help=True)


@app.command()
def trends(
    out: Annotated[
        Path, typer.Option("--out", file_okay=False, help="Folder for trends.html and trends.csv.")
    ],
    since: Annotated[
        dt.datetime | None,
        typer.Option(
            "--since", formats=["%Y-%m-%d"], help="Only from this date's week on (YYYY-MM-DD)."
        ),
    ] = None,
) -> None:
    """Messages per ISO week by decision, category, topic and language (HTML and CSV),
    and which manipulation techniques the posts young people checked contained.

    Counts below 5 are shown as "<5". Only counters are stored: no text, no user ids.
    """
    from bot.curation.trend_report import write_report
    from bot.curation.trends import CHECK, load_counts

    s = settings()
    counts = load_counts(s, since=since.date() if since else None)
    total = sum(c.n for c in counts if c.decision != CHECK)
    weeks = len({c.week for c in counts})
    summary = f"{total} messages over {weeks} weeks" + (f" since {since.date()}." if since else ".")
    try:
        paths = write_report(counts, out, summary)
    except OSError as exc:
        console.print(
            f"[red]Cannot write the report in {escape(str(out))}: "
            f"{escape(exc.strerror or type(exc).__name__)}[/]"
        )
        raise typer.Exit(1) from None
    console.print(summary)
    for path in paths:
        console.print(f"wrote {escape(str(path))}")
