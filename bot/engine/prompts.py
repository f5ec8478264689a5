"""Reply templates and LLM prompts, kept as data in ``prompts/<lang>.yaml``.

Every language file must define the same keys; :func:`load_prompts` refuses to
start with a file that misses one, so a reply can never fall back to a key name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.datafiles import load_yaml
from bot.errors import ConfigurationError
from bot.models import LANGS, Lang


@dataclass(frozen=True, slots=True)
class Helpline:
    """A help resource shown in crisis replies, with where its number was verified."""

    id: str
    number: str
    name: dict[str, str]
    description: dict[str, str]
    source: str
    verified: dt.date | None


class Prompts:
    """Templates for all languages."""

    def __init__(self, texts: dict[Lang, dict[str, Any]], helplines: list[Helpline]) -> None:
        self._texts = texts
        self.helplines = helplines

    def text(self, lang: Lang, key: str, **values: Any) -> str:
        """The template ``key`` in ``lang``, formatted with ``values``."""
        template = self._texts[lang][key]
        if not isinstance(template, str):
            raise ConfigurationError(f"prompts/{lang}.yaml: {key}: expected text")
        return template.format(**values).strip() if values else template.strip()

    def value(self, lang: Lang, key: str) -> Any:
        """A structured entry (a mapping or list) as written in the YAML file."""
        return self._texts[lang][key]

    def keys(self, lang: Lang) -> set[str]:
        return set(self._texts[lang])

    def helpline_lines(self, lang: Lang) -> list[str]:
        return [
            f"{h.number} — {h.name.get(lang) or h.name.get('en', '')}: "
            f"{h.description.get(lang) or h.description.get('en', '')}".rstrip(": ")
            for h in self.helplines
        ]


def _load_helplines(path: Path) -> list[Helpline]:
    if not path.exists():
        return []
    data = load_yaml(path) or {}
    out = []
    for i, item in enumerate(data.get("helplines") or [], 1):
        if not item.get("number") or not item.get("source"):
            raise ConfigurationError(f"{path}: helplines[{i}]: needs a number and its source")
        verified = item.get("verified")
        out.append(
            Helpline(
                id=str(item.get("id") or item["number"]),
                number=str(item["number"]),
                name=dict(item.get("name") or {}),
                description=dict(item.get("description") or {}),
                source=str(item["source"]),
                verified=verified if isinstance(verified, dt.date) else None,
            )
        )
    return out


@lru_cache(maxsize=4)
def load_prompts(folder: Path) -> Prompts:
    """Read and check ``<folder>/{kk,ru,en}.yaml`` and ``helplines.yaml``."""
    texts: dict[Lang, dict[str, Any]] = {}
    for lang in LANGS:
        path = folder / f"{lang}.yaml"
        try:
            texts[lang] = load_yaml(path) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"{path}: cannot be read: {exc}") from exc
    reference = set(texts["en"])
    for lang in LANGS:
        missing = reference - set(texts[lang])
        if missing:
            raise ConfigurationError(
                f"{folder / (lang + '.yaml')}: missing keys: {', '.join(sorted(missing))}"
            )
    return Prompts(texts, _load_helplines(folder / "helplines.yaml"))
