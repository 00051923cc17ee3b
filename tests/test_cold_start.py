"""A question in a new process (`docbot ask`): what it loads, and the encoder made while the index opens."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from embeddings import Engine, EngineSettings
from embeddings.encoder import OnnxEncoder
from embeddings.indexer import onnx_dir
from tests.cli_run import ROOT, clean_env, run
QUESTION = "what did Peskov say about a meeting?"


def _answer_shown(a) -> tuple:
    return a.answered, a.message, [e.model_dump() for e in a.excerpts], [s.model_dump() for s in a.sources]


def test_warm_up_embeds_the_question_once_on_its_own_thread(session_index: EngineSettings,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The question is embedded on the warm-up thread while the index opens, not again when it is
    asked, and the answer is the one an engine without the warm-up gives."""
    reference = Engine(session_index).load().ask(QUESTION)

    calls: list[tuple[str, tuple[str, ...]]] = []
    real = OnnxEncoder.encode

    def recorded(self, texts, **kwargs):
        calls.append((threading.current_thread().name, tuple(texts)))
        return real(self, texts, **kwargs)

    monkeypatch.setattr(OnnxEncoder, "encode", recorded)
    engine = Engine(session_index)
    warming = engine.warm_up(QUESTION)
    assert warming is not None
    engine.load()
    warming.join()
    assert calls == [("docbot-warm-up", (QUESTION,))]
    answer = engine.ask(QUESTION)
    assert [c for c in calls if c[1] == (QUESTION,)] == [("docbot-warm-up", (QUESTION,))]
    assert _answer_shown(answer) == _answer_shown(reference)


def test_warm_up_without_a_question_makes_the_encoder_only(session_index: EngineSettings) -> None:
    engine = Engine(session_index)
    warming = engine.warm_up()
    assert warming is not None
    warming.join()
    assert engine.warm_up() is None  # made already: nothing more to start
    assert _answer_shown(engine.ask(QUESTION)) == _answer_shown(Engine(session_index).ask(QUESTION))


def test_warm_up_leaves_sentence_transformers_alone(session_index: EngineSettings) -> None:
    """With the torch backend nothing starts: loading sentence-transformers waits for the model checks."""
    torch_settings = session_index.model_copy(update={"query_backend": "torch"})
    assert Engine(torch_settings).warm_up(QUESTION) is None


