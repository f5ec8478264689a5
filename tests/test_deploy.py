"""The deployment recipe in deploy/ stays true to the code."""

from __future__ import annotations

import re

import yaml

from bot.settings import PROJECT_ROOT, Settings

DEPLOY = PROJECT_ROOT / "deploy"


def test_compose_has_the_scaled_out_topology() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"bot-1", "bot-2", "postgres", "redis", "chroma", "proxy", "vllm"} <= set(services)
    for worker in ("bot-1", "bot-2"):
        env = services[worker]["environment"]
        assert env["KELISIM_DATABASE_URL"].startswith("postgresql://")
        assert env["KELISIM_REDIS_URL"].startswith("redis://")
        assert env["KELISIM_CHROMA_URL"].startswith("http://")
        assert services[worker]["command"][:2] == ["bot", "--webhook"]
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "bot-1:8443 bot-2:8443" in caddy and "health_uri /readyz" in caddy


def test_every_variable_the_recipe_sets_is_a_setting() -> None:
    known = {f"KELISIM_{name.upper()}" for name in Settings.model_fields}
    text = "".join(
        (DEPLOY / name).read_text(encoding="utf-8")
        for name in ("compose.yaml", ".env.example", "Dockerfile")
    )
    used = set(re.findall(r"KELISIM_[A-Z_]+", text)) - {"KELISIM_DOMAIN"}
    assert used and used <= known, used - known
    assert "KELISIM_USER_ID_SALT=" in (DEPLOY / ".env.example").read_text(encoding="utf-8")
