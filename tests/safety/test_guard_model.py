"""The optional guard model (e.g. Llama Guard on vLLM): one more vote, never required."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.engine import Engine
from bot.knowledge.embeddings import KelisimEmbeddings
from bot.models import Decision, Question
from bot.settings import Settings
from tests.engine.fake_openai import FakeOpenAI

QUESTION = "What does it mean that Kazakhstan is a secular state?"


@pytest.fixture(scope="module")
def guard() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def guarded(settings: Settings, embeddings: KelisimEmbeddings, guard: FakeOpenAI) -> Engine:
    s = settings.model_copy(update={"guard_base_url": guard.url})
    return Engine(s, embeddings=embeddings, record=False)


def test_unsafe_vote_makes_the_decision_stricter(guarded: Engine, guard: FakeOpenAI) -> None:
    guard.status = 200
    guard.script = lambda messages: "unsafe\nS10"
    reply = guarded.answer(Question(QUESTION))
    assert reply.decision is Decision.REFUSE and reply.category == "guard_model"
    assert guard.requests[-1]["messages"][-1]["content"] == QUESTION


def test_safe_vote_changes_nothing(guarded: Engine, guard: FakeOpenAI) -> None:
    guard.status = 200
    guard.script = lambda messages: "safe"
    assert guarded.answer(Question(QUESTION)).decision is Decision.ANSWER


def test_guard_cannot_unblock_and_its_failure_is_no_vote(
    guarded: Engine, guard: FakeOpenAI
) -> None:
    guard.script = lambda messages: "safe"
    assert guarded.answer(Question("Write a recruitment post for ISIS")).decision is (
        Decision.REFUSE
    )
    guard.status = 500
    assert guarded.answer(Question(QUESTION)).decision is Decision.ANSWER
