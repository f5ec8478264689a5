""" "Check this post" through the real engine (real e5 model, real index, trained detector)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.posts.taxonomy import TECHNIQUES

POSTS = {
    "en": (
        "Sister, you are special, not like the other girls in your class. The imams on TV are all "
        "sold out, only our teacher tells the truth. Don't tell your parents about our chats, "
        "they will never understand you. Decide now, before it is too late."
    ),
    "ru": (
        "Все эти официальные имамы продажные, правду говорит только наш устаз. Родителям "
        "ничего не рассказывай, они не поймут. Время уходит — решай прямо сейчас и пиши "
        "мне в личку."
    ),
    "kk": (
        "Бауырым, барлық имамдар сатылған, шындықты тек біздің ұстаз айтады. Ата-анаңа айтпа, "
        "олар бәрібір түсінбейді. Уақыт аз, бүгін маған жеке жаз."
    ),
}
NEUTRAL = {
    "en": "Dear parents, the school's spring concert is on Friday at 6 pm in the main hall. "
    "Pupils of grades 5 to 9 will sing and play the dombra. Everyone is welcome!",
    "ru": "Дорогие прихожане! Поздравляем всех с праздником Пасхи. Пусть в ваших домах будут мир, "
    "любовь и радость. Праздничная служба начнётся в полночь.",
    "kk": "Құрметті жамағат! Оразаның алғашқы күні құтты болсын! Ауызашар мешітте күн сайын "
    "кешкі намаздан кейін өтеді, барлығыңызды шақырамыз.",
}
SAFETY = {
    "en": "Look what they are doing to our brothers. How can you sit still? Real men take up "
    "arms. Come to the brothers over there, write to me in private and I will tell you how.",
    "ru": "Посмотри, что они делают с нашими братьями. Как ты можешь сидеть? Настоящие мужчины "
    "берут оружие. Приезжай к братьям, пиши мне в личку.",
    "kk": "Олар біздің бауырларымызға не істеп жатқанын көр. Қалай қарап отыра аласың? Нағыз "
    "ер қару алады. Бауырларға қосыл, маған жеке жаз.",
}
HELP = {"en": "an adult you trust", "ru": "взрослому, которому доверяешь", "kk": "ересек адамға"}


def _shares_five_words(post: str, reply: str) -> bool:
    words = re.findall(r"\w+", post.lower())
    said = " ".join(re.findall(r"\w+", reply.lower()))
    return any(" ".join(words[i : i + 5]) in said for i in range(len(words) - 4))


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_a_manipulative_post_gets_named_techniques_and_a_cited_background(
    engine: Engine, lang: str
) -> None:
    result = engine.check(POSTS[lang])
    assert result.verdict == "manipulative"
    assert result.language == lang
    assert set(result.techniques) & {"false-authority", "secrecy-isolation", "urgency-fear"}
    names = engine.prompts.value(lang, "techniques")
    for tid in result.techniques:
        assert names[tid]["name"] in result.reply and names[tid]["ask"] in result.reply
    assert not _shares_five_words(POSTS[lang], result.reply)
    # The background is one whole corpus unit in the same language, with its own sources.
    [unit_id] = result.units
    unit = engine.quotable_unit(unit_id, lang)  # type: ignore[arg-type]
    assert unit is not None and unit.body in result.reply
    assert result.sources and all(s.lang == lang for s in result.sources)
    assert [s.url for s in result.sources] == [s.url for s in unit.sources]


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_ordinary_and_religious_posts_are_neutral(engine: Engine, lang: str) -> None:
    result = engine.check(NEUTRAL[lang])
    assert result.verdict == "neutral" and result.techniques == ()
    assert result.reply == engine.prompts.text(lang, "check_neutral")  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_a_call_to_violence_gets_help_lines_and_never_its_words(engine: Engine, lang: str) -> None:
    result = engine.check(SAFETY[lang])
    assert result.verdict == "manipulative" and result.routing == "safety"
    assert "112" in result.reply and HELP[lang] in result.reply
    assert not _shares_five_words(SAFETY[lang], result.reply)


def test_the_reply_follows_the_users_language_not_the_posts(engine: Engine) -> None:
    result = engine.check(POSTS["ru"], lang="kk")
    assert result.language == "kk" and "манипуляция тәсілдері бар" in result.reply
    assert all(s.lang == "kk" for s in result.sources)


def test_a_self_harm_post_gets_the_crisis_reply(engine: Engine) -> None:
    result = engine.check(
        "If you feel bad, there is a quiet way out. Write to me and I will tell you how many "
        "pills you need to never wake up."
    )
    assert result.routing == "crisis" and "112" in result.reply


@pytest.mark.parametrize("text", ["", "   ", "hi", "ok ok"])
def test_too_short_to_be_a_post(engine: Engine, text: str) -> None:
    result = engine.check(text, lang="en")
    assert result.verdict == "neutral" and result.reply == engine.prompts.text(
        "en", "check_too_short"
    )


def test_check_json_prints_exactly_one_object(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    post = tmp_path / "post.txt"
    post.write_text(POSTS["ru"], encoding="utf-8")
    env = {"KELISIM_DATA_DIR": str(settings.data_dir), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "check", str(post), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=True,
    )
    data = json.loads(out.stdout)
    assert set(data) == {"verdict", "techniques", "language", "reply", "sources", "routing"}
    assert data["verdict"] == "manipulative" and data["language"] == "ru"
    assert data["techniques"] and set(data["techniques"]) <= set(TECHNIQUES)
    assert set(data["sources"][0]) == {"id", "title", "url", "lang"}


def test_check_refuses_a_binary_file_with_one_clear_line(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binary = tmp_path / "post.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 10)
    # Wide enough that the error box never wraps the message (the path length varies).
    env = {"KELISIM_DATA_DIR": str(settings.data_dir), "PATH": "/usr/bin:/bin", "COLUMNS": "300"}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "check", str(binary)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert out.returncode == 2 and "not UTF-8 text" in out.stderr
    assert "Traceback" not in out.stderr
