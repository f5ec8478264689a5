"""Help lines lead a worry topic's answer only when the message names someone close."""

from __future__ import annotations

import pytest

from bot.engine.someone_close import speaks_of_someone_close


@pytest.mark.parametrize(
    "text",
    [
        "How do I talk to my friend about it without starting a fight?",
        "a guy from my class keeps sending weird videos",
        "нашла у младшего брата в телефоне канал с видео про джихад",
        "Как поговорить с другом об этом и не поссориться?",
        "Менің ағам соңғы жарты жылда мүлде өзгерді",
        "Досыммен бұл туралы ұрыспай қалай сөйлесуге болады?",
        "інімнің телефонынан біртүрлі арна таптым",
    ],
)
def test_a_relative_or_friend_of_the_asker_is_someone_close(text: str) -> None:
    assert speaks_of_someone_close(text)


@pytest.mark.parametrize(
    "text",
    [
        "How does someone become radicalized? Is it usually fast or slow?",
        "how to have a debate about religion without it turning into a fight",
        "ngl can you really be friends with someone whose religion says yours is wrong?",
        "Чем отличается радикализм от экстремизма?",
        "радикалдану қалай болады, адам бірден өзгере ме",
        # Kazakh words that only begin like a kin word: «қызмет» (service), «қызық».
        "діни қызмет туралы заң не дейді, қызық",
        "бала кезімнен намаз оқимын",
    ],
)
def test_a_general_question_names_no_one(text: str) -> None:
    assert not speaks_of_someone_close(text)
