"""The bot's database in tests: SQLite files, and a real PostgreSQL server started for the session.

``postgres_server`` runs ``.ci/postgres.sh start`` once per session (it installs Debian's ``postgresql``
package if it is missing and starts a throwaway cluster on 127.0.0.1) and stops it at the end. Tests that
need PostgreSQL are skipped, with the script's reason, only when it cannot be installed or started;
with ``DOCBOT_REQUIRE_POSTGRES=1`` (``.ci/run`` sets it) they fail instead, so CI cannot pass without having
tested PostgreSQL. ``DOCBOT_TEST_DATABASE_URL=postgresql://...`` uses an existing server instead.

``bot_database`` is parametrised: each store test runs on a fresh SQLite file and on a fresh PostgreSQL
database (``CREATE DATABASE`` per test, so tests never see each other's rows).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.database import Database, close_pools

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "postgres.sh"

__all__ = ["bot_database", "postgres_server", "postgres_url"]


def _unavailable(reason: str) -> None:
    if os.environ.get("DOCBOT_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (DOCBOT_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database, for the whole session."""
    existing = os.environ.get("DOCBOT_TEST_DATABASE_URL")
    if existing:
        yield existing
        return
    try:
        done = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"{SCRIPT.name} could not run ({exc})")
    if done.returncode != 0:
        _unavailable(f"{SCRIPT.name} start failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    try:
        yield values["POSTGRES_URL"]
    finally:
        subprocess.run([str(SCRIPT), "stop", values["POSTGRES_DIR"]], capture_output=True, timeout=120, check=False)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    import psycopg

    name = f"docbot_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_server.rpartition("/")
    yield f"{base}/{name}"
    close_pools(f"{base}/{name}")
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def bot_database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """An empty bot database: a SQLite file, then a PostgreSQL database (each test runs on both)."""
    if request.param == "sqlite":
        return Database(tmp_path / "sub" / "bot.sqlite3")
    return Database(request.getfixturevalue("postgres_url"))
