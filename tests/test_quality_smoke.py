"""The answer-quality benchmark runs end to end on the small corpora and prints every figure it promises."""

from __future__ import annotations

import json


from benchmarks import quality
from embeddings.indexer import onnx_dir


def test_quality_prints_small_corpus_figures(tmp_path, session_index, capsys):
    work = tmp_path / "work"
    for name in ("community", "seeds"):  # reuse the session's ONNX export instead of exporting twice
        target = onnx_dir(session_index.model_copy(update={"data_dir": work / name}))
        target.parent.mkdir(parents=True)
        target.symlink_to(onnx_dir(session_index))
    out_dir = tmp_path / "out"
    assert quality.main(["--no-news", "--work-dir", str(work), "--out", str(out_dir)]) == 0
    result = json.loads(capsys.readouterr().out)
    community = result["community_all"]
    assert community["answerable"] >= 40 and community["unanswerable"] >= 20
    assert 0 <= community["phrase_quoted"] <= community["answered"] <= 1
    assert result["offtopic_test_refused_community"] > 0.5
    assert result["seeds"]["answerable"] >= 10
    assert set(result["community_test_half"]) >= {"answered", "phrase_quoted", "refused", "sources_per_answer"}
    filtered = result["community_filtered"]  # each answerable question asked of its own note
    assert filtered["phrase_quoted"] <= filtered["answered"] and filtered["answered"] >= community["answered"] - 0.05
    assert filtered["offtopic_test_refused"] > 0.5
    rows = [json.loads(line) for line in (out_dir / "questions.jsonl").read_text().splitlines()]
    assert {r["set"] for r in rows} == {"community", "offtopic@community", "seeds", "community@note", "unanswerable@note",
                                        "offtopic@note"}
    assert all(r["filters"]["doc_ids"] for r in rows if r["set"].endswith("@note") and "filters" in r)
    assert all("quotes" in r and "evidence" in r for r in rows)


def test_the_fits_second_step_refuses_no_answerable_question():
    """``staged_weight``: on top of each question's log-odds from the first step, the weight that fits
    best among those that leave every answerable question answered at the cut: questions no such weight
    can decide do not drag it into refusing an answerable one."""
    import numpy as np

    cut = 0.5  # logit 0
    # Answerable: log-odds 4, lacking 0 or 0.5 of a word; unanswerable: log-odds 4, lacking 2.
    off = np.array([4.0, 4.0, 4.0, 4.0, 4.0])
    x = np.array([0.0, 0.5, 2.0, 2.0, 2.0])
    y = np.array([True, True, False, False, False])
    w = quality.staged_weight(off, x, y, cut, -1)
    assert -8.0 <= w < -2.0  # refuses the three unanswerable ones, answers both answerable ones
    z = off + w * x
    assert (z[y] >= 0).all() and (z[~y] < 0).all()
    # Unanswerable questions lacking a common word only (log-odds 10, lacking 0.3: refusing them would
    # need a weight below -33): log-loss alone would follow them and refuse the answerable one lacking 0.5.
    off2, x2, y2 = np.r_[off, [10.0] * 5], np.r_[x, [0.3] * 5], np.r_[y, [False] * 5]
    w2 = quality.staged_weight(off2, x2, y2, cut, -1)
    assert w2 >= -8.0 and (off2 + w2 * x2)[y2].min() >= 0
    assert quality.staged_weight(off2, x2, y2, cut, -1, top=60.0) > quality.staged_weight(
        off2, x2, y2, 0.0001, -1, top=60.0)  # with no answer to keep (cut ~0), it follows them
    # A feature that decides nothing gets no weight.
    assert quality.staged_weight(off, np.zeros(5), y, cut, -1) == 0.0
