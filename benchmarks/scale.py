"""Benchmark: one million passages, the local FAISS IVF index beside Milvus Lite.

    python -m benchmarks.scale --data-dir DIR_WITH_FULL_NEWS_INDEX \
        [--sizes 100000,1000000] [--milvus] [--out results.json]

The passages are the real ones of a full news2022 index (98,459 chunk vectors) plus synthetic ones
derived from them: a real vector with Gaussian noise (``--noise`` per dimension, 0.04 gives a cosine
of about 0.8 to its origin), re-normalised, carrying its origin's text. The queries are the real
news2022 dev questions, embedded by the engine's own query encoder. For each size it prints:

* the local backend (``embeddings.vector_index.build``, the index the engine builds with
  ``DOCBOT_DENSE_INDEX=ivf``: IVFFlat with about 4·√n lists, ``nprobe`` 32; the default HNSW graph is
  compared with it on news2022 in the README's Speed section): build time, resident memory the index adds, disk, query p50/p95
  of one dense search, recall@10 against exact (FlatIP) search over the same vectors;
* with ``--milvus``, Milvus Lite (``pymilvus`` + ``milvus-lite``, in a temporary file) with the same
  vectors and texts and an IVF_FLAT index of the same lists and probes: insert and index time, disk,
  the memory it adds (Milvus Lite 3 runs inside the calling process), query p50/p95, recall@10;
* per-passage costs (bytes of disk and memory per passage, build seconds per 100k), from which the
  README's 10M / 100M sizing is worked out.

This is a benchmark, not a test: it takes minutes and gigabytes. Speed figures are wall-clock on the
machine that runs it; compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from embeddings import Engine, EngineSettings, vector_index

log = logging.getLogger("bench.scale")
HERE = Path(__file__).resolve().parent
DEFAULT_QUESTIONS = HERE.parent.parent / "shared" / "corpora" / "news2022-qa-dev.jsonl"


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process now (VmRSS), in MB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def disk_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def synthesize(real: np.ndarray, n: int, noise: float, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """``n`` vectors: the real ones first, then noisy copies; also each row's origin (a real row)."""
    rng = np.random.default_rng(seed)
    n_real = min(n, len(real))
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    out[:n_real] = real[:n_real]
    origin = np.empty(n, dtype=np.int64)
    origin[:n_real] = np.arange(n_real)
    block = 65536
    for start in range(n_real, n, block):
        stop = min(n, start + block)
        src = rng.integers(0, len(real), size=stop - start)
        rows = real[src] + rng.normal(0.0, noise, size=(stop - start, real.shape[1])).astype(np.float32)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        out[start:stop] = rows
        origin[start:stop] = src
    return out, origin


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    _, ids = flat.search(queries, k)
    faiss.omp_set_num_threads(1)
    return ids


def recall_at(found: list[np.ndarray], truth: np.ndarray, k: int) -> float:
    return float(np.mean([len(set(f[:k].tolist()) & set(t[:k].tolist())) / k for f, t in zip(found, truth)]))


def bench_local(vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, work: Path, nprobe: int) -> dict:
    before = rss_mb()
    started = time.perf_counter()
    index = vector_index.build(vectors, exact_max=0)
    build_s = time.perf_counter() - started
    path = work / "index.faiss"
    vector_index.save(index, path)
    grown = rss_mb() - before
    lat, found = [], []
    for _ in range(3):  # three rounds over the questions: the first warms the caches
        for q in queries:
            t = time.perf_counter()
            ids, _ = vector_index.search(index, q, 10, nprobe=nprobe)
            lat.append((time.perf_counter() - t) * 1000)
            if len(found) < len(queries):
                found.append(ids)
    p50, p95 = percentiles(lat[len(queries):])
    del index
    return {
        "index": f"IVFFlat(nlist={vector_index._nlist_for(len(vectors))}), nprobe {nprobe}",
        "build_s": round(build_s, 1), "disk_mb": round(disk_mb(path) + vectors.nbytes / 1e6, 1),
        "index_memory_mb": round(grown, 1), "query_p50_ms": round(p50, 2), "query_p95_ms": round(p95, 2),
        "recall@10": round(recall_at(found, truth, 10), 3),
    }


