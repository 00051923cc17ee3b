"""The int8 query model: the fp32 ONNX export fused and quantised for one question at a time.

A question is about 20 word pieces; at that size the fp32 model spends its time in small matrix
products and in the overhead of ~340 graph nodes. Three steps, each measured on the news2022 index
(README, "Speed"):

1. ``onnxruntime.transformers``' optimiser fuses each layer's attention into one ``Attention`` node
   (and the embeddings and GELU into theirs): 338 nodes become 46. It needs the export's attention
   written out (``attn_implementation="eager"``); the SDPA form does not fuse. Skip-layer-norm fusion
   stays off, here and when ONNX Runtime loads the model (``SESSION_DISABLED``): its CPU kernel took
   3x as long as LayerNorm + Add at question length.
2. Dynamic quantisation: int8 weights with one scale per output channel, activations quantised per
   call. Per-tensor weight scales drifted to cosine 0.94 against fp32; per channel stays above 0.985
   (mean 0.995), and the dev set's hit@5 and answer-in-quote do not change.
3. ONNX Runtime's own rewrite of it, at the portable ``EXTENDED`` level, is saved: a query process
   then loads it in ~30 ms instead of optimising it again.

Only query vectors come from it; the index is embedded in full precision by the indexer.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

#: The fused int8 model's file name, beside the fp32 ``model.onnx`` in the export folder.
INT8_MODEL = "model.int8.onnx"
#: ONNX Runtime optimisers left out when the int8 model is loaded (see the module docstring).
SESSION_DISABLED = ["SkipLayerNormFusion"]
# Model types whose layers onnxruntime.transformers knows how to fuse.
_FUSABLE = {"bert", "roberta", "distilbert", "xlm-roberta", "electra"}


@contextlib.contextmanager
def _quiet_tools() -> Iterator[None]:
    """ONNX Runtime's optimiser and quantiser log every fusion and every tensor left unquantised (dozens
    of INFO lines, on their own loggers and the root one): noise in a first `docbot index` or `make run`.
    While they run, the root handlers drop other libraries' records below WARNING."""
    handlers = logging.getLogger().handlers

    def keep(record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".")[0] in ("embeddings", "bot")

    for handler in handlers:
        handler.addFilter(keep)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(keep)


def write_int8_model(fp32: Path, target: Path, *, model_type: str, num_heads: int, hidden_size: int) -> None:
    """Fuse and quantise ``fp32`` into ``target`` (steps 1-3 of the module docstring).

    Models the optimiser does not know are quantised without fusion.
    """
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with _quiet_tools(), tempfile.TemporaryDirectory(prefix="docbot-int8-", dir=target.parent) as tmp:
        work = Path(tmp)
        fused = work / "fused.onnx"
        if model_type in _FUSABLE:
            from onnxruntime.transformers import optimizer
            from onnxruntime.transformers.fusion_options import FusionOptions

            options = FusionOptions("bert")
            options.enable_skip_layer_norm = False
            options.enable_bias_skip_layer_norm = False
            optimizer.optimize_model(
                str(fp32), model_type="bert", num_heads=num_heads, hidden_size=hidden_size,
                optimization_options=options, opt_level=0, use_gpu=False,
            ).save_model_to_file(str(fused))
        else:
            log.info("no attention fusion for model type %r; quantising the plain export", model_type)
            shutil.copy(fp32, fused)
        # Shape inference (symbolic: it knows the fused nodes) gives the quantiser every tensor's type.
        shaped = work / "shaped.onnx"
        quant_pre_process(str(fused), str(shaped), skip_optimization=True)
        quantised = work / "int8.onnx"
        quantize_dynamic(str(shaped), str(quantised), per_channel=True, weight_type=QuantType.QInt8)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(target)
        options.log_severity_level = 3
        ort.InferenceSession(
            str(quantised), options, providers=["CPUExecutionProvider"], disabled_optimizers=SESSION_DISABLED
        )
