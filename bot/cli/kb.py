"""``kelisim kb ...``: the knowledge base for educators."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from bot.cli.common import console, err_console, settings
from bot.errors import InvalidCorpusError
from bot.knowledge.documents import load_corpus, missing_translations
from bot.models import LANGS
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.knowledge.embeddings import KelisimEmbeddings

app = typer.Typer(help="Validate, index and inspect the vetted corpus.", no_args_is_help=True)


def run_build(s: Settings, *, rebuild: bool, quiet: bool = False) -> None:
    """Build the index, or raise :class:`InvalidCorpusError` (nothing is built then)."""
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

        embeddings = get_embeddings(s)
        report = build_index(s, embeddings, rebuild=rebuild, progress=on_progress)
        _prepare_answering(s, embeddings, progress)
    if report.status == "unchanged":
        console.print(
            f"Index is up to date: {report.documents} documents, {report.units} "
            f"answer units, {report.phrasings} phrasings ({report.seconds:.2f} s)."
        )
    else:
        console.print(
            f"Index built: {report.documents} documents, {report.units} answer units, "
            f"{report.phrasings} phrasings; embedded {report.embedded}, reused "
            f"{report.reused} ({report.seconds:.1f} s)."
        )


def _prepare_answering(s: Settings, embeddings: KelisimEmbeddings, progress: Progress) -> None:
    """Fit what answering needs from the new generation (lexical model, unit classifier).

    Both are cached beside the index, so the next `kelisim ask` or bot start loads them
    instead of spending half a minute fitting them.
    """
    from bot.engine.retrieval import Retriever
    from bot.knowledge import store

    task = progress.add_task("Preparing the answer models", total=None)
    cache, mirror = s.data_dir / "cache", store.mirror_path(s)
    Retriever(lambda: store.make_client(s), embeddings, cache, mirror).refresh()
    progress.update(task, total=1, completed=1)


@app.command()
def build(
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild", help="Re-embed everything instead of reusing vectors of unchanged text."
        ),
    ] = False,
) -> None:
    """Index the published documents.

    If any document is invalid, nothing is built and the problems are listed: the index
    that is serving stays as it was (unpublish a document to withdraw it). A new index is
    switched to only when it is complete.
    """
    try:
        run_build(settings(), rebuild=rebuild)
    except InvalidCorpusError as exc:
        for problem in exc.problems:
            err_console.print(f"[red]{escape(str(problem))}[/]", soft_wrap=True, highlight=False)
        err_console.print(escape(str(exc)), soft_wrap=True)
        raise typer.Exit(1) from None


@app.command()
def vectors() -> None:
    """Save the index's vectors beside the corpus (knowledge_base/vectors/).

    Run it after `kelisim kb build` when the corpus has changed and the change is to be
    committed: a fresh clone then builds its index from the saved vectors in a minute
    or two instead of embedding every text again (about a quarter of an hour). Only
    the files of documents whose vectors changed are rewritten.
    """
    from bot.errors import IndexBuildError
    from bot.knowledge.embeddings import get_embeddings
    from bot.knowledge.index import save_vectors
    from bot.knowledge.saved_vectors import vectors_dir

    s = settings()
    try:
        report = save_vectors(s, get_embeddings(s))
    except InvalidCorpusError as exc:
        err_console.print(escape(str(exc)), soft_wrap=True)
        raise typer.Exit(1) from None
    except IndexBuildError as exc:
        err_console.print(f"[red]{escape(str(exc))}[/]", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(
        f"Saved vectors in {vectors_dir(s)}: {report.written} files written, "
        f"{report.unchanged} unchanged, {report.removed} removed."
    )


@app.command()
def validate(
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check every document; print problems as `file: field: message`."""
    from bot.knowledge.screening_check import model_problems

    s = settings()
    corpus = load_corpus(s.corpus_dir, max_review_age_days=s.review_max_age_days)
    corpus.problems += model_problems(corpus.documents, s)
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
    table = Table("id", "lang", "status", "units", "title")
    for doc in sorted(corpus.documents, key=lambda d: (d.group, d.lang)):
        if status and doc.status != status:
            continue
        table.add_row(doc.id, doc.lang, doc.status, str(len(doc.units)), doc.title)
    console.print(table)


@app.command()
def stats() -> None:
    """Coverage: answer units per topic and language, and missing translations."""
    s = settings()
    corpus = load_corpus(s.corpus_dir, max_review_age_days=s.review_max_age_days)
    cover: dict[str, dict[str, str]] = defaultdict(dict)
    for doc in corpus.documents:
        mark = f"{len(doc.units)}" if doc.published else f"{len(doc.units)} draft"
        cover[doc.group][doc.lang] = mark
    table = Table("topic", *LANGS, title="Answer units per topic (published unless marked)")
    for group in sorted(cover):
        table.add_row(group, *(cover[group].get(lang, "—") for lang in LANGS))
    console.print(table)
    missing = missing_translations(corpus.documents)
    if missing:
        console.print(f"Units missing a translation ({len(missing)}):")
        for unit_id, langs in missing.items():
            console.print(f"  {unit_id}: no {'/'.join(langs)}", highlight=False)
    units = Counter(doc.lang for doc in corpus.published for _ in doc.units)
    console.print("published units: " + "  ".join(f"{lg} {units[lg]}" for lg in LANGS))
    counts = Counter(doc.status for doc in corpus.documents)
    console.print(
        f"published: {counts['published']}  draft: {counts['draft']}  "
        f"invalid: {len({p.path for p in corpus.errors})}"
    )
