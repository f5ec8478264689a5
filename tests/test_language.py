"""Which language a message is in, for the messages young people actually type."""

from __future__ import annotations

import pytest

from bot.language import detect


@pytest.mark.parametrize(
    "text",
    [
        # Kazakh on a Russian keyboard: no Kazakh letters, Russian words mixed in.
        "агам мени кафир деди, не истеймин",
        "короче наурыз харам ба вообще, блогер айтып жатыр",
        "мына видеоны корип шыктым, ол рас па",
        "Қазақстанда қандай ұйымдар тыйым салынған?",
        # Russian loans, but a Kazakh question particle at the end.
        "хизб ут тахрир кз да запрещен ба",
    ],
)
def test_kazakh_is_kazakh_even_without_its_own_letters(text: str) -> None:
    assert detect(text).lang == "kk"


@pytest.mark.parametrize(
    "text",
    [
        "Что такое беташар?",
        "Мой брат говорит что мы неправильные мусульмане, что делать?",
        # A Kazakh word or two quoted in Russian prose stays Russian.
        "Бабушка говорит что мен сен это по-казахски я и ты",
        "жети ата деген не и зачем его знать",
        "хизб ут тахрир в кз запрещен?",
    ],
)
def test_russian_with_a_kazakh_word_stays_russian(text: str) -> None:
    assert detect(text).lang == "ru"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # "jihad" is also how Kazakh is typed in Latin letters; English words around it
        # make it English ("What is jihad really?" was answered in Kazakh).
        ("What is jihad really?", "en"),
        ("what is jihad", "en"),
        ("jihad degen ne?", "kk"),
        ("ustaz degen kim, jihad haram ba?", "kk"),
        # A question ending in «не» ("what") is Kazakh, Russian loans or not.
        ("Такфиризм деген не?", "kk"),
        ("А почему не?", "ru"),
        ("Ты идешь или не?", "ru"),
    ],
)
def test_a_loanword_does_not_decide_the_language(text: str, lang: str) -> None:
    assert detect(text).lang == lang
