"""The conversation benchmark runs end to end on a small folder and prints every figure it promises."""

from __future__ import annotations

import json

from benchmarks import conversations
from embeddings.indexer import onnx_dir
from tests.conftest import make_docs

CONVERSATIONS = [
    {"id": "etna", "turns": [
        {"question": "Which airport did the Etna eruption close?", "phrase": ["Catania"]},
        {"question": "for how long?", "phrase": ["six hours"], "kind": "ellipsis"},
        {"question": "what did the Pope say about it?", "kind": "unanswerable", "answerable": False},
    ]},
    {"id": "kremlin-then-etna", "turns": [
        {"question": "What did Peskov say about a meeting between Putin and Zelenskyy?", "phrase": ["certain document"]},
        {"question": "Which airport did the Etna eruption close?", "phrase": ["Catania"], "kind": "new-topic"},
    ]},
]


def test_conversation_benchmark_prints_both_figures(tmp_path, session_index, capsys):
    work = tmp_path / "work"
    target = onnx_dir(session_index.model_copy(update={"data_dir": work / "index"}))
    target.parent.mkdir(parents=True)
    target.symlink_to(onnx_dir(session_index))  # reuse the session's ONNX export
    data = tmp_path / "conversations.jsonl"
    data.write_text("\n".join(json.dumps(c) for c in CONVERSATIONS))
    out = tmp_path / "out"
    assert conversations.main(["--docs", str(make_docs(tmp_path / "docs")), "--conversations", str(data),
                               "--work-dir", str(work), "--out", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["conversations"] == 2 and result["follow_ups"] == 3
    assert result["first_turns_right"]["right"] == 2
    follow = result["answerable_follow_ups"]
    assert follow["context_free"] == {"right": 1, "of": 2, "share": 0.5}, "only the new topic stands alone"
    assert follow["conversation_aware"] == {"right": 2, "of": 2, "share": 1.0}
    assert result["unanswerable_follow_ups_refused"]["conversation_aware"]["right"] == 1
    assert result["read_as"] == {"follow-up": 2, "new-topic": 1}
    assert set(result["by_kind"]) == {"ellipsis", "unanswerable", "new-topic"}
    rows = [json.loads(line) for line in (out / "turns.jsonl").read_text().splitlines()]
    assert len(rows) == 5 and all("aware_quotes" in r for r in rows)


def test_conversation_benchmark_skips_without_the_corpus(tmp_path, capsys):
    assert conversations.main(["--corpus", str(tmp_path / "absent"), "--work-dir", str(tmp_path / "w")]) == 0
    assert "skipped" in json.loads(capsys.readouterr().out)
