"""Educators' admin commands over the fake Bot API, and 👎 feedback in `kb gaps`."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from conftest import bot_for, eventually, settle
from fake_bot_api import TOKEN, FakeBotAPI
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.cli import kb_curation
from bot.curation.audit import read
from bot.curation.gaps import record_gap
from bot.curation.publishing import publish
from bot.engine import Engine
from bot.engine.retrieval import RELOAD_CHECK_SECONDS
from bot.knowledge.embeddings import KelisimEmbeddings
from bot.knowledge.index import build_index
from bot.models import Decision, Question, Reply
from bot.settings import PROJECT_ROOT, Settings
from bot.telegram.admin import COMMANDS, safe_name
from bot.telegram.store import UserHasher, load_salt
from tests.conftest import make_settings

ADMIN, STUDENT = 7001, 7002
REAL_CORPUS = PROJECT_ROOT / "knowledge_base" / "corpus"
SMALL_CORPUS = tuple(
    f"{group}/{lang}.md"
    for group in ("secular-state", "religions-in-kazakhstan")
    for lang in ("kk", "ru", "en")
)
UNCOVERED = "What does the word jihad really mean?"
# What educators write after reviewing an import: a complete topic in three languages.
REVIEWED_GROUP = "jihad-meaning"
BUDDHISM_URL = "https://www.britannica.com/topic/samsara"
BUDDHISM_HTML = f"""<!doctype html>
<html lang="en"><head>
<title>What Buddhism teaches about rebirth and reincarnation</title>
<link rel="canonical" href="{BUDDHISM_URL}">
</head><body>
<h1>What Buddhism teaches about rebirth and reincarnation</h1>
<h2>Rebirth in Buddhist teaching</h2>
<p>Buddhism teaches that living beings pass through a cycle of birth, death and rebirth
called samsara.</p>
<p>In Buddhist teaching, what is reborn is not an unchanging soul but a continuing stream
of mental and physical processes.</p>
<p>Buddhists speak of rebirth rather than reincarnation, because Buddhism denies that a
permanent self moves from one body to the next.</p>
<h2>Karma and liberation</h2>
<p>According to Buddhism, karma, the intentional actions of a person, shapes the
conditions of the next rebirth.</p>
<p>Buddhism teaches that the cycle of rebirth can end: this liberation is called
nirvana.</p>
<p>The Buddha taught the Noble Eightfold Path, which includes right view, right speech
and right action, as the way to nirvana.</p>
<h2>Buddhism in Kazakhstan</h2>
<p>Buddhism is one of the religions practised by a small community in Kazakhstan, where
the Constitution guarantees freedom of conscience to every person.</p>
<p>Different Buddhist schools explain rebirth in different ways, and people who want to
learn more can read the sources listed with this text or speak with a teacher of
religious studies.</p>
</body></html>
"""
NOTES_TXT = (
    "Notes on respectful conversations about faith\n\n"
    + "Listen first, ask open questions and do not mock anyone's beliefs. " * 8
)


def hashed(settings: Settings, telegram_id: int) -> str:
    return UserHasher(load_salt(settings))(telegram_id)


def texts_to(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [s.text for s in fake.sent_to(chat_id)]


async def reply_to(fake: FakeBotAPI, user: dict, text: str) -> str:
    """Send ``text`` and wait for the bot's next message in that chat."""
    before = len(fake.sent_to(user["id"]))
    fake.send_text(user, text)
    await eventually(lambda: len(fake.sent_to(user["id"])) > before)
    return fake.sent_to(user["id"])[before].text


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def small_index(
    tmp_path_factory: pytest.TempPathFactory, index_dir: Path, embeddings: KelisimEmbeddings
) -> Path:
    """A two-document corpus and its index, built once for this module."""
    root = tmp_path_factory.mktemp("small")
    for name in SMALL_CORPUS:
        (root / "corpus" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REAL_CORPUS / name, root / "corpus" / name)
    if (index_dir / "cache").exists():
        shutil.copytree(index_dir / "cache", root / "data" / "cache")
    build_index(make_settings(root / "data", corpus_dir=root / "corpus"), embeddings)
    return root


