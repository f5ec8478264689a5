"""Answer units: the corpus format educators write, and what `kb validate` says about it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.knowledge.documents import load_corpus, missing_translations
from bot.knowledge.units import parse_units
from bot.settings import PROJECT_ROOT

UNIT = """\
## Does secular mean atheist? {{#not-atheist}}

{body}

Recruiters often write things like:
> «Don't tell your parents, they won't understand.»

{also}:
- does secular mean no religion
- is religion banned in kz
- secular = atheist??

{sources}: law
"""
BODIES = {
    "en": "No. A secular state is not an atheist state: it does not ban faith and does not "
    "require anyone to give up religion. It treats believers and non-believers equally.",
    "ru": "Нет. Светское государство не атеистическое: оно не запрещает веру и не требует ни "
    "от кого отказываться от религии. Верующие и неверующие равны перед законом.",
    "kk": "Жоқ. Зайырлы мемлекет атеистік мемлекет емес: ол сенімге тыйым салмайды және ешкімнен "
    "діннен бас тартуды талап етпейді. Сенетін де, сенбейтін де адамдар заң алдында тең.",
}
LABELS = {
    "en": ("Also asked", "Sources"),
    "ru": ("Также спрашивают", "Источники"),
    "kk": ("Тағы сұрайды", "Дереккөздер"),
}


def write(folder: Path, lang: str, units: str | None = None, status: str = "published") -> Path:
    also, sources = LABELS[lang]
    body = units or UNIT.format(body=BODIES[lang], also=also, sources=sources)
    path = folder / "secular-state" / f"{lang}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""---
id: secular-state-{lang}
group: secular-state
lang: {lang}
title: "Secular state"
topics: [secular-state]
sources:
  - key: law
    title: "The religion law"
    url: "https://adilet.zan.kz/eng/docs/Z1100000483"
    accessed: 2026-11-30
status: {status}
reviewed_by: "An educator"
reviewed_at: 2026-11-30
---
# Secular state

{body}""",
        encoding="utf-8",
    )
    return path


def test_a_unit_has_its_question_answer_phrasings_sources_and_examples() -> None:
    units, problems = parse_units(
        UNIT.format(body=BODIES["en"], also="Also asked", sources="Sources"), "secular-state", "en"
    )
    assert problems == []
    (unit,) = units
    assert unit.id == "secular-state/not-atheist"
    assert unit.question == "Does secular mean atheist?"
    assert unit.body.startswith("No. A secular state")
    assert unit.alternatives == (
        "does secular mean no religion",
        "is religion banned in kz",
        "secular = atheist??",
    )
    assert unit.source_keys == ("law",)
    assert unit.examples == ("«Don't tell your parents, they won't understand.»",)
    assert unit.body.endswith(unit.examples[0])  # the example stays inside its unit


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        ("## Does secular mean atheist?\n\nNo.", "needs an id"),
        ("## Q? {#Bad_Id}\n\nText.", "lowercase latin letters"),
        (
            "## Q? {#q}\n\nA secular state does not ban faith and treats everyone equally here.\n\n"
            "Also asked:\n- a\n\nSources: law",
            "write at least 3",
        ),
        (
            "## Q? {#q}\n\nA secular state does not ban faith and treats everyone equally here.\n\n"
            "Also asked:\n- a\n- b\n- c\n",
            "no 'Sources:' line",
        ),
        (
            "## Q? {#q}\n\n" + "word " * 200 + "\n\nAlso asked:\n- a\n- b\n- c\n\nSources: law",
            "200 words",
        ),
        (
            "## Q? {#q}\n\nA secular state does not ban faith and treats everyone equally here.\n"
            "> Don't tell your parents\n\nAlso asked:\n- a\n- b\n- c\n\nSources: law",
            "must be inside",
        ),
    ],
)
def test_unit_problems_say_what_to_fix(unit: str, message: str) -> None:
    _, problems = parse_units(unit, "g", "en")
    assert any(message in p.message for p in problems), problems


def test_a_repeated_anchor_is_reported() -> None:
    one = UNIT.format(body=BODIES["en"], also="Also asked", sources="Sources")
    units, problems = parse_units(one + "\n" + one, "g", "en")
    assert len(units) == 1
    assert any("used twice" in p.message for p in problems)


def test_valid_units_in_three_languages_load(tmp_path: Path) -> None:
    for lang in ("kk", "ru", "en"):
        write(tmp_path, lang)
    corpus = load_corpus(tmp_path, today=dt.date(2026, 12, 1))
    assert corpus.errors == []
    assert {d.lang: len(d.units) for d in corpus.published} == {"kk": 1, "ru": 1, "en": 1}
    doc = corpus.published[0]
    assert [s.url for s in doc.sources_of(doc.units[0])] == [
        "https://adilet.zan.kz/eng/docs/Z1100000483"
    ]


