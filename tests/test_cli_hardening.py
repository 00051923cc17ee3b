"""Everyday paths of `docbot` and `python -m bot` end in one clear line, never a traceback.

Each test runs the command as a user would (a subprocess on this checkout) and checks what they see:
the message, the exit status, and that nothing was changed or created that should not be.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from embeddings import Engine, EngineSettings, Turn, cli
from embeddings.cli import _ProgressBar, render_report, render_source, render_sources
from embeddings.encoder import model_installed
from embeddings.errors import DataDirUnusable, SourceNotFound
from embeddings.models import CollectionInfo, DocumentInfo, IndexProgress, IndexReport, SourceInfo, SourceView
from tests.cli_run import ROOT, clean_env, one_line, run, snapshot, unprivileged

# Ctrl-C as at a terminal: a child started by a background job (``make test &``, ``nohup``) would
# otherwise inherit SIGINT ignored, and Python then never raises KeyboardInterrupt. The child resets it
# and execs the command, rather than a ``preexec_fn`` doing it between fork and exec: that makes Popen
# fork the whole pytest process, whose gRPC (loaded by the Milvus tests) then runs its fork handlers in
# the child and can print an epoll error into the very stderr the test reads.
_WITH_SIGINT = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"


def interruptible(*args: str) -> list[str]:
    """The command line running ``python args...`` with Ctrl-C delivered as at a terminal."""
    return [sys.executable, "-c", _WITH_SIGINT, *args]


@pytest.fixture
def index_copy(session_index: EngineSettings, tmp_path: Path) -> EngineSettings:
    """A private copy of the session's documents and index (the ONNX export linked, not copied)."""
    docs, data = tmp_path / "docs", tmp_path / "data"
    shutil.copytree(session_index.docs_dir, docs)
    shutil.copytree(session_index.data_dir, data, ignore=shutil.ignore_patterns("onnx", "reindex.lock"))
    (data / "onnx").symlink_to(session_index.data_dir / "onnx", target_is_directory=True)
    return session_index.model_copy(update={"data_dir": data, "docs_dir": docs})


