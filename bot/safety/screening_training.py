"""``kelisim safety train-screening``: the screening model rebuilt from the repository.

Training data: the planted and ordinary lines of
``evaluation/datasets/screening/train`` (kk, ru, en), and every sentence of the
published corpus as ordinary text (what educators really write). The frozen
``evaluation/datasets/screening/test.jsonl`` is never read here.

The threshold is chosen on out-of-fold probabilities (5 folds, stratified by
kind): the highest recall of planted lines whose false flags stay within
:data:`MAX_CORPUS_FLAGS` of corpus sentences and :data:`MAX_LINE_FLAGS` of the
ordinary lines the writers made hard on purpose (lines *about* recruiters'
tactics, quoted with their framing). A false flag costs an educator a rewrite; a
missed planted line may reach a young person, but flagging one educational
sentence in twenty would teach educators to ignore the screening.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.engine import lexical as lexical_model
from bot.engine.lexical import LexicalModel
from bot.knowledge.embeddings import KelisimEmbeddings
from bot.safety.screening import scored_text, screen_sentence, sentences
from bot.safety.screening_model import MODEL_FILE, ScreeningModel
from bot.safety.training import vectors_for
from bot.settings import PROJECT_ROOT, Settings

SCREENING_DATA = PROJECT_ROOT / "evaluation" / "datasets" / "screening" / "train"
KINDS = ("assistant", "call", "secrecy", "claim", "contact")
MAX_CORPUS_FLAGS = 0.001
MAX_LINE_FLAGS = 0.05
# From 0.7 up: the gate (2 × threshold − 1) then leaves most sentences unembedded.
_GRID = np.round(np.arange(0.7, 0.96, 0.05), 2)


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    flag: bool
    kind: str  # a planted kind, "benign" (writers' ordinary lines) or "corpus"
    lang: str


@dataclass(slots=True)
class ScreeningReport:
    """Out-of-fold figures at the chosen threshold (rules and model together)."""

    lines: int
    corpus_sentences: int
    threshold: float
    recall: float
    line_flags: float
    corpus_flags: float
    rules_recall: float
    path: Path
    per_kind: dict[str, float] = field(default_factory=dict)
    per_lang: dict[str, float] = field(default_factory=dict)


def labelled_lines(root: Path = SCREENING_DATA) -> list[Line]:
    lines = []
    for path in sorted(root.glob("*.jsonl")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                row = json.loads(raw)
                lines.append(
                    Line(row["sentence"], row["expected"] == "flag", row["kind"], row["lang"])
                )
    return lines


def corpus_lines(settings: Settings) -> list[Line]:
    """Every sentence of the published corpus in its own voice: ordinary text."""
    from bot.knowledge.documents import load_corpus

    corpus = load_corpus(settings.corpus_dir, max_review_age_days=settings.review_max_age_days)
    seen: set[str] = set()
    out = []
    for doc in corpus.published:
        for unit in doc.units:
            for sentence in sentences(f"{unit.question}\n{unit.body}", unit.examples):
                text = scored_text(sentence)
                if text and text not in seen:
                    seen.add(text)
                    out.append(Line(text, False, "corpus", doc.lang))
    return out


def _fit_grams(texts: list[str], y: np.ndarray) -> tuple[LexicalModel, np.ndarray, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=lexical_model.NGRAMS, sublinear_tf=True, min_df=2
    )
    x = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced").fit(x, y)
    vocabulary = {str(g): int(j) for g, j in vectorizer.vocabulary_.items()}
    grams = LexicalModel(
        vocabulary,
        np.asarray(vectorizer.idf_, dtype=np.float64),
        lexical_model.Rows.empty(x.shape[1]),
    )
    return grams, model.coef_[0].astype(np.float64), float(model.intercept_[0])


def _fit_vectors(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced").fit(x, y)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def _fit(texts: list[str], vectors: np.ndarray, y: np.ndarray) -> ScreeningModel:
    grams, gram_weights, gram_bias = _fit_grams(texts, y)
    vector_weights, vector_bias = _fit_vectors(vectors, y)
    return ScreeningModel(grams, gram_weights, gram_bias, vector_weights, vector_bias, 0.5)


def _out_of_fold(
    texts: list[str], vectors: np.ndarray, y: np.ndarray, strata: list[str]
) -> np.ndarray:
    """Each line's mean probability from a model that never saw it."""
    from sklearn.model_selection import StratifiedKFold

    out = np.zeros(len(texts))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, strata):
        model = _fit([texts[i] for i in train], vectors[train], y[train])
        grams = model.gram_probabilities([texts[i] for i in test])
        meaning = 1.0 / (1.0 + np.exp(-(vectors[test] @ model.vector_weights + model.vector_bias)))
        out[test] = (grams + meaning) / 2.0
    return out


def train_screening(
    settings: Settings, embeddings: KelisimEmbeddings, *, root: Path = SCREENING_DATA
) -> ScreeningReport:
    """Fit, choose the threshold out of fold, and write the model file."""
    lines = labelled_lines(root)
    corpus = corpus_lines(settings)
    # The model reads own words only; a planted line that is all quotation is the rules' job.
    usable = [ln for ln in lines if scored_text(ln.text)] + corpus
    texts = [scored_text(ln.text) or ln.text for ln in usable]
    y = np.array([ln.flag for ln in usable])
    vectors = vectors_for(texts, embeddings, settings.data_dir / "cache", "screening-vectors.npz")
    oof = _out_of_fold(texts, vectors, y, [ln.kind for ln in usable])
    rules = np.array([screen_sentence(ln.text) is not None for ln in usable])
    kinds = np.array([ln.kind for ln in usable])
    planted, benign, prose = y, kinds == "benign", kinds == "corpus"

    def rates(threshold: float) -> tuple[float, float, float]:
        flagged = rules | (oof >= threshold)
        return (
            float(flagged[planted].mean()),
            float(flagged[benign].mean()),
            float(flagged[prose].mean()),
        )

    allowed = [
        t
        for t in _GRID
        if rates(float(t))[1] <= MAX_LINE_FLAGS and rates(float(t))[2] <= MAX_CORPUS_FLAGS
    ]
    threshold = float(allowed[0]) if allowed else float(_GRID[-1])
    model = _fit(texts, vectors, y)
    model = ScreeningModel(
        model.grams,
        model.gram_weights,
        model.gram_bias,
        model.vector_weights,
        model.vector_bias,
        threshold,
        {
            "embeddings": embeddings.name,
            "lines": len(lines),
            "corpus_sentences": len(corpus),
            "data_digest": hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16],
        },
    )
    path = settings.safety_dir / MODEL_FILE
    model.save(path)
    recall, line_flags, corpus_flags = rates(threshold)
    flagged = rules | (oof >= threshold)
    langs = np.array([ln.lang for ln in usable])
    return ScreeningReport(
        len(lines),
        len(corpus),
        threshold,
        recall,
        line_flags,
        corpus_flags,
        float(rules[planted].mean()),
        path,
        {k: float(flagged[kinds == k].mean()) for k in KINDS if (kinds == k).any()},
        {lg: float(flagged[planted & (langs == lg)].mean()) for lg in ("kk", "ru", "en")},
    )


__all__ = ["ScreeningReport", "train_screening"]