@pytest.fixture
def small(small_index: Path, tmp_path: Path, fake: FakeBotAPI) -> Settings:
    """Bot settings over a private copy of the small corpus and index, with one admin."""
    shutil.copytree(small_index, tmp_path / "small")
    return make_settings(
        tmp_path / "small" / "data",
        corpus_dir=tmp_path / "small" / "corpus",
        telegram_token=SecretStr(TOKEN),
        telegram_base_url=fake.base_url,
        admin_ids=[ADMIN],
    )


@pytest.fixture
def small_engine(small: Settings, embeddings: KelisimEmbeddings) -> Iterator[Engine]:
    yield Engine(small, embeddings=embeddings)


# --------------------------------------------------------------------- tests
async def test_admin_commands_are_invisible_to_everyone_else(fake, bot_settings, engine):
    admin, student = fake.user(ADMIN, "Aigerim"), fake.user(STUDENT, "Timur")
    async with bot_for(bot_settings, engine, admin_ids=[ADMIN]):
        for text in (
            "/publish secular-state-en",
            "/drafts",
            "/stats",
            "/gaps",
            "/feedback",
            "/nosuchcommand",
        ):
            fake.send_text(student, text)
        fake.send_document(student, "leaflet.html", BUDDHISM_HTML.encode(), mime_type="text/html")
        await eventually(lambda: fake.sent_to(STUDENT))
        fake.send_text(admin, "/stats", chat=fake.group_chat(-100300))
        await settle(fake)
        assert texts_to(fake, STUDENT) == [
            "I can only read text. Please write your question in words."
        ]
        assert fake.sent_to(-100300) == [] and fake.downloads == []

        stats = await reply_to(fake, admin, "/stats")
        assert "published" in stats and "Topics" in stats
        await eventually(lambda: fake.commands_for_chat(ADMIN, "ru") != fake.commands["ru"])

    for lang in ("", "kk", "ru", "en"):
        public = {c["command"] for c in fake.commands[lang]}
        assert public and not public & set(COMMANDS)
        mine = {c["command"] for c in fake.commands_for_chat(ADMIN, lang)}
        assert mine == public | set(COMMANDS)
        assert fake.commands_for_chat(STUDENT, lang) == fake.commands[lang]
    kk_menu = {c["command"]: c["description"] for c in fake.commands_for_chat(ADMIN, "kk")}
    assert kk_menu["drafts"] == "Жобалар тізімі"
    [entry] = read(bot_settings)
    assert (entry.action, entry.who) == (
        "view_stats",
        "telegram:" + hashed(bot_settings, ADMIN)[:8],
    )
    assert all(str(ADMIN) not in e.who for e in read(bot_settings))