def test_a_published_unit_without_all_translations_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "en")
    write(tmp_path, "ru")
    corpus = load_corpus(tmp_path, today=dt.date(2026, 12, 1))
    messages = [str(p) for p in corpus.errors]
    assert any("{#not-atheist}: has no published kk version" in m for m in messages), messages
    assert not corpus.published  # neither version is served


def test_missing_translations_are_listed_for_stats(tmp_path: Path) -> None:
    write(tmp_path, "en")
    write(tmp_path, "ru", status="draft")
    corpus = load_corpus(tmp_path, today=dt.date(2026, 12, 1))
    drafts = [d for d in corpus.documents if d.status == "draft"]
    assert missing_translations(drafts) == {"secular-state/not-atheist": ["kk", "en"]}


def test_a_source_key_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    also, sources = LABELS["en"]
    unit = UNIT.format(body=BODIES["en"], also=also, sources=sources).replace(
        ": law", ": law, constitution"
    )
    path = write(tmp_path, "en", unit)
    corpus = load_corpus(tmp_path, today=dt.date(2026, 12, 1))
    assert any(p.path == path and "'constitution'" in p.message for p in corpus.errors), (
        corpus.problems
    )


def test_an_answer_in_the_wrong_language_is_an_error(tmp_path: Path) -> None:
    also, sources = LABELS["kk"]
    path = write(tmp_path, "kk", UNIT.format(body=BODIES["ru"], also=also, sources=sources))
    corpus = load_corpus(tmp_path, today=dt.date(2026, 12, 1))
    assert any(p.path == path and "reads as ru" in p.message for p in corpus.errors)


def test_problems_name_the_line_of_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "en", "## A question without an id\n\nText.\n")
    corpus = load_corpus(tmp_path, today=dt.date(2026, 12, 1))
    lines = path.read_text(encoding="utf-8").splitlines()
    problem = next(p for p in corpus.errors if "needs an id" in p.message)
    number = int(problem.field.split()[1])
    assert lines[number - 1].startswith("## A question without an id")


def test_the_glossary_warns_about_terms_to_avoid(tmp_path: Path) -> None:
    (tmp_path / "glossary.yaml").write_text(
        "terms:\n  - {en: skirt, kk: белдемше, avoid: {kk: [юбка]}}\n", encoding="utf-8"
    )
    corpus_dir = tmp_path / "corpus"
    also, sources = LABELS["kk"]
    body = BODIES["kk"] + " Мектепте юбка киюге болады."
    write(corpus_dir, "kk", UNIT.format(body=body, also=also, sources=sources))
    corpus = load_corpus(corpus_dir, today=dt.date(2026, 12, 1))
    assert any("«юбка»" in p.message and "«белдемше»" in p.message for p in corpus.warnings)


def test_an_english_document_with_a_source_title_in_cyrillic_gets_a_warning(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "en")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'title: "The religion law"', 'title: "Закон о религиозной деятельности"'
        ),
        encoding="utf-8",
    )
    corpus = load_corpus(tmp_path, today=dt.date(2026, 12, 1))
    assert [p.field for p in corpus.warnings] == ["sources.law"]
    assert "not in English" in corpus.warnings[0].message


def test_every_english_source_title_in_the_corpus_is_english() -> None:
    corpus = load_corpus(PROJECT_ROOT / "knowledge_base" / "corpus")
    assert [str(p) for p in corpus.warnings if "not in English" in p.message] == []


def test_a_document_may_ask_for_help_lines_of_a_known_kind_only(tmp_path: Path) -> None:
    for lang in ("kk", "ru", "en"):
        path = write(tmp_path, lang)
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                "topics: [secular-state]\n", "topics: [secular-state]\nhelp: friend_joining\n"
            ),
            encoding="utf-8",
        )
    corpus = load_corpus(tmp_path, today=dt.date(2026, 12, 1))
    assert corpus.errors == []
    assert {d.help for d in corpus.published} == {"friend_joining"}
    path.write_text(
        path.read_text(encoding="utf-8").replace("help: friend_joining", "help: worried"),
        encoding="utf-8",
    )
    corpus = load_corpus(tmp_path, today=dt.date(2026, 12, 1))
    assert any(p.path == path and p.field == "help" for p in corpus.errors), corpus.problems
