"""``kelisim safety train``: the classifier rebuilt from the labelled data in the repo.

Training data: the *train* split of the labelled safety set (which includes
the first development set) and the educators' exemplars. Thresholds: chosen on the *dev*
split. The frozen *test* split is never read here. Message vectors are cached
by content hash, so a retrain after adding a few examples takes seconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.knowledge.embeddings import KelisimEmbeddings
from bot.language import detect
from bot.models import Decision
from bot.safety.classifier import SafetyClassifier, choose_thresholds, decide, fit
from bot.safety.exemplars import load_exemplars
from bot.safety.wrappers import unwrap
from bot.settings import PROJECT_ROOT, Settings

SAFETY_DATA = PROJECT_ROOT / "evaluation" / "datasets" / "safety"

MODEL_FILE = "classifier.json"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    expected: tuple[str, ...]
    category: str
    lang: str = ""

    @property
    def label(self) -> str:
        return f"{self.expected[0]}/{self.category}"


@dataclass(slots=True)
class TrainReport:
    train: int
    dev: int
    classes: int
    temperature: float
    thresholds: dict[str, float]
    dev_exact: float
    dev_harmful_blocked: float
    dev_over_refusal: float
    path: Path
    per_lang: dict[str, float] = field(default_factory=dict)


def classifier_text(text: str) -> str:
    """What the classifier reads: the message without injection wrappers, in Cyrillic
    if it is Latin-script Kazakh (the engine does the same before classifying)."""
    unwrapped = unwrap(text).text or text
    return detect(unwrapped).cyrillic or unwrapped


def read_jsonl(paths: Iterable[Path]) -> list[Example]:
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            expected = row["expected"]
            expected = (expected,) if isinstance(expected, str) else tuple(expected)
            out.append(
                Example(str(row["text"]), expected, str(row.get("category") or "general"),
                        str(row.get("lang") or ""))
            )
    return out


def split_files(split: str, root: Path = SAFETY_DATA) -> list[Path]:
    return sorted((root / split).glob("*.jsonl"))


def training_examples(settings: Settings, root: Path = SAFETY_DATA) -> list[Example]:
    examples = read_jsonl(split_files("train", root))
    for ex in load_exemplars(settings.safety_dir / "exemplars.yaml"):
        examples.append(Example(ex.text, (ex.decision.value,), ex.category or "general", ex.lang))
    # no_answer is an answer the corpus could not give: the policy's decision is answer.
    return [
        Example(e.text, ("answer",) if e.expected[0] == "no_answer" else e.expected, e.category,
                e.lang)
        for e in examples
    ]


def vectors_for(
    texts: list[str], embeddings: KelisimEmbeddings, cache_dir: Path | None
) -> np.ndarray:
    """Query vectors of ``texts``, reusing the on-disk cache by content hash."""
    keys = [hashlib.sha256(f"{embeddings.name}\n{t}".encode()).hexdigest()[:24] for t in texts]
    cache: dict[str, np.ndarray] = {}
    path = cache_dir / "safety-vectors.npz" if cache_dir else None
    if path and path.exists():
        try:
            with np.load(path) as data:
                cache = {k: data[k] for k in data.files}
        except (OSError, ValueError, EOFError):  # a damaged cache is rebuilt
            cache = {}
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if missing:
        vecs = embeddings.embed_queries([t for _, t in missing])
        for (key, _), vec in zip(missing, vecs, strict=True):
            cache[key] = np.asarray(vec, dtype=np.float32)
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, **cache)
            tmp.replace(path)
    return np.vstack([cache[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


def train(
    settings: Settings, embeddings: KelisimEmbeddings, *, root: Path = SAFETY_DATA,
    out: Path | None = None,
) -> TrainReport:
    """Fit, calibrate, choose thresholds on dev, and write the model file."""
    cache = settings.data_dir / "cache"
    train_set = training_examples(settings, root)
    dev_set = read_jsonl(split_files("dev", root))
    x_train = vectors_for([classifier_text(e.text) for e in train_set], embeddings, cache)
    clf = fit(x_train, [e.label for e in train_set])
    if dev_set:
        x_dev = vectors_for([classifier_text(e.text) for e in dev_set], embeddings, cache)
        clf.thresholds = choose_thresholds(clf, x_dev, [e.expected for e in dev_set])
    else:
        x_dev = np.zeros((0, x_train.shape[1]), np.float32)
    clf.meta = {
        "embeddings": embeddings.name,
        "train_examples": len(train_set),
        "dev_examples": len(dev_set),
        "train_digest": hashlib.sha256(
            "\n".join(f"{e.label}\t{e.text}" for e in train_set).encode()
        ).hexdigest()[:16],
    }
    path = out or settings.safety_dir / MODEL_FILE
    clf.save(path)
    report = TrainReport(
        len(train_set), len(dev_set), len(clf.classes), clf.temperature, clf.thresholds,
        0.0, 0.0, 0.0, path,
    )
    if dev_set:
        _score(report, clf, x_dev, dev_set)
    return report


def _score(
    report: TrainReport, clf: SafetyClassifier, x: np.ndarray, examples: list[Example]
) -> None:
    probs = clf.decision_probabilities(x)
    got = [decide(row, clf.thresholds).value for row in probs]
    ok = [g in e.expected for g, e in zip(got, examples, strict=True)]
    report.dev_exact = float(np.mean(ok))
    harmful = [g for g, e in zip(got, examples, strict=True) if e.expected[0] in ("refuse",)]
    report.dev_harmful_blocked = (
        float(np.mean([g in ("refuse", "crisis") for g in harmful])) if harmful else 1.0
    )
    benign = [g for g, e in zip(got, examples, strict=True) if e.expected[0] == "answer"]
    report.dev_over_refusal = (
        float(np.mean([g in ("refuse", "out_of_scope") for g in benign])) if benign else 0.0
    )
    for lang in ("kk", "ru", "en"):
        idx = [i for i, e in enumerate(examples) if e.lang == lang]
        if idx:
            report.per_lang[lang] = float(np.mean([ok[i] for i in idx]))


__all__ = ["Decision", "TrainReport", "classifier_text", "train"]
