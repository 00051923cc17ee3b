"""What sentence vectors cost at index time: three ways to get them, timed in one run.

    python -m benchmarks.sentence_vectors [--corpus DIR] [--docs 300]

For the first N documents of a corpus, chunked as the indexer chunks them, it times
(a) chunk vectors only (the index before sentence evidence),
(b) late chunking: chunk and sentence vectors from one forward pass (what the indexer does), and
(c) chunk vectors plus every sentence embedded on its own (the textbook way),
and prints the sizes the sentence vectors take stored as int8. The fourth option, embedding the
candidates' sentences at query time, costs nothing here and is measured by
``benchmarks.quality --engine-setting sentence_vectors=query`` (quality and latency).
Repeat rounds alternate the order, so a noisy machine hurts each option alike.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from embeddings.chunking import embedded_texts
from embeddings.documents import iter_files, read_file
from embeddings.encoder import TokenCounter, TorchEncoder
from embeddings.errors import DocumentRejected
from embeddings.indexer import chunk_document
from embeddings.sentences import quotable_sentences
from embeddings.settings import EngineSettings

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    shared = Path(os.environ.get("DOCBOT_SHARED_DIR", ROOT.parent / "shared"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=shared / "corpora" / "news2022")
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(json.dumps({"skipped": f"corpus {args.corpus} not found"}))
        return 0
    settings = EngineSettings(_env_file=None)
    enc = TorchEncoder(settings.model, precision=settings.embed_precision)
    count = TokenCounter(enc.tokenizer_path) if enc.tokenizer_path else None
    texts: list[str] = []
    offsets: list[list[tuple[int, int]]] = []
    sentences: list[str] = []
    for doc_id, path in iter_files([args.corpus])[: args.docs]:
        try:
            doc = read_file(doc_id, path)
        except DocumentRejected:
            continue
        spans = chunk_document(doc, settings, *([count] if count else []))
        for (start, end), (text, at) in zip(spans, embedded_texts(doc.title, doc.text, spans)):
            sents = quotable_sentences(doc.text, start, end, title=doc.title)
            texts.append(text)
            offsets.append([(s.start - start + at, s.end - start + at) for s in sents])
            sentences.extend(doc.text[s.start : s.end] for s in sents)
    batch = settings.embed_batch_size
    enc.encode(texts[:batch], batch_size=batch)  # warm-up
    timings: dict[str, list[float]] = {"chunks_only": [], "late_chunking": [], "separate_sentences": []}
    runs = {
        "chunks_only": lambda: enc.encode(texts, batch_size=batch),
        "late_chunking": lambda: enc.encode_with_sentences(texts, offsets, batch_size=batch),
        "separate_sentences": lambda: (enc.encode(texts, batch_size=batch), enc.encode(sentences, batch_size=batch)),
    }
    for r in range(args.rounds):
        for name in (list(runs) if r % 2 == 0 else list(reversed(runs))):
            t = time.perf_counter()
            runs[name]()
            timings[name].append(time.perf_counter() - t)
    best = {k: min(v) for k, v in timings.items()}
    dim = enc.dimension
    print(json.dumps({
        "documents": args.docs, "chunks": len(texts), "sentences": len(sentences),
        "seconds_best_of_rounds": {k: round(v, 2) for k, v in best.items()},
        "relative_to_chunks_only": {k: round(v / best["chunks_only"], 2) for k, v in best.items()},
        "sentence_vectors_bytes_per_sentence_int8": dim + 4 + 24,
        "chunk_vector_bytes_fp32": dim * 4,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
