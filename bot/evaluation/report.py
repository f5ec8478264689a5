"""The reports a run leaves behind: a self-contained HTML page and a Markdown headline.

The HTML page carries plotly's JavaScript inline, so it opens from a file with no
network, e.g. attached to a pull request or on an offline laptop.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from bot.evaluation.gate import Check
from bot.evaluation.runner import CaseResult
from bot.models import LANGS

# Headline metrics in the order reviewers read them, with plain labels.
HEADLINE = {
    "pass_rate": "Cases passed",
    "exact_decision_rate": "Exact decision",
    "harmful_blocked_rate": "Harmful requests blocked",
    "harmful_refused_rate": "Harmful requests refused (refusal or crisis reply)",
    "attack_success_rate": "Attack success rate",
    "crisis_recall": "Crisis messages recognised",
    "over_refusal_rate": "Benign questions refused (over-refusal)",
    "language_match_rate": "Replied in the question's language",
    "language_purity": "Every sentence in the reply's language",
    "citation_rate": "Answers with a citation",
    "citation_validity": "Sources belong to the quoted unit",
    "groundedness": "LLM sentences supported (groundedness)",
    "counterfactual_consistency": "Counterfactual consistency",
    "clarify_rate": 'Legitimate questions answered "Did you mean…?"',
    "no_answer_rate": "Legitimate questions not covered",
    "unit_hit_at_1": "Answer unit hit@1",
    "unit_hit_at_3": "Answer unit hit@3",
    "recall_at_1": "Topic recall@1",
    "recall_at_3": "Topic recall@3",
    "recall_at_5": "Topic recall@5",
    "latency_p50_ms": "Latency p50",
    "latency_p95_ms": "Latency p95",
}


def fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    if metric.endswith("_ms"):
        return f"{value:.0f} ms"
    return f"{value * 100:.1f}%"


def _figure_html(fig: go.Figure, div_id: str) -> str:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10}, template="plotly_white")
    html: str = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )
    return html


def heatmap(summary: dict[str, Any], results: Sequence[CaseResult]) -> go.Figure:
    """Pass rate by category (rows) × language (columns)."""
    langs = [lang for lang in LANGS if any(r.lang == lang for r in results)]
    cats = sorted({r.category for r in results})
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for cat in cats:
        row_z: list[float | None] = []
        row_t: list[str] = []
        for lang in langs:
            cell = [r for r in results if r.category == cat and r.lang == lang]
            rate = sum(r.passed for r in cell) / len(cell) if cell else None
            row_z.append(rate)
            row_t.append(f"{rate * 100:.0f}% of {len(cell)}" if rate is not None else "")
        z.append(row_z)
        text.append(row_t)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=langs,
            y=cats,
            text=text,
            texttemplate="%{text}",
            zmin=0,
            zmax=1,
            colorscale="RdYlGn",
            colorbar={"title": "pass"},
        )
    )
    fig.update_layout(
        title="Pass rate by category × language",
        height=max(320, 26 * len(cats) + 120),
        yaxis={"autorange": "reversed"},
    )
    return fig


def confusion_figure(summary: dict[str, Any]) -> go.Figure:
    table: dict[str, dict[str, int]] = summary["confusion"]
    labels = list(table)
    decisions = sorted({d for row in table.values() for d in row})
    z = [[table[label].get(d, 0) for d in decisions] for label in labels]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=decisions,
            y=labels,
            texttemplate="%{z}",
            colorscale="Blues",
            colorbar={"title": "cases"},
        )
    )
    fig.update_layout(
        title="Expected (rows) × decision (columns)",
        xaxis_title="decision",
        height=max(300, 34 * len(labels) + 140),
        yaxis={"autorange": "reversed"},
    )
    return fig


def latency_figure(results: Sequence[CaseResult]) -> go.Figure:
    fig = go.Figure(go.Histogram(x=[r.latency_ms for r in results], nbinsx=40))
    fig.update_layout(title="Answer latency", xaxis_title="ms", yaxis_title="cases", height=320)
    return fig


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2")


# The metrics compared across datasets (dev vs frozen test vs XSTest) and languages.
GENERALISATION = (
    "exact_decision_rate",
    "harmful_blocked_rate",
    "harmful_refused_rate",
    "crisis_recall",
    "over_refusal_rate",
    "language_match_rate",
    "language_purity",
    "counterfactual_consistency",
    "unit_hit_at_1",
    "citation_validity",
    "no_answer_rate",
)


def fmt_ci(metric: str, value: float | None, interval: list[float] | None) -> str:
    """``97.5% (95.1–98.8)``: the value with its 95% Wilson interval."""
    if value is None:
        return "—"
    if not interval:
        return fmt(metric, value)
    return f"{fmt(metric, value)} ({interval[0] * 100:.1f}–{interval[1] * 100:.1f})"


def generalisation(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Columns (dataset · language) and rows (metric, then one cell per column)."""
    cells = {**summary["by_dataset"], **summary["by_dataset_language"]}
    columns = sorted(cells, key=lambda c: (c.split(" · ")[0], " · " in c, c))
    rows = []
    for metric in GENERALISATION:
        if all(cells[c]["metrics"].get(metric) is None for c in columns):
            continue
        rows.append(
            [HEADLINE[metric]]
            + [
                fmt_ci(metric, cells[c]["metrics"].get(metric), cells[c]["intervals"].get(metric))
                for c in columns
            ]
        )
    return [f"{c} ({cells[c]['cases']})" for c in columns], rows


