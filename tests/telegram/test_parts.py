"""The bot's parts on their own: rendering, the store, the rate limiter, the texts."""

from __future__ import annotations

import re
import stat

import pytest
from fake_bot_api import MAX_TEXT, ApiError, parse_html, utf16_len
from pydantic import SecretStr

from bot.cli.bot_command import parse_listen
from bot.errors import ConfigurationError
from bot.models import LANGS, Decision, Reply, Source
from bot.settings import PROJECT_ROOT
from bot.telegram.admin import _chunks as admin_chunks
from bot.telegram.app import file_url
from bot.telegram.ratelimit import Limit, RateLimiter
from bot.telegram.render import LIMIT, render_reply, split_text
from bot.telegram.store import DAY, Store, UserHasher, load_salt, scrub
from bot.telegram.texts import load_texts


def _reply(body: str, sources: list[Source]) -> Reply:
    return Reply(Decision.ANSWER, "", "en", body + "\n\nSources: …", sources=sources, body=body)


def test_long_reply_is_split_at_paragraphs_below_the_limit():
    paragraphs = [f"Paragraph {n} <b>&</b> " + "word " * 150 for n in range(30)]
    source = Source("s", 'Title with <tags> & "quotes"', "https://example.org/?a=1&b=2", "en")
    rendered = render_reply(_reply("\n\n".join(paragraphs), [source]), "Sources:")
    assert len(rendered.messages) > 1
    plain = [parse_html(m) for m in rendered.messages]  # Telegram would accept each
    assert all(len(m) <= LIMIT for m in rendered.messages)
    assert all(p.startswith("Paragraph") for p in plain)  # cut between paragraphs
    assert "".join(plain).count("Paragraph") == 30
    assert (
        '<a href="https://example.org/?a=1&amp;b=2">Title with &lt;tags&gt; &amp; "quotes"'
        in rendered.messages[-1]
    )
    assert rendered.last_without_sources is not None
    assert "Sources:" not in rendered.last_without_sources


def test_unbroken_text_is_cut_without_breaking_escapes():
    chunks = split_text("&" * 9000)
    assert all(len(c) <= LIMIT for c in chunks)
    assert sum(len(parse_html(c)) for c in chunks) == 9000


def test_emoji_heavy_text_is_split_by_telegrams_utf16_count():
    paragraph = "🙂 " * 1999  # 3,998 characters, 5,997 UTF-16 units
    reply = _reply(f"{paragraph}\n\n{paragraph}", [])
    messages = render_reply(reply, "Sources:").messages
    assert all(utf16_len(parse_html(m)) <= MAX_TEXT for m in messages)
    assert sum(parse_html(m).count("🙂") for m in messages) == 2 * 1999
    lines = "\n".join(f"#{n} 👎 " + "😡" * 300 for n in range(40))  # an admin's /feedback
    chunks = admin_chunks(lines)
    assert all(utf16_len(c) <= LIMIT for c in chunks) and len(chunks) > 1
    assert sum(c.count("😡") for c in chunks) == 40 * 300


def test_fake_server_refuses_what_telegram_refuses():
    with pytest.raises(ApiError):
        parse_html("1 < 2")
    with pytest.raises(ApiError):
        parse_html("<b>bold")
    with pytest.raises(ApiError):
        parse_html("<script>x</script>")
    assert parse_html('<a href="https://x.org">a &amp; b</a>') == "a & b"


def test_rate_limiter_burst_then_rate_one_notice_per_episode():
    now = [0.0]
    limiter = RateLimiter(burst=3, per_minute=6, clock=lambda: now[0])
    results = [limiter.check("a") for _ in range(6)]
    assert results == [Limit.ALLOW] * 3 + [Limit.NOTIFY, Limit.DROP, Limit.DROP]
    assert limiter.check("b") is Limit.ALLOW  # other users unaffected
    now[0] = 10.0  # one token back after 10 s at 6 a minute
    assert limiter.check("a") is Limit.ALLOW
    assert limiter.check("a") is Limit.NOTIFY  # a new episode gets a new notice


def test_salt_is_created_once_with_private_permissions(settings, tmp_path):
    key_file = tmp_path / "keys" / "user-id-salt"
    local = settings.model_copy(
        update={
            "data_dir": tmp_path / "data",
            "user_id_salt": SecretStr(""),
            "user_id_salt_file": key_file,
        }
    )
    salt = load_salt(local)
    assert load_salt(local) == salt and len(salt) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not list((tmp_path / "data").glob("*salt*"))  # the data alone cannot be matched
    inside = local.model_copy(update={"user_id_salt_file": tmp_path / "data" / "key"})
    with pytest.raises(ConfigurationError, match="outside the data directory"):
        load_salt(inside)
    configured = local.model_copy(update={"user_id_salt": SecretStr("pepper")})
    assert load_salt(configured) == b"pepper"
    hashed = UserHasher(salt)(42)
    assert re.fullmatch("[0-9a-f]{64}", hashed) and hashed != UserHasher(b"other")(42)


def test_store_purges_old_records_and_keeps_no_text_for_thumbs_up(tmp_path):
    store = Store(tmp_path / "bot.sqlite3")
    store.set_language("u1", "kk", consent=True)
    store.add_feedback(
        "u1", "up", decision="answer", category="", lang="kk", question="q", reply="r"
    )
    case = store.add_feedback(
        "u1",
        "down",
        decision="answer",
        category="",
        lang="kk",
        question="mail me: a.b@example.com",
        reply="r",
    )
    assert store.set_reason(case, "u1", "@someone said so")
    (up,) = store.cases("up")
    (down,) = store.cases("down")
    assert up.question is None and down.question == "mail me: [e-mail]"
    assert down.reason == "[@] said so"
    assert store.purge(180) == 0
    assert store.purge(180, now=__import__("time").time() + 181 * DAY) == 3
    assert store.user("u1") is None and store.cases() == []
    store.close()


def test_scrub_removes_contact_details():
    assert (
        scrub("call +7 (701) 234-56-78 or write x@y.kz, @tg_user")
        == "call [phone] or write [e-mail], [@]"
    )


def test_texts_have_every_key_in_every_language_and_kazakh_is_cyrillic():
    texts = load_texts(PROJECT_ROOT / "prompts")
    for lang in LANGS:
        assert texts.get(lang, "privacy", days=180)
        assert len(texts.commands(lang)) == 10
    assert re.search("[әіңғүұқөһ]", texts.get("kk", "start"))
    assert not re.search("[A-Za-z]{4,}", texts.get("kk", "forget_confirm"))


def test_file_url_and_listen_parsing():
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://h/bot{token}/x") == "http://h/file/bot{token}/x"
    assert parse_listen("0.0.0.0:8443") == ("0.0.0.0", 8443)
    import typer

    for bad in ("8443", "host:", "host:99999", ":80"):
        with pytest.raises(typer.BadParameter):
            parse_listen(bad)


def test_forgotten_rows_leave_no_readable_trace_and_files_are_private(tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = Store(path)
    store.set_language("a" * 64, "ru", consent=True)
    store.add_feedback(
        "a" * 64,
        "down",
        decision="answer",
        category="",
        lang="ru",
        question="мой тайный вопрос про мечеть",
        reply="r",
    )
    assert store.forget("a" * 64) == 2
    files = [p for p in tmp_path.iterdir() if p.name.startswith("bot.sqlite3")]
    raw = b"".join(p.read_bytes() for p in files)
    assert "тайный".encode() not in raw and b"a" * 64 not in raw
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    store.close()
