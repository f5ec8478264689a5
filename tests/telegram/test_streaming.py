"""With the LLM generator the answer grows in one message, then the guarded text replaces it."""

from __future__ import annotations

import asyncio
import re

from conftest import bot_for, eventually, settle

from bot.engine import Engine
from bot.telegram.app import build_application
from bot.telegram.drafts import DraftMessage
from tests.engine.fake_openai import FakeOpenAI, passages_of

QUESTION = "What does it mean that Kazakhstan is a secular state?"
INVENTED = "Kazakhstan has exactly 47 official state religions, chosen by lottery every year."


def _script(messages: list[dict]) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", passages_of(messages)[1])[:3]
    return f"{sentences[0]} [1] {INVENTED} [1] {sentences[1]} [1] {sentences[2]} [1]"


async def test_llm_answer_streams_by_edits_and_ends_guarded(
    fake, settings, bot_settings, embeddings
):
    llm = FakeOpenAI().start()
    llm.script, llm.stream_delay = _script, 0.25
    with_llm = {
        "generator": "llm",
        "llm_base_url": llm.url,
        "llm_timeout": 10.0,
        "llm_max_retries": 0,
    }
    engine = Engine(settings.model_copy(update=with_llm), embeddings=embeddings, record=False)
    settings = bot_settings.model_copy(update=with_llm)
    user = fake.user(7100, "Madi", "en")
    loop = asyncio.get_running_loop()
    try:
        async with bot_for(settings, engine):
            started = loop.time()
            fake.send_text(user, QUESTION)
            await eventually(lambda: any(s.buttons() for s in fake.sent_to(7100)))
            await settle(fake)
            elapsed = loop.time() - started
    finally:
        llm.stop()
    answering = [r for r in llm.requests if r["messages"][0]["role"] == "system"]
    assert answering[-1]["stream"] is True  # the self-check after it is one plain call
    [answer] = fake.sent_to(7100)  # one message: the draft became the answer
    assert answer.edits >= 2  # at least one growing draft, then the final text
    assert answer.edits <= elapsed / 1.0 + 2  # about one edit a second at most
    assert "▍" not in answer.text and "lottery" not in answer.text
    assert "[1]" in answer.text
    assert {b["callback_data"].split(":")[0] for b in answer.buttons()} == {"vote", "src", "ask"}


async def test_drafts_show_text_as_written_not_escaped_entities(fake, bot_settings, engine):
    fake.send_text(fake.user(7200), "hello")  # makes the chat known to the server
    application = build_application(bot_settings, engine)
    await application.initialize()
    try:
        draft = DraftMessage(application.bot, 7200)
        draft.update("Faith & law: 1 < 2")
        await eventually(lambda: bool(fake.sent_to(7200)))
        await asyncio.sleep(1.2)
        draft.update("Faith & law: 1 < 2 > 0 and «quotes» " + "🙂" * 3000)
        await eventually(lambda: fake.sent_to(7200)[0].edits >= 1)
        await draft.close()
    finally:
        await application.shutdown()
    versions = fake.sent_to(7200)[0].versions
    assert versions[0] == "Faith & law: 1 < 2 ▍"
    assert "&amp;" not in versions[-1] and "&lt;" not in versions[-1]
    assert versions[-1].endswith("🙂 ▍")  # a long draft shows its end, within the limit
