"""Every message `kb validate` can give, as `file: field: message`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import Invoke

from bot.knowledge.documents import load_corpus
from bot.settings import Settings


def unit(answer: str, also: str = "Also asked", sources: str = "Sources") -> str:
    return (
        f"## What is a secular state? {{#meaning}}\n\n{answer}\n\n{also}:\n"
        "- what does secular mean\n- secular state?\n- is kz secular\n\n"
        f"{sources}: 1\n"
    )


TEXT = unit(
    "A secular state keeps religion and government separate. Every citizen may hold any "
    "belief or none. Religious associations register with the state and follow the law."
)
RU = unit(
    "Светское государство отделяет религию от власти. Каждый гражданин вправе исповедовать "
    "любую религию или не исповедовать никакой.",
    "Также спрашивают",
    "Источники",
)
KK = unit(
    "Зайырлы мемлекетте дін мемлекеттен бөлінген. Әр азамат кез келген дінді ұстануға "
    "немесе ешқандай дінді ұстанбауға құқылы.",
    "Тағы сұрайды",
    "Дереккөздер",
)
TODAY = dt.date(2026, 6, 1)


def write(
    folder: Path,
    group: str = "g",
    lang: str = "en",
    *,
    body: str = TEXT,
    name: str | None = None,
    **meta: str,
) -> Path:
    fields = {
        "id": f"{group}-{lang}",
        "group": group,
        "lang": lang,
        "title": '"T"',
        "topics": f"[{group}]",
        "sources": '\n  - title: "Law"\n    url: '
        '"https://adilet.zan.kz/x"\n    accessed: 2026-01-10',
        "status": "published",
        "reviewed_by": '"R"',
        "reviewed_at": "2026-05-01",
    }
    fields.update(meta)
    head = "".join(f"{k}: {v}\n" for k, v in fields.items() if v != "<omit>")
    path = folder / group / f"{name or lang}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{head}---\n# T\n\n{body}\n", encoding="utf-8")
    return path


def messages(folder: Path) -> set[str]:
    corpus = load_corpus(folder, today=TODAY, max_review_age_days=365)
    return {str(p).replace(f"{folder}/", "") for p in corpus.problems}


def complete(folder: Path, group: str = "g") -> None:
    """The other two languages: a published unit needs all three."""
    write(folder, group, "ru", body=RU)
    write(folder, group, "kk", body=KK)


TODO_URL = (
    '\n  - title: "Law"\n    url: "TODO: the source\'s web address"\n    accessed: 2026-01-10'
)
TODO_TITLE = (
    '\n  - title: "TODO: the source\'s title"\n    url: "https://x.kz/a"\n    accessed: 2026-01-10'
)


@pytest.mark.parametrize(
    ("meta", "body", "expected"),
    [
        (
            {"sources": TODO_URL},
            TEXT,
            "g/en.md: sources[1].url: is still a TODO: write the source's web address",
        ),
        (
            {"sources": TODO_URL, "status": "draft"},
            TEXT,
            "g/en.md: sources[1].url: is still a TODO: write the source's web address (warning)",
        ),
        (
            {"sources": TODO_TITLE},
            TEXT,
            "g/en.md: sources[1].title: is still a TODO: write the source's real title",
        ),
        (
            {"sources": TODO_TITLE, "status": "draft"},
            TEXT,
            "g/en.md: sources[1].title: is still a TODO: write the source's real title (warning)",
        ),
        (
            {},
            "Intro.\n\nTODO: explain the law.\n\n" + TEXT,
            "g/en.md: body: still has a TODO ('TODO: explain the law.'): replace it with the real "
            "text",
        ),
        (
            {"status": "draft"},
            "TODO: explain.\n\n" + TEXT,
            "g/en.md: body: still has a TODO ('TODO: explain.'): replace it with the real text "
            "(warning)",
        ),
        (
            {"reviewed_at": "<omit>"},
            TEXT,
            "g/en.md: reviewed_at: a published document needs the date of its review",
        ),
        (
            {"reviewed_at": "2026-06-30"},
            TEXT,
            "g/en.md: reviewed_at: 2026-06-30 is in the future (warning)",
        ),
        (
            {"reviewed_at": "2025-01-02"},
            TEXT,
            "g/en.md: reviewed_at: last reviewed 2025-01-02, more than 365 days ago (warning)",
        ),
        (
            {"reviewed_by": '""'},
            TEXT,
            "g/en.md: reviewed_by: a published document needs a reviewer",
        ),
        ({"sources": "[]"}, TEXT, "g/en.md: sources: is required"),
        (
            {"sources": '\n  - title: "Law"\n    url: "adilet.zan.kz"\n    accessed: 2026-01-10'},
            TEXT,
            "g/en.md: sources[1].url: is not a web address: 'adilet.zan.kz'",
        ),
        (
            {"sources": '\n  - title: "Law"\n    url: "https://a.kz"'},
            TEXT,
            "g/en.md: sources[1].accessed: is required (the date the source was checked)",
        ),
        (
            {},
            RU.replace("Также спрашивают", "Also asked").replace("Источники", "Sources"),
            "g/en.md: {#meaning}: the answer reads as ru, but the document is en",
        ),
        (
            {},
            "Too short to be a document.",
            "g/en.md: body: has no units: write each answer under a `## Question? {#id}`",
        ),
        ({"status": "ready"}, TEXT, "g/en.md: status: must be draft or published, not 'ready'"),
    ],
)
def test_document_messages(tmp_path: Path, meta: dict[str, str], body: str, expected: str) -> None:
    complete(tmp_path)
    write(tmp_path, body=body, **meta)
    found = messages(tmp_path)
    assert {m for m in found if m.startswith("g/en.md")} == {expected}
    # When the en version is invalid, its translations cannot be served either.
    others = found - {expected}
    assert others <= {
        f"g/{lang}.md: {{#meaning}}: has no published en version; a unit is served only in all "
        "three languages (publish the translation or make this a draft)"
        for lang in ("kk", "ru")
    }


def test_clean_group_has_no_messages(tmp_path: Path) -> None:
    complete(tmp_path)
    write(tmp_path)
    assert messages(tmp_path) == set()


def test_corpus_messages(tmp_path: Path) -> None:
    write(tmp_path, "a")
    write(tmp_path, "b", id="a-en")
    write(tmp_path, "c", "en", name="ru")
    found = messages(tmp_path)
    assert "b/en.md: id: duplicate id 'a-en' (also in a/en.md)" in found
    assert any(m.startswith("a/en.md: {#meaning}: has no published kk/ru version") for m in found)
    assert "c/ru.md: lang: says en but the file is named ru.md (warning)" in found


def test_validate_command_fails_on_errors_only(invoke: Invoke, cur_settings: Settings) -> None:
    for lang, body in (("ru", RU), ("kk", KK)):
        write(cur_settings.corpus_dir, lang=lang, body=body, status="draft")
    write(cur_settings.corpus_dir, sources=TODO_URL, status="draft")
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert "is still a TODO" in result.output and "3 valid documents, 0 invalid" in result.output
    assert invoke("validate", "--strict").exit_code == 1
    write(cur_settings.corpus_dir, "h", sources=TODO_URL)
    result = invoke("validate")
    assert result.exit_code == 1 and "1 invalid" in result.output


def _file_problems(path: Path) -> list[str]:
    corpus = load_corpus(path.parent.parent, today=TODAY)
    return [f"{p.field}: {p.message}" for p in corpus.problems if p.path == path]


def test_a_byte_order_mark_from_an_editor_is_harmless(tmp_path: Path) -> None:
    path = write(tmp_path, lang="en", body=TEXT, status="draft")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert not [m for m in _file_problems(path) if "front matter" in m or "file" in m]


def test_messages_name_the_real_problem_with_a_file(tmp_path: Path) -> None:
    utf16 = write(tmp_path, "u16", status="draft")
    utf16.write_bytes(utf16.read_text(encoding="utf-8").encode("utf-16"))
    assert _file_problems(utf16) == ["file: is saved as UTF-16: save it as UTF-8"]
    cp1251 = write(tmp_path, "cp", lang="ru", body=RU, status="draft")
    cp1251.write_bytes(cp1251.read_text(encoding="utf-8").encode("cp1251"))
    assert _file_problems(cp1251) == ["file: is not UTF-8 (perhaps Windows-1251): save it as UTF-8"]
    listed = tmp_path / "l" / "en.md"
    listed.parent.mkdir()
    listed.write_text("---\n- id: l-en\n- lang: en\n---\n# T\n", encoding="utf-8")
    assert _file_problems(listed) == [
        "front matter: must be `name: value` lines (id:, group:, …), not a list"
    ]


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    bomb = tmp_path / "b" / "en.md"
    bomb.parent.mkdir()
    levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for n in range(1, 9):
        levels.append(f"{chr(97 + n)}: &{chr(97 + n)} [" + ",".join([f"*{chr(96 + n)}"] * 9) + "]")
    bomb.write_text("---\n" + "\n".join(levels) + "\n---\n# T\n", encoding="utf-8")
    [message] = _file_problems(bomb)
    assert message.startswith("front matter: not valid YAML") and "aliases" in message
