"""The extractive composer: a reply made of whole, reviewed answer units.

A reply quotes one or two units intact, in the asker's language, each followed
by the numbers of its own sources; the source list under the reply holds only
those sources. Nothing is stitched from different places, so what a young
person reads is exactly what an educator reviewed. Same input, same reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine.retrieval import UnitText
from bot.models import Source


@dataclass(slots=True)
class Composition:
    """The reply body (units with citation markers) and the sources it cites."""

    body: str
    sources: list[Source] = field(default_factory=list)
    units: list[str] = field(default_factory=list)


def compose(units: list[UnitText]) -> Composition:
    """Each unit as its question line and its answer, then ``[n]`` for each of its sources.

    A source cited by both units gets one number; so does one page that two topics'
    documents describe in different words (it is the same source to the reader).
    """
    out = Composition("")
    blocks: list[str] = []
    for unit in units:
        numbers: list[int] = []
        for source in unit.sources:
            known = [s.url or s.title for s in out.sources]
            key = source.url or source.title
            if key not in known:
                out.sources.append(source)
                known.append(key)
            if known.index(key) + 1 not in numbers:
                numbers.append(known.index(key) + 1)
        marks = "".join(f"[{n}]" for n in numbers)
        blocks.append(f"{unit.question}\n{unit.body} {marks}".rstrip())
        out.units.append(unit.unit_id)
    out.body = "\n\n".join(blocks)
    return out
