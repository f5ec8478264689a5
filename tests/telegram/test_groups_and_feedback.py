"""Groups, 👍/👎 feedback, /forget and the per-user rate limit."""

from __future__ import annotations

from conftest import bot_for, eventually, settle

QUESTION = "What does it mean that Kazakhstan is a secular state?"
GROUP = -100200


async def test_group_answers_only_when_addressed(fake, bot_settings, engine):
    asel, timur = fake.user(3001, "Asel"), fake.user(3002, "Timur")
    chat = fake.group_chat(GROUP)
    async with bot_for(bot_settings, engine):
        fake.send_text(asel, "Who is bringing the ball tomorrow?", chat=chat)
        fake.send_text(timur, "What is a secular state?", chat=chat)
        mention = fake.send_text(asel, f"@kelisim_test_bot {QUESTION}", chat=chat)
        await eventually(lambda: len(fake.sent_to(GROUP)) == 1)
        first = fake.sent_to(GROUP)[0]
        assert first.reply_to == mention and "Sources:" in first.text

        fake.send_text(
            timur, "And what does the law say about it?", chat=chat, reply_to=first.message_id
        )
        await eventually(lambda: len(fake.sent_to(GROUP)) == 2)
        ask = fake.send_text(asel, "/ask How do online recruiters work?", chat=chat)
        await eventually(lambda: len(fake.sent_to(GROUP)) == 3)
        assert fake.sent_to(GROUP)[2].reply_to == ask
        await settle(fake)
    assert len(fake.sent_to(GROUP)) == 3


async def test_crisis_in_a_group_invites_to_a_private_chat(fake, bot_settings, engine):
    asel = fake.user(3101, "Asel")
    chat = fake.group_chat(GROUP)
    async with bot_for(bot_settings, engine):
        fake.send_text(asel, "@kelisim_test_bot I want to kill myself", chat=chat)
        await eventually(lambda: fake.sent_to(GROUP))
    [reply] = fake.sent_to(GROUP)
    assert "111" in reply.text
    assert "This is a group chat" in reply.text
    assert reply.buttons() == [
        {"text": "Write to me privately", "url": "https://t.me/kelisim_test_bot"}
    ]


async def test_thumbs_down_with_a_reason_is_stored_for_educators(fake, bot_settings, engine):
    user = fake.user(3201)
    async with bot_for(bot_settings, engine) as services:
        fake.send_text(user, QUESTION)
        await eventually(lambda: fake.sent_to(3201))
        answer = fake.sent_to(3201)[0]
        fake.press(user, answer, answer.button("vote:down")["callback_data"])
        await eventually(lambda: len(fake.sent_to(3201)) == 2)
        prompt = fake.sent_to(3201)[1]
        assert "What was wrong" in prompt.text and prompt.button("skip:")
        assert answer.button("vote:down")["text"] == "👎 ✓"

        fake.send_text(user, "Too formal. Call me on +7 701 234 56 78")
        await eventually(lambda: len(fake.sent_to(3201)) == 3)
        assert "sent to educators" in fake.sent_to(3201)[2].text
        assert prompt.buttons() == []
        [case] = services.store.cases("down")
    assert case.question == QUESTION
    assert "secular" in (case.reply or "")
    assert case.reason == "Too formal. Call me on [phone]"
    assert case.decision == "answer" and case.lang == "en"


async def test_thumbs_up_and_skip_store_no_reason(fake, bot_settings, engine):
    user = fake.user(3301)
    async with bot_for(bot_settings, engine) as services:
        fake.send_text(user, QUESTION)
        fake.send_text(user, "How do online recruiters work?")
        await eventually(lambda: len(fake.sent_to(3301)) == 2)
        first, second = fake.sent_to(3301)
        fake.press(user, first, first.button("vote:up")["callback_data"])
        fake.press(user, first, first.button("vote:up")["callback_data"])
        fake.press(user, second, second.button("vote:down")["callback_data"])
        await eventually(lambda: len(fake.sent_to(3301)) == 3)
        prompt = fake.sent_to(3301)[2]
        fake.press(user, prompt, prompt.button("skip:")["callback_data"])
        await eventually(lambda: prompt.edits == 1)
        fake.send_text(user, "What is a secular state?")  # a question again, not a reason
        await eventually(lambda: len(fake.sent_to(3301)) == 4)
        (up,) = services.store.cases("up")
        (down,) = services.store.cases("down")
    assert up.question is None and up.reply is None
    assert down.question == "How do online recruiters work?" and down.reason is None
    assert "Sources:" in fake.sent_to(3301)[3].text


async def test_forget_deletes_everything_about_the_user(fake, bot_settings, engine):
    user, other = fake.user(3401), fake.user(3402)
    async with bot_for(bot_settings, engine) as services:
        for person in (user, other):
            services.store.set_language(services.hash_user(person["id"]), "en", consent=True)
            fake.send_text(person, QUESTION)
        await eventually(lambda: fake.sent_to(3401) and fake.sent_to(3402))
        for person in (user, other):
            answer = fake.sent_to(person["id"])[0]
            fake.press(person, answer, answer.button("vote:down")["callback_data"])
        await eventually(lambda: len(services.store.cases("down")) == 2)

        fake.send_text(user, "/forget")
        await eventually(lambda: any("can't be undone" in s.text for s in fake.sent_to(3401)))
        confirm = next(s for s in fake.sent_to(3401) if "can't be undone" in s.text)
        fake.press(user, confirm, "forget:yes")
        await eventually(lambda: confirm.edits == 1)
        assert "has been deleted" in confirm.text
        assert services.store.user(services.hash_user(3401)) is None
        assert services.memory.history((3401, 3401)) == ()
        assert services.store.user(services.hash_user(3402)) is not None
        assert len(services.store.cases("down")) == 1


async def test_flood_from_one_user_leaves_others_alone(fake, bot_settings, engine):
    flooder, calm = fake.user(3501, "Flood", "en"), fake.user(3502, "Calm", "en")
    async with bot_for(bot_settings, engine, rate_limit_burst=3, rate_limit_per_minute=1):
        for n in range(12):
            fake.send_text(flooder, f"What is a secular state? {n}")
        fake.send_text(calm, QUESTION)
        await eventually(lambda: fake.sent_to(3502) and len(fake.sent_to(3501)) == 4)
        await settle(fake)
    notices = [s for s in fake.sent_to(3501) if "A little slower" in s.text]
    assert len(notices) == 1
    assert len(fake.sent_to(3501)) == 4
    assert "Sources:" in fake.sent_to(3502)[0].text
