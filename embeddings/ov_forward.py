"""The transformer's forward pass for indexing, run by OpenVINO instead of torch.

Why: on a CPU with AMX, OpenVINO's bf16 kernels (fused attention, fused matmul + bias + GELU) ran the
same chunks 1.2x faster than torch's bf16 autocast, measured batch by batch on real news chunks
(README, Speed), with vectors as close to fp32 (cosine > 0.9999). It reads the fp32 ONNX export the
indexer writes for questions anyway (``encoder.export_onnx``): nothing new is stored.

Only the token embeddings come from here; pooling (the chunk vector and the late-chunked sentence
vectors) stays in ``encoder.TorchEncoder`` so both backends share it.
"""

from __future__ import annotations

import logging
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


class OpenVinoForward:
    """``last_hidden_state`` of an ONNX-exported transformer, one compiled model per thread count.

    The thread count is chosen batch by batch by the caller (``cpu.ThreadBudget``), so each count
    gets its own compiled model (about 1 s to compile, made on first use). Threads are not pinned to
    cores: on a machine shared with other processes (and the bot's event loop) pinning would hold a
    busy core.
    """

    def __init__(self, onnx_model: Path, *, bf16: bool) -> None:
        import openvino as ov

        self.core = ov.Core()
        self.model = self.core.read_model(str(onnx_model))
        self.inputs = {i.get_any_name() for i in self.model.inputs}
        self.precision = "bf16" if bf16 else "f32"
        self._compiled: dict[int, Any] = {}
        self._lock = threading.Lock()
        log.info("indexing runs the transformer in OpenVINO (%s) from %s", self.precision, onnx_model)

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
