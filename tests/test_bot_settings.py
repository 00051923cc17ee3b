"""The bot's settings (``bot.settings.BotSettings``) and its entry point (``bot.__main__.main``).

Settings: ID lists accept what people type in ``.env`` (comma separated), the token is a secret that never
shows in a repr or a log, and the bot's model is the engine's model extended (one settings object).
Entry point: reads the settings once, brings the index up to date without re-embedding unchanged
documents, and without a token says so in one line and opens the terminal chat instead of Discord.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import MIB, BotSettings
from embeddings.settings import EngineSettings

ID_FIELDS = ("guild_ids", "answer_channels", "admin_role_ids", "admin_user_ids")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No DOCBOT_ variables from the developer's shell and no .env in the working directory."""
    import os

    for name in list(os.environ):
        if name.startswith("DOCBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_one_settings_model_extends_the_engines() -> None:
    assert issubclass(BotSettings, EngineSettings)
    assert {"data_dir", "docs_dir", "model", "top_k"} <= set(BotSettings.model_fields)


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    s = BotSettings()
    assert s.discord_token is None
    assert all(getattr(s, f) == [] for f in ID_FIELDS)
    assert s.max_attachment_bytes == 10 * MIB
    assert s.cooldown_questions > 0 and s.cooldown_seconds > 0
    assert s.sources_ephemeral is True
    assert s.feedback_path == s.data_dir / "feedback.sqlite3"


@pytest.mark.parametrize("field", ID_FIELDS)
@pytest.mark.parametrize("raw,expected", [
    ("123", [123]),
    ("123,456", [123, 456]),
    (" 123 , 456 ,789 ", [123, 456, 789]),
    ("123 456", [123, 456]),
    ("[123, 456]", [123, 456]),
    ("", []),
    ("  ", []),
])
def test_id_lists_from_the_environment(clean_env: pytest.MonkeyPatch, field: str, raw: str, expected: list[int]) -> None:
    clean_env.setenv(f"DOCBOT_{field.upper()}", raw)
    assert getattr(BotSettings(), field) == expected


def test_id_lists_from_a_dotenv_file(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DOCBOT_GUILD_IDS=111,222\nDOCBOT_ADMIN_ROLE_IDS=333\nDOCBOT_COOLDOWN_SECONDS=2.5\n")
    s = BotSettings()
    assert s.guild_ids == [111, 222] and s.admin_role_ids == [333] and s.cooldown_seconds == 2.5


def test_id_lists_in_code_stay_lists(clean_env: pytest.MonkeyPatch) -> None:
    assert BotSettings(guild_ids=[1, "2"], answer_channels=(3,)).guild_ids == [1, 2]


def test_bad_ids_are_refused_clearly(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DOCBOT_GUILD_IDS", "123,general")
    with pytest.raises(ValidationError, match="guild_ids"):
        BotSettings()


@pytest.mark.parametrize("field", ID_FIELDS)
def test_ids_are_positive(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], field: str) -> None:
    """Discord ids are snowflakes: ``-5, 0`` was taken as [-5, 0]. Shard numbers still start at 0."""
    import bot.__main__ as entry

    clean_env.setenv(f"DOCBOT_{field.upper()}", "-5, 0")
    assert entry.main([]) == 2
    assert capsys.readouterr().err == (f"docbot-discord: DOCBOT_{field.upper()}: '-5' is not valid; expected whole "
                                       "numbers greater than 0 separated by commas (123, 456)\n")
    clean_env.delenv(f"DOCBOT_{field.upper()}")
    clean_env.setenv("DOCBOT_SHARD_COUNT", "2")
    clean_env.setenv("DOCBOT_SHARD_IDS", "0")
    assert BotSettings().shard_ids == [0]


@pytest.mark.parametrize("name,value", [("DOCBOT_COOLDOWN_QUESTIONS", "-1"), ("DOCBOT_COOLDOWN_SECONDS", "0"),
                                        ("DOCBOT_MAX_ATTACHMENT_BYTES", "0"), ("DOCBOT_SOURCES_PAGE_SIZE", "26")])
def test_out_of_range_values_are_refused(clean_env: pytest.MonkeyPatch, name: str, value: str) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(ValidationError):
        BotSettings()


def test_the_log_level_is_one_of_loggings_in_any_case(clean_env: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """DOCBOT_LOG_LEVEL=LOUD was taken without a word and meant INFO."""
    import bot.__main__ as entry

    clean_env.setenv("DOCBOT_LOG_LEVEL", "debug")
    assert BotSettings().log_level == "DEBUG"
    for alias, level in (("warn", "WARNING"), ("Warn", "WARNING"), ("FATAL", "CRITICAL"), ("fatal", "CRITICAL")):
        clean_env.setenv("DOCBOT_LOG_LEVEL", alias)  # logging's own aliases, taken before the levels were checked
        assert BotSettings().log_level == level
    clean_env.setenv("DOCBOT_LOG_LEVEL", "LOUD")
    assert entry.main([]) == 2
    assert capsys.readouterr().err == ("docbot-discord: DOCBOT_LOG_LEVEL: 'LOUD' is not valid; expected one of "
                                       "DEBUG, INFO, WARNING, ERROR, CRITICAL\n")


def test_token_is_secret(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DOCBOT_DISCORD_TOKEN", "MTIz.secret-token-value")
    s = BotSettings()
    assert s.discord_token is not None and s.discord_token.get_secret_value() == "MTIz.secret-token-value"
    for shown in (repr(s), str(s), s.model_dump_json(), str(s.model_dump())):
        assert "secret-token-value" not in shown


# --------------------------------------------------------------------------- the entry point
@pytest.fixture
def restore_logging() -> Any:
    """main() configures the root logger; put it back as pytest had it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def _point_at(clean_env: pytest.MonkeyPatch, bot_dirs: Any) -> None:
    clean_env.setenv("DOCBOT_DATA_DIR", str(bot_dirs.data_dir))
    clean_env.setenv("DOCBOT_DOCS_DIR", str(bot_dirs.docs_dir))


@pytest.mark.slow
def test_main_without_token_opens_the_terminal_chat(
    clean_env: pytest.MonkeyPatch, bot_dirs: Any, caplog: pytest.LogCaptureFixture, restore_logging: Any
) -> None:
    import bot.__main__ as entry
    import embeddings.cli

    _point_at(clean_env, bot_dirs)
    calls: list[Any] = []

    def fake_chat(engine: Any, **kwargs: Any) -> int:
        calls.append(engine)
        return 7

    async def no_discord(*args: Any) -> None:  # pragma: no cover - must not be called
        raise AssertionError("the Discord bot must not start without a token")

    clean_env.setattr(embeddings.cli, "chat", fake_chat)
    clean_env.setattr(entry, "run_bot", no_discord)
    caplog.set_level(logging.INFO)
    assert entry.main([]) == 7
    assert len(calls) == 1 and calls[0].is_loaded
    assert calls[0].settings.data_dir == bot_dirs.data_dir
    token_lines = [r for r in caplog.records if "DOCBOT_DISCORD_TOKEN" in r.getMessage()]
    assert len(token_lines) == 1 and token_lines[0].levelno == logging.WARNING
    assert any("0 passages embedded" in r.getMessage() and "5 unchanged" in r.getMessage() for r in caplog.records), \
        "an up-to-date index is not re-embedded"


def test_main_with_nothing_to_index_says_what_to_do_and_leaves_no_data_dir(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
    restore_logging: Any,
) -> None:
    """In an empty folder it left ./data (the re-index lock alone) behind, which `docbot` removes, and advised
    "run `docbot index` (or `make run`)": the first fails the same way, the second is this very start."""
    import bot.__main__ as entry

    caplog.set_level(logging.INFO)
    assert entry.main([]) == 1
    assert not (tmp_path / "data").exists()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "`docbot index PATH`" in errors[0] and "DOCBOT_DOCS_DIR" in errors[0], errors
    assert "make run" not in caplog.text + capsys.readouterr().err


@pytest.mark.slow
def test_main_with_token_indexes_new_documents_then_starts_the_bot(
    clean_env: pytest.MonkeyPatch, bot_dirs: Any, caplog: pytest.LogCaptureFixture, restore_logging: Any
) -> None:
    import bot.__main__ as entry

    _point_at(clean_env, bot_dirs)
    clean_env.setenv("DOCBOT_DISCORD_TOKEN", "MTIz.secret-token-value")
    clean_env.setenv("DOCBOT_GUILD_IDS", "42")
    (bot_dirs.docs_dir / "extra.md").write_text("# Extra\n\nA new document added while the bot was down.\n")
    started: list[tuple[Any, Any]] = []

    async def fake_run_bot(settings: BotSettings, engine: Any) -> None:
        started.append((settings, engine))

    clean_env.setattr(entry, "run_bot", fake_run_bot)
    caplog.set_level(logging.DEBUG)
    assert entry.main([]) == 0
    (settings, engine), = started
    assert settings.guild_ids == [42] and engine.settings is settings, "one settings object, passed down"
    assert engine.is_loaded and any(d.doc_id == "extra.md" for d in engine.sources())
    assert any("1 added" in r.getMessage() for r in caplog.records)
    assert "secret-token-value" not in caplog.text


@pytest.mark.slow
def test_main_with_a_missing_source_starts_with_the_index_as_it_is(
    clean_env: pytest.MonkeyPatch, bot_dirs: Any, caplog: pytest.LogCaptureFixture, restore_logging: Any
) -> None:
    import bot.__main__ as entry
    from embeddings import Engine

    _point_at(clean_env, bot_dirs)
    clean_env.setenv("DOCBOT_DISCORD_TOKEN", "MTIz.secret-token-value")
    Engine(BotSettings(_env_file=None)).index()  # records where this copy's documents are
    bot_dirs.docs_dir.rename(bot_dirs.docs_dir.with_name("docs-elsewhere"))  # e.g. a drive not mounted yet
    started: list[Any] = []

    async def fake_run_bot(settings: BotSettings, engine: Any) -> None:
        started.append(engine)

    clean_env.setattr(entry, "run_bot", fake_run_bot)
    caplog.set_level(logging.INFO)
    assert entry.main([]) == 0
    (engine,) = started
    assert engine.is_loaded and len(engine.sources()) == 5, "answering from the index as it was"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(w.startswith(f"the index was not updated: the source {bot_dirs.docs_dir.resolve()} does not exist")
               for w in warnings), warnings


@pytest.mark.parametrize("raw,expected", [("0-3", [0, 1, 2, 3]), ("4", [4]), ("0,2", [0, 2]), ("0-1 5", [0, 1, 5]),
                                          ("[1, 2]", [1, 2]), ("", [])])
def test_a_process_runs_a_range_of_shards(clean_env: pytest.MonkeyPatch, raw: str, expected: list[int]) -> None:
    clean_env.setenv("DOCBOT_SHARD_COUNT", "8")
    clean_env.setenv("DOCBOT_SHARD_IDS", raw)
    s = BotSettings()
    assert s.shard_count == 8 and s.shard_ids == expected


@pytest.mark.parametrize("count,ids,message", [("", "0-1", "needs DOCBOT_SHARD_COUNT"), ("2", "1-2", "outside 0..1"),
                                               ("2", "1,1", "twice"), ("0", "", "shard_count"),
                                               ("2", "3-1", "the range 3-1 runs backwards"),  # was: all shards
                                               ("8", "0-1,5-2", "the range 5-2 runs backwards")])  # was: [0, 1]
def test_shards_that_cannot_be_run_are_refused(clean_env: pytest.MonkeyPatch, count: str, ids: str, message: str) -> None:
    clean_env.setenv("DOCBOT_SHARD_COUNT", count)
    clean_env.setenv("DOCBOT_SHARD_IDS", ids)
    with pytest.raises(ValidationError, match=message):
        BotSettings()


def test_a_rule_over_several_settings_is_said_in_its_own_words(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model validator's error has no field: it printed as "docbot-discord: : Value error, DOCBOT_SHARD_IDS ..."."""
    import bot.__main__ as entry

    clean_env.setenv("DOCBOT_SHARD_IDS", "0-1")
    assert entry.main([]) == 2
    assert capsys.readouterr().err == ("docbot-discord: DOCBOT_SHARD_IDS needs DOCBOT_SHARD_COUNT (the shards of all "
                                       "processes together)\n")


def test_the_database_is_the_sqlite_file_or_a_postgresql_server(clean_env: pytest.MonkeyPatch) -> None:
    s = BotSettings()
    assert s.database.dialect == "sqlite" and s.database.path == s.feedback_path
    clean_env.setenv("DOCBOT_DATABASE_URL", "postgresql://docbot:hunter2@db.example:5432/docbot")
    s = BotSettings()
    assert s.database.dialect == "postgresql"
    assert s.database.describe() == "postgresql://db.example:5432/docbot", "no password in logs"
    for shown in (repr(s), str(s), s.model_dump_json()):
        assert "hunter2" not in shown
    clean_env.setenv("DOCBOT_DATABASE_URL", "mysql://db.example/docbot")
    with pytest.raises(ValidationError, match="expected a PostgreSQL URL"):
        BotSettings()


@pytest.mark.parametrize("url,problem", [
    ("postgresql:/docbot:s3cretpw@db/docbot", "'//' must follow 'postgresql:'"),
    ("postgresql://docbot:s3cretpw@127.0.0.1:notaport/db", "its port"),
    ("postgresql://docbot:s3cretpw/docbot", "its port"),  # no host: the password reads as a port
    # libpq ends the password at the first "@" and looked up "s3cretpw@db.invalid" as the host, printing it
    ("postgresql://docbot:hunter@s3cretpw@db.invalid/db", "the password holds '@': percent-encode it as %40"),
    ("postgresql://docbot:hunter@s3cretpw@db.invalid?sslmode=require", "percent-encode it as %40"),
    ("sqlite:///x.db", None),
])
def test_a_malformed_database_url_is_one_line_without_its_password(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, problem: str | None
) -> None:
    """It was a psycopg or urllib traceback at start that printed the URL, password and all."""
    import bot.__main__ as entry

    clean_env.setenv("DOCBOT_DISCORD_TOKEN", "abc")
    clean_env.setenv("DOCBOT_DATABASE_URL", url)
    assert entry.main([]) == 2
    err = capsys.readouterr().err
    expected = "expected a PostgreSQL URL, postgresql://user:password@host:5432/dbname"
    assert err.startswith("docbot-discord: DOCBOT_DATABASE_URL is not valid") and expected in err, err
    assert (problem or "is not valid;") in err and len(err.splitlines()) == 1
    assert "s3cretpw" not in err
    with pytest.raises(ValidationError) as refused:  # a library caller's traceback shows pydantic's own report
        BotSettings()
    assert "s3cretpw" not in str(refused.value)


@pytest.mark.parametrize("url", [
    "postgresql://docbot:pa?ss@db.example/docbot",  # libpq ends the password at "@", the host list at "/" or "?"
    "postgresql://docbot:pa%40ss@db.example:5432/docbot",
    "POSTGRESQL://docbot@db.example/docbot",
    "postgres://db.example:/docbot",  # an empty port: libpq's default
    "postgresql://docbot@db1:5432,db2:5433/docbot?target_session_attrs=read-write",
    "postgresql:///docbot?host=/var/run/postgresql",
    "postgresql://%2Fvar%2Frun%2Fpostgresql/docbot",
    "postgresql://docbot@[::1]:5432/docbot",
    "postgresql://docbot@db.example/docbot?password=a@b",  # the query's "@" is not the authority's
])
def test_database_urls_libpq_reads_are_accepted(clean_env: pytest.MonkeyPatch, url: str) -> None:
    clean_env.setenv("DOCBOT_DATABASE_URL", url)
    assert BotSettings().database.dialect == "postgresql"


@pytest.mark.parametrize("url", ["postgresql:/docbot:s3cretpw@db/docbot", "postgresql://docbot:s3cretpw@db:notaport/x",
                                 "postgresql://docbot:hunter@s3cretpw@nohost.invalid/docbot"])
def test_a_database_the_driver_cannot_read_is_refused_without_its_password(url: str) -> None:
    """A Database made from such a URL directly (not through the settings) says so in one line too."""
    from bot.database import Database, DatabaseUnavailable
    from embeddings.milvus_store import _advisory_lock
    from embeddings.errors import StoreUnavailable

    database = Database(url)
    assert "s3cretpw" not in database.describe()
    with pytest.raises(DatabaseUnavailable) as refused:
        database.check()
    assert "s3cretpw" not in str(refused.value) and "cannot use the bot's database" in str(refused.value)
    with pytest.raises(StoreUnavailable) as refused_lock, _advisory_lock(url, "docbot-test"):
        pass
    assert "s3cretpw" not in str(refused_lock.value) and "DOCBOT_DATABASE_URL" in str(refused_lock.value)


@pytest.mark.parametrize("where,problem", [(".", "is a folder"), ("file.txt/f.sqlite3", "which is not a folder"),
                                           ("file.txt/sub/f.sqlite3", "is under")])
def test_a_feedback_file_that_cannot_be_opened_is_one_line_naming_the_setting(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, where: str, problem: str
) -> None:
    """It was sqlite3's "unable to open database file" traceback, naming neither the file nor the setting."""
    import bot.__main__ as entry

    (tmp_path / "file.txt").write_text("not a folder")
    clean_env.setenv("DOCBOT_DISCORD_TOKEN", "abc")
    clean_env.setenv("DOCBOT_FEEDBACK_DB", str(tmp_path / where))
    assert entry.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"docbot-discord: DOCBOT_FEEDBACK_DB {tmp_path / where} ") and problem in err, err
    assert len(err.splitlines()) == 1 and not (tmp_path / "data").exists()
    clean_env.setenv("DOCBOT_DATABASE_URL", "postgresql://db.example/docbot")
    assert BotSettings().database.dialect == "postgresql", "unused with a server: not checked"


def test_a_feedback_file_in_a_folder_not_made_yet_is_accepted_and_its_folder_made(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """DOCBOT_FEEDBACK_DB=data/feedback.sqlite3 on a fresh checkout was refused, even by the token-less terminal
    chat, which does not use it; the bot makes the folder when it opens the database, as for the default."""
    from tests.cli_run import run

    clean_env.setenv("DOCBOT_FEEDBACK_DB", "data/feedback.sqlite3")
    assert BotSettings().feedback_path == Path("data/feedback.sqlite3")
    chat = run(module="bot", cwd=tmp_path, env={"DOCBOT_FEEDBACK_DB": "data/feedback.sqlite3",
                                                "DOCBOT_DOCS_DIR": str(tmp_path / "no-docs")})
    # the terminal chat starts (here it has nothing to index, and says so): the setting is not what stops it
    assert chat.returncode != 2 and "DOCBOT_FEEDBACK_DB" not in chat.stderr, chat.stderr
    clean_env.setenv("DOCBOT_FEEDBACK_DB", str(tmp_path / "new" / "deeper" / "feedback.sqlite3"))
    BotSettings().database.check()
    assert (tmp_path / "new" / "deeper" / "feedback.sqlite3").is_file()


def test_the_feedback_file_is_checked_in_words_and_its_folder_made(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The default file is in the data directory, which a first start has not made yet: checking the database
    before the index update was an "unable to open database file" traceback on a new deployment."""
    from bot.database import Database, DatabaseUnavailable

    clean_env.setenv("DOCBOT_DATA_DIR", str(tmp_path / "new-data"))
    BotSettings().database.check()
    assert (tmp_path / "new-data" / "feedback.sqlite3").is_file()
    (tmp_path / "taken").mkdir()
    with pytest.raises(DatabaseUnavailable, match=f"cannot use the bot's database {tmp_path / 'taken'}: "):
        Database(tmp_path / "taken").check()
    assert Database(tmp_path / "taken").setting == "DOCBOT_FEEDBACK_DB"


def test_urls_are_shown_with_their_password_masked() -> None:
    from embeddings.settings import masked_url

    assert masked_url("postgresql://docbot:s3c@r/et@db:5432/docbot") == "postgresql://docbot:***@db:5432/docbot"
    assert masked_url("postgresql:/docbot:s3cretpw@db/docbot") == "postgresql:/docbot:***@db/docbot"
    assert masked_url("postgres://db/docbot?password=s3cretpw&sslmode=require") == \
        "postgres://db/docbot?password=***&sslmode=require"
    assert masked_url("postgresql://docbot@db/docbot") == "postgresql://docbot@db/docbot"


def test_main_with_an_unreachable_database_says_so_in_one_line(
    clean_env: pytest.MonkeyPatch, bot_dirs: Any, caplog: pytest.LogCaptureFixture, restore_logging: Any
) -> None:
    import socket

    import bot.__main__ as entry

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _point_at(clean_env, bot_dirs)
    clean_env.setenv("DOCBOT_DISCORD_TOKEN", "MTIz.secret-token-value")
    clean_env.setenv("DOCBOT_DATABASE_URL", f"postgresql://docbot:hunter2@127.0.0.1:{port}/docbot")

    async def must_not_run(settings: BotSettings, engine: Any) -> None:
        raise AssertionError("the bot must not start without its database")

    clean_env.setattr(entry, "run_bot", must_not_run)
    caplog.set_level(logging.INFO)
    assert entry.main([]) == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].startswith(
        f"cannot use the bot's database postgresql://127.0.0.1:{port}/docbot:"), errors
    assert "DOCBOT_DATABASE_URL" in errors[0] and "hunter2" not in caplog.text
    assert not any("index in" in r.getMessage() for r in caplog.records), "said before any index update"


def test_discord_out_of_reach_is_one_line_with_the_details_at_debug(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """No network was the resolver's words alone ("Name or service not known") and an 80-line traceback at
    the bot's default level, INFO."""
    import socket

    import aiohttp

    import bot.__main__ as entry

    with socket.socket() as s:  # a port nothing listens on stands for a Discord that cannot be reached
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def unreachable(settings: BotSettings, engine: Any) -> None:
        async with aiohttp.ClientSession() as session:
            await session.get(f"http://127.0.0.1:{port}/api/v10/users/@me")

    clean_env.setattr(entry, "run_bot", unreachable)
    caplog.set_level(logging.INFO)
    assert entry.run_discord(BotSettings(), engine=None) == 1  # type: ignore[arg-type]
    shown = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [r.getMessage().partition(":")[0] for r in shown] == ["cannot reach Discord (127.0.0.1)"], shown
    assert not any(r.exc_info for r in shown), "the traceback only at DEBUG"
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    assert entry.run_discord(BotSettings(), engine=None) == 1  # type: ignore[arg-type]
    assert any(r.exc_info for r in caplog.records if r.levelno == logging.DEBUG)


def test_the_bots_other_errors_keep_their_traceback_for_debug(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
    restore_logging: Any,
) -> None:
    """run_reporting logged the traceback behind its one line at INFO: `docbot -v`'s level, but the bot's default."""
    import bot.__main__ as entry

    def disk_full(settings: BotSettings) -> int:
        raise OSError(28, "No space left on device", "data/generations")

    clean_env.setattr(entry, "_prepare_and_run", disk_full)
    caplog.set_level(logging.INFO)
    assert entry.main([]) == 1
    assert capsys.readouterr().err == "docbot-discord: No space left on device: data/generations\n"
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.INFO)
    caplog.clear()
    clean_env.setenv("DOCBOT_LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG)
    assert entry.main([]) == 1
    assert any(r.exc_info for r in caplog.records if r.levelno == logging.DEBUG)
