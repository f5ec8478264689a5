"""Gap recording (anonymised), feedback and `kb gaps` grouping."""

from __future__ import annotations

import datetime as dt
import functools

import pytest
import sqlalchemy as sa
from conftest import Invoke

from bot.cli import kb_curation
from bot.curation import records
from bot.curation.gaps import load_gaps, record_feedback, record_gap
from bot.curation.pii import strip_personal_data
from bot.engine import Engine
from bot.knowledge.embeddings import KelisimEmbeddings
from bot.models import Decision, Question, Reply
from bot.settings import Settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi, my name is John Smith, call +7 701 123 45 67", "Hi, my name is [name], call [phone]"),
        (
            "Меня зовут Айгерим, пишите на aigerim.k@mail.kz или @aigerim_05",
            "Меня зовут [name], пишите на [email] или [handle]",
        ),
        (
            "Менің атым Ерлан, ЖСН 990101350123, хиджаб туралы сұрақ",
            "Менің атым [name], ЖСН [id], хиджаб туралы сұрақ",
        ),
        ("менің есімім дана 8 (701) 123-45-67", "менің есімім [name] [phone]"),
        ("see https://t.me/somechannel and www.example.kz/page", "see [url] and [url]"),
        ("Law № 31-III of 18 February 2005, art. 12", "Law № 31-III of 18 February 2005, art. 12"),
    ],
)
def test_strip_personal_data(text: str, expected: str) -> None:
    assert strip_personal_data(text) == expected


def _reply(decision: Decision, category: str, lang: str = "ru") -> Reply:
    return Reply(decision, category, lang, "…")  # type: ignore[arg-type]


def test_record_gap_only_for_uncovered(cur_settings: Settings) -> None:
    question = Question("Меня зовут Айгерим. Можно ли носить никаб в колледже? +77011234567")
    assert not record_gap(question, _reply(Decision.ANSWER, "ok"), settings=cur_settings)
    assert not record_gap(question, _reply(Decision.NO_ANSWER, "empty"), settings=cur_settings)
    assert not record_gap(question, _reply(Decision.CRISIS, "self_harm"), settings=cur_settings)
    off = cur_settings.model_copy(update={"record_gaps": False})
    assert not record_gap(question, _reply(Decision.NO_ANSWER, "uncovered"), settings=off)
    assert load_gaps(cur_settings) == []
    assert record_gap(question, _reply(Decision.NO_ANSWER, "uncovered"), settings=cur_settings)
    [entry] = load_gaps(cur_settings)
    today = dt.datetime.now(dt.UTC).date()
    assert (entry.kind, entry.lang, entry.day) == ("no_answer", "ru", today)
    assert entry.question == "Меня зовут [name]. Можно ли носить никаб в колледже? [phone]"
    columns = [c["name"] for c in sa.inspect(records.engine(cur_settings)).get_columns("gaps")]
    assert columns == ["id", "kind", "day", "lang", "question", "reply", "reason"]


def test_feedback_and_retention(cur_settings: Settings) -> None:
    record_feedback(
        "Write to me at a@b.kz: what is jihad?",
        "Jihad means…",
        "too vague",
        "en",
        settings=cur_settings,
    )
    with records.engine(cur_settings).begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO gaps (kind, day, lang, question) VALUES "
                "('no_answer', '2000-01-01', 'en', 'old')"
            )
        )
    record_feedback("again", "", "", "en", settings=cur_settings)
    entries = load_gaps(cur_settings)
    assert [(e.kind, e.question, e.reply, e.reason) for e in entries] == [
        ("feedback", "Write to me at [email]: what is jihad?", "Jihad means…", "too vague"),
        ("feedback", "again", "", ""),
    ]
    assert load_gaps(cur_settings, since=dt.date.today() + dt.timedelta(days=2)) == []


def test_engine_listener_records_an_uncovered_question(
    engine: Engine, cur_settings: Settings
) -> None:
    local = engine.with_settings()
    local.listeners.append(functools.partial(record_gap, settings=cur_settings))
    reply = local.answer(Question("What does Shinto teach about kami spirits?", lang="en"))
    assert (reply.decision, reply.category) == (Decision.NO_ANSWER, "uncovered")
    assert [e.question for e in load_gaps(cur_settings)] == [
        "What does Shinto teach about kami spirits?"
    ]
    assert local.answer(Question("What is a secular state?", lang="en")).decision is Decision.ANSWER
    assert len(load_gaps(cur_settings)) == 1


def test_gaps_command_groups_similar_questions(
    invoke: Invoke,
    cur_settings: Settings,
    embeddings: KelisimEmbeddings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kb_curation, "_embeddings", lambda s: embeddings)
    uncovered = _reply(Decision.NO_ANSWER, "uncovered", "en")
    for text in (
        "Can I wear a hijab at school?",
        "How do I register a religious group?",
        "Is wearing a hijab allowed in school?",
        "Can girls wear a headscarf in class?",
    ):
        record_gap(Question(text), uncovered, settings=cur_settings)
    record_feedback(
        "Где купить дешёвый билет на концерт?", "…", "not helpful", "ru", settings=cur_settings
    )
    result = invoke("gaps")
    assert result.exit_code == 0, result.output
    assert "5 recorded, 3 groups" in result.output
    rows = [line for line in result.output.splitlines() if line.startswith("│ ")]
    first = rows[0].split("│")
    assert [c.strip() for c in first[1:5]] == ["1", "3", "", "en"]
    assert "Can I wear a hijab at school?" in rows[0]
    assert "not helpful" in result.output
    result = invoke("gaps", "--limit", "1")
    assert "2 smaller groups not shown" in result.output
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    result = invoke("gaps", "--since", tomorrow)
    assert result.exit_code == 0 and "No unanswered questions" in result.output
