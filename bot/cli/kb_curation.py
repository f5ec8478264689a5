"""``kelisim kb new | import | publish | unpublish | gaps | audit``: the educators' workflow."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import console, err_console, settings
from bot.curation import audit
from bot.errors import CorpusError
from bot.knowledge.documents import Problem
from bot.models import LANGS, Lang
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.knowledge.embeddings import KelisimEmbeddings

SinceOption = Annotated[
    dt.datetime | None,
    typer.Option("--since", formats=["%Y-%m-%d"], help="Only from this date on (YYYY-MM-DD)."),
]
BuildOption = Annotated[
    bool, typer.Option("--build", help="Rebuild the index right away so `ask` serves the change.")
]


def _lang(value: str) -> Lang:
    value = value.strip().lower()
    if value not in LANGS:
        raise typer.BadParameter("use kk, ru or en", param_hint="--lang")
    return cast(Lang, value)


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]{escape(message)}[/]", soft_wrap=True)
    return typer.Exit(1)


def _rebuild(s: Settings) -> None:
    from bot.cli.kb import run_build

    run_build(s, rebuild=False)


def new(
    title: Annotated[str, typer.Option("--title", help="The document's title, in its language.")],
    lang: Annotated[str, typer.Option("--lang", help="kk, ru or en.")],
    topic: Annotated[str, typer.Option("--topic", help="A short topic tag, e.g. hijab-school.")],
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            help="The group (folder) shared by the kk/ru/en versions; default: the topic.",
        ),
    ] = None,
) -> None:
    """Start a draft document with complete front matter and a body skeleton to fill in.

    Example: `kelisim kb new --title "Хиджаб в школе" --lang ru --topic hijab-school`
    """
    from bot.curation.drafts import new_draft, write_draft

    s = settings()
    if not title.strip():
        raise typer.BadParameter("the title cannot be empty", param_hint="--title")
    try:
        draft = new_draft(title, _lang(lang), topic, group)
        path = write_draft(draft, s.corpus_dir)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--topic") from None
    except CorpusError as exc:
        raise _fail(f"{exc}. Edit that file, or choose another --group.") from None
    audit.record(s, "new", draft.id)
    console.print(
        f"Created draft [bold]{escape(draft.id)}[/]: {escape(str(path))}\n"
        "Replace every TODO, fill in the sources, then run `kelisim kb validate`."
    )


def import_files(
    files: Annotated[list[Path], typer.Argument(help="PDF, DOCX, HTML, TXT or Markdown files.")],
    group: Annotated[
        str | None,
        typer.Option(
            "--group", help="Group (folder) for the drafts; default: from each file's title."
        ),
    ] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="A topic tag to add.")] = None,
) -> None:
    """Turn files into draft documents (one per file) for an educator to edit and review.

    A file that cannot be read is reported and skipped; nothing is overwritten.
    """
    from bot.curation.importer import import_file

    s = settings()
    failed = 0
    for file in files:
        result = import_file(file, s.corpus_dir, group=group, topic=topic)
        if not result.ok:
            failed += 1
            err_console.print(
                f"[red]skipped[/] {escape(str(file))}: {escape(result.error)}", soft_wrap=True
            )
            continue
        audit.record(s, "import", result.doc_id)
        todo = f" [yellow](fill in: {', '.join(result.todo)})[/]" if result.todo else ""
        if result.duplicates:
            todo += (
                f" [yellow](topic {escape(result.duplicates)} already exists: this draft "
                "was created beside it — merge what is new into it, or keep it as a new topic)[/]"
            )
        console.print(
            f"[green]imported[/] {escape(str(file))} → {escape(str(result.path))} "
            f"({result.doc_id}, {result.lang}){todo}",
            soft_wrap=True,
        )
        for problem in screened_lines(result.path, s) if result.path else ():
            console.print(f"  [red]unsafe line[/] {escape(str(problem))}", soft_wrap=True)
    console.print(
        f"{len(files) - failed} imported, {failed} skipped. Review the drafts, then "
        "`kelisim kb validate`."
    )
    if failed:
        raise typer.Exit(1)


def screened_lines(path: Path, s: Settings) -> list[Problem]:
    """The lines of a draft that screening flags (they block publishing)."""
    from bot.knowledge.documents import SCREENED
    from bot.knowledge.screening_check import document_problems

    return [p for p in document_problems(path, s) if SCREENED in p.message]


def publish(
    doc_id: Annotated[
        str,
        typer.Argument(
            help="A document id (hijab-school-kk), a topic (hijab-school: all three languages) "
            "or a lesson (lesson-takfir)."
        ),
    ],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who reviewed it (name).")],
    build: BuildOption = False,
) -> None:
    """Mark reviewed documents as published (status, reviewer and today's date).

    A unit is served only when its kk, ru and en versions are all published, so a
    language version can be published alone only when the other two already are;
    otherwise publish the topic: `kelisim kb publish hijab-school --reviewer "…"`.
    """
    from bot.curation.publishing import PublishError, is_lesson, publish_lesson
    from bot.curation.publishing import publish as do_publish

    s = settings()
    try:
        if is_lesson(doc_id):
            changes = publish_lesson(s.lessons_dir, doc_id, reviewer)
        else:
            changes = do_publish(s.corpus_dir, doc_id, reviewer, settings=s)
    except PublishError as exc:
        raise _fail(str(exc)) from None
    except CorpusError as exc:
        raise _fail(str(exc)) from None
    for change in changes:
        audit.record(s, "publish", change.doc_id, who=reviewer)
        for warning in change.warnings:
            console.print(f"[yellow]{escape(str(warning))}[/]", soft_wrap=True)
        console.print(
            f"Published [bold]{escape(change.doc_id)}[/] (reviewed by {escape(reviewer)})."
        )
    if is_lesson(doc_id):
        console.print("A running bot shows it within seconds (once all three languages are).")
    elif build:
        _rebuild(s)
    else:
        console.print("Run `kelisim kb build` to serve it.")


def unpublish(
    doc_id: Annotated[str, typer.Argument(help="The document id.")],
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who withdraws it (for the audit log); default: your login."),
    ] = None,
    build: BuildOption = False,
) -> None:
    """Withdraw a document and its other-language versions: they return to draft and are no
    longer served after a build."""
    from bot.curation.publishing import unpublish as do_unpublish

    s = settings()
    try:
        changes = do_unpublish(s.corpus_dir, doc_id, lessons_dir=s.lessons_dir)
    except CorpusError as exc:
        raise _fail(str(exc)) from None
    for change in changes:
        audit.record(s, "unpublish", change.doc_id, who=by)
        state = "is now a draft" if change.changed else "was already a draft"
        console.print(f"[bold]{escape(change.doc_id)}[/] {state}.")
    if len(changes) > 1:
        console.print("(A unit is served only in all three languages, so the topic is withdrawn.)")
    if build:
        _rebuild(s)
    elif any(c.changed for c in changes):
        console.print("Run `kelisim kb build` to stop serving it.")


def _embeddings(s: Settings) -> KelisimEmbeddings:
    from bot.knowledge.embeddings import get_embeddings

    return get_embeddings(s)


def gaps(
    since: SinceOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most groups to show.")] = 20,
    threshold: Annotated[
        float,
        typer.Option(
            "--similarity",
            min=0.5,
            max=1.0,
            help="How alike questions must be to group them (cosine).",
        ),
    ] = 0.9,
) -> None:
    """What the corpus is missing: unanswered questions and 👎 feedback (the Telegram bot's
    included), grouped by meaning."""
    from bot.curation.clustering import cluster_gaps
    from bot.curation.gaps import FEEDBACK, load_all

    s = settings()
    entries = load_all(s, since=since.date() if since else None)
    if not entries:
        console.print(
            "No unanswered questions or 👎 feedback recorded"
            + (f" since {since.date()}." if since else ".")
        )
        return
    clusters = cluster_gaps(entries, _embeddings(s), threshold)
    table = Table(
        "#",
        "asked",
        "👎",
        "lang",
        "last",
        "example question",
        title=f"What to write next ({len(entries)} recorded, {len(clusters)} groups)",
    )
    for i, cluster in enumerate(clusters[:limit], 1):
        example = cluster.example
        cell = escape(example.question)
        if example.kind == FEEDBACK:
            cell += f"\n[dim]👎 {escape(example.reason or 'feedback, no reason given')}[/]"
        table.add_row(
            str(i),
            str(cluster.count),
            str(cluster.feedback or ""),
            ",".join(cluster.langs),
            cluster.last_day,
            cell,
        )
    console.print(table)
    if len(clusters) > limit:
        console.print(f"[dim]{len(clusters) - limit} smaller groups not shown (--limit).[/]")


def audit_log(
    since: SinceOption = None,
    document: Annotated[
        str | None, typer.Option("--document", help="Only this document id.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Who changed the corpus and when: every new, import, publish and unpublish, oldest
    first (from every machine that shares the database)."""
    import json
    from dataclasses import asdict

    entries = audit.read(settings())
    if since:
        entries = [e for e in entries if e.when[:10] >= since.date().isoformat()]
    if document:
        entries = [e for e in entries if e.document == document]
    if as_json:
        for entry in entries:
            typer.echo(json.dumps(asdict(entry), ensure_ascii=False))
        return
    if not entries:
        filtered = " for that filter." if since or document else "."
        console.print("No curation actions recorded" + filtered)
        return
    table = Table("when (UTC)", "who", "action", "document", title="Curation audit log")
    for entry in entries:
        table.add_row(entry.when, escape(entry.who), entry.action, escape(entry.document))
    console.print(table)
