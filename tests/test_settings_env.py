"""Settings: one model, documented in .env.example, read from the environment with DOCBOT_."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import BotSettings

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_documents_every_setting():
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*DOCBOT_([A-Z_]+)=", text, flags=re.MULTILINE))
    assert documented == {name.upper() for name in BotSettings.model_fields}


def test_env_example_values_are_the_defaults(tmp_path, monkeypatch):
    # Copying .env.example to .env as it is must give a working default configuration.
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    from_file = BotSettings()
    assert from_file.model_dump() == BotSettings(_env_file=None).model_dump()
    assert from_file.discord_token is None and from_file.feedback_db is None


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCBOT_DATA_DIR", str(tmp_path / "corpus-b"))
    monkeypatch.setenv("DOCBOT_TOP_K", "9")
    s = BotSettings(_env_file=None)
    assert s.data_dir == tmp_path / "corpus-b" and s.top_k == 9
