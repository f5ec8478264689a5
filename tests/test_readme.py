"""The README stays true: the two commands first, and every setting documented."""

from __future__ import annotations

from bot.settings import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    head = README[:400]
    assert "make run" in head and "make test" in head


def test_every_setting_is_in_the_configuration_table() -> None:
    for name, field in Settings.model_fields.items():
        row = next(
            (
                line
                for line in README.splitlines()
                if line.startswith(f"| `KELISIM_{name.upper()}` |")
            ),
            None,
        )
        assert row is not None, f"KELISIM_{name.upper()} missing from README"
        assert (field.description or "") in row
