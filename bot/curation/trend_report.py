"""``kelisim report trends``: weekly counts by decision, category, topic and language,
and the manipulation techniques found in posts young people checked.

Any count below :data:`MIN_CELL` is shown as ``<5`` so that a rare kind of
message in a small school cannot point at the person who sent it.
"""

from __future__ import annotations

import csv
import dataclasses
import html
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go

from bot.curation.trends import CHECK, Count

MIN_CELL = 5
SUPPRESSED = f"<{MIN_CELL}"
DIMENSIONS = ("decision", "category", "topic", "language")
# Checked posts ("check this post") are counted per technique named (``neutral``
# for a post without any), in a table of their own.
TECHNIQUE = "technique"


@dataclass(frozen=True, slots=True)
class Table:
    """Counts of one dimension: ``cells[(week, value)]``."""

    dimension: str
    weeks: list[str]
    values: list[str]
    cells: dict[tuple[str, str], int]

    def shown(self, week: str, value: str) -> str:
        """The cell as published: the count, ``<5``, or empty when there was none."""
        n = self.cells.get((week, value), 0)
        if n == 0:
            return ""
        return SUPPRESSED if n < MIN_CELL else str(n)


def tabulate(counts: Sequence[Count], dimension: str) -> Table:
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for c in counts:
        cells[(c.week, getattr(c, dimension))] += c.n
    weeks = sorted({w for w, _ in cells})
    totals: dict[str, int] = defaultdict(int)
    for (_, value), n in cells.items():
        totals[value] += n
    values = sorted(totals, key=lambda v: (-totals[v], v))
    return Table(dimension, weeks, values, dict(cells))


def tables(counts: Sequence[Count]) -> list[Table]:
    """One table per dimension of replies, then techniques named in checked posts."""
    replies = [c for c in counts if c.decision != CHECK]
    checks = [c for c in counts if c.decision == CHECK]
    out = [tabulate(replies, d) for d in DIMENSIONS]
    if checks:
        out.append(dataclasses.replace(tabulate(checks, "category"), dimension=TECHNIQUE))
    return out


def write_csv(path: Path, all_tables: Sequence[Table]) -> None:
    """Long format: ``week, dimension, value, messages`` (``<5`` for small cells)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["week", "dimension", "value", "messages"])
        for table in all_tables:
            for week in table.weeks:
                for value in table.values:
                    shown = table.shown(week, value)
                    if shown:
                        writer.writerow([week, table.dimension, value, shown])


def _figure(table: Table) -> go.Figure:
    fig = go.Figure()
    for value in table.values:
        ys = [table.cells.get((w, value), 0) for w in table.weeks]
        # Suppressed cells are not drawn; their hover label says "<5".
        fig.add_bar(
            name=value,
            x=table.weeks,
            y=[n if n >= MIN_CELL else None for n in ys],
            hovertext=[table.shown(w, value) for w in table.weeks],
            hoverinfo="name+x+text",
        )
    fig.update_layout(
        barmode="stack",
        title=_heading(table) + " per week",
        xaxis_title="ISO week",
        yaxis_title="messages",
        height=420,
    )
    return fig


def _heading(table: Table) -> str:
    if table.dimension == TECHNIQUE:
        return "Manipulation techniques in checked posts"
    return f"Messages by {table.dimension}"


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(w)}</th>" for w in table.weeks)
    rows = "".join(
        f"<tr><th>{html.escape(v)}</th>"
        + "".join(f"<td>{html.escape(table.shown(w, v))}</td>" for w in table.weeks)
        + "</tr>"
        for v in table.values
    )
    return (
        f"<table><thead><tr><th>{html.escape(table.dimension)}</th>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kelisim: weekly trends</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse;margin:1em 0 3em}}td,th{{border:1px solid #ccc;padding:.3em .6em}}
td{{text-align:right}}</style></head><body>
<h1>Kelisim: messages per ISO week</h1>
<p>{summary} Counts below {min_cell} are shown as “{suppressed}” and not drawn, so that rare
messages cannot be traced to a person. No message text or user data is kept.</p>
{sections}
</body></html>
"""


def write_html(path: Path, all_tables: Sequence[Table], summary: str) -> None:
    """One self-contained page (plotly's script inlined once): a chart and a table each."""
    sections = []
    for i, table in enumerate(all_tables):
        chart = _figure(table).to_html(full_html=False, include_plotlyjs=(i == 0))
        sections.append(f"<h2>{html.escape(_heading(table))}</h2>{chart}{_html_table(table)}")
    path.write_text(
        _PAGE.format(
            summary=html.escape(summary),
            min_cell=MIN_CELL,
            suppressed=html.escape(SUPPRESSED),
            sections="\n".join(sections),
        ),
        encoding="utf-8",
    )


def write_report(counts: Sequence[Count], out_dir: Path, summary: str) -> list[Path]:
    """Write ``trends.html`` and ``trends.csv`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    all_tables = tables(counts)
    csv_path, html_path = out_dir / "trends.csv", out_dir / "trends.html"
    write_csv(csv_path, all_tables)
    write_html(html_path, all_tables, summary)
    return [html_path, csv_path]