# ---------------------------------------------------------------------- Ctrl-C
# `docbot index` with the encoder patched to say when embedding starts, then keep embedding (the real
# model, in a loop) until the test interrupts it: the interrupt lands inside torch.
INDEX_UNTIL_INTERRUPTED = """
import sys
import embeddings.encoder as enc
real = enc.TorchEncoder.encode_with_sentences
def announce_then_encode(self, texts, sentences, **kwargs):
    print("embedding", flush=True)
    while True:
        real(self, texts, sentences, **kwargs)
enc.TorchEncoder.encode_with_sentences = announce_then_encode
from embeddings.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_while_indexing_leaves_the_index_untouched(index_copy: EngineSettings) -> None:
    (index_copy.docs_dir / "tea.md").write_text("# Tea harvest\nDarjeeling growers picked the first flush.\n")
    before = snapshot(index_copy.data_dir)
    proc = subprocess.Popen(
        interruptible("-c", INDEX_UNTIL_INTERRUPTED, "--data-dir", str(index_copy.data_dir), "index",
                      str(index_copy.docs_dir), "--no-progress"),
        cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "embedding\n", proc.stderr
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert one_line(err) == "docbot: interrupted" and out == ""
    assert snapshot(index_copy.data_dir) == before
    assert "tea.md" not in {d.doc_id for d in Engine(index_copy).sources()}


def _read_until(proc: subprocess.Popen[bytes], text: bytes) -> bytes:
    """What the process wrote to stdout up to and including ``text`` (a prompt without a newline)."""
    assert proc.stdout is not None
    seen = b""
    while text not in seen:
        chunk = os.read(proc.stdout.fileno(), 4096)
        assert chunk, f"exited before {text!r}: {seen!r}"
        seen += chunk
    return seen


@pytest.mark.parametrize("entry", ["docbot", "make run"])
def test_ctrl_c_in_chat(index_copy: EngineSettings, entry: str) -> None:
    if entry == "docbot":
        cmd, prog = ["-m", "embeddings.cli", "--data-dir", str(index_copy.data_dir), "chat"], "docbot"
    else:  # `make run` without a token: the bot's entry point opens the same chat
        cmd, prog = ["-m", "bot"], "docbot-discord"
    env = clean_env(DOCBOT_DATA_DIR=str(index_copy.data_dir), DOCBOT_DOCS_DIR=str(index_copy.docs_dir),
                    DOCBOT_LOG_LEVEL="ERROR")
    proc = subprocess.Popen(interruptible(*cmd), cwd=index_copy.data_dir.parent, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert b"Ask about 4 documents" in _read_until(proc, b"\n? ")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and one_line(err.decode()) == f"{prog}: interrupted"


# ---------------------------------------------------------------------- closed pipe
@pytest.mark.parametrize("args", [
    ("sources",), ("stats",), ("search", "Etna"), ("ask", "What closed Catania airport?"), ("index", "DOCS"),
])
def test_reader_closing_the_pipe_ends_quietly(index_copy: EngineSettings, args: tuple[str, ...]) -> None:
    """`docbot sources | head -1`, made deterministic: the reader is gone before anything is written."""
    args = tuple(str(index_copy.docs_dir) if a == "DOCS" else a for a in args)
    proc = subprocess.Popen([sys.executable, "-m", "embeddings.cli", "--data-dir", str(index_copy.data_dir), *args],
                            cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert err == "" and proc.returncode == 141


def test_piped_into_head(session_index: EngineSettings) -> None:
    out = subprocess.run(
        f"{sys.executable} -m embeddings.cli --data-dir {session_index.data_dir} sources | head -1",
        shell=True, capture_output=True, text=True, cwd=ROOT, env=clean_env(),
    )
    assert out.stdout == "1 source, 4 documents:\n" and out.stderr == ""


# ---------------------------------------------------------------------- settings
def test_bad_environment_values_cli(tmp_path: Path) -> None:
    out = run("stats", cwd=tmp_path, env={"DOCBOT_CHUNK_TOKENS": "abc", "DOCBOT_EMBED_PRECISION": "fp16",
                                          "DOCBOT_QUERY_THREADS": "100000"})
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [
        "docbot: DOCBOT_CHUNK_TOKENS: 'abc' is not valid; expected a whole number from 16 to 512",
        "docbot: DOCBOT_EMBED_PRECISION: 'fp16' is not valid; expected one of auto, fp32, bf16",
        # each a thread ONNX Runtime keeps: 100,000 took 17 GB before the cap
        "docbot: DOCBOT_QUERY_THREADS: '100000' is not valid; expected a whole number from 0 to 256",
    ]


def test_a_misspelled_setting_is_named_once_with_the_one_meant(tmp_path: Path) -> None:
    """DOCBOT_DATADIR was silently ignored and the index went to ./data; the bot's settings in a shared
    .env and the variables the tests and benchmarks read are not settings the CLI should call unknown."""
    (tmp_path / ".env").write_text("DOCBOT_TOPK=3\nDOCBOT_DISCORD_TOKEN=abc\n")
    out = run("stats", cwd=tmp_path, env={"DOCBOT_DATADIR": str(tmp_path / "idx"), "DOCBOT_SHARED_DIR": "/x",
                                          "DOCBOT_REQUIRE_POSTGRES": "1", "DOCBOT_ZZQQ": "1"})
    assert out.stderr.splitlines()[:3] == [
        "docbot: unknown setting DOCBOT_DATADIR (did you mean DOCBOT_DATA_DIR?)",
        "docbot: unknown setting DOCBOT_TOPK (did you mean DOCBOT_TOP_K?)",
        "docbot: unknown setting DOCBOT_ZZQQ",
    ]
    assert "unknown setting" not in "\n".join(out.stderr.splitlines()[3:])


def test_no_docbot_variable_the_project_uses_is_called_unknown() -> None:
    """Every DOCBOT_ name in the repository (README, .env.example, .ci, tests, benchmarks) is known."""
    from bot.settings import BotSettings
    from embeddings.settings import unknown_variables

    import re

    text = subprocess.run(["git", "grep", "-hE", "DOCBOT_", "--", ".", f":!{Path(__file__).relative_to(ROOT)}"],
                          capture_output=True, text=True, cwd=ROOT, check=True).stdout  # not our typos
    used = re.findall(r"DOCBOT_[A-Z0-9_]*[A-Z0-9]", re.sub(r"unknown setting DOCBOT_\w+", "", text))
    environ = {name: "1" for name in used if name != "DOCBOT_X"}  # DOCBOT_X: a comment's placeholder
    assert len(environ) > 40 and unknown_variables(BotSettings, environ, env_file=None) == []


@pytest.mark.parametrize("command", ["index", "stats"])
def test_a_milvus_uri_pymilvus_would_refuse_is_refused_first(tmp_path: Path, command: str) -> None:
    """A Milvus Lite path not ending in .db: `stats` said "no index", then `index` failed on pymilvus's
    message (cut off) with exit 1, and left reindex.lock and an empty folder behind."""
    out = run(command, cwd=tmp_path, env={"DOCBOT_STORE": "milvus", "DOCBOT_MILVUS_URI": "x/x.file"})
    assert out.returncode == 2 and out.stdout == ""
    assert one_line(out.stderr) == (
        "docbot: DOCBOT_MILVUS_URI: 'x/x.file' is not valid: a Milvus Lite file's name must end "
        "in .db; expected a Milvus Lite file (a path ending in .db) or a server's URI, http://host:19530 (https://, "
        "tcp://, unix: too)")
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "nothing made"
    server = run(command, cwd=tmp_path, env={"DOCBOT_STORE": "milvus", "DOCBOT_MILVUS_URI": "htp://root:s3cret@h:19530"})
    assert server.returncode == 2 and "'htp://root:***@h:19530' is not valid: htp:// is not a scheme" in one_line(server.stderr)
    assert "s3cret" not in server.stderr
    # A URI left over in .env is not read by the local store: it stopped every command (exit 2).
    for store in ({"DOCBOT_STORE": "local"}, {}):
        local = run(command, cwd=tmp_path, env={**store, "DOCBOT_MILVUS_URI": "x/x.file"})
        assert local.returncode != 2 and "DOCBOT_MILVUS_URI" not in local.stderr, local.stderr


@pytest.mark.parametrize("command", ["index", "stats"])
def test_a_milvus_unix_socket_is_a_server_not_a_milvus_lite_file(tmp_path: Path, command: str) -> None:
    """`DOCBOT_MILVUS_URI=unix:/run/milvus.sock docbot index good.md` opened Milvus Lite on a file named
    "unix:..." (a folder "unix:" under the current one, with reindex.lock in it); `stats` said "no index"."""
    pytest.importorskip("pymilvus")
    (tmp_path / "good.md").write_text("# Good\n\nThe good ship sails at noon.\n")
    sock = tmp_path / "milvus.sock"  # nothing listens there
    out = run(command, *(["good.md", "--no-progress"] if command == "index" else []), cwd=tmp_path,
              env={"DOCBOT_STORE": "milvus", "DOCBOT_MILVUS_URI": f"unix:{sock}"})
    assert out.returncode == 1 and one_line(out.stderr).startswith(f"docbot: cannot reach Milvus at unix:{sock}"), out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.md"], "nothing made"


def test_bad_environment_values_bot(tmp_path: Path) -> None:
    out = run(module="bot", cwd=tmp_path, env={"DOCBOT_CHUNK_TOKENS": "abc", "DOCBOT_EMBED_PRECISION": "fp16",
                                               "DOCBOT_GUILD_IDS": "abc", "DOCBOT_COOLDOWN_SECONDS": "0"})
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "docbot-discord: DOCBOT_CHUNK_TOKENS: 'abc' is not valid; expected a whole number from 16 to 512",
        "docbot-discord: DOCBOT_EMBED_PRECISION: 'fp16' is not valid; expected one of auto, fp32, bf16",
        "docbot-discord: DOCBOT_GUILD_IDS: 'abc' is not valid; expected whole numbers greater than 0 separated by "
        "commas (123, 456)",
        "docbot-discord: DOCBOT_COOLDOWN_SECONDS: '0' is not valid; expected a number greater than 0",
    ]
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_bot_help_and_version_start_nothing(tmp_path: Path, args: tuple[str, ...]) -> None:
    out = run(*args, module="bot", cwd=tmp_path, env={"DOCBOT_DISCORD_TOKEN": "MTIz.not-used"})
    assert out.returncode == 0 and out.stderr == ""
    if args == ("--help",):
        assert out.stdout.startswith("usage: docbot-discord") and "DOCBOT_DISCORD_TOKEN" in out.stdout
    else:
        assert out.stdout.startswith("docbot-discord ") and len(out.stdout.splitlines()) == 1
    assert list(tmp_path.iterdir()) == [], "nothing is created (no ./data)"


@pytest.mark.parametrize("module, args, line", [
    ("embeddings.cli", ("ask",), "docbot ask: error: the following arguments are required: QUESTION "
                                 "(see docbot ask --help)"),
    ("embeddings.cli", ("index", "--bogus"), "docbot index: error: unrecognized arguments: --bogus "
                                             "(see docbot index --help)"),
    ("embeddings.cli", ("source",), "docbot source: error: the following arguments are required: ref "
                                    "(see docbot source --help)"),
    ("embeddings.cli", (), "docbot: error: the following arguments are required: command (see docbot --help)"),
    ("bot", ("--bogus",), "docbot-discord: error: unrecognized arguments: --bogus (see docbot-discord --help)"),
])
def test_a_usage_error_is_one_line_naming_the_help(tmp_path: Path, module: str, args: tuple[str, ...],
                                                   line: str) -> None:
    """argparse printed the whole usage block (3 to 5 lines) above the error; an option a command does not
    know was told by `docbot`, whose --help does not list the command's options."""
    out = run(*args, module=module, cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert one_line(out.stderr) == line
    assert list(tmp_path.iterdir()) == [], "nothing is created (no ./data)"


def test_docbot_version(tmp_path: Path) -> None:
    out = run("--version", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.startswith("docbot ") and list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- data directory
@pytest.mark.parametrize("args", [("stats",), ("ask", "hello"), ("index", "DOCS")])
def test_data_dir_that_is_a_file(tmp_path: Path, args: tuple[str, ...]) -> None:
    data = tmp_path / "data"
    data.write_text("not a folder")
    args = tuple(str(tmp_path) if a == "DOCS" else a for a in args)
    out = run("--data-dir", str(data), *args)
    assert out.returncode == 1
    assert one_line(out.stderr) == (f"docbot: the data directory {data} is a file, not a folder: choose another "
                                    "with --data-dir or DOCBOT_DATA_DIR")


@pytest.mark.parametrize("where", ["data dir", "its parent"])
def test_read_only_data_dir(tmp_path: Path, where: str) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    data = locked if where == "data dir" else locked / "data"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\nSome text.\n")
    locked.chmod(0o555)
    try:
        out = subprocess.run([*unprivileged(), sys.executable, "-m", "embeddings.cli", "--data-dir", str(data),
                              "index", str(docs)], capture_output=True, text=True, cwd=ROOT, env=clean_env())
    finally:
        locked.chmod(0o755)
    assert out.returncode == 1
    line = one_line(out.stderr)
    assert line.startswith(f"docbot: cannot write to the data directory {data}") and "read-only" in line
    assert list(locked.iterdir()) == []


def test_other_file_system_errors_are_one_line(index_copy: EngineSettings) -> None:
    lock = index_copy.data_dir / "reindex.lock"
    lock.mkdir()  # a folder where the lock file goes
    out = run("--data-dir", str(index_copy.data_dir), "index", str(index_copy.docs_dir))
    assert out.returncode == 1
    assert one_line(out.stderr) == f"docbot: cannot use the data directory {index_copy.data_dir}: Is a directory ({lock})"


def test_docbot_v_shows_the_traceback_behind_a_file_system_error(monkeypatch: pytest.MonkeyPatch, capsys,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """`-v` (INFO) logs the traceback as well (README); the bot, which logs INFO by default, keeps it for DEBUG."""
    def disk_full(args, settings) -> int:
        raise OSError(28, "No space left on device", "data/generations")

    monkeypatch.setattr(cli, "_command", disk_full)
    caplog.set_level(logging.INFO)
    assert cli.main(["-v", "stats"], settings=EngineSettings(_env_file=None)) == 1
    assert capsys.readouterr().err == "docbot: No space left on device: data/generations\n"
    assert [r.levelno for r in caplog.records if r.exc_info] == [logging.INFO]


def test_a_file_size_limit_on_the_word_table_is_one_line_saying_what_was_kept(index_copy: EngineSettings) -> None:
    """Under ``ulimit -f`` numpy's short write showed through as "310127 requested and 78764 written"."""
    shutil.rmtree(index_copy.data_dir / "wordfreq")  # the one large file (~8 MB) that `index` writes here
    out = subprocess.run(["sh", "-c", 'ulimit -f 2000 && exec "$0" "$@"', sys.executable, "-m", "embeddings.cli",
                          "--data-dir", str(index_copy.data_dir), "index", "--no-progress"],
                         capture_output=True, text=True, cwd=ROOT, env=clean_env(), timeout=300)
    assert out.returncode == 0 and "0 added, 0 changed, 0 removed" in out.stdout
    assert one_line(out.stderr) == (
        f"WARNING embeddings.indexer: could not write the word-frequency table: a file in {index_copy.data_dir} "
        "reached the file size limit (ulimit -f); the index is kept as it is, questions only start slower")
    assert list((index_copy.data_dir / "wordfreq").iterdir()) == []  # no half-written table left
    assert Engine(index_copy).ask("What closed Catania airport?").answered


def test_a_full_disk_on_the_word_table_says_so(index_copy: EngineSettings, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    from embeddings import rarity

    def short_write(data_dir: Path) -> None:
        raise OSError("310127 requested and 78764 written")  # np.save's tofile on a full disk: no errno

    monkeypatch.setattr(rarity, "write_table", short_write)
    with caplog.at_level(logging.WARNING):
        assert cli.main(["index", "--no-progress"], settings=index_copy) == 0
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        f"could not write the word-frequency table: no space left in {index_copy.data_dir}; the index is kept "
        "as it is, questions only start slower"]


# ---------------------------------------------------------------------- model
def test_unknown_model_on_a_fresh_data_dir(tmp_path: Path) -> None:
    env = {"DOCBOT_MODEL": "acme/no-such-model", "HF_HUB_CACHE": str(tmp_path / "hf-cache")}
    out = run("--data-dir", str(tmp_path / "data"), "index", str(ROOT / "seeds"), env=env)
    message = ("model acme/no-such-model is not installed locally; nothing is downloaded at run time; install a "
               "package that ships it or give a local path (DOCBOT_MODEL)")
    assert out.returncode == 1 and one_line(out.stderr) == f"docbot: {message}"
    bot = run(module="bot", cwd=tmp_path, env={**env, "DOCBOT_DOCS_DIR": str(ROOT / "seeds")})
    assert bot.returncode == 1 and bot.stderr.strip().splitlines()[-1] == f"docbot-discord: {message}"
    assert "Traceback" not in bot.stderr


def test_model_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    for repo in ("acme/cached", "sentence-transformers/bare-name"):
        snapshot_dir = cache / f"models--{repo.replace('/', '--')}" / "snapshots" / "abc123"
        snapshot_dir.mkdir(parents=True)
        (snapshot_dir / "config.json").write_text("{}")
        (cache / f"models--{repo.replace('/', '--')}" / "refs").mkdir()
        (cache / f"models--{repo.replace('/', '--')}" / "refs" / "main").write_text("abc123")
    local = tmp_path / "my-model"
    local.mkdir()
    assert model_installed("sentence-transformers/all-MiniLM-L6-v2")  # the packaged one
    assert model_installed(str(local)) and model_installed("acme/cached") and model_installed("bare-name")
    assert not model_installed("acme/missing") and not model_installed("not a/model/name")


# ---------------------------------------------------------------------- search and ask arguments
@pytest.mark.parametrize("args, message", [
    (("search", "Etna", "-k", "0"), "argument -k: must be at least 1, not 0"),
    (("search", "Etna", "-k", "-3"), "argument -k: must be at least 1, not -3"),
    (("search", ""), "argument QUERY: is empty"),
    (("ask", "   "), "argument QUESTION: is empty"),
])
def test_arguments_that_make_no_sense_are_refused(session_index: EngineSettings, args: tuple[str, ...],
                                                  message: str) -> None:
    out = run("--data-dir", str(session_index.data_dir), *args)
    assert out.returncode == 2 and out.stdout == ""
    assert one_line(out.stderr) == f"docbot {args[0]}: error: {message} (see docbot {args[0]} --help)"


@pytest.mark.parametrize("command", [("ask", "What closed Catania airport?"), ("search", "Etna")])
def test_unknown_document_filter_is_named(session_index: EngineSettings, command: tuple[str, ...]) -> None:
    out = run("--data-dir", str(session_index.data_dir), *command, "--doc", "nope.txt")
    assert out.returncode == 1
    assert one_line(out.stderr) == "docbot: no document 'nope.txt' in the index (see `sources`)"


def test_dates_no_document_is_dated_within_are_said(session_index: EngineSettings) -> None:
    # Only the seed article is dated (2022-06-01): "not covered" would say the documents hold no answer.
    data = ("--data-dir", str(session_index.data_dir))
    out = run(*data, "ask", "What did Peskov say about a meeting?", "--since", "2023-01-01")
    assert out.returncode == 1
    assert one_line(out.stderr) == ("docbot: no document is dated on or after 2023-01-01: the only date in the "
                                    "index is 2022-06-01 (3 undated)")
    out = run(*data, "search", "Etna", "--since", "2022-07-01", "--until", "2022-06-01")
    assert out.returncode == 1
    assert one_line(out.stderr) == ("docbot: no day is both on or after 2022-07-01 and on or before 2022-06-01: "
                                    "swap them")
    out = run(*data, "ask", "What did Peskov say about a meeting?", "--since", "2022-05-01", "--until", "2022-06-30")
    assert out.returncode == 0 and "Peskov" in out.stdout


def test_dates_refused_name_the_nearest_dates() -> None:
    from types import SimpleNamespace

    import numpy as np

    from embeddings.engine import _check_dated
    from embeddings.errors import InvalidRequest

    days = [date(2022, 12, 28), date(2022, 12, 30), None, date(2022, 1, 5)]
    gen = SimpleNamespace(
        documents=len(days), doc_date=lambda p: days[p],
        dated_within=lambda since, until: np.array(
            [p for p, d in enumerate(days) if d and (not since or d >= since) and (not until or d <= until)], dtype=int),
    )
    for since, until, said in [
        (date(2022, 12, 29), date(2022, 12, 29),
         "no document is dated on 2022-12-29: the nearest are dated 2022-12-28 and 2022-12-30 (1 undated)"),
        (date(2023, 1, 1), None, "no document is dated on or after 2023-01-01: the newest is dated 2022-12-30 (1 undated)"),
        (None, date(2021, 1, 1), "no document is dated on or before 2021-01-01: the oldest is dated 2022-01-05 (1 undated)"),
    ]:
        with pytest.raises(InvalidRequest) as refused:
            _check_dated(gen, [], since, until)
        assert str(refused.value) == said
    with pytest.raises(InvalidRequest) as refused:  # a document named twice counts once
        _check_dated(gen, [2, 2, 1], date(2023, 1, 1), None)
    assert str(refused.value) == ("none of the documents asked about is dated on or after 2023-01-01: the only date "
                                  "among them is 2022-12-30 (1 undated)")
    for position, said in [(0, "it is dated 2022-12-28"), (2, "it has no date")]:  # one document
        with pytest.raises(InvalidRequest) as refused:
            _check_dated(gen, [position], date(2023, 1, 1), None)
        assert str(refused.value) == f"the document asked about is not dated on or after 2023-01-01: {said}"
    with pytest.raises(InvalidRequest, match="the newest is dated 2022-12-30"):  # a datetime is read as its day
        _check_dated(gen, [], datetime(2023, 1, 1, 9, 30), None)
    _check_dated(gen, [], date(2022, 12, 1), None)  # dates within: nothing to say


def test_engine_refuses_what_the_cli_refuses(engine: Engine) -> None:
    for k in (0, -3):
        with pytest.raises(ValueError, match="k must be at least 1"):
            engine.search("Etna", k)
    for blank in ("", "  \n"):
        with pytest.raises(ValueError, match="empty"):
            engine.search(blank)
        with pytest.raises(ValueError, match="empty"):
            engine.ask(blank)
    with pytest.raises(SourceNotFound, match="no document 'nope.txt'"):
        engine.ask("What closed Catania airport?", doc_ids=["volcano.md", "nope.txt"])
    assert engine.search("Etna", 1, doc_ids=["volcano.md"])[0].doc_id == "volcano.md"
    with pytest.raises(ValueError, match="the document asked about is not dated on or before 2022-12-31: "
                                         "it has no date"):
        engine.search("Etna", 1, doc_ids=["volcano.md"], until=date(2022, 12, 31))
    # "caf\xe9" typed in a Latin-1 terminal reaches Python as a lone surrogate
    for method in (engine.ask, engine.search):
        with pytest.raises(ValueError, match="bytes that are not UTF-8 text"):
            method(os.fsdecode(b"caf\xe9"))
    # Path("") is the current folder: an unset shell variable must not make it a source, or remove one
    with pytest.raises(ValueError, match="an empty path names nothing"):
        engine.index([""])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="an empty target names nothing"):
        engine.remove([" "])


# ---------------------------------------------------------------------- index output
def test_skip_reasons_are_printed_once(index_copy: EngineSettings) -> None:
    (index_copy.docs_dir / "empty.md").write_text("")
    out = run("--data-dir", str(index_copy.data_dir), "index", str(index_copy.docs_dir))
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.count("the file is empty") == 1 and "skipped: " in out.stdout


def test_each_skip_reads_once_whoever_found_it(index_copy: EngineSettings, tmp_path: Path) -> None:
    """What the walk passed over (a dangling link, a folder that cannot be listed) read "skipped: PATH: why;
    skipped"; what a reader refused read "skipped: PATH: why". Every skip is now one "skipped:" line."""
    from tests.doc_fixtures import make_scanned_pdf

    notes = tmp_path / "notes"
    (notes / "private").mkdir(parents=True)
    (notes / "good.md").write_text("# Otters\n\nThe otter sanctuary opens at dawn on Sundays.\n")
    (notes / "empty.txt").write_text("")
    (notes / "x.pdf").write_bytes(make_scanned_pdf(1))
    (notes / "dangling.md").symlink_to("gone.md")
    (notes / "locked.md").write_text("# Locked\n\nNobody may read this.\n")
    (notes / "private" / "a.md").write_text("# Private\n\nIn a folder nobody may list.\n")
    (notes / "locked.md").chmod(0)
    (notes / "private").chmod(0)
    try:
        out = subprocess.run([*unprivileged(), sys.executable, "-m", "embeddings.cli", "--data-dir",
                              str(index_copy.data_dir), "index", str(notes)],
                             capture_output=True, text=True, cwd=ROOT, env=clean_env(), timeout=300)
    finally:
        (notes / "private").chmod(0o755)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert [line for line in out.stdout.splitlines() if "skipped" in line] == [
        f"skipped: {notes}/dangling.md: dangling symbolic link (-> gone.md, which does not exist)",
        f"skipped: {notes}/private: cannot be listed (Permission denied)",
        "skipped: empty.txt: the file is empty",
        f"skipped: {notes}/locked.md: cannot be read (Permission denied)",
        "skipped: x.pdf: no text layer on its 1 page(s) (a scanned document?); run it through OCR (e.g. ocrmypdf) "
        "and add the result",
    ]


def test_reading_bar_completes_on_small_folders(capsys: pytest.CaptureFixture[str]) -> None:
    bar = _ProgressBar(True)
    bar(IndexProgress(stage="scan", documents_total=3))
    bar(IndexProgress(stage="embed", documents_total=3, chunks_total=5))
    bar(IndexProgress(stage="embed", documents_total=3, chunks_done=5, chunks_total=5))
    bar.close()
    err = capsys.readouterr().err
    assert "reading: 100%" in err and "3/3" in err and "embedding: 100%" in err


def test_one_chunk_is_singular() -> None:
    doc = DocumentInfo(doc_id="a.md", title="A", chunks=1, chars=10, source="/notes")
    assert "1 chunk," in render_source(SourceView(document=doc, text="0123456789"))
    listing = render_sources(CollectionInfo(
        sources=[SourceInfo(path="/notes", kind="folder", documents=1, exists=True)], documents=[doc]))
    assert listing.startswith("1 source, 1 document:") and "(folder, 1 document)" in listing
    assert "[a.md, 1 chunk]" in listing
    report = render_report(IndexReport(added=["a.md"], chunks_embedded=1, chunks_total=1, documents_total=1))
    assert "1 document: 1 added" in report and "1 chunk embedded" in report and "chunks" not in report
    # The command line and the Milvus store's verification count through one helper: thousands grouped.
    big = render_report(IndexReport(chunks_embedded=98_459, chunks_total=98_459, documents_total=4_816))
    assert big.startswith("4,816 documents: ") and "98,459 chunks embedded, 98,459 in the index" in big


# ---------------------------------------------------------------------- symbolic links
def test_broken_links_are_skipped_with_a_reason_naming_them(index_copy: EngineSettings) -> None:
    docs = index_copy.docs_dir
    (docs / "dangling.md").symlink_to("gone.md")
    (docs / "loop-a.md").symlink_to("loop-b.md")
    (docs / "loop-b.md").symlink_to("loop-a.md")
    (docs / "again").symlink_to(".", target_is_directory=True)
    # A link to a file of the same folder would index one text twice, as two sources; it is skipped.
    (docs / "volcano-link.md").symlink_to("volcano.md")
    outside = docs.parent / "elsewhere.md"
    outside.write_text("# Ferry timetable\n\nThe first ferry to Skye leaves at 7:15 on weekdays.\n")
    (docs / "ferry.md").symlink_to(outside)  # a working link to a file kept elsewhere is a document
    (docs / "zero.txt").symlink_to("/dev/zero")
    out = run("--data-dir", str(index_copy.data_dir), "index", str(docs), "--json")
    assert out.returncode == 0 and out.stderr == ""  # said once, in the summary, not also as a warning
    assert json.loads(out.stdout)["skipped"] == [
        f"{docs}/again: symbolic link to a folder (-> .), not followed",
        f"{docs}/dangling.md: dangling symbolic link (-> gone.md, which does not exist)",
        f"{docs}/loop-a.md: symbolic link loop (-> loop-b.md)",
        f"{docs}/loop-b.md: symbolic link loop (-> loop-a.md)",
        f"{docs}/zero.txt: symbolic link to a device, a socket or a pipe (-> /dev/zero), not a file",
        f"{docs}/volcano-link.md: a symbolic link to the same file as volcano.md, which is indexed once",
    ]
    assert json.loads(out.stdout)["added"] == ["ferry.md"]


# ---------------------------------------------------------------------- everyday mistakes
def test_a_question_that_is_not_utf8_is_one_line(session_index: EngineSettings) -> None:
    latin1 = os.fsdecode(b"caf\xe9")  # passed to the child as the byte 0xe9, as a Latin-1 terminal would
    for command in ("ask", "search"):
        out = run("--data-dir", str(session_index.data_dir), command, latin1)
        assert out.returncode == 2
        assert one_line(out.stderr).endswith(
            f"b'caf\\xe9' is not UTF-8 text (is the terminal's encoding UTF-8?) (see docbot {command} --help)")
    # In chat the line is refused and the conversation goes on
    # (strict decoding, as under a UTF-8 locale; the C locale's stdin escapes such bytes anyway)
    chat = subprocess.run([sys.executable, "-m", "embeddings.cli", "--data-dir", str(session_index.data_dir), "chat"],
                          input=b"caf\xe9?\nWhat closed Catania airport?\n", capture_output=True, cwd=ROOT,
                          env=clean_env(PYTHONIOENCODING="utf-8:strict"), timeout=300)
    out_text = chat.stdout.decode()
    assert chat.returncode == 0 and b"Traceback" not in chat.stderr
    assert "error: the question holds bytes that are not UTF-8 text" in out_text and "Catania" in out_text


@pytest.mark.parametrize("args, message", [
    (("index", ""), "argument PATH: is empty"),
    (("remove", ""), "argument TARGET: is empty"),
])
def test_an_empty_path_or_target_is_refused(index_copy: EngineSettings, args: tuple[str, ...], message: str) -> None:
    """``docbot index "$DIR"`` with DIR unset would make the current folder a source; ``remove ""`` in a
    source folder would drop that whole source."""
    before = snapshot(index_copy.data_dir)
    out = run("--data-dir", str(index_copy.data_dir), *args, cwd=index_copy.docs_dir)
    assert out.returncode == 2
    assert one_line(out.stderr) == f"docbot {args[0]}: error: {message} (see docbot {args[0]} --help)"
    assert snapshot(index_copy.data_dir) == before


def test_paths_that_give_no_readable_document_are_refused_and_never_sources(index_copy: EngineSettings,
                                                                             tmp_path: Path) -> None:
    """``docbot index junk.docx`` said "skipped", exited 0 and recorded junk.docx as a source of 0 documents."""
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"PK not really a zip package")
    before = snapshot(index_copy.data_dir)
    out = run("--data-dir", str(index_copy.data_dir), "index", str(junk), "--no-progress")
    assert out.returncode == 1 and out.stdout == ""
    line = one_line(out.stderr)
    assert line.startswith("docbot: nothing readable to index: ") and "junk.docx" in line and "nothing was changed" in line
    assert snapshot(index_copy.data_dir) == before
    sources = run("--data-dir", str(index_copy.data_dir), "sources", "--json")
    assert "junk.docx" not in sources.stdout and sources.returncode == 0
    assert run("--data-dir", str(index_copy.data_dir), "ask", "What closed Catania airport?").returncode == 0
    # With a readable document beside it, the junk is skipped as before and the rest indexed.
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "ferry.md").write_text("# Ferry\n\nThe ferry to Stromboli leaves at dawn.\n")
    mixed = run("--data-dir", str(index_copy.data_dir), "index", str(junk), str(tmp_path / "more"), "--no-progress")
    assert mixed.returncode == 0 and "skipped: junk.docx" in mixed.stdout, mixed.stderr
    # ... and only what gave a document is recorded: junk.docx was a source of 0 documents beside it.
    good = tmp_path / "good.md"
    good.write_text("# Good\n\nThe good ship sails at noon.\n")
    mixed = run("--data-dir", str(index_copy.data_dir), "index", str(good), str(junk), "--no-progress")
    assert mixed.returncode == 0 and "skipped: junk.docx" in mixed.stdout, mixed.stderr
    sources = run("--data-dir", str(index_copy.data_dir), "sources", "--json")
    assert sources.returncode == 0 and "junk.docx" not in sources.stdout, sources.stdout
    assert "good.md" in sources.stdout and str(tmp_path / "more") in sources.stdout
    assert "junk.docx" not in run("--data-dir", str(index_copy.data_dir), "sources").stdout


