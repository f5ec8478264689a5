"""The bot's interface texts (``prompts/telegram.yaml``), per language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.datafiles import load_yaml
from bot.errors import ConfigurationError
from bot.models import LANGS, Lang

FILE_NAME = "telegram.yaml"
LANGUAGE_LABELS: dict[Lang, str] = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


class Texts:
    """UI strings for kk, ru and en; every language defines the same keys."""

    def __init__(self, data: dict[Lang, dict[str, Any]]) -> None:
        self._data = data

    def get(self, lang: Lang, key: str, **values: Any) -> str:
        template = self._data[lang][key]
        return str(template).format(**values).strip() if values else str(template).strip()

    def commands(self, lang: Lang) -> dict[str, str]:
        """Command name → short description, for ``setMyCommands``."""
        return dict(self._data[lang]["commands"])

    def all_values(self, key: str) -> set[str]:
        """``key`` in every language (to recognise a button label whatever the language)."""
        return {self.get(lang, key) for lang in LANGS}


@lru_cache(maxsize=4)
def load_texts(prompts_dir: Path) -> Texts:
    """Read and check ``<prompts_dir>/telegram.yaml``."""
    path = prompts_dir / FILE_NAME
    try:
        raw = load_yaml(path) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot be read: {exc}") from exc
    missing_langs = [lang for lang in LANGS if not isinstance(raw.get(lang), dict)]
    if missing_langs:
        raise ConfigurationError(f"{path}: missing languages: {', '.join(missing_langs)}")
    reference = set(raw["en"])
    for lang in LANGS:
        missing = reference - set(raw[lang])
        if missing:
            raise ConfigurationError(f"{path}: {lang}: missing keys: {', '.join(sorted(missing))}")
        if set(raw[lang]["commands"]) != set(raw["en"]["commands"]):
            raise ConfigurationError(f"{path}: {lang}: commands differ from en")
    return Texts({lang: raw[lang] for lang in LANGS})
