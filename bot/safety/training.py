"""``kelisim safety train``: the classifier rebuilt from the labelled data in the repo.

Training data: the *train* split of the labelled safety set (which includes
the first development set), the educators' exemplars, and the questions of the
published corpus units (legitimate questions by construction). Thresholds: chosen on the *dev*
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

ANSWERS = PROJECT_ROOT / "evaluation" / "datasets" / "answers"
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


def policy_expected(expected: tuple[str, ...]) -> tuple[str, ...]:
    """What the *policy* should decide: "not covered" and "did you mean" are answers
    as far as safety goes (the corpus, not the policy, decides between them)."""
    mapped = ["answer" if d in ("no_answer", "clarify") else d for d in expected]
    return tuple(dict.fromkeys(mapped))


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
                Example(
                    str(row["text"]),
                    policy_expected(expected),
                    str(row.get("category") or "general"),
                    str(row.get("lang") or ""),
                )
            )
    return out


def split_files(split: str, root: Path = SAFETY_DATA) -> list[Path]:
    return sorted((root / split).glob("*.jsonl"))


def corpus_questions(settings: Settings) -> list[Example]:
    """Every published unit's question and phrasings: questions the bot must answer.

    They teach the classifier what asking *about* the bot's hard topics looks like,
    in all three languages, so that topic words alone never lead to a refusal.
    """
    from bot.knowledge.documents import load_corpus

    corpus = load_corpus(settings.corpus_dir, max_review_age_days=settings.review_max_age_days)
    return [
        Example(text, ("answer",), "corpus_question", doc.lang)
        for doc in sorted(corpus.published, key=lambda d: d.id)
        for unit in doc.units
        for text in unit.phrasings
    ]


def labelled_examples(settings: Settings, root: Path = SAFETY_DATA) -> list[Example]:
    """The hand-labelled training messages: the train split and the exemplars."""
    examples = read_jsonl(split_files("train", root))
    for ex in load_exemplars(settings.safety_dir / "exemplars.yaml"):
        examples.append(Example(ex.text, (ex.decision.value,), ex.category or "general", ex.lang))
    return examples


def training_examples(settings: Settings, root: Path = SAFETY_DATA) -> list[Example]:
    return labelled_examples(settings, root) + corpus_questions(settings)


def labelled_digest(examples: list[Example]) -> str:
    """Identifies the labelled data a model was trained on (see the model's ``meta``)."""
    return hashlib.sha256("\n".join(f"{e.label}\t{e.text}" for e in examples).encode()).hexdigest()[
        :16
    ]


def vectors_for(
    texts: list[str],
    embeddings: KelisimEmbeddings,
    cache_dir: Path | None,
    cache_name: str = "safety-vectors.npz",
) -> np.ndarray:
    """Query vectors of ``texts``, reusing the on-disk cache by content hash."""
    keys = [hashlib.sha256(f"{embeddings.name}\n{t}".encode()).hexdigest()[:24] for t in texts]
    cache: dict[str, np.ndarray] = {}
    path = cache_dir / cache_name if cache_dir else None
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
            np.savez(tmp, **cache)  # type: ignore[arg-type]
            tmp.replace(path)
    return np.vstack([cache[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


def train(
    settings: Settings,
    embeddings: KelisimEmbeddings,
    *,
    root: Path = SAFETY_DATA,
    out: Path | None = None,
) -> TrainReport:
    """Fit, calibrate, choose thresholds on dev, and write the model file."""
    cache = settings.data_dir / "cache"
    train_set = training_examples(settings, root)
    dev_set = read_jsonl(split_files("dev", root))
    # Legitimate questions, covered by the corpus or not, are part of the dev split too.
    dev_set += read_jsonl(sorted(ANSWERS.glob("dev*.jsonl")))
    x_train = vectors_for([classifier_text(e.text) for e in train_set], embeddings, cache)
    clf = fit(x_train, [e.label for e in train_set])
    if dev_set:
        x_dev = vectors_for([classifier_text(e.text) for e in dev_set], embeddings, cache)
        clf.thresholds = choose_thresholds(clf, x_dev, [e.expected for e in dev_set])
    else:
        x_dev = np.zeros((0, x_train.shape[1]), np.float32)
    labelled = labelled_examples(settings, root)
    clf.meta = {
        "embeddings": embeddings.name,
        "train_examples": len(train_set),
        "labelled_examples": len(labelled),
        "corpus_questions": len(train_set) - len(labelled),
        "dev_examples": len(dev_set),
        "labelled_digest": labelled_digest(labelled),
    }
    path = out or settings.safety_dir / MODEL_FILE
    clf.save(path)
    report = TrainReport(
        len(train_set),
        len(dev_set),
        len(clf.classes),
        clf.temperature,
        clf.thresholds,
        0.0,
        0.0,
        0.0,
        path,
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
