"""The fixed taxonomy of manipulation techniques and the cues that point to them.

Technique ids are part of the public ``kelisim check --json`` output, so they
never change; their names, explanations and counter-questions are reply texts
in ``prompts/<lang>.yaml``. Cues and background units are editable data in
``<safety_dir>/post-cues.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.datafiles import load_yaml
from bot.errors import ConfigurationError
from bot.models import LANGS, Lang
from bot.safety.normalize import basic

TECHNIQUES: tuple[str, ...] = (
    "us-vs-them",
    "takfir",
    "false-authority",
    "out-of-context",
    "urgency-fear",
    "secrecy-isolation",
    "love-bombing",
    "conspiracy",
    "grievance-violence",
    "call-to-act",
)
CUES_FILE = "post-cues.yaml"


@dataclass(frozen=True, slots=True)
class PostCues:
    """Compiled cues: per technique and language, and the safety cues per language."""

    context: dict[str, tuple[str, ...]]
    cues: dict[str, dict[Lang, tuple[re.Pattern[str], ...]]]
    safety: dict[Lang, tuple[re.Pattern[str], ...]]
    safety_context: tuple[str, ...] = ()

    def hits(self, text: str) -> dict[str, int]:
        """How many cues of each technique match ``text`` (any language: posts mix them)."""
        norm = basic(text)
        return {
            tid: sum(1 for lang in LANGS for rx in self.cues[tid][lang] if rx.search(norm))
            for tid in TECHNIQUES
        }

    def safety_hits(self, text: str) -> int:
        norm = basic(text)
        return sum(1 for lang in LANGS for rx in self.safety[lang] if rx.search(norm))


def _compile(where: str, patterns: object) -> tuple[re.Pattern[str], ...]:
    if not isinstance(patterns, list):
        raise ConfigurationError(f"{where}: expected a list of regular expressions")
    out = []
    for pattern in patterns:
        try:
            out.append(re.compile(str(pattern), re.IGNORECASE))
        except re.error as exc:
            raise ConfigurationError(f"{where}: {pattern!r} is not a valid pattern: {exc}") from exc
    return tuple(out)


@lru_cache(maxsize=4)
def load_cues(safety_dir: Path) -> PostCues:
    """Read and check ``post-cues.yaml``: every technique, every language, valid patterns."""
    path = safety_dir / CUES_FILE
    try:
        data = load_yaml(path) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot be read: {exc}") from exc
    techniques = data.get("techniques") or {}
    unknown = set(techniques) - set(TECHNIQUES)
    missing = set(TECHNIQUES) - set(techniques)
    if unknown or missing:
        raise ConfigurationError(
            f"{path}: techniques must be exactly {', '.join(TECHNIQUES)}"
            f" (unknown: {sorted(unknown)}, missing: {sorted(missing)})"
        )
    context: dict[str, tuple[str, ...]] = {}
    cues: dict[str, dict[Lang, tuple[re.Pattern[str], ...]]] = {}
    for tid in TECHNIQUES:
        entry = techniques[tid] or {}
        context[tid] = tuple(str(u) for u in entry.get("context") or ())
        per_lang = entry.get("cues") or {}
        cues[tid] = {
            lang: _compile(f"{path}: {tid}.cues.{lang}", per_lang.get(lang, [])) for lang in LANGS
        }
    safety_data = data.get("safety_cues") or {}
    safety = {
        lang: _compile(f"{path}: safety_cues.{lang}", safety_data.get(lang, [])) for lang in LANGS
    }
    safety_context = tuple(str(u) for u in data.get("safety_context") or ())
    return PostCues(context, cues, safety, safety_context)