def test_what_is_neither_a_folder_nor_a_document_is_never_a_source(index_copy: EngineSettings, tmp_path: Path) -> None:
    before = snapshot(index_copy.data_dir)
    out = run("--data-dir", str(index_copy.data_dir), "index", "/dev/null")
    assert out.returncode == 1 and one_line(out.stderr) == (
        "docbot: /dev/null: neither a folder nor a file (a device, a socket or a pipe); nothing was changed")
    assert snapshot(index_copy.data_dir) == before
    settings_file = tmp_path / "hostname"
    settings_file.write_text("box\n")
    out = run("--data-dir", str(tmp_path / "new"), "index", env={"DOCBOT_DOCS_DIR": str(settings_file)})
    assert out.returncode == 1 and "hostname (DOCBOT_DOCS_DIR): not a kind of document docbot reads" in one_line(out.stderr)
    assert not (tmp_path / "new" / "CURRENT").exists()


@pytest.mark.parametrize("step", ["word table", "null profile"])
def test_ctrl_c_after_the_new_index_is_published_says_so(index_copy: EngineSettings, monkeypatch, capsys,
                                                         step: str) -> None:
    """The window after publishing (the word table, loading the new index, measuring its null profile) is
    not the change: Ctrl-C there still exits 130, but says the change is made rather than that nothing
    changed."""
    from embeddings import engine as engine_module
    from embeddings import indexer as indexer_module
    from embeddings.cli import main

    (index_copy.docs_dir / "tea.md").write_text("# Tea harvest\nDarjeeling growers picked the first flush.\n")

    def interrupted(*args):
        raise KeyboardInterrupt

    if step == "word table":
        monkeypatch.setattr(indexer_module, "_ensure_word_table", interrupted)
    else:
        monkeypatch.setattr(engine_module.Engine, "null_profile", interrupted)
    status = main(["index", str(index_copy.docs_dir), "--no-progress"], settings=index_copy)
    err = capsys.readouterr().err
    assert status == 130
    assert one_line(err) == ("docbot: interrupted after the new index was published: the change is made "
                             "(`docbot stats` shows it)")
    monkeypatch.undo()
    assert "tea.md" in {d.doc_id for d in Engine(index_copy).sources()}