async def test_upload_publish_and_the_running_bot_answers_from_it(
    fake, small, small_engine, embeddings
):
    admin, student = fake.user(ADMIN, "Aigerim"), fake.user(STUDENT, "Dana")
    async with bot_for(small, small_engine) as services:
        first = await reply_to(fake, student, UNCOVERED)
        assert "don't cover this yet" in first and "Sources:" not in first

        # An uploaded page becomes a draft made of answer units, never a published text.
        fake.send_document(admin, "buddhism.html", BUDDHISM_HTML.encode(), mime_type="text/html")
        await eventually(lambda: fake.sent_to(ADMIN))
        imported = fake.sent_to(ADMIN)[0].text
        doc_id = "what-buddhism-teaches-about-rebirth-and-reincarnation-en"
        assert f"Draft {doc_id} (en) created from buddhism.html" in imported
        assert fake.downloads == ["documents/file_1.html"]
        draft = (small.corpus_dir / doc_id.removesuffix("-en") / "en.md").read_text()
        assert "## Rebirth in Buddhist teaching {#rebirth-in-buddhist-teaching}" in draft
        refused = await reply_to(fake, admin, f"/publish {doc_id}")
        assert "cannot be published yet" in refused and "TODO" in refused

        # Educators complete a topic in kk, ru and en; /publish serves all three.
        for lang in ("kk", "ru", "en"):
            target = small.corpus_dir / REVIEWED_GROUP / f"{lang}.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            text = (REAL_CORPUS / REVIEWED_GROUP / f"{lang}.md").read_text(encoding="utf-8")
            target.write_text(text.replace("status: published", "status: draft"), "utf-8")
        fake.send_text(admin, f"/publish {REVIEWED_GROUP}")
        await eventually(lambda: any("Done:" in t for t in texts_to(fake, ADMIN)))
        who = "telegram:" + hashed(small, ADMIN)[:8]
        assert services.admins == {ADMIN}
        assert any(f"Published {REVIEWED_GROUP}" in t for t in texts_to(fake, ADMIN))
        assert "answers from 9 documents" in texts_to(fake, ADMIN)[-1]

        again = fake.sent_to(STUDENT)
        fake.send_text(student, UNCOVERED)
        await eventually(lambda: len(fake.sent_to(STUDENT)) == len(again) + 1)
        answer = fake.sent_to(STUDENT)[-1]
        assert "Sources:" in answer.text and "jihad" in answer.text.lower()
        assert '<a href="https://' in answer.raw

        # Educators can withdraw a topic from Telegram too.
        fake.send_text(admin, f"/unpublish {REVIEWED_GROUP}-ru")
        await eventually(lambda: "is no longer served" in texts_to(fake, ADMIN)[-1])
        assert "answers from 6 documents" in texts_to(fake, ADMIN)[-1]
        withdrawn = await reply_to(fake, student, UNCOVERED)
        assert "don't cover this yet" in withdrawn or "Did you mean" in withdrawn

        # A build made elsewhere (`kb publish --build`) reaches the running bot too.
        await asyncio.to_thread(publish, small.corpus_dir, REVIEWED_GROUP, "Dana")
        await asyncio.to_thread(build_index, small, embeddings)
        await asyncio.sleep(RELOAD_CHECK_SECONDS + 0.5)
        back = await reply_to(fake, student, UNCOVERED)
        assert "Sources:" in back

    document = (small.corpus_dir / REVIEWED_GROUP / "en.md").read_text()
    assert "reviewed_by: Dana" in document or 'reviewed_by: "Dana"' in document
    entries = [(e.action, e.document, e.who) for e in read(small)]
    assert entries[0] == ("import", doc_id, who)
    assert ("publish_refused", doc_id, who) in entries
    assert {e for e in entries if e[0] == "publish"} == {
        ("publish", f"{REVIEWED_GROUP}-{lang}", who) for lang in ("kk", "ru", "en")
    }
    assert ("unpublish", f"{REVIEWED_GROUP}-ru", who) in entries
    assert all(str(ADMIN) not in e.who for e in read(small))


async def test_problems_are_reported_and_nothing_unsafe_is_published(fake, small, engine):
    admin = fake.user(ADMIN, "Aigerim")
    async with bot_for(small, engine):
        fake.send_document(admin, "notes.txt", NOTES_TXT.encode(), mime_type="text/plain")
        await eventually(lambda: fake.sent_to(ADMIN))
        draft = fake.sent_to(ADMIN)[0].text
        doc_id = "notes-en"  # a text file has no title: its name is used
        assert doc_id in draft and "sources[1].url: is still a TODO" in draft
        assert "caption" in draft

        refused = await reply_to(fake, admin, f"/publish {doc_id}")
        assert f"{doc_id} cannot be published yet" in refused
        assert "sources[1].url: is still a TODO" in refused
        assert "/publish" in await reply_to(fake, admin, "/publish")
        assert "no document with id nothing-here" in await reply_to(
            fake, admin, "/publish nothing-here"
        )

        before = len(fake.sent_to(ADMIN))
        fake.send_document(
            admin,
            "other notes.md",
            ("# Notes on kindness\n\n" + NOTES_TXT).encode(),
            caption="Source: https://example.org/kindness",
        )
        await eventually(lambda: len(fake.sent_to(ADMIN)) > before)
        with_url = fake.sent_to(ADMIN)[-1].text
        assert "notes-on-kindness-en" in with_url and "url: is still a TODO" not in with_url
        assert "caption" not in with_url

        rejected = [
            await _send_file(fake, admin, name, content)
            for name, content in (
                ("tool.exe", b"MZ\x90\x00"),
                ("broken.pdf", b"%PDF-1.7 not really a pdf"),
                ("huge.pdf", b"%" * (20 * 1024 * 1024 + 1)),
            )
        ]
        assert "PDF, DOCX, HTML, TXT or Markdown" in rejected[0]
        assert rejected[1].startswith("Could not import broken.pdf:")
        assert "over 20 MB" in rejected[2]
        assert fake.downloads == [
            "documents/file_1.txt",
            "documents/file_2.md",
            "documents/file_4.pdf",
        ]

        listed = await reply_to(fake, admin, "/drafts")
        assert "Drafts (2)" in listed and doc_id in listed and "notes-on-kindness-en" in listed
    assert not (small.corpus_dir / "tool").exists()
    assert [e.action for e in read(small)] == [
        "import",
        "publish_refused",
        "import",
        "import_failed",
        "view_drafts",
    ]