def _docbot(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run("--data-dir", str(data_dir), *args)


@pytest.mark.parametrize("name", ["model.int8.onnx", "tokenizer.json"])
def test_a_damaged_export_is_one_line_from_the_question_not_the_warm_up(
    session_index: EngineSettings, tmp_path: Path, name: str,
) -> None:
    """The warm-up thread fails quietly on a damaged ONNX export; the question, asked in the main thread,
    fails again and says in one line what is wrong and how to repair it."""
    data = tmp_path / "data"
    shutil.copytree(session_index.data_dir, data)
    export = onnx_dir(session_index.model_copy(update={"data_dir": data}))
    (export / name).write_bytes((export / name).read_bytes()[:500])
    out = _docbot(data, "ask", QUESTION)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith(f"docbot: the ONNX export in {export} cannot be loaded ({name}: "), out.stderr
    assert out.stderr.rstrip().endswith("delete that folder and run `docbot index` to export the model again")
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_a_cold_docbot_ask_loads_only_what_it_needs(session_index: EngineSettings) -> None:
    """`docbot ask` as a user runs it: the answer, and none of the indexing side's modules or libraries
    (each costs a cold question time: README, Speed)."""
    out = _loading(["--data-dir", str(session_index.data_dir), "ask", QUESTION],
                   ("torch", "transformers", "sentence_transformers", "bm25s", "scipy", "wordfreq", "filelock",
                    "pypdf", "onnx", "embeddings.indexer", "embeddings.ov_forward", "embeddings.milvus_store"))
    assert "Peskov" in out
    assert out.strip().splitlines()[-1] == "loaded: status 0", out


def _loading(argv: list[str], heavy: tuple[str, ...]) -> str:
    """The output of ``docbot ARGV`` in a new process, ending in a line naming which of ``heavy`` it
    imported ("loaded: ... status N")."""
    code = (
        "import sys\n"
        "from embeddings.cli import main\n"
        f"status = main({argv!r})\n"
        f"print('loaded:', *sorted(m for m in {heavy!r} if m in sys.modules), 'status', status)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env=clean_env())
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_adding_a_document_loads_neither_torch_nor_sentence_transformers(session_index: EngineSettings,
                                                                         tmp_path: Path) -> None:
    """`docbot index FILE` on an index whose model OpenVINO already runs (converted by the first index)
    embeds with OpenVINO, the tokenizer and numpy alone: importing sentence-transformers, torch and
    transformers took 6.5 s and ~470 MB of a one-document update (README, Speed). The new document
    is found by a question afterwards."""
    from embeddings.encoder import cpu_has_bf16
    from embeddings.ov_forward import ir_path, openvino_available

    if not (cpu_has_bf16() and openvino_available()):
        pytest.skip("indexing runs in torch here (OpenVINO is the default only on a bf16 CPU with the package)")
    data = tmp_path / "data"
    shutil.copytree(session_index.data_dir, data)
    assert ir_path(onnx_dir(session_index.model_copy(update={"data_dir": data}))).exists()
    doc = tmp_path / "ferry.txt"
    doc.write_text("Ferry strike\n20240301\nhttps://example.org/ferry\n"
                   "Ferry crews on the Baltic route walked out on Friday over a pay dispute, the union said.\n")
    out = _loading(["--data-dir", str(data), "index", "--no-progress", str(doc)],
                   ("torch", "transformers", "sentence_transformers", "sklearn"))
    assert "1 added" in out, out
    assert out.strip().splitlines()[-1] == "loaded: status 0", out
    answer = Engine(session_index.model_copy(update={"data_dir": data})).load().ask("Why did the ferry crews walk out?")
    assert answer.answered and answer.sources[0].doc_id == "ferry.txt"


@pytest.mark.parametrize("preset, expected", [(None, "4"), ("12", "12")])
def test_openblas_threads_sleep_when_idle_unless_told_otherwise(preset: str | None, expected: str) -> None:
    """numpy's OpenBLAS pool is loaded with idle threads that sleep rather than spin for ~0.1 s (which took
    the second core from a cold question); a value the user set is kept."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if preset is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = preset
    code = ("import os, sys, embeddings; embeddings.Engine; "  # the public names load on first use
            "print(os.environ['OPENBLAS_THREAD_TIMEOUT'], 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**env, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == [expected, "True"], out.stderr


@pytest.mark.parametrize("before", ["", "gc.disable(); "])
def test_the_imports_leave_the_collector_as_they_found_it(before: str) -> None:
    """The engine's imports are made with the collector paused and then frozen out of its reach (a cold
    question's start-up); whether it runs afterwards is the host's choice, as before."""
    code = f"import gc; {before}from embeddings import Engine; print(gc.isenabled(), gc.get_freeze_count() > 10_000)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == [str(not before), "True"], out.stderr


def test_a_read_only_command_leaves_with_its_whole_output_and_status(session_index: EngineSettings,
                                                                     tmp_path: Path) -> None:
    """`docbot ask` and `sources` skip the interpreter's teardown once done: their output is still
    complete when piped, and a failure keeps its status and its one line."""
    import json

    answer = json.loads(_docbot(session_index.data_dir, "ask", QUESTION, "--json").stdout)
    assert answer["answered"] and answer["question"] == QUESTION
    listing = _docbot(session_index.data_dir, "sources", "--json")
    assert listing.returncode == 0 and len(json.loads(listing.stdout)["documents"]) == 4
    missing = _docbot(tmp_path / "nothing-here", "ask", QUESTION)
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.startswith("docbot: no index in") and len(missing.stderr.splitlines()) == 1
