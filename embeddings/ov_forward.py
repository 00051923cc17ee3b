"""The transformer's forward pass for indexing, run by OpenVINO instead of torch.

Why: on a CPU with AMX, OpenVINO's bf16 kernels (fused attention, fused matmul + bias + GELU) ran the
same chunks 1.2x faster than torch's bf16 autocast, measured batch by batch on real news chunks
(README, Speed), with vectors as close to fp32 (cosine > 0.9999). Its model is converted from the
torch model once per data directory into the folder of the ONNX export (``write_ir``; a new export
removes it); where that fails it reads the fp32 ONNX export itself.

Only the token embeddings come from here; pooling (the chunk vector and the late-chunked sentence
vectors) stays in ``encoder.TorchEncoder`` so both backends share it.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def openvino_available() -> bool:
    """Whether the ``openvino`` package imports (it is a dependency; a trimmed install may lack it)."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


#: OpenVINO's own copy of the transformer, in the ONNX export's folder (a new export replaces it).
IR_DIR = "openvino"


def ir_path(export_dir: Path) -> Path:
    return export_dir / IR_DIR / "model.xml"


def write_ir(bert: Any, export_dir: Path) -> Path:
    """Convert the loaded torch transformer to OpenVINO's format once, into ``export_dir/openvino``.

    Converted from torch, attention stays one ``ScaledDotProductAttention`` node that OpenVINO runs as
    a fused kernel: 1.07x faster than reading the ONNX export (whose attention is written out for ONNX
    Runtime's fusion), measured batch by batch on news chunks. Written to a temporary folder and
    renamed, so a crash never leaves half a model.
    """
    import warnings

    import openvino as ov
    import torch
    from transformers.utils import logging as hf_logging

    from .encoder import hidden_states_module

    names = ("input_ids", "attention_mask", "token_type_ids")
    # Traced with a padded row, so that no branch taken only for unpadded batches (transformers
    # drops an all-ones mask) is frozen into the graph.
    example = {"input_ids": torch.ones(2, 8, dtype=torch.long),
               "attention_mask": torch.tensor([[1] * 8, [1] * 5 + [0] * 3]),
               "token_type_ids": torch.zeros(2, 8, dtype=torch.long)}
    target = export_dir / IR_DIR
    tmp = export_dir / (IR_DIR + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    verbosity = hf_logging.get_verbosity()
    try:
        hf_logging.set_verbosity_error()  # tracing makes transformers log about unused config fields
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            model = ov.convert_model(
                hidden_states_module(bert).eval(), example_input=example,
                input=[(n, [-1, -1], ov.Type.i64) for n in names],
            )
        tmp.mkdir(parents=True)
        ov.save_model(model, str(tmp / "model.xml"), compress_to_fp16=False)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        hf_logging.set_verbosity(verbosity)
    log.info("converted the transformer for OpenVINO into %s", target)
    return ir_path(export_dir)


class OpenVinoForward:
    """``last_hidden_state`` of an ONNX-exported transformer, one compiled model per thread count.

    The thread count is chosen batch by batch by the caller (``cpu.ThreadBudget``), so each count
    gets its own compiled model (about 1 s to compile, made on first use). Threads are not pinned to
    cores: on a machine shared with other processes (and the bot's event loop) pinning would hold a
    busy core.
    """

    def __init__(self, model_file: Path, *, bf16: bool) -> None:
        """``model_file``: OpenVINO's ``model.xml`` (:func:`write_ir`) or the ONNX export."""
        import openvino as ov

        self.core = ov.Core()
        self.model = self.core.read_model(str(model_file))
        self.inputs = {i.get_any_name() for i in self.model.inputs}
        self.precision = "bf16" if bf16 else "f32"
        self._compiled: dict[int, Any] = {}
        self._lock = threading.Lock()
        log.info("indexing runs the transformer in OpenVINO (%s) from %s", self.precision, model_file)

    def _request(self, threads: int) -> Any:
        with self._lock:
            request = self._compiled.get(threads)
            if request is None:
                compiled = self.core.compile_model(self.model, "CPU", {
                    "INFERENCE_PRECISION_HINT": self.precision,
                    "INFERENCE_NUM_THREADS": threads,
                    "NUM_STREAMS": 1,
                    "PERFORMANCE_HINT": "LATENCY",
                    "ENABLE_CPU_PINNING": False,
                })
                request = self._compiled[threads] = compiled.create_infer_request()
            return request

    def __call__(
        self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray, *, threads: int
    ) -> np.ndarray:
        """Token embeddings, float32 ``(batch, width, dimension)``, with ``threads`` threads."""
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        result = self._request(max(1, threads)).infer({k: v for k, v in feeds.items() if k in self.inputs})
        # A copy: the request's output buffer is overwritten by its next call.
        return np.array(result[0], dtype=np.float32, copy=True)