def test_ctrl_c_during_an_import_is_an_interruption_not_a_crash(capsys) -> None:
    """Ctrl-C while a compiled module (onnxruntime, numpy) is imported comes out as ImportError ("import
    numpy failed"): after a Ctrl-C it is reported as one; without one, it is the error it is."""
    import signal as signals

    from embeddings.cli import run_reporting

    def broken_by_ctrl_c() -> int:
        try:
            signals.raise_signal(signals.SIGINT)
        except KeyboardInterrupt:
            pass  # what the C extension's initialisation swallowed
        raise ImportError("import numpy failed")

    assert run_reporting("docbot", broken_by_ctrl_c) == 130
    assert one_line(capsys.readouterr().err) == "docbot: interrupted"
    assert signals.getsignal(signals.SIGINT) is signals.default_int_handler  # put back as it was

    def broken_install() -> int:
        raise ImportError("No module named 'onnxruntime'")

    with pytest.raises(ImportError, match="onnxruntime"):
        run_reporting("docbot", broken_install)


def test_a_mistyped_data_dir_is_not_left_behind(tmp_path: Path) -> None:
    """`index` or `remove` into a data directory that does not exist, failing before anything is written,
    leaves no folder holding only the change's lock; a failure in an existing one leaves it as it was."""
    typo = tmp_path / "dta"
    out = run("--data-dir", str(typo), "remove", "notes.md")
    assert out.returncode == 1 and one_line(out.stderr) == f"docbot: no index in {typo} yet: nothing to remove"
    out = run("--data-dir", str(typo), "index", str(tmp_path / "nowhere"))
    assert out.returncode == 1 and "no such file or folder" in one_line(out.stderr)
    assert not typo.exists()
    existing = tmp_path / "data"
    existing.mkdir()
    out = run("--data-dir", str(existing), "remove", "notes.md")
    assert out.returncode == 1 and existing.is_dir()


