"""The textbook pipeline the engine is measured against, on the same corpus and model.

LangChain's RecursiveCharacterTextSplitter (1000 characters, 200 overlap) + HuggingFaceEmbeddings
+ FAISS.from_documents: what most tutorials build. Needs the ``bench`` extra
(``pip install -e '.[bench]'``); the project itself does not depend on LangChain.
"""

from __future__ import annotations

import time
from pathlib import Path

from embeddings.documents import iter_files, read_file
from embeddings.encoder import resolve_model
from embeddings.errors import DocumentRejected
from embeddings.settings import DEFAULT_MODEL


def _documents(corpus: Path) -> list:
    """The corpus's files as LangChain documents (both pipelines read the same ``Document``s)."""
    from langchain_core.documents import Document as LCDocument

    docs = []
    for doc_id, path in iter_files([corpus]):
        try:
            d = read_file(doc_id, path)
        except DocumentRejected:
            continue
        docs.append(LCDocument(page_content=d.text, metadata={"doc_id": doc_id, "title": d.title}))
    return docs


def _index(docs: list, model: str) -> tuple[object, int]:
    """What the tutorial times: the embedding model loaded, the documents split, embedded into FAISS."""
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = HuggingFaceEmbeddings(model_name=resolve_model(model), model_kwargs={"device": "cpu"})
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    return FAISS.from_documents(chunks, embeddings), len(chunks)


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.textbook CORPUS``: the tutorial's index in a process of its own, as a user
    runs the script (imports and model load included; ``benchmarks.index_speed --new-processes``)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.textbook CORPUS_DIR", file=sys.stderr)
        return 2
    docs = _documents(Path(args[0]))
    _, chunks = _index(docs, DEFAULT_MODEL)
    print(f"{len(docs)} documents, {chunks} chunks")
    return 0


def run_textbook(corpus: Path, questions: list[dict], model: str = DEFAULT_MODEL) -> dict:
    # Loading files is not part of either pipeline's timed work: both read the same Documents.
    docs = _documents(corpus)

    import os

    import torch
    # Imported before the clock starts, as before: the timed work is the tutorial's, not its imports.
    from langchain_community.vectorstores import FAISS  # noqa: F401
    from langchain_huggingface import HuggingFaceEmbeddings  # noqa: F401
    from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: F401

    # Run as a standalone script would: on every core (the engine pins OpenMP to one thread for
    # its query path, and this runs in the same process).
    torch.set_num_threads(os.cpu_count() or 1)
    t0, cpu0 = time.perf_counter(), time.process_time()
    store, n_chunks = _index(docs, model)
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0

    at1 = at5 = 0
    for q in questions:
        found: list[str] = []
        for hit in store.similarity_search(q["question"], k=20):
            if hit.metadata["doc_id"] not in found:
                found.append(hit.metadata["doc_id"])
        gold = set(q["gold_docs"])
        at1 += bool(found[:1] and found[0] in gold)
        at5 += bool(gold & set(found[:5]))
    n = max(1, len(questions))
    return {
        "documents": len(docs),
        "chunks": n_chunks,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "chunks_per_s": round(n_chunks / seconds, 1),
        "documents_per_s": round(len(docs) / seconds, 2),
        "hit@1": round(at1 / n, 3),
        "hit@5": round(at5 / n, 3),
    }


if __name__ == "__main__":
    raise SystemExit(main())
