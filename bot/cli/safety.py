"""``kelisim safety ...``: the safety classifier for reviewers and maintainers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bot.cli.common import console, settings

app = typer.Typer(help="Train and inspect the safety classifier.", no_args_is_help=True)


@app.command()
def train(
    seed: Annotated[int, typer.Option(help="Random seed (the result is deterministic).")] = 0,
) -> None:
    """Retrain the safety classifier from the labelled data in the repository.

    Reads the *train* split (`evaluation/datasets/safety/train/`) and the exemplars
    (`knowledge_base/safety/exemplars.yaml`), chooses the decision thresholds on the
    *dev* split, and writes `knowledge_base/safety/classifier.json`. The frozen *test*
    split is never read. Takes seconds once the message vectors are cached.
    """
    from bot.knowledge.embeddings import get_embeddings
    from bot.safety.training import train as run

    s = settings()
    with console.status("Embedding and training…"):
        report = run(s, get_embeddings(s))
    table = Table("", "value", title="Safety classifier")
    table.add_row("training examples", str(report.train))
    table.add_row("dev examples (thresholds)", str(report.dev))
    table.add_row("classes (decision/category)", str(report.classes))
    table.add_row("temperature", f"{report.temperature:.2f}")
    table.add_row("thresholds", ", ".join(f"{k} {v:.2f}" for k, v in report.thresholds.items()))
    if report.dev:
        table.add_row("dev: exact decision (classifier alone)", f"{report.dev_exact:.1%}")
        table.add_row("dev: harmful blocked", f"{report.dev_harmful_blocked:.1%}")
        table.add_row("dev: legitimate refused or out of scope", f"{report.dev_over_refusal:.1%}")
        for lang, value in report.per_lang.items():
            table.add_row(f"dev: exact decision, {lang}", f"{value:.1%}")
    console.print(table)
    console.print(f"Wrote {report.path}")


@app.command("train-posts")
def train_posts() -> None:
    """Retrain the "check this post" detector from the labelled posts in the repository.

    Reads the *train* split (`evaluation/datasets/posts/train/`), picks thresholds on
    out-of-fold predictions (5 folds) and writes `knowledge_base/safety/post-detector.json`.
    The frozen *test* split is never read: score it with `kelisim eval posts`.
    """
    from bot.knowledge.embeddings import get_embeddings
    from bot.posts.evaluation import render
    from bot.posts.training import train_posts as run

    s = settings()
    with console.status("Embedding and training…"):
        report = run(s, get_embeddings(s))
    console.print(render(report.dev, f"Out-of-fold (dev) figures on {report.posts} training posts"))
    console.print(
        "thresholds: " + ", ".join(f"{k} {v:.2f}" for k, v in report.thresholds.items()),
        soft_wrap=True,
    )
    console.print(f"Wrote {report.path}")


@app.command("train-screening")
def train_screening() -> None:
    """Retrain the screening model that reads imported and published sentences.

    Reads the planted and ordinary lines of `evaluation/datasets/screening/train/` and
    every sentence of the published corpus (as ordinary text), chooses the threshold on
    out-of-fold probabilities, and writes `knowledge_base/safety/screening.npz`. The
    frozen `evaluation/datasets/screening/test.jsonl` is never read: the tests score it.
    """
    from bot.knowledge.embeddings import get_embeddings
    from bot.safety.screening_training import train_screening as run

    s = settings()
    with console.status("Embedding and training…"):
        report = run(s, get_embeddings(s))
    table = Table("", "value", title="Screening model (out of fold, with the rules)")
    table.add_row(
        "labelled lines / corpus sentences", f"{report.lines} / {report.corpus_sentences}"
    )
    table.add_row("threshold (mean probability)", f"{report.threshold:.2f}")
    table.add_row(
        "planted lines caught (rules alone)", f"{report.recall:.1%} ({report.rules_recall:.1%})"
    )
    for kind, value in report.per_kind.items():
        table.add_row(f"  {kind}", f"{value:.1%}")
    for lang, value in report.per_lang.items():
        table.add_row(f"  {lang}", f"{value:.1%}")
    table.add_row("ordinary lines flagged", f"{report.line_flags:.1%}")
    table.add_row("corpus sentences flagged", f"{report.corpus_flags:.2%}")
    console.print(table)
    console.print(f"Wrote {report.path}")