# ---------------------------------------------------------------------- a script writer's review
def test_an_answer_on_a_terminal_that_is_not_utf8_is_printed_not_a_traceback(session_index: EngineSettings) -> None:
    """A Latin-1 or ASCII stdout (``PYTHONIOENCODING``, ``LANG=C``) made every answer, with its curly
    quotes, a UnicodeEncodeError traceback; what it cannot show is written as "?"."""
    for encoding, args in (("latin-1", ()), ("ascii", ("--json",))):
        out = run("--data-dir", str(session_index.data_dir), "ask", "What closed Catania airport?", *args,
                  env={"PYTHONIOENCODING": encoding})
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
        assert "Catania" in out.stdout


def test_an_empty_data_dir_is_refused_not_the_current_folder(tmp_path: Path) -> None:
    """``--data-dir "$DIR"`` with DIR unset made the current folder the index: CURRENT, generations and a
    200 MB model export among the user's files."""
    out = run("--data-dir", "", "index", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 2
    assert one_line(out.stderr) == "docbot: error: argument --data-dir: is empty (see docbot --help)"
    assert list(tmp_path.iterdir()) == []


def test_a_settings_file_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"DOCBOT_DATA_DIR=d1\n# caf\xe9\n")
    out = run("stats", cwd=tmp_path)
    assert out.returncode == 2
    assert one_line(out.stderr) == "docbot: cannot read the settings file .env: it is not UTF-8 text (save it as UTF-8)"
    out = run(module="bot", cwd=tmp_path)
    assert out.returncode == 2 and one_line(out.stderr).startswith("docbot-discord: cannot read the settings file .env")


