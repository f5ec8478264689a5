"""Curation fixtures: a temporary corpus and data folder, and the CLI wired to them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from bot.cli import kb, kb_curation, report
from bot.settings import PROJECT_ROOT, Settings
from tests.conftest import make_settings

REAL_CORPUS = PROJECT_ROOT / "knowledge_base" / "corpus"

Invoke = Callable[..., Result]


@pytest.fixture
def cur_settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return make_settings(tmp_path / "data", corpus_dir=corpus)


def copy_real(settings: Settings, group: str, lang: str) -> Path:
    """Copy one real (published) corpus document into the temporary corpus."""
    target = settings.corpus_dir / group / f"{lang}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REAL_CORPUS / group / f"{lang}.md", target)
    return target


def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command("new")(kb_curation.new)
    app.command("import")(kb_curation.import_files)
    app.command("publish")(kb_curation.publish)
    app.command("unpublish")(kb_curation.unpublish)
    app.command("gaps")(kb_curation.gaps)
    app.command("audit")(kb_curation.audit_log)
    app.command("validate")(kb.validate)
    app.add_typer(report.app, name="report")
    return app


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, cur_settings: Settings) -> Invoke:
    """Run a curation command against the temporary corpus and data folder."""
    for module in (kb, kb_curation, report):
        monkeypatch.setattr(module, "settings", lambda: cur_settings)
    runner = CliRunner()
    app = cli_app()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run
