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
        # Kazakh holiday names in an English sentence ("…a day off here or just kurban
        # ait" was answered in Kazakh), and English "my", "me" that Russian typed in
        # Latin also has ("can my uni make me shave my beard" got a Russian reply).
        ("is oraza ait a day off here or just kurban ait", "en"),
        ("can my uni make me shave my beard", "en"),
        ("kurban ait kashan", "kk"),
        ("mne skazali chto my dolzhny molitsya", "ru"),
        # A question ending in «не» ("what") is Kazakh, Russian loans or not.
        ("Такфиризм деген не?", "kk"),
        ("А почему не?", "ru"),
        ("Ты идешь или не?", "ru"),
    ],
)
def test_a_loanword_does_not_decide_the_language(text: str, lang: str) -> None:
    assert detect(text).lang == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # Russian and Kazakh typed in Latin letters with none of the listed words: the
        # Cyrillic rendering reads as Russian or Kazakh, the original not as English.
        ("mne strashno, brat hochet uehat v siriyu", "ru"),
        ("segodnya v shkole opyat menya bili", "ru"),
        ("bugin mektepte bir bala meni soqty", "kk"),
        ("apam meni uiden shygaramyn dep qorqytady", "kk"),
        # A Russian preposition or question word counts as much as a pronoun.
        ("kak otlichit normalnogo imama ot radikala", "ru"),
        ("zachem posle edy delayut bata", "ru"),
        # English with a name or two stays English.
        ("my friend said his uncle lives in almaty", "en"),
        ("Is Dimash dating anyone?", "en"),
        ("how do i hurt someone so it doesnt leave marks", "en"),
    ],
)
def test_transliterated_russian_and_kazakh_are_read_as_such(text: str, lang: str) -> None:
    assert detect(text).lang == lang


def test_a_lone_surrogate_in_transliterated_text_is_no_error() -> None:
    # Text arriving over HTTP/JSON can carry one; the Cyrillic reading must still work.
    assert detect("pridu v shkolu s nozhom \udc00 i vse uvidyat").lang == "ru"