def bench_milvus(
    vectors: np.ndarray, texts: list[str], origin: np.ndarray, queries: np.ndarray, truth: np.ndarray,
    work: Path, nprobe: int,
) -> dict:
    from pymilvus import DataType, MilvusClient

    db = work / "milvus.db"
    before = rss_mb()  # Milvus Lite 3 runs its engine inside this process
    client = MilvusClient(str(db))
    name = "passages"
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=vectors.shape[1])
    schema.add_field("text", DataType.VARCHAR, max_length=8192)
    client.create_collection(name, schema=schema)
    started = time.perf_counter()
    batch = 5000
    for start in range(0, len(vectors), batch):
        stop = min(len(vectors), start + batch)
        client.insert(name, [
            {"id": i, "vector": vectors[i], "text": texts[origin[i]][:8000]} for i in range(start, stop)
        ])
    client.flush(name)
    insert_s = time.perf_counter() - started
    nlist = vector_index._nlist_for(len(vectors))
    params = client.prepare_index_params()
    params.add_index("vector", index_type="IVF_FLAT", metric_type="IP", params={"nlist": nlist})
    started = time.perf_counter()
    client.create_index(name, params)
    while True:  # the index is built in the background: wait until every row is in it
        info = client.describe_index(name, "vector")
        if info.get("state") == "Finished" and info.get("indexed_rows", 0) >= len(vectors):
            break
        time.sleep(0.5)
    client.load_collection(name)
    index_s = time.perf_counter() - started
    lat, found = [], []
    for _ in range(3):
        for q in queries:
            t = time.perf_counter()
            res = client.search(name, [q.tolist()], limit=10, search_params={"params": {"nprobe": nprobe}})
            lat.append((time.perf_counter() - t) * 1000)
            if len(found) < len(queries):
                found.append(np.array([hit["id"] for hit in res[0]], dtype=np.int64))
    p50, p95 = percentiles(lat[len(queries):])
    memory = rss_mb() - before
    client.close()
    return {
        "index": f"IVF_FLAT(nlist={nlist}), nprobe {nprobe}",
        "insert_s": round(insert_s, 1), "index_s": round(index_s, 1), "disk_mb": round(disk_mb(db), 1),
        "memory_mb": round(memory, 1), "query_p50_ms": round(p50, 2), "query_p95_ms": round(p95, 2),
        "recall@10": round(recall_at(found, truth, 10), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a data folder holding the full news index")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated passage counts")
    parser.add_argument("--noise", type=float, default=0.04)
    parser.add_argument("--nprobe", type=int, default=32)
    parser.add_argument("--milvus", action="store_true", help="also measure Milvus Lite (pymilvus, milvus-lite)")
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    engine = Engine(EngineSettings(data_dir=args.data_dir))
    gen = engine.generation
    real = np.asarray(gen.vectors, dtype=np.float32)
    texts = [gen.chunk_text(i) for i in range(gen.size)] if args.milvus else []
    questions = [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()]
    queries = np.stack([engine.embed_query(q) for q in questions]).astype(np.float32)
    log.info("%d real passages, %d questions", len(real), len(queries))

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="scale-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"real_passages": len(real), "questions": len(queries), "noise": args.noise, "sizes": {}}
    for n in (int(s) for s in args.sizes.split(",")):
        vectors, origin = synthesize(real, n, args.noise)
        truth = exact_top(vectors, queries, 10)
        row: dict = {"local": bench_local(vectors, queries, truth, work, args.nprobe)}
        log.info("%d local: %s", n, row["local"])
        if args.milvus:
            sub = work / f"milvus-{n}"
            sub.mkdir(exist_ok=True)
            row["milvus_lite"] = bench_milvus(vectors, texts, origin, queries, truth, sub, args.nprobe)
            log.info("%d milvus lite: %s", n, row["milvus_lite"])
            shutil.rmtree(sub, ignore_errors=True)
        local = row["local"]
        row["per_passage"] = {
            "local_disk_bytes": round(local["disk_mb"] * 1e6 / n),
            "local_memory_bytes": round(local["index_memory_mb"] * 1024 * 1024 / n),
            "local_build_s_per_100k": round(local["build_s"] * 1e5 / n, 2),
        }
        if "milvus_lite" in row:
            row["per_passage"]["milvus_disk_bytes"] = round(row["milvus_lite"]["disk_mb"] * 1e6 / n)
        results["sizes"][str(n)] = row
        print(json.dumps({str(n): row}, indent=2), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    if args.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
