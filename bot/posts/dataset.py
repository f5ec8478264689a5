"""Labelled posts: ``evaluation/datasets/posts/<split>/<lang>.jsonl``.

Each line: ``{"id", "lang", "text", "verdict": "manipulative"|"neutral",
"techniques": [ids], "routing": "safety"|"analysis", "style"}``. The *train*
split trains the detector and picks its thresholds; the *test* split is frozen
and written independently, only ever scored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import DatasetError
from bot.models import LANGS, Lang
from bot.posts.taxonomy import TECHNIQUES
from bot.settings import PROJECT_ROOT

POSTS_DATA = PROJECT_ROOT / "evaluation" / "datasets" / "posts"


@dataclass(frozen=True, slots=True)
class LabelledPost:
    id: str
    lang: Lang
    text: str
    manipulative: bool
    techniques: tuple[str, ...]
    safety: bool
    style: str = ""


def _post(path: Path, number: int, line: str) -> LabelledPost:
    where = f"{path}:{number}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: not JSON ({exc.msg})") from exc
    if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"]:
        raise DatasetError(f'{where}: expected an object with a non-empty "text"')
    verdict, lang = row.get("verdict"), row.get("lang")
    techniques = tuple(row.get("techniques") or ())
    if verdict not in ("manipulative", "neutral"):
        raise DatasetError(f'{where}: "verdict" must be "manipulative" or "neutral"')
    if lang not in LANGS:
        raise DatasetError(f'{where}: "lang" must be one of {", ".join(LANGS)}')
    unknown = [t for t in techniques if t not in TECHNIQUES]
    if unknown:
        raise DatasetError(f"{where}: unknown technique {unknown[0]!r}")
    if (verdict == "manipulative") != bool(techniques):
        raise DatasetError(f"{where}: a manipulative post needs techniques; a neutral one none")
    return LabelledPost(
        id=str(row.get("id") or f"{path.stem}-{number}"),
        lang=lang,
        text=row["text"],
        manipulative=verdict == "manipulative",
        techniques=techniques,
        safety=row.get("routing") == "safety",
        style=str(row.get("style") or ""),
    )


def read_posts(paths: Iterable[Path]) -> list[LabelledPost]:
    """Every post in ``paths``; a missing, binary or malformed file is one clear error."""
    out: list[LabelledPost] = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError as exc:
            raise DatasetError(f"{path}: no such file") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise DatasetError(f"{path}: cannot be read as UTF-8 text") from exc
        out += [_post(path, i, line) for i, line in enumerate(lines, 1) if line.strip()]
    return out


def split_files(split: str, root: Path = POSTS_DATA) -> list[Path]:
    """The files of one split, or of a folder given directly."""
    folder = root / split if (root / split).is_dir() else Path(split)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder of labelled posts")
    return sorted(folder.glob("*.jsonl"))
