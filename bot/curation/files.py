"""Safe writes and in-place front matter edits for corpus documents.

Documents are hand-edited by educators, so an edit touches only the lines of the
keys it changes: key order, quoting, comments and the body stay exactly as they were.
Every write goes to a temporary file in the same folder first, so a crash never
leaves a half-written document behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import yaml

from bot.errors import CorpusError

FrontMatterValue = str | dt.date | None
_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")
_PLAIN = re.compile(r"^[a-z][a-z0-9_-]*$")


@contextlib.contextmanager
def staged(path: Path, text: str) -> Iterator[Path]:
    """Write ``text`` to a hidden temporary file beside ``path``; it is removed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".md.tmp", dir=path.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, 0o644)  # a normal document, not mkstemp's private 0600
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def commit(tmp: Path, path: Path, *, overwrite: bool) -> None:
    """Move a staged file into place; without ``overwrite`` an existing file is an error."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic and fails if ``path`` exists
    except FileExistsError:
        raise CorpusError(f"{path} already exists; not overwriting it") from None


def write_new(path: Path, text: str) -> None:
    """Create ``path`` with ``text`` atomically; refuse to overwrite an existing file."""
    if path.exists():
        raise CorpusError(f"{path} already exists; not overwriting it")
    new_folder = not path.parent.exists()
    try:
        with staged(path, text) as tmp:
            commit(tmp, path, overwrite=False)
    except BaseException:
        if new_folder:
            with contextlib.suppress(OSError):
                path.parent.rmdir()
        raise


def _scalar(value: FrontMatterValue) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if _PLAIN.match(value) and yaml.safe_load(value) == value:
        return value  # e.g. published: no quotes needed, as the corpus writes it
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def split_front_matter(text: str) -> tuple[list[str], str]:
    """The front matter lines (without the ``---`` fences) and the rest of the file."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise CorpusError("the file has no front matter (it must start with ---)")
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            return lines[1:end], "".join(lines[end + 1 :])
    raise CorpusError("the front matter is not closed with ---")


def update_front_matter(text: str, updates: Mapping[str, FrontMatterValue]) -> str:
    """Set top-level scalar keys in a document's front matter, leaving all else untouched.

    A key that exists is rewritten where it stands (with any indented continuation
    lines it had); a new key is appended at the end of the front matter.
    """
    head, body = split_front_matter(text)
    out: list[str] = []
    pending = dict(updates)
    skipping = False
    for line in head:
        match = _KEY.match(line)
        if match:
            skipping = False
            key = match.group(1)
            if key in pending:
                out.append(f"{key}: {_scalar(pending.pop(key))}".rstrip() + "\n")
                skipping = True
                continue
        elif skipping and line.startswith((" ", "\t", "-")):
            continue  # a continuation of the value being replaced
        out.append(line)
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    out.extend(f"{key}: {_scalar(value)}".rstrip() + "\n" for key, value in pending.items())
    return "---\n" + "".join(out) + "---\n" + body
