"""The query path: ONNX export matches sentence-transformers, and torch stays out of it."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from embeddings.encoder import OnnxEncoder, TorchEncoder, cpu_has_bf16
from embeddings.indexer import onnx_dir

TEXTS = [
    "what did Peskov say about a meeting?",
    "Hi",
    "The Kremlin spokesman played down expectations for Lavrov's visit to Istanbul. " * 6,
    "word " * 400,  # longer than the model's window: truncated the same way by both
]


def test_onnx_vectors_match_sentence_transformers(session_index):
    onnx = OnnxEncoder(onnx_dir(session_index))
    torch_fp32 = TorchEncoder(session_index.model, precision="fp32")
    a, b = onnx.encode(TEXTS, batch_size=3), torch_fp32.encode(TEXTS)
    cos = (a * b).sum(axis=1)
    assert cos.min() > 0.9999, cos
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)


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