def test_bad_settings_say_what_their_rule_accepts(tmp_path: Path) -> None:
    out = run("stats", cwd=tmp_path, env={"DOCBOT_MILVUS_COLLECTION": "bad-name"})
    assert out.returncode == 2 and "expected text matching" in one_line(out.stderr), out.stderr
    out = run(module="bot", cwd=tmp_path, env={"DOCBOT_DATABASE_URL": "sqlite:///x.db", "DOCBOT_DISCORD_TOKEN": "x"})
    assert out.returncode == 2 and "expected text" not in out.stderr and "PostgreSQL" in out.stderr, out.stderr


def test_a_closed_stdout_is_not_a_traceback(session_index: EngineSettings) -> None:
    out = subprocess.run(f'"{sys.executable}" -m embeddings.cli --data-dir "{session_index.data_dir}" stats >&-',
                         shell=True, capture_output=True, text=True, cwd=ROOT, env=clean_env(), timeout=300)
    assert "Traceback" not in out.stderr, out.stderr


def test_ctrl_c_while_docbot_is_still_loading_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """The console script imports ``embeddings.console`` first, then the command line with Ctrl-C watched:
    a Ctrl-C in that ~0.3 s of imports printed a traceback of 15-40 lines."""
    import builtins

    from embeddings import console

    real_import = builtins.__import__

    def interrupted_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
        if name == "cli" and level == 1:
            raise KeyboardInterrupt
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", interrupted_import)
    with pytest.raises(SystemExit) as leaving:
        console.run()
    assert leaving.value.code == 130 and one_line(capsys.readouterr().err) == "docbot: interrupted"
    import signal as signals

    assert signals.getsignal(signals.SIGINT) is signals.default_int_handler


