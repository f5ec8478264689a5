"""Labelled exemplars that educators extend: training data for the safety classifier.

The examples (``knowledge_base/safety/exemplars.yaml``) come in contrast pairs —
asking *about* a hard topic next to asking *for* harmful content — so that the
classifier learns intent, not topic (see :mod:`bot.safety.training`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.datafiles import load_yaml
from bot.errors import ConfigurationError
from bot.models import LANGS, Decision

log = logging.getLogger(__name__)
K = 7


@dataclass(frozen=True, slots=True)
class Exemplar:
    text: str
    lang: str
    decision: Decision
    category: str


def load_exemplars(path: Path) -> list[Exemplar]:
    try:
        data = load_yaml(path) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot be read: {exc}") from exc
    out = []
    for i, item in enumerate(data.get("exemplars") or [], 1):
        try:
            decision = Decision(item["decision"])
        except (KeyError, ValueError) as exc:
            raise ConfigurationError(f"{path}: exemplars[{i}]: bad or missing decision") from exc
        if not item.get("text") or item.get("lang") not in LANGS:
            raise ConfigurationError(f"{path}: exemplars[{i}]: needs text and lang kk|ru|en")
        out.append(
            Exemplar(str(item["text"]), item["lang"], decision, str(item.get("category") or ""))
        )
    return out
