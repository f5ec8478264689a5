"""``make bench``: speed figures, each next to a baseline measured in the same run.

* answer latency p50/p95 over the labelled questions, and the same questions
  through a textbook LangChain retriever-plus-prompt pipeline on the same index;
* index build time for the corpus, for a synthetic 2,000-unit corpus, and for a
  rebuild with nothing changed;
* the safety policy's own cost per message;
* cold start: ``kelisim ask`` in a new process, and the bot's first answer;
* the bounded cost of long, encoded and history-heavy messages;
* "check this post" per post, and its cost after embedding;
* the output guard per sentence;
* the time a running engine takes to pick up a new index generation;
* the evaluation harness (1,000 cases) and, when present, the Telegram load run
  and the scale-out run (1, 2 and 4 workers on PostgreSQL and Redis).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from langchain_chroma import Chroma
from langchain_core.documents import Document as LCDocument
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from bot.engine import get_engine
from bot.knowledge.documents import Document, SourceRef
from bot.knowledge.index import build_index
from bot.knowledge.units import parse_units
from bot.models import Question, Turn
from bot.settings import PROJECT_ROOT, get_settings

SYNTHETIC_DOCUMENTS = 400  # 2,000 units and 8,000 phrasings


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def _join_documents(docs: list[LCDocument]) -> str:
    return "\n\n".join(d.page_content for d in docs)


def _questions() -> list[str]:
    folder = PROJECT_ROOT / "evaluation" / "datasets" / "answers"
    rows = [
        json.loads(line)
        for path in sorted(folder.glob("dev*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [r["text"] for r in rows]


def bench_answers() -> None:
    engine = get_engine(get_settings(), record=False)
    questions = _questions()
    for q in questions[:5]:  # warm caches the way a running bot has them
        engine.answer(Question(q))
    ours = []
    policy = []
    for q in questions:
        t = time.perf_counter()
        engine.answer(Question(q))
        ours.append((time.perf_counter() - t) * 1000)
        vec = engine.embeddings.query_vector(q)
        t = time.perf_counter()
        engine.policy.decide(q, lang="en", vector=vec)
        policy.append((time.perf_counter() - t) * 1000)
    generation = engine.retriever.generation
    store = Chroma(
        collection_name=generation.units,
        embedding_function=engine.embeddings,
        client=engine.client,
        create_collection_if_not_exists=False,
    )
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from the context."), ("human", "{context}\n\n{question}")]
    )
    chain = {
        "context": store.as_retriever(search_kwargs={"k": 8}) | RunnableLambda(_join_documents),
        "question": RunnablePassthrough(),
    } | prompt
    base = []
    for q in questions:
        engine.embeddings._cached_query.cache_clear()  # fair: the baseline embeds every time
        t = time.perf_counter()
        chain.invoke(q)
        base.append((time.perf_counter() - t) * 1000)
    print(
        f"answers ({len(questions)} questions, offline extractive): "
        f"p50 {_pct(ours, 50):.1f} ms, p95 {_pct(ours, 95):.1f} ms"
    )
    print(
        f"  LangChain retriever+prompt baseline (no generation): p50 {_pct(base, 50):.1f} ms, "
        f"p95 {_pct(base, 95):.1f} ms; ratio ours/baseline p95 "
        f"{_pct(ours, 95) / _pct(base, 95):.2f}"
    )
    print(
        f"safety policy alone (query vector given): p50 {_pct(policy, 50):.2f} ms, "
        f"p95 {_pct(policy, 95):.2f} ms"
    )


def bench_index() -> None:
    settings = get_settings()
    engine = get_engine(settings, record=False)
    with tempfile.TemporaryDirectory() as tmp:
        s = settings.model_copy(update={"data_dir": Path(tmp)})
        t = time.perf_counter()
        first = build_index(s, engine.embeddings)
        full = time.perf_counter() - t
        t = time.perf_counter()
        again = build_index(s, engine.embeddings)
        unchanged = time.perf_counter() - t
    print(
        f"index build, corpus ({first.documents} documents, {first.units} answer units, "
        f"{first.phrasings} phrasings) on a fresh data directory: {full:.1f} s "
        f"({first.reused} vectors from knowledge_base/vectors, {first.embedded} embedded); "
        f"rebuild with nothing changed ({again.status}): {unchanged:.2f} s"
    )
    rng = np.random.default_rng(7)
    words = [w for line in _questions() for w in line.split()]
    docs = []
    for i in range(SYNTHETIC_DOCUMENTS):
        body = "\n\n".join(
            f"## Part {j}? {{#part-{j}}}\n\n"
            + " ".join(rng.choice(words, 60))
            + ".\n\nAlso asked:\n"
            + "".join(f"- {' '.join(rng.choice(words, 6))}\n" for _ in range(3))
            + "\nSources: 1"
            for j in range(5)
        )
        units, _ = parse_units(body, f"synthetic-{i}", "en")
        docs.append(
            Document(
                Path(f"synthetic-{i}.md"),
                f"synthetic-{i}-en",
                f"synthetic-{i}",
                "en",
                f"Synthetic {i}",
                ("synthetic",),
                (SourceRef("Synthetic", "https://example.org", None, "1"),),
                "published",
                "bench",
                None,
                body,
                tuple(units),
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        s = settings.model_copy(update={"data_dir": Path(tmp)})
        t = time.perf_counter()
        report = build_index(s, engine.embeddings, documents=docs)
        synthetic = time.perf_counter() - t
        t = time.perf_counter()
        build_index(s, engine.embeddings, documents=docs)
        synthetic_again = time.perf_counter() - t
    print(
        f"index build, synthetic corpus ({report.units} answer units, {report.phrasings} "
        f"phrasings): {synthetic:.1f} s; nothing changed: {synthetic_again:.2f} s"
    )


def bench_cold_ask() -> None:
    """``kelisim ask`` end to end in a new process, next to a bare interpreter start."""

    def wall(*args: str) -> float:
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([sys.executable, *args], check=True, capture_output=True)
            runs.append(time.perf_counter() - t)
        return float(np.median(runs))

    bare = wall("-c", "pass")
    ask = wall("-m", "bot", "ask", "What does it mean that Kazakhstan is a secular state?")
    print(
        f"cold start: `kelisim ask` {ask:.2f} s end to end (median of 3); a bare Python "
        f"start {bare:.2f} s; ratio {ask / bare:.0f}x"
    )


def bench_bounds() -> None:
    """What one message can cost, as multiples of a normal question (fresh text each)."""
    engine = get_engine(get_settings(), record=False)
    questions = _questions()[:40]
    engine.answer(Question("warm up"))

    def cost(question: Question) -> float:
        engine.embeddings._cached_query.cache_clear()
        t = time.perf_counter()
        engine.answer(question)
        return (time.perf_counter() - t) * 1000

    normal = float(np.median([cost(Question(q)) for q in questions]))
    words = " ".join(questions).split()

    def cases(shift: int) -> dict[str, Question]:
        """The long messages, from the words rotated by ``shift`` (fresh text each round)."""
        turned = (words[shift:] + words[:shift]) * 3
        story = " ".join(turned)[:4096]
        encoded = " ".join(f"{w} {base64.b64encode(w.encode()).decode()}" for w in turned)[:4000]
        history = tuple(Turn("user", f"{shift} " + "ы" * 40_000) for _ in range(4))
        return {
            "a 4,096-character story": Question(story),
            "4,000 characters of words and their base64": Question(encoded),
            "a short question after 4 x 40 KB of history": Question(
                questions[shift], history=history
            ),
        }

    rounds = [cases(shift) for shift in (0, 7, 13)]
    print(f"bounded cost: a normal question {normal:.0f} ms (median of {len(questions)})")
    for name in rounds[0]:
        ms = float(np.median([cost(r[name]) for r in rounds]))
        print(
            f"  {name}: {ms:.0f} ms (median of {len(rounds)}), {ms / normal:.1f}x a normal question"
        )


def bench_guard() -> None:
    """The LLM output guard per sentence and per answer, on its dev split.

    An answer is every sentence written from one unit (two to eight), checked at once
    as a reply would be.
    """
    from collections import defaultdict

    from bot.evaluation.guardset import evaluate, load_cases

    cases = load_cases([PROJECT_ROOT / "evaluation" / "datasets" / "guard" / "dev"])
    engine = get_engine(get_settings(), record=False)
    summary = evaluate(engine, cases).summary()
    ms = summary["latency_ms"]
    answers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for case in cases:
        answers[(case.unit, case.lang)].append(case.sentence)
    times = []
    for (unit_id, lang), sentences in sorted(answers.items()):
        unit = engine.retriever.unit(unit_id, lang)  # type: ignore[arg-type]
        if unit is None or len(sentences) < 2:
            continue
        started = time.perf_counter()
        engine.guard.check(" ".join(sentences), [unit], lang)  # type: ignore[arg-type]
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        f"output guard: {ms['p50']:.1f} ms p50, {ms['p95']:.1f} ms p95 per LLM sentence "
        f"({len(cases)} sentences); per answer {times[len(times) // 2]:.1f} ms p50, "
        f"{times[int(len(times) * 0.95)]:.1f} ms p95 ({len(times)} answers of 2-8 sentences)"
    )


def bench_check() -> None:
    """ "Check this post" per post, with and without embedding, next to a normal question.

    Posts are the train split's (fresh text each: the embedding cache is cleared), so
    the figure includes embedding the post and its sentences; the second figure is
    everything after the vectors (cues, the detector, the reply), which is what the
    analysis itself costs.
    """
    from bot.posts.dataset import read_posts, split_files
    from bot.posts.detector import post_sentences

    engine = get_engine(get_settings(), record=False)
    posts = [p.text for p in read_posts(split_files("train"))][::5][:120]
    engine.check("warm up the detector with a post of a few words", lang="en")
    total, after = [], []
    checker = engine._checker
    assert checker is not None
    for text in posts:
        engine.embeddings._cached_query.cache_clear()
        started = time.perf_counter()
        engine.check(text)
        total.append((time.perf_counter() - started) * 1000)
        vector = engine.embeddings.query_vector(text)
        pieces = np.asarray(engine.embeddings.embed_queries(post_sentences(text)))
        started = time.perf_counter()
        found = checker.detector.detect(text, vector, pieces)
        checker._analysis(found, "manipulative", "en", [], vector)
        after.append((time.perf_counter() - started) * 1000)
    questions = _questions()[:40]
    normal = []
    for q in questions:
        engine.embeddings._cached_query.cache_clear()
        started = time.perf_counter()
        engine.answer(Question(q))
        normal.append((time.perf_counter() - started) * 1000)
    base = float(np.median(normal))
    print(
        f"check a post: {_pct(total, 50):.0f} ms p50, {_pct(total, 95):.0f} ms p95 per post "
        f"({len(posts)} posts; {_pct(total, 50) / base:.1f}x a normal question at {base:.0f} ms); "
        f"after embedding: {_pct(after, 50):.1f} ms p50, {_pct(after, 95):.1f} ms p95"
    )


def bench_pickup() -> None:
    """How long a running engine takes to answer from a newly built index generation."""
    from bot.engine.core import Engine
    from bot.knowledge.documents import load_corpus

    base = get_settings()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(base.index_dir, data / "index")
        if (base.data_dir / "cache").exists():
            shutil.copytree(base.data_dir / "cache", data / "cache")
        settings = base.model_copy(update={"data_dir": data})
        serving = Engine(settings, record=False)
        serving.answer(Question("warm up"))
        before = serving.retriever._current().generation
        documents = load_corpus(settings.corpus_dir).published[:-3]  # one topic withdrawn
        started = time.perf_counter()
        build_index(settings, serving.embeddings, documents=documents)
        built = time.perf_counter()
        while serving.retriever._current().generation == before:
            time.sleep(0.05)
        picked = time.perf_counter()
    print(
        f"index pick-up: a running engine answered from the new generation "
        f"{picked - built:.1f} s after the build switched it (build {built - started:.1f} s; "
        f"engines look every few seconds, no restart)"
    )


def main() -> None:
    bench_cold_ask()
    bench_answers()
    bench_bounds()
    bench_check()
    bench_guard()
    bench_index()
    bench_pickup()
    try:
        from bot.evaluation.bench import bench_eval

        print(bench_eval(get_engine(get_settings(), record=False), n=1000, workers=2).line())
    except ImportError:
        pass
    try:
        from bot import benchmarks_scale, benchmarks_telegram
    except ImportError:
        return
    benchmarks_telegram.main()
    benchmarks_scale.main()


if __name__ == "__main__":
    main()
