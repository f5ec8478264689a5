"""Figures of speech about dying and killing are read as what they mean."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.models import Decision, Question
from bot.safety.idioms import literal


@pytest.mark.parametrize(
    "text",
    [
        "bro im literally dying of boredom in this lecture",
        "chemistry is killing me",
        "я чуть не умерла со смеху",
        "физика меня убивает",
        "күлкіден өліп қала жаздадым",
        "математика мені өлтіреді",
    ],
)
def test_a_figure_of_speech_is_read_as_what_it_means(text: str) -> None:
    reading = literal(text)
    assert reading.figures
    assert not any(word in reading.text for word in ("dying", "killing", "умерла", "убивает", "өл"))


@pytest.mark.parametrize(
    ("text", "joke"),
    [
        # Could be meant: a joke only with a laugh in the message.
        ("my dad will kill me when he sees this lol", True),
        ("my dad will kill me when he comes home", False),
        ("папа меня убьёт ахаха", True),
        ("папа меня убьёт", False),
    ],
)
def test_a_figure_that_could_be_meant_needs_a_laugh(text: str, joke: bool) -> None:
    assert bool(literal(text).figures) is joke


def test_the_rest_of_the_message_still_decides(engine: Engine) -> None:
    reading = literal("this exam is killing me and honestly i want to die")
    assert "want to die" in reading.text
    reply = engine.answer(Question("this exam is killing me and honestly i want to die"))
    assert reply.decision is Decision.CRISIS
    assert engine.answer(Question("chemistry is killing me lol")).decision is not Decision.CRISIS