def render_html(
    summary: dict[str, Any],
    results: Sequence[CaseResult],
    checks: Sequence[Check],
    meta: dict[str, Any],
) -> str:
    overall = summary["overall"]
    headline = [
        (HEADLINE[m], fmt(m, overall.get(m)), summary["support"].get(m, 0)) for m in HEADLINE
    ]
    columns, rows = generalisation(summary)
    return _template().render(
        meta=meta,
        general_columns=columns,
        general_rows=rows,
        summary=summary,
        headline=headline,
        checks=checks,
        failures=[r for r in results if not r.passed],
        plotly_js=get_plotlyjs(),
        heatmap=_figure_html(heatmap(summary, results), "chart-heatmap"),
        confusion=_figure_html(confusion_figure(summary), "chart-confusion"),
        latency=_figure_html(latency_figure(results), "chart-latency"),
        fmt=fmt,
    )


def render_markdown(summary: dict[str, Any], checks: Sequence[Check], meta: dict[str, Any]) -> str:
    """The headline for a pull request description."""
    overall = summary["overall"]
    breached = [c for c in checks if not c.ok]
    status = "❌ gate failed" if breached else "✅ gate passed"
    lines = [
        f"## Kelisim evaluation — {status}",
        "",
        f"{summary['passed']} of {summary['cases']} cases passed · generator "
        f"`{meta.get('generator', '?')}` · datasets: {', '.join(meta.get('datasets', []))}",
        "",
        "| metric | value | cases |",
        "| --- | ---: | ---: |",
    ]
    for metric, label in HEADLINE.items():
        lines.append(
            f"| {label} | {fmt(metric, overall.get(metric))} | "
            f"{summary['support'].get(metric, 0)} |"
        )
    if checks:
        lines += ["", "**Gate**", ""]
        lines += [f"- {'✅' if c.ok else '❌'} {c.describe()}" for c in checks]
    by_lang = summary["by_language"]
    if by_lang:
        lines += [
            "",
            "| language | cases | pass | over-refusal | harmful blocked |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for lang, data in by_lang.items():
            m = data["metrics"]
            lines.append(
                f"| {lang} | {data['cases']} | {fmt('p', m['pass_rate'])} | "
                f"{fmt('o', m['over_refusal_rate'])} | "
                f"{fmt('h', m['harmful_blocked_rate'])} |"
            )
    if meta.get("attribution"):
        lines += ["", f"_{meta['attribution']}_"]
    return "\n".join(lines) + "\n"
