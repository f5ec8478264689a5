"""The audit log: one JSON line per curation action, appended, never rewritten."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from bot.curation import audit


def test_record_appends_json_lines(tmp_path: Path) -> None:
    first = audit.record(tmp_path, "publish", "secular-state-kk", who="Aigerim S.")
    second = audit.record(tmp_path, "unpublish", "secular-state-kk")
    lines = (tmp_path / "audit.log").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "when": first.when,
            "who": "Aigerim S.",
            "action": "publish",
            "document": "secular-state-kk",
        },
        {
            "when": second.when,
            "who": second.who,
            "action": "unpublish",
            "document": "secular-state-kk",
        },
    ]
    assert second.who == audit.default_actor() and second.who
    when = dt.datetime.fromisoformat(first.when)
    assert when.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 3600


def test_read_skips_damaged_lines(tmp_path: Path) -> None:
    audit.record(tmp_path, "new", "a-kk", who="x")
    with (tmp_path / "audit.log").open("a", encoding="utf-8") as handle:
        handle.write("not json\n")
    audit.record(tmp_path, "import", "b-ru", who="y")
    assert [(e.action, e.document, e.who) for e in audit.read(tmp_path)] == [
        ("new", "a-kk", "x"),
        ("import", "b-ru", "y"),
    ]
