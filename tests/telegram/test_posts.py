""" "Check this post" and the lessons, end to end through the fake Bot API."""

from __future__ import annotations

import re

from conftest import bot_for, eventually, settle

RECRUITER_POST = (
    "Бауырым, барлық имамдар сатылған, шындықты тек біздің ұстаз айтады. "
    "Ата-анаңа айтпа, олар бәрібір түсінбейді. Уақыт аз, бүгін маған жеке жаз."
)
GREETING_POST = (
    "Құрметті жамағат! Құрбан айт мерекесі құтты болсын! Барша отбасыңызға амандық, "
    "береке және бейбіт өмір тілейміз. Мешітте айт намазы сағат 7:30-да басталады."
)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _shares_five_words(post: str, reply: str) -> bool:
    words = _words(post)
    said = " ".join(_words(reply))
    return any(" ".join(words[i : i + 5]) in said for i in range(len(words) - 4))


async def test_a_forwarded_post_is_analysed_then_a_lesson_and_quiz_follow(
    fake, bot_settings, engine
):
    user = fake.user(5100, "Aigerim", "kk")
    async with bot_for(bot_settings, engine) as services:
        fake.forward_post(user, RECRUITER_POST)
        await eventually(lambda: fake.sent_to(5100))
        await settle(fake)
        [analysis] = fake.sent_to(5100)
        # Named techniques, in Kazakh, without repeating the post.
        assert "манипуляция тәсілдері бар" in analysis.text
        assert "Жалған бедел" in analysis.text or "Құпиялық" in analysis.text
        assert not _shares_five_words(RECRUITER_POST, analysis.text)
        assert "Дереккөздер:" in analysis.text and '<a href="https://' in analysis.raw
        lesson_button = analysis.button("learn:")
        assert lesson_button["text"].startswith("📚 Сабақ")

        fake.press(user, analysis, lesson_button["callback_data"])
        await eventually(lambda: len(fake.sent_to(5100)) == 2)
        lesson = fake.sent_to(5100)[1]
        technique = lesson_button["callback_data"].removeprefix("learn:")
        assert [b["callback_data"] for b in lesson.buttons()] == [
            f"quiz:{technique}:{n}" for n in range(3)
        ]
        assert "<blockquote>" in lesson.raw

        book = engine.lessons.get(technique, "kk")
        assert book is not None
        wrong = next(n for n, o in enumerate(book.options) if not o.correct)
        fake.press(user, lesson, f"quiz:{technique}:{wrong}")
        await eventually(lambda: len(fake.sent_to(5100)) == 3)
        feedback = fake.sent_to(5100)[2]
        assert feedback.text.startswith("❌")
        assert book.options[book.correct].text in feedback.text
        assert feedback.button("learn:")["text"].startswith("Келесі сабақ")
        await eventually(lambda: lesson.reply_markup in (None, {}))  # quiz closed

        key = services.hash_user(5100)
        assert services.store.lessons_done(key) == {technique: False}
        fake.press(user, lesson, f"quiz:{technique}:{book.correct}")
        await eventually(lambda: len(fake.sent_to(5100)) == 4)
        assert fake.sent_to(5100)[3].text.startswith("✅")
        assert services.store.lessons_done(key) == {technique: True}

        fake.send_text(user, "/learn")
        await eventually(lambda: len(fake.sent_to(5100)) == 5)
        menu = fake.sent_to(5100)[4]
        assert len(menu.buttons()) == 10
        assert sum(b["text"].startswith("✅") for b in menu.buttons()) == 1
        assert "Өтілді" in menu.text

        # /forget removes lesson progress with everything else.
        fake.send_text(user, "/forget")
        await eventually(lambda: len(fake.sent_to(5100)) == 6)
        confirm = fake.sent_to(5100)[5]
        fake.press(user, confirm, "forget:yes")
        await eventually(lambda: confirm.edits == 1)
        assert services.store.lessons_done(key) == {}


async def test_a_neutral_post_is_called_neutral_and_a_question_is_still_answered(
    fake, bot_settings, engine
):
    user = fake.user(5200, "Daniyar", "kk")
    async with bot_for(bot_settings, engine):
        fake.forward_post(user, GREETING_POST, channel="Мешіт жаңалықтары")
        await eventually(lambda: fake.sent_to(5200))
        await settle(fake)
        [reply] = fake.sent_to(5200)
        assert "манипуляция тәсілдерін көріп тұрғаным жоқ" in reply.text
        assert reply.buttons() == []

        fake.send_text(user, "Зайырлы мемлекет деген не?")
        await eventually(lambda: len(fake.sent_to(5200)) == 2)
        await settle(fake)
        assert "Дереккөздер:" in fake.sent_to(5200)[1].text
        assert "манипуляция" not in fake.sent_to(5200)[1].text.split("\n")[0]


async def test_check_command_and_a_call_to_violence(fake, bot_settings, engine):
    user = fake.user(5300, "Timur", "ru")
    post = (
        "Братья, посмотрите, что они делают с нашими сёстрами! Хватит сидеть дома. "
        "Кто настоящий мужчина — приезжай к братьям, возьми оружие, пиши мне в личку."
    )
    async with bot_for(bot_settings, engine):
        fake.send_text(user, "/check")
        await eventually(lambda: fake.sent_to(5300))
        assert "/check" in fake.sent_to(5300)[0].text  # how to use it

        fake.send_text(user, f"/check {post}")
        await eventually(lambda: len(fake.sent_to(5300)) == 2)
        await settle(fake)
    reply = fake.sent_to(5300)[1]
    assert "112" in reply.text and "взрослому, которому доверяешь" in reply.text
    assert not _shares_five_words(post, reply.text)


async def test_a_long_pasted_recruiter_text_is_checked_and_a_long_question_answered(
    fake, bot_settings, engine
):
    user = fake.user(5400, "Sam", "en")
    pasted = (
        "Brother, I am writing to you because you are special, not like the others in your "
        "class. The imams on TV are all sold out and paid by the government; only our teacher "
        "tells the real truth that they hide from you. The Prophet said that whoever sits at "
        "home while his brothers suffer is a hypocrite. Do not tell your parents about our "
        "lessons, they will never understand you like we do. Time is running out, the doors "
        "close on Friday. Delete this chat after reading it and write to me in private today."
    )
    question = (
        "My cousin started watching a preacher online and now he says that our family are not "
        "real Muslims and that he wants to leave school. I am worried because he stopped "
        "talking to his friends, and he gets angry when we ask about his new group. We used to "
        "be close and I do not want to lose him or make him angrier. My parents think it is "
        "just a phase, but he has already deleted his old photos and he sleeps very little. "
        "What can I do to talk to "
        "him without a fight, and who else can help our family with all of this?"
    )
    assert len(pasted) >= 500 and len(question) >= 500
    async with bot_for(bot_settings, engine):
        fake.send_text(user, pasted)
        await eventually(lambda: fake.sent_to(5400))
        await settle(fake)
        assert "This post uses manipulation techniques" in fake.sent_to(5400)[0].text
        fake.send_text(user, question)
        await eventually(lambda: len(fake.sent_to(5400)) == 2)
        await settle(fake)
    assert "manipulation techniques" not in fake.sent_to(5400)[1].text