def test_ctrl_c_in_the_console_script_before_its_entry_point_runs_is_one_line(session_index: EngineSettings,
                                                                             tmp_path: Path) -> None:
    """The console script's own lines run before ``console.run`` watches for Ctrl-C: a sweep of SIGINTs at
    0-200 ms into `docbot stats` printed a traceback from them (``from embeddings.console import run``) in
    one run of 13. The script as pip writes it, with Ctrl-C raised right after that import."""
    script = tmp_path / "docbot"
    script.write_text("import re\nimport sys\nfrom embeddings.console import run\nimport signal\n"
                      "signal.raise_signal(signal.SIGINT)\n"
                      "if __name__ == '__main__':\n"
                      "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                      "    sys.exit(run())\n")
    out = subprocess.run(interruptible(str(script), "--data-dir", str(session_index.data_dir), "stats"),
                         capture_output=True, text=True, cwd=ROOT, env=clean_env(), timeout=300)
    assert one_line(out.stderr) == "docbot: interrupted"
    assert out.returncode == -signal.SIGINT  # ended as killed by Ctrl-C: status 130 in a shell
    assert sys.excepthook is sys.__excepthook__  # only the docbot script's own: not pytest's, the bot's or a library's


def test_ctrl_c_before_the_command_runs_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """Between loading and ``run_reporting`` (reading the arguments and the settings) a Ctrl-C printed a
    traceback: a sweep of SIGINTs at 0.30-0.60 s hit it in argparse's regular expressions."""
    from embeddings import cli, console

    def interrupted_early() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run", interrupted_early)
    with pytest.raises(SystemExit) as leaving:
        console.run()
    assert leaving.value.code == 130 and one_line(capsys.readouterr().err) == "docbot: interrupted"


def test_the_library_refuses_misshapen_arguments_in_words(engine: Engine, tmp_path: Path) -> None:
    """A script's plain mistakes raised AttributeError from deep inside, filtered by a string's letters or
    answered "not covered"; each is an InvalidRequest saying what to pass."""
    from embeddings import InvalidRequest

    with pytest.raises(InvalidRequest, match=r"doc_ids takes a list of document ids, not one string: doc_ids=\['volcano.md'\]"):
        engine.ask("What closed Catania airport?", doc_ids="volcano.md")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest, match="since takes a datetime.date, not '2020-01-01'"):
        engine.search("Etna", since="2020-01-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest, match="mode must be one of hybrid, dense, bm25, not 'Dense'"):
        engine.search("Etna", mode="Dense")  # type: ignore[arg-type]
    answer = engine.ask("What closed Catania airport?")
    with pytest.raises(InvalidRequest, match=r"Turn.of\(answer\)"):
        engine.ask("and why?", history=[answer])  # type: ignore[list-item]
    file = tmp_path / "afile"
    file.write_text("hi")
    with pytest.raises(DataDirUnusable) as caught:  # in the words `docbot` says it in (one check says it)
        Engine(EngineSettings(data_dir=file)).ask("anything?")
    assert str(caught.value) == (f"the data directory {file} is a file, not a folder: choose another with "
                                 "--data-dir or DOCBOT_DATA_DIR")


def test_a_path_or_target_given_alone_or_as_a_string_is_one(index_copy: EngineSettings, tmp_path: Path) -> None:
    engine = Engine(index_copy)
    notes = tmp_path / "more"
    notes.mkdir()
    (notes / "tea.md").write_text("# Tea\n\nDarjeeling's first flush is picked in March.\n")
    assert engine.index([str(notes)]).added == ["tea.md"]  # a string is a path, not AttributeError
    assert engine.remove("tea.md").removed == ["tea.md"]  # one target, not its letters


def test_a_documents_view_names_its_source(index_copy: EngineSettings) -> None:
    engine = Engine(index_copy)
    listed = {d.doc_id: d.source for d in engine.sources()}
    view = engine.source("volcano.md")
    assert view.document.source == listed["volcano.md"] is not None
    assert engine.source("volcano.md#0").document.source == listed["volcano.md"]


def test_history_may_be_none_or_a_generator(engine: Engine) -> None:
    first = engine.ask("What closed Catania airport?")
    assert engine.ask("What closed Catania airport?", history=None).answered  # type: ignore[arg-type]
    assert engine.ask("and why?", history=(t for t in [Turn.of(first)])).follow_up is not None


def test_setting_errors_keep_the_fields_own_rule(tmp_path: Path) -> None:
    out = run(module="bot", cwd=tmp_path, env={"DOCBOT_GUILD_IDS": "[1, 2", "DOCBOT_DISCORD_TOKEN": "x"})
    assert out.returncode == 2 and "expected whole numbers greater than 0 separated by commas" in out.stderr, out.stderr


def test_an_upload_in_the_published_index_stays_when_a_later_step_fails(index_copy: EngineSettings,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the new index is published (measuring its null profile, here) used to put the folder
    back: the document was in the index with its file deleted, and a retry was refused as a duplicate."""
    engine = Engine(index_copy)
    engine.load()

    def broken(gen):
        raise RuntimeError("the profile could not be measured")

    monkeypatch.setattr(engine, "null_profile", broken)
    with pytest.raises(RuntimeError):
        engine.add_document("late.md", b"# Late\n\nThe ferry leaves at dawn.\n", max_bytes=10_000)
    monkeypatch.undo()
    assert (index_copy.docs_dir / "late.md").exists()
    assert "late.md" in {d.doc_id for d in Engine(index_copy).sources()}


def test_a_mistyped_setting_given_to_the_library_is_named() -> None:
    """``EngineSettings(datadir=...)`` was ignored, and the library read and wrote ./data instead."""
    with pytest.raises(TypeError, match=r"EngineSettings has no setting 'datadir' \(did you mean 'data_dir'\?\)"):
        EngineSettings(datadir="/srv/idx", _env_file=None)
    assert EngineSettings(data_dir="elsewhere", _env_file=None).data_dir == Path("elsewhere")
