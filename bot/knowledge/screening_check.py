"""The learned screening run over documents: at validate, build, import and publish.

The screening rules already run inside :func:`bot.knowledge.documents.parse_document`
(they are cheap and need nothing loaded). The model (:mod:`bot.safety.screening_model`)
reads what the rules let through; it runs where a document is let in — ``kb
validate``, ``kb build``, ``kb import`` and a Telegram upload, and publishing — and
not every time a corpus is parsed. A flag is an error in a published document (it
is not built, not published) and a warning in a draft, listed with its line.

The engine quotes only units of a built index, so a flagged line never reaches a
young person; its own check at quoting time uses the rules alone, which need
nothing loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.knowledge.documents import SCREENED, Document, Problem, parse_document
from bot.safety.screening import scored_text, screen_sentence, sentences
from bot.safety.screening_model import MODEL_FILE, Embed, ScreeningModel
from bot.settings import Settings, get_settings

_WHY = (
    "reads like a planted line (a note to an assistant, a call to join, give or keep "
    "secrets, or a recruiter's claim; screening model {score:.2f})"
)


@lru_cache(maxsize=4)
def _model(path: Path, mtime: float) -> ScreeningModel:
    return ScreeningModel.load(path)


def load_model(settings: Settings) -> ScreeningModel:
    """The screening model of ``settings.safety_dir`` (re-read when the file changes)."""
    path = settings.safety_dir / MODEL_FILE
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0  # ScreeningModel.load says what is missing
    return _model(path, mtime)


def _embedder(settings: Settings) -> Embed:
    def embed(texts: list[str]) -> np.ndarray:
        from bot.knowledge.embeddings import get_embeddings
        from bot.safety.training import vectors_for

        return vectors_for(
            texts, get_embeddings(settings), settings.data_dir / "cache", "screening-vectors.npz"
        )

    return embed


def model_problems(
    documents: Iterable[Document], settings: Settings | None = None
) -> list[Problem]:
    """What the screening model flags in ``documents``, one problem per sentence.

    Sentences the rules flag are left out: ``parse_document`` reports those already.
    """
    settings = settings or get_settings()
    found: list[tuple[Document, str, str, str]] = []
    for doc in documents:
        for unit in doc.units:
            # The heading is the asker's words ("he says only our teacher knows the truth"):
            # the rules read it, the model reads what the unit itself says.
            for sentence in sentences(unit.body, unit.examples):
                text = scored_text(sentence)
                if text and screen_sentence(sentence) is None:
                    found.append((doc, unit.anchor, sentence, text))
    if not found:
        return []
    model = load_model(settings)
    scores = model.probabilities([text for *_, text in found], _embedder(settings))
    problems = []
    for (doc, anchor, sentence, _), score in zip(found, scores, strict=True):
        if score >= model.threshold:
            excerpt = sentence if len(sentence) <= 120 else sentence[:119] + "…"
            problems.append(
                Problem(
                    doc.path,
                    f"{{#{anchor}}}",
                    f"{_WHY.format(score=score)}: «{excerpt}» — remove or rewrite it, or put a "
                    f"quotation on an example line: {SCREENED}",
                    "error" if doc.published else "warning",
                )
            )
    return problems


def document_problems(path: Path, settings: Settings | None = None) -> list[Problem]:
    """Everything wrong with one document file, the screening model's findings included."""
    doc, problems = parse_document(path)
    return problems + model_problems([doc], settings) if doc is not None else problems


__all__ = ["document_problems", "load_model", "model_problems"]
