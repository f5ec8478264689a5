"""The extractive composer: whole units, each with its own sources."""

from __future__ import annotations

from bot.engine.composer import compose
from bot.engine.retrieval import UnitText
from bot.models import Source

LAW = Source(
    "religion-law", "The Religion Law — Adilet", "https://adilet.zan.kz/eng/docs/Z1100000483", "en"
)
SAME_PAGE = Source("law", "Law on religious activity (Adilet)", LAW.url, "en")
NEWS = Source("news", "Kazinform: registration figures", "https://www.inform.kz/en/x", "en")


def unit(unit_id: str, *sources: Source) -> UnitText:
    group = unit_id.split("/")[0]
    return UnitText(
        unit_id, group, "en", f"{group}-en", group, f"Question {unit_id}?", "An answer.", sources, 0
    )


def test_each_unit_is_quoted_whole_with_the_numbers_of_its_own_sources() -> None:
    out = compose([unit("a/one", LAW), unit("b/two", NEWS)])
    assert out.body == "Question a/one?\nAn answer. [1]\n\nQuestion b/two?\nAn answer. [2]"
    assert out.sources == [LAW, NEWS]
    assert out.units == ["a/one", "b/two"]


def test_one_page_described_twice_is_one_source() -> None:
    out = compose([unit("a/one", LAW, NEWS), unit("b/two", SAME_PAGE)])
    assert out.sources == [LAW, NEWS]
    assert out.body.endswith("Question b/two?\nAn answer. [1]")
