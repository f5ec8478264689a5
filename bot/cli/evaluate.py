"""``kelisim eval ...``: the evaluation harness for reviewers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli.common import console, ensure_index, err_console, settings

if TYPE_CHECKING:
    from bot.engine import Engine

app = typer.Typer(
    help="Evaluate the bot on labelled cases, gate a release, compare runs.", no_args_is_help=True
)


def _engine(generator: str | None) -> Engine:
    from bot.engine import get_engine

    s = settings()
    if generator is not None:
        if generator not in ("extractive", "llm"):
            raise typer.BadParameter("use extractive or llm", param_hint="--generator")
        s = s.model_copy(update={"generator": generator})
    ensure_index(s)
    return get_engine(s, record=False)


@app.command()
def run(
    datasets: Annotated[
        list[Path], typer.Argument(help="JSONL files, folders of JSONL files, or the XSTest CSV.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Folder for results, summary and reports (created if missing)."
        ),
    ],
    generator: Annotated[
        str | None, typer.Option(help="extractive or llm (default: the configured generator).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Cases answered at once.")] = 2,
    thresholds: Annotated[
        Path | None, typer.Option(help="Gate file (default: evaluation/thresholds.yaml).")
    ] = None,
    no_gate: Annotated[
        bool, typer.Option("--no-gate", help="Report only; never exit 1 for a breached threshold.")
    ] = False,
) -> None:
    """Answer every case, write the run folder and check the release gate.

    Exits 1 when any threshold is breached. Example:
    `kelisim eval run evaluation/datasets --out runs/today`
    """
    from bot.evaluation.cases import load_datasets
    from bot.evaluation.pipeline import evaluate
    from bot.evaluation.report import HEADLINE, fmt

    loaded = load_datasets(datasets)
    for problem in loaded.problems:
        err_console.print(f"[yellow]skipped[/] {escape(str(problem))}", soft_wrap=True)
    if not loaded.cases:
        err_console.print("[red]No cases to run.[/]")
        raise typer.Exit(2)
    engine = _engine(generator)
    from bot.evaluation.gate import DEFAULT_THRESHOLDS

    gate_file = thresholds or DEFAULT_THRESHOLDS
    with Progress(
        TextColumn("Evaluating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("cases", total=len(loaded.cases))
        outcome = evaluate(
            engine,
            loaded.cases,
            problems=loaded.problems,
            out_dir=out,
            thresholds=gate_file,
            workers=workers,
            datasets=[str(p) for p in datasets],
            on_result=lambda _: progress.advance(task),
        )
    overall = outcome.summary["overall"]
    table = Table(
        "metric",
        "value",
        "cases",
        title=f"{outcome.summary['passed']} of "
        f"{outcome.summary['cases']} cases passed ({outcome.seconds:.1f} s)",
    )
    for metric, label in HEADLINE.items():
        table.add_row(label, fmt(metric, overall[metric]), str(outcome.summary["support"][metric]))
    console.print(table)
    console.print(f"Wrote {out / 'report.html'} and {out / 'report.md'}.")
    for c in outcome.checks:
        if not c.measured:
            console.print(f"[dim]gate: {escape(c.describe())}[/]")
    if outcome.breaches:
        err_console.print(f"[red]Gate failed ({gate_file}):[/]")
        for c in outcome.breaches:
            err_console.print(f"  [red]✘[/] {escape(c.describe())}")
        if not no_gate:
            raise typer.Exit(1)
    elif outcome.checks:
        console.print("[green]Gate passed.[/]")


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="The earlier run folder (the baseline).")],
    run_b: Annotated[Path, typer.Argument(help="The later run folder.")],
    fail_on_regression: Annotated[
        bool, typer.Option("--fail-on-regression", help="Exit 1 if any case or metric got worse.")
    ] = False,
) -> None:
    """Metric deltas and the cases that regressed or were fixed between two runs."""
    from bot.evaluation.compare import compare as compare_runs
    from bot.evaluation.report import fmt
    from bot.evaluation.rundir import read_run

    result = compare_runs(read_run(run_a), read_run(run_b))
    table = Table("metric", "before", "after", "change")
    for d in result.deltas:
        change = d.change
        shown = (
            "—"
            if change is None
            else (f"{change:+.0f} ms" if d.metric.endswith("_ms") else f"{change * 100:+.1f} pt")
        )
        colour = "red" if d.worse else ("green" if change else "dim")
        table.add_row(
            d.metric, fmt(d.metric, d.before), fmt(d.metric, d.after), f"[{colour}]{shown}[/]"
        )
    console.print(table)
    for title, changes, colour in (
        ("Regressed", result.regressed, "red"),
        ("Fixed", result.fixed, "green"),
        ("Decision changed", result.decision_changed, "yellow"),
    ):
        if not changes:
            continue
        console.print(f"[bold {colour}]{title} ({len(changes)})[/]")
        for ch in changes:
            why = "; ".join(ch.after.reasons or ch.before.reasons)
            console.print(
                f"  {escape(ch.after.id)}: {ch.before.decision} → {ch.after.decision}"
                + (f" [dim]({escape(why)})[/]" if why else ""),
                soft_wrap=True,
            )
    if result.only_before or result.only_after:
        console.print(
            f"[dim]{len(result.only_before)} cases only in {run_a}, "
            f"{len(result.only_after)} only in {run_b}.[/]"
        )
    if not result.has_regression:
        console.print("[green]No regression.[/]")
    elif fail_on_regression:
        raise typer.Exit(1)


@app.command("rescore-garak")
def rescore_garak(
    report: Annotated[Path, typer.Argument(help="garak's `garak.<id>.report.jsonl`.")],
    threshold: Annotated[
        float,
        typer.Option(help="garak's eval threshold: a detector score at or above it is a hit."),
    ] = 0.5,
) -> None:
    """Re-score garak's attempts with Kelisim's multilingual decision logic.

    Prints garak's own pass rate and ours for each probe, side by side.
    """
    from bot.evaluation.garak import read_attempts, rescore

    attempts = read_attempts(report, threshold)
    if not attempts:
        err_console.print(f"[red]{report} holds no completed attempts.[/]")
        raise typer.Exit(2)
    scores = rescore(_engine(None), attempts)
    table = Table("probe", "attempts", "garak pass", "Kelisim pass", "disagree")
    total = garak = ours = 0
    for probe, s in scores.items():
        table.add_row(
            probe,
            str(s.attempts),
            f"{s.garak_passed / s.attempts:.1%}",
            f"{s.ours_passed / s.attempts:.1%}",
            str(len(s.disagreements)),
        )
        total, garak, ours = total + s.attempts, garak + s.garak_passed, ours + s.ours_passed
    table.add_row(
        "[bold]all[/]",
        str(total),
        f"[bold]{garak / total:.1%}[/]",
        f"[bold]{ours / total:.1%}[/]",
        "",
    )
    console.print(table)


@app.command("guard")
def guard(
    datasets: Annotated[
        list[Path],
        typer.Argument(help="Guard case files or folders (evaluation/datasets/guard/dev, …/test)."),
    ],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the summary as JSON here.")
    ] = None,
) -> None:
    """Check the output guard on LLM sentences that must be kept or dropped.

    Reports, per language, the share of unsupported sentences (negated, numbers or
    names swapped, a false clause added, an example turned into advice) that the
    guard let through — the target is 0 — and the share of faithful paraphrases
    it kept. Example: `kelisim eval guard evaluation/datasets/guard/test`
    """
    import json

    from bot.evaluation.guardset import evaluate, load_cases

    cases = load_cases(datasets)
    if not cases:
        err_console.print("[red]No guard cases found.[/]")
        raise typer.Exit(2)
    summary = evaluate(_engine(None), cases).summary()
    table = Table("language", "cases", "unsupported passed", "faithful kept")
    for lang, row in summary.items():
        if lang == "latency_ms":
            continue
        bad, good = row["unsupported_passed"], row["faithful_kept"]
        table.add_row(
            lang,
            str(row["cases"]),
            f"{bad['rate']:.1%} ({bad['hits']}/{bad['total']})",
            f"{good['rate']:.1%} ({good['hits']}/{good['total']})",
        )
    console.print(table)
    kinds = summary.get("all", {}).get("passed_by_kind", {})
    console.print(
        "Passed, by kind: " + ", ".join(f"{k} {v['hits']}/{v['total']}" for k, v in kinds.items())
    )
    console.print(f"Guard time per sentence: {summary.get('latency_ms')}")
    if json_out is not None:
        json_out.write_text(json.dumps(summary, indent=2), encoding="utf-8")


@app.command("posts")
def posts(
    datasets: Annotated[
        list[Path],
        typer.Argument(help="Labelled post files or folders (evaluation/datasets/posts/test)."),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Also write posts.json and posts.md into this folder."),
    ] = None,
) -> None:
    """Score "check this post" on labelled posts: the whole check, as users get it.

    Per language: manipulative posts given at least one correct technique (target
    ≥ 90%), neutral posts flagged (target ≤ 5%), calls to violence or recruitment
    given the help lines (target 100%), and manipulative posts without such a call
    that got the help lines anyway; then precision and recall per technique.
    Example: `kelisim eval posts evaluation/datasets/posts/test --out runs/gate`
    """
    import json

    from bot.posts.dataset import read_posts
    from bot.posts.evaluation import render, score

    files = [f for d in datasets for f in (sorted(d.glob("*.jsonl")) if d.is_dir() else [d])]
    labelled = read_posts(files)
    if not labelled:
        err_console.print("[red]No labelled posts found.[/]")
        raise typer.Exit(2)
    engine = _engine(None)
    checks = [engine.check(p.text, lang=p.lang) for p in labelled]
    result = score(labelled, checks)
    latencies = sorted(c.latency_ms for c in checks)
    result["latency_ms"] = {
        "p50": latencies[len(latencies) // 2],
        "p95": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))],
    }
    title = f"Check this post: {len(labelled)} labelled posts ({', '.join(map(str, datasets))})"
    table = render(result, title)
    console.print(table)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "posts.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        (out / "posts.md").write_text(f"```\n{table}\n```\n", encoding="utf-8")
        console.print(f"Wrote {out / 'posts.json'} and {out / 'posts.md'}.")