async def _send_file(fake: FakeBotAPI, user: dict, name: str, content: bytes) -> str:
    before = len(fake.sent_to(user["id"]))
    fake.send_document(user, name, content)
    await eventually(lambda: len(fake.sent_to(user["id"])) > before)
    return fake.sent_to(user["id"])[-1].text


async def test_thumbs_down_reaches_feedback_gaps_and_kb_gaps_until_forgotten(
    fake, bot_settings, engine, embeddings, monkeypatch
):
    admin, student = fake.user(ADMIN, "Aigerim"), fake.user(STUDENT, "Dana")
    record_gap(
        Question("Can I wear a hijab at school?"),
        Reply(Decision.NO_ANSWER, "uncovered", "en", "…"),
        settings=bot_settings,
    )
    async with bot_for(bot_settings, engine, admin_ids=[ADMIN]) as services:
        fake.send_text(student, "How do online recruiters work?")
        await eventually(lambda: fake.sent_to(STUDENT))
        answer = fake.sent_to(STUDENT)[0]
        fake.press(student, answer, answer.button("vote:down")["callback_data"])
        await eventually(lambda: len(fake.sent_to(STUDENT)) == 2)
        await reply_to(fake, student, "Too vague, write to me at dana@mail.kz")

        feedback = await reply_to(fake, admin, "/feedback")
        assert "How do online recruiters work?" in feedback
        assert "Too vague, write to me at [e-mail]" in feedback and "Reply:" in feedback
        gaps = await reply_to(fake, admin, "/gaps")
        assert "2 questions in 2 groups" in gaps and "👎 1" in gaps
        assert "How do online recruiters work?" in gaps and "hijab" in gaps

        shown = kb_gaps(bot_settings, embeddings, monkeypatch)
        assert "2 recorded, 2 groups" in shown
        assert "How do online recruiters work?" in shown and "Too vague" in shown
        assert services.hash_user(STUDENT)[:12] not in shown

        fake.send_text(student, "/forget")
        await eventually(lambda: any("can't be undone" in t for t in texts_to(fake, STUDENT)))
        confirm = next(s for s in fake.sent_to(STUDENT) if "can't be undone" in s.text)
        fake.press(student, confirm, "forget:yes")
        await eventually(lambda: confirm.edits == 1)
    shown = kb_gaps(bot_settings, embeddings, monkeypatch)
    assert "1 recorded, 1 groups" in shown and "recruiters" not in shown
    assert [e.action for e in read(bot_settings)] == ["view_feedback", "view_gaps"]


def kb_gaps(
    settings: Settings, embeddings: KelisimEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> str:
    """`kelisim kb gaps` against ``settings``."""
    monkeypatch.setattr(kb_curation, "settings", lambda: settings)
    monkeypatch.setattr(kb_curation, "_embeddings", lambda s: embeddings)
    app = typer.Typer()
    app.command("gaps")(kb_curation.gaps)
    app.command("unused")(lambda: None)
    result = CliRunner().invoke(app, ["gaps"], catch_exceptions=False, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("leaflet.pdf", "leaflet.pdf"),
        ("../../etc/passwd", "passwd"),
        ("Хиджаб в школе.DOCX", "Хиджаб_в_школе.docx"),
        (None, "document"),
        (".md", "document.md"),
    ],
)
def test_safe_file_names(name: str | None, expected: str) -> None:
    assert safe_name(name) == expected
