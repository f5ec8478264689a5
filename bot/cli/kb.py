"""``kelisim kb ...``: the knowledge base for educators."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from bot.cli.common import console, err_console, settings
from bot.knowledge.documents import load_corpus
from bot.models import LANGS
from bot.settings import Settings

app = typer.Typer(help="Validate, index and inspect the vetted corpus.", no_args_is_help=True)


def run_build(s: Settings, *, rebuild: bool, quiet: bool = False) -> int:
    """Build the index; returns the number of invalid documents skipped."""
    from bot.knowledge.embeddings import get_embeddings
    from bot.knowledge.index import build_index

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
        disable=quiet,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(f"Indexing {label}", total=total)
            progress.update(tasks[label], completed=done)

        report = build_index(s, get_embeddings(s), rebuild=rebuild, progress=on_progress)
    for problem in report.errors:
        err_console.print(f"[yellow]skipped[/] {escape(str(problem))}", soft_wrap=True)
    if report.status == "unchanged":
        console.print(
            f"Index is up to date: {report.documents} documents, {report.chunks} "
            f"passages, {report.sentences} sentences ({report.seconds:.2f} s)."
        )
    else:
        console.print(
            f"Index built: {report.documents} documents, {report.chunks} passages, "
            f"{report.sentences} sentences; embedded {report.embedded}, reused "
            f"{report.reused} ({report.seconds:.1f} s)."
        )
    return len({p.path for p in report.errors})


@app.command()
def build(
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild", help="Re-embed everything instead of reusing vectors of unchanged text."
        ),
    ] = False,
) -> None:
    """Index the published documents. Invalid ones are skipped and listed; the index that is
    serving stays in place until the new one is complete."""
    run_build(settings(), rebuild=rebuild)


@app.command()
def validate(
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check every document; print problems as `file: field: message`."""
    s = settings()
    corpus = load_corpus(s.corpus_dir, max_review_age_days=s.review_max_age_days)
    for problem in corpus.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        console.print(f"[{colour}]{escape(str(problem))}[/]", highlight=False, soft_wrap=True)
    bad = len({p.path for p in corpus.errors})
    console.print(
        f"{len(corpus.documents)} valid documents, {bad} invalid, {len(corpus.warnings)} warnings."
    )
    if bad or (strict and corpus.warnings):
        raise typer.Exit(1)


@app.command("list")
def list_documents(
    status: Annotated[str | None, typer.Option(help="Only `draft` or `published`.")] = None,
) -> None:
    """List documents with their language, status and title."""
    s = settings()
    corpus = load_corpus(s.corpus_dir, max_review_age_days=s.review_max_age_days)
    table = Table("id", "lang", "status", "words", "title")
    for doc in sorted(corpus.documents, key=lambda d: (d.group, d.lang)):
        if status and doc.status != status:
            continue
        table.add_row(doc.id, doc.lang, doc.status, str(doc.words), doc.title)
    console.print(table)


@app.command()
def stats() -> None:
    """Coverage: topics × languages, and counts by status."""
    s = settings()
    corpus = load_corpus(s.corpus_dir, max_review_age_days=s.review_max_age_days)
    cover: dict[str, dict[str, str]] = defaultdict(dict)
    for doc in corpus.documents:
        cover[doc.group][doc.lang] = "✓" if doc.published else "draft"
    table = Table("topic", *LANGS, title="Coverage (✓ published)")
    for group in sorted(cover):
        table.add_row(group, *(cover[group].get(lang, "—") for lang in LANGS))
    console.print(table)
    counts = Counter(doc.status for doc in corpus.documents)
    console.print(
        f"published: {counts['published']}  draft: {counts['draft']}  "
        f"invalid: {len({p.path for p in corpus.errors})}"
    )
