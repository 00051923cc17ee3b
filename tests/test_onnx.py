"""The query path: ONNX export matches sentence-transformers, and torch stays out of it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from embeddings import Engine
from embeddings.cpu import available_cores
from embeddings.encoder import OnnxEncoder, TorchEncoder, cpu_has_bf16, export_current
from embeddings.indexer import onnx_dir
from embeddings.quantise import INT8_MODEL
from tests.cli_run import ROOT, one_line, run

TEXTS = [
    "what did Peskov say about a meeting?",
    "Hi",
    "The Kremlin spokesman played down expectations for Lavrov's visit to Istanbul. " * 6,
    "word " * 400,  # longer than the model's window: truncated the same way by both
]


def test_onnx_vectors_match_sentence_transformers(session_index):
    onnx = OnnxEncoder(onnx_dir(session_index), precision="fp32")
    torch_fp32 = TorchEncoder(session_index.model, precision="fp32")
    a, b = onnx.encode(TEXTS, batch_size=3), torch_fp32.encode(TEXTS)
    cos = (a * b).sum(axis=1)
    assert cos.min() > 0.9999, cos
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)


QUESTIONS = [
    "what did Peskov say about a meeting?",
    "Gas prices in the US recently hit a new record high. How much does a gallon of regular gas cost?",
    "Which airport closed because of the ash?",
    "Hi",
]


def test_int8_query_model_stays_within_tolerance_of_fp32(session_index):
    """The int8 model is the default for questions: per-channel int8 keeps a question's vector at
    cosine >= 0.99 to fp32 (a greeting of one word piece at >= 0.97), and the passage the index
    ranks first stays first."""
    directory = onnx_dir(session_index)
    assert (directory / INT8_MODEL).exists() and export_current(directory)
    fp32 = OnnxEncoder(directory, precision="fp32")
    int8 = OnnxEncoder(directory, precision="int8")
    assert (fp32.precision, int8.precision) == ("fp32", "int8")
    a, b = fp32.encode(QUESTIONS), int8.encode(QUESTIONS)
    cos = (a * b).sum(axis=1)
    assert cos[:3].min() > 0.99 and cos[3] > 0.97, cos
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)
    engine = Engine(session_index).load()
    vectors = engine.generation.chunk_vectors(np.arange(engine.generation.size))
    for qa, qb in zip(a, b):
        assert np.argmax(vectors @ qa) == np.argmax(vectors @ qb)


def test_thread_counts_give_the_same_vectors(session_index):
    directory = onnx_dir(session_index)
    one, two, adaptive = (OnnxEncoder(directory, threads=n) for n in (1, 2, 0))
    assert 1 <= adaptive.threads_now() <= available_cores()
    for enc in (two, adaptive):
        assert np.allclose(one.encode(QUESTIONS), enc.encode(QUESTIONS), atol=1e-5)


def test_an_export_without_int8_model_answers_in_fp32(tmp_path, session_index):
    """An export made by an older docbot (no int8 model): questions use fp32; `index` exports again."""
    old = tmp_path / "old"
    shutil.copytree(onnx_dir(session_index), old)
    (old / INT8_MODEL).unlink()
    config = json.loads((old / "pooling.json").read_text())
    del config["export"]
    (old / "pooling.json").write_text(json.dumps(config))
    enc = OnnxEncoder(old)
    assert enc.precision == "fp32" and not export_current(old)
    reference = OnnxEncoder(onnx_dir(session_index), precision="fp32")
    assert np.allclose(enc.encode(QUESTIONS), reference.encode(QUESTIONS), atol=1e-6)


def test_bf16_indexing_vectors_stay_close_to_fp32(session_index):
    bf16 = TorchEncoder(session_index.model, precision="bf16")
    fp32 = TorchEncoder(session_index.model, precision="fp32")
    cos = (bf16.encode(TEXTS) * fp32.encode(TEXTS)).sum(axis=1)
    assert cos.min() > 0.9999, cos


def test_query_path_does_not_import_torch(session_index):
    code = (
        "import sys; from embeddings import Engine, EngineSettings; "
        f"e = Engine(EngineSettings(data_dir={str(session_index.data_dir)!r}, _env_file=None)).load(); "
        "a = e.ask('what did Peskov say about a meeting?'); "
        "print(a.answered, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.stdout.split() == ["True", "False"], out.stdout + out.stderr


def test_a_question_loads_only_what_it_needs(session_index):
    """A cold question imports neither torch nor bm25s (scipy) nor wordfreq, even with a number or an
    ordinal in it: each cost a cold `docbot ask` a third of a second or more (README, Speed); nor
    the re-index lock's filelock."""
    code = (
        "import sys; from embeddings import Engine, EngineSettings; "
        f"e = Engine(EngineSettings(data_dir={str(session_index.data_dir)!r}, _env_file=None)).load(); "
        "a = e.ask('what did Peskov say about a meeting in 2022, on the 17th?'); "
        "print(a.answered, *sorted(m for m in ('torch', 'transformers', 'bm25s', 'scipy', 'wordfreq', 'filelock') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.stdout.split() == ["True"], out.stdout + out.stderr


def test_the_model_settings_read_from_its_folder_are_sentence_transformers_own(session_index):
    """Indexing reads the dimension and the length limit from the model's folder, so as not to load
    sentence-transformers (``encoder._layout``); they must be the ones it would use."""
    from embeddings.encoder import TorchEncoder

    enc = TorchEncoder(session_index.model, precision="fp32")
    assert enc._model is None  # not loaded to find them
    assert (enc.dimension, enc.max_seq_length) == (enc.model.get_embedding_dimension(), enc.model.max_seq_length)


@pytest.mark.parametrize("pooling, expected", [
    ({"word_embedding_dimension": 384, "pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}, "mean"),
    ({"word_embedding_dimension": 384, "pooling_mode_cls_token": True}, "cls"),
    ({"word_embedding_dimension": 384}, "mean"),  # no mode set: sentence-transformers' default
    ({"word_embedding_dimension": 384, "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}, None),
    ({"word_embedding_dimension": 384, "pooling_mode_weightedmean_tokens": True}, None),
    ({"embedding_dimension": 384, "pooling_mode": "mean", "include_prompt": True}, "mean"),  # sentence-transformers 6
    ({"embedding_dimension": 384, "pooling_mode": ["mean"]}, "mean"),
    ({"embedding_dimension": 384, "pooling_mode": ["mean", "max"]}, None),
    ({"embedding_dimension": 384, "pooling_mode": "lasttoken"}, None),
])
def test_the_pooling_is_read_as_sentence_transformers_reads_it(tmp_path, pooling, expected):
    """Late chunking and reading the model's settings from its folder need mean pooling alone; a model
    that pools otherwise (two modes concatenated, weighted, last token) is loaded and asked instead."""
    from embeddings.encoder import _layout, _pooling_mode

    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 256}))
    assert _pooling_mode(tmp_path) == ((expected, True) if expected else None)
    assert _layout(tmp_path) == ((384, 256) if expected else None)


def test_bf16_only_where_the_cpu_has_it(tmp_path):
    with_bf16 = tmp_path / "a"
    with_bf16.write_text("flags\t\t: fpu sse avx512f avx512_bf16 amx_tile\n")
    without = tmp_path / "b"
    without.write_text("flags\t\t: fpu sse avx2 avx512f\n")
    assert cpu_has_bf16(with_bf16) and not cpu_has_bf16(without)
    assert not cpu_has_bf16(tmp_path / "missing")


def test_late_chunking_gives_the_same_chunk_vectors_and_contextual_sentence_vectors(session_index):
    """Sentence vectors come from the chunk's own forward pass: the chunk vectors must not change."""
    enc = TorchEncoder(session_index.model, precision="fp32")
    texts = [
        "Russia talks\nPeskov said the leaders could meet. He ruled out talks at working level.",
        TEXTS[2],
        TEXTS[3],  # truncated: sentences past the window take the chunk's vector
    ]
    spans = [[(13, 49), (50, 88)], [(0, 78)], [(0, 4), (1600, 1999)]]
    chunks, sentences = enc.encode_with_sentences(texts, spans, batch_size=2)
    assert ((chunks * enc.encode(texts)).sum(axis=1)).min() > 0.9999
    assert [s.shape for s in sentences] == [(2, 384), (1, 384), (2, 384)]
    for vecs in sentences:
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert np.allclose(sentences[2][1], chunks[2])  # cut off by truncation
    # Each sentence keeps its own meaning: closer to its own text embedded alone than to its
    # neighbour's.
    alone = enc.encode([texts[0][13:49], texts[0][50:88]])
    sims = sentences[0] @ alone.T
    assert sims[0, 0] > sims[0, 1] and sims[1, 1] > sims[1, 0]


def test_an_uninstalled_model_is_refused_in_one_line_before_any_download(tmp_path):
    """The library, not only the CLI: nothing is looked for on the network."""
    import pytest

    from embeddings import ModelNotInstalled

    with pytest.raises(ModelNotInstalled, match="nope-model is not installed locally; nothing is downloaded"):
        TorchEncoder("nope-model")
    with pytest.raises(ModelNotInstalled):
        TorchEncoder(str(tmp_path / "no-such-folder"))


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_a_model_folder_without_its_weights_stops_indexing_in_one_line(tmp_path, session_index, damage):
    """The model loads only when first needed; a damaged one still stops `docbot index` with one line
    naming it, before anything is published (not a warning about the export and then a traceback):
    weights deleted, or cut short by an interrupted copy (safetensors' own error is no OSError)."""
    from embeddings.encoder import resolve_model

    broken = tmp_path / "model"
    shutil.copytree(resolve_model(session_index.model), broken)
    weights = broken / "model.safetensors"
    if damage == "missing":
        weights.unlink()
    else:
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 3])
    out = run("--data-dir", str(tmp_path / "data"), "index", "--no-progress", str(ROOT / "seeds"), cwd=tmp_path,
              env={"DOCBOT_MODEL": str(broken)})
    assert out.returncode == 1
    assert one_line(out.stderr).startswith(f"docbot: model {broken} cannot be loaded ("), out.stderr
    assert not (tmp_path / "data" / "CURRENT").exists()


def test_the_int8_export_keeps_onnx_runtimes_chatter_out_of_the_log(caplog):
    """The optimiser and quantiser log dozens of INFO lines while a first index is built; docbot's own
    lines and every warning still get through."""
    import logging

    from embeddings.quantise import _quiet_tools

    with caplog.at_level(logging.INFO):
        with _quiet_tools():
            logging.getLogger("fusion_base").info("Fused Attention: 6")
            logging.info("Quantization parameters for tensor:x not specified")
            logging.getLogger("embeddings.encoder").info("exported the model")
            logging.getLogger("onnx_model").warning("a real problem")
        logging.getLogger("fusion_base").info("after the export")
    assert [r.getMessage() for r in caplog.records] == ["exported the model", "a real problem", "after the export"]
