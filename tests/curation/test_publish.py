"""`kb publish` / `kb unpublish`: in-place status changes that decide what `ask` can cite."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import Invoke, copy_real

from bot.curation import audit
from bot.curation.publishing import PublishError, publish
from bot.engine import Engine
from bot.knowledge import embeddings as embeddings_module
from bot.knowledge.documents import load_corpus
from bot.knowledge.embeddings import KelisimEmbeddings
from bot.knowledge.index import build_index
from bot.models import Decision, Question
from bot.settings import Settings

GROUPS = ("religious-holidays", "secular-state", "online-safety")
HOLIDAY_QUESTION = "Is Kurban Ait a day off in Kazakhstan?"


def copy_group(settings: Settings, group: str) -> None:
    for lang in ("kk", "ru", "en"):
        copy_real(settings, group, lang)


def test_publish_edits_only_status_lines(invoke: Invoke, cur_settings: Settings) -> None:
    copy_group(cur_settings, "secular-state")
    path = cur_settings.corpus_dir / "secular-state" / "en.md"
    original = re.sub(
        r"(?m)^reviewed_at: .*$", "reviewed_at: 2025-12-01", path.read_text(encoding="utf-8")
    )
    path.write_text(original, encoding="utf-8")
    result = invoke("unpublish", "secular-state-en", "--by", "Dana")
    assert result.exit_code == 0 and "topic is withdrawn" in " ".join(result.output.split())
    draft = path.read_text(encoding="utf-8")
    assert draft == original.replace("\nstatus: published\n", "\nstatus: draft\n")
    assert not load_corpus(cur_settings.corpus_dir).published  # all three versions

    # One language alone cannot be served: its units need their translations.
    result = invoke("publish", "secular-state-en", "--reviewer", "Dana")
    assert result.exit_code == 1
    assert "needs a published kk/ru version" in " ".join(result.output.split())
    assert path.read_text(encoding="utf-8") == draft

    result = invoke("publish", "secular-state", "--reviewer", "Ержан Сейітов")
    assert result.exit_code == 0, result.output
    today = dt.date.today().isoformat()
    changed = [
        (a, b)
        for a, b in zip(
            original.splitlines(), path.read_text(encoding="utf-8").splitlines(), strict=True
        )
        if a != b
    ]
    assert [b for _, b in changed] == ['reviewed_by: "Ержан Сейітов"', f"reviewed_at: {today}"]
    assert [(e.who, e.action, e.document) for e in audit.read(cur_settings)] == [
        *(("Dana", "unpublish", f"secular-state-{lang}") for lang in ("en", "kk", "ru")),
        *(("Ержан Сейітов", "publish", f"secular-state-{lang}") for lang in ("en", "kk", "ru")),
    ]
    assert sorted(p.name for p in path.parent.iterdir()) == ["en.md", "kk.md", "ru.md"]


def test_publish_refuses_an_invalid_document(invoke: Invoke, cur_settings: Settings) -> None:
    assert invoke("new", "--title", "Hijab", "--lang", "en", "--topic", "hijab").exit_code == 0
    path = cur_settings.corpus_dir / "hijab" / "en.md"
    before = path.read_text(encoding="utf-8")
    result = invoke("publish", "hijab-en", "--reviewer", "Dana")
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "cannot be published until these are fixed" in out
    assert "sources[1].url: is still a TODO" in out and "body: still has a TODO" in out
    assert path.read_text(encoding="utf-8") == before
    assert [e.action for e in audit.read(cur_settings)] == ["new"]
    with pytest.raises(PublishError) as info:
        publish(cur_settings.corpus_dir, "hijab-en", "Dana")
    assert all(p.path == path for p in info.value.problems)


def test_unknown_id_and_missing_reviewer(invoke: Invoke, cur_settings: Settings) -> None:
    copy_group(cur_settings, "secular-state")
    result = invoke("publish", "no-such-doc", "--reviewer", "Dana")
    assert result.exit_code == 1 and "no document with id 'no-such-doc'" in result.output
    result = invoke("publish", "secular-state-en", "--reviewer", "  ")
    assert result.exit_code == 1 and "--reviewer must name" in result.output
    result = invoke("unpublish", "no-such-doc")
    assert result.exit_code == 1 and "kelisim kb list" in result.output
    assert audit.read(cur_settings) == []


def _cited(engine: Engine, question: str) -> set[str]:
    """The topics whose units the reply quotes."""
    reply = engine.answer(Question(question, lang="en"))
    return {u.split("/")[0] for u in reply.units} if reply.decision is Decision.ANSWER else set()


def test_ask_serves_exactly_the_published_set(
    invoke: Invoke,
    cur_settings: Settings,
    settings: Settings,
    embeddings: KelisimEmbeddings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for group in GROUPS:
        copy_group(cur_settings, group)
    monkeypatch.setattr(embeddings_module, "get_embeddings", lambda s: embeddings)

    assert invoke("unpublish", "religious-holidays-en").exit_code == 0
    build_index(cur_settings, embeddings)
    engine = Engine(cur_settings, embeddings=embeddings)
    assert engine.retriever.generation.documents == 6
    assert "religious-holidays" not in _cited(engine, HOLIDAY_QUESTION)

    result = invoke("publish", "religious-holidays", "--reviewer", "Dana", "--build")
    assert result.exit_code == 0, result.output
    assert "Index built: 9 documents" in result.output
    engine.retriever.refresh()
    assert "religious-holidays" in _cited(engine, HOLIDAY_QUESTION)

    assert invoke("unpublish", "secular-state-en", "--build").exit_code == 0
    engine.retriever.refresh()
    published = {d.group for d in load_corpus(cur_settings.corpus_dir).published}
    assert published == {"religious-holidays", "online-safety"}
    for question in (
        HOLIDAY_QUESTION,
        "What is a secular state?",
        "How do I stay safe from recruiters online?",
    ):
        assert _cited(engine, question) <= published
    assert "secular-state" not in _cited(engine, "What is a secular state?")
