"""Answer-quality benchmark: every figure of the answer-quality targets from one command.

    python -m benchmarks.quality --news-data-dir DIR [--cv] [--fit] [--out DIR]

Indexes (or reuses) three corpora: the news2022 articles (``--corpus``, evaluation only, read from
``../shared``), the small community corpus in ``benchmarks/data/community`` and the shipped
``seeds/``. Then, for each, it asks its questions and prints JSON with:

* news2022 dev: hit@1 and hit@5 of ``search``, a gold article among the cited sources, the gold
  answer string inside a quote, a quote overlapping the evidence passage, answered rate, excerpts and
  sources per answer, ``ask`` latency p50/p95 in-process;
* refusal rate on the held-out (``test``) half of the off-topic set, over news2022 and over the
  community corpus apart;
* community and seeds: answered rate, required phrase quoted, refusal of their unanswerable ones;
* the dev questions asked with a date window or of one article, and near misses and off-topic
  questions asked with the same filters (``filtered_figures``, ``note_filtered_figures``);
* a per-question JSONL file (``--out``) to read the failures.

``--cv`` chooses the evidence weights by 5-fold cross-validation on the dev set (grid search on four
folds, scored on the fifth) and prints each fold's held-out figures and their spread. ``--fit`` fits
the abstention model (logistic regression) on the tune halves, the weight of the words no document
holds in a second step (``fit_staged``), and prints its coefficients. Neither
changes the code: the printed values are what ``evidence.Params`` holds.

``--wrap-community 72`` asks the community questions of the same notes hard-wrapped at 72 columns
(paragraphs and list items; headings kept), as notes written in an editor that wraps lines are: a
required phrase may then span a line break, so phrases and quotes are compared with their white
space collapsed (``benchmarks.phrases``, the judgement ``benchmarks.notes`` makes too).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import json
import logging
import math
import os
import statistics
import sys
import re
import tempfile
import textwrap
from pathlib import Path

import numpy as np

from benchmarks.bench import latency, load_questions, overlaps, quiz_date, report, words_inside
from benchmarks.phrases import phrase_quoted
from embeddings import Answer, Engine, EngineSettings, InvalidRequest, SourceNotFound
from embeddings import answer
from embeddings.evidence import (DEFAULT_PARAMS, FEATURE_SIGNS, FEATURES, STAGED, Params, apply_all, best_sentence, features,
                                 rerank)
from embeddings.null_questions import NULL_QUESTIONS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
log = logging.getLogger("quality")

#: What ``--cv`` searches: sentence coverage weight, chunk-cosine and fused-rank weights in the
#: passage score, the answer-type bonus, the quote margin, the document-support bonus of the
#: ranking, the lead prior, the recency prior, the MMR diversity of the quotes and the focus bonus
#: (5,184 settings, ~20 minutes on this project's 2-core machine: each only re-weighs features
#: computed once; values that earlier runs never chose were dropped). Lead 0.3 and recency 0.2 are
#: not offered: the folds re-weigh without abstention and chose them, but the engine cannot ship
#: them (lead 0.3 drops the answering quote of a seeds question, tests/test_absent_words.py; recency
#: 0.2 refuses 4 dev questions, answered 0.949 against the 0.97 target; README, "Recency").
#: The chunk weight stays 0.5: at 1.0 (chosen by 3 folds of 5 when offered) a two-part question
#: ("What closed Catania airport, and which ship carried corn to Lebanon?") loses its second
#: answer, whose chunk matches less of the whole question, to the quote margin
#: (tests/test_answer.py), which the dev set's one-part questions cannot see.
GRID = {
    "coverage": [0.35, 0.5],
    "chunk": [0.5],
    "fused": [0.15, 0.3, 0.5],
    "margin": [0.2, 0.3],
    "answer_type": [0.0, 0.1],
    "doc_support": [0.0, 0.01, 0.02, 0.05],
    "lead": [0.0, 0.1, 0.2],
    "recency": [0.0, 0.05, 0.1],
    "diversity": [0.0, 0.1, 0.2],
    "focus": [0.0, 0.05],
}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def engine_for(data_dir: Path, docs: Path, params: Params = DEFAULT_PARAMS, **overrides) -> Engine:
    """An engine over ``docs``, indexing into ``data_dir`` unless an index is already there."""
    settings = EngineSettings(data_dir=data_dir, docs_dir=docs, _env_file=None, **overrides)
    engine = Engine(settings, evidence_params=params)
    if not (data_dir / "CURRENT").exists():
        log.warning("indexing %s into %s", docs, data_dir)
        engine.reindex()
    return engine.load()


# ---------------------------------------------------------------------------------------- news
def _judge(q: dict, ans, docs: list[str]) -> dict:
    """The answer-quality figures of one dev question: the one definition ``--cv`` and the report share."""
    gold = set(q["gold_docs"])
    quoted = " ".join(" ".join(e.text.lower().split()) for e in ans.excerpts)  # a wrapped quote's newlines
    return {
        "answered": ans.answered, "hit@1": bool(docs[:1] and docs[0] in gold), "hit@5": bool(gold & set(docs[:5])),
        "cited_gold": bool(gold & {s.doc_id for s in ans.sources}),
        "answer_in_quote": any(a.lower() in quoted for a in q.get("answer", [])),
        "answer_words_in_quote": any(words_inside(a, quoted) for a in q.get("answer", [])),
        "evidence_overlap": any(overlaps(e.text, q["evidence"]) for e in ans.excerpts if e.doc_id in gold),
        "excerpts": len(ans.excerpts), "sources": len(ans.sources),
    }


def asked_on(q: dict) -> dt.date | None:
    """The day a question is asked: a dev question's quiz date (its id starts ``YYYYMMDD``), which its
    "this week" counts back from, as the bot counts back from its message's date; None under
    ``--undated`` or for a question without one."""
    return q.get("asked_on")


def quiz_dates(dev: list[dict]) -> None:
    """Give each dev question the date of the quiz that asked it (``asked_on``)."""
    for q in dev:
        day = quiz_date(q)
        if day is not None:
            q["asked_on"] = day


def news_record(engine: Engine, q: dict, corpus: Path) -> dict:
    ans = engine.ask(q["question"], asked_on=asked_on(q))
    docs: list[str] = []
    for h in engine.search(q["question"], k=20, asked_on=asked_on(q)):
        if h.doc_id not in docs:
            docs.append(h.doc_id)
    return {
        "set": "news", "question": q["question"], "evidence": ans.evidence, **_judge(q, ans, docs),
        "gold": sorted(q["gold_docs"]), "cited": [s.doc_id for s in ans.sources], "top_docs": docs[:5],
        "answers": q.get("answer", []), "quotes": [e.text for e in ans.excerpts],
    }


def news_figures(records: list[dict]) -> dict:
    n = len(records) or 1
    answered = [r for r in records if r["answered"]]
    out = {k: round(sum(r[k] for r in records) / n, 3)
           for k in ("hit@1", "hit@5", "cited_gold", "answer_in_quote", "answer_words_in_quote", "evidence_overlap",
                     "answered")}
    out["questions"] = len(records)
    out["excerpts_per_answer"] = round(statistics.fmean(r["excerpts"] for r in answered), 2) if answered else 0
    out["sources_per_answer"] = round(statistics.fmean(r["sources"] for r in answered), 2) if answered else 0
    return out


def objective(records: list[dict]) -> float:
    """What ``--cv`` maximises: the mean of the four answer-quality figures."""
    f = news_figures(records)
    return (f["hit@1"] + f["cited_gold"] + f["answer_in_quote"] + f["evidence_overlap"]) / 4


# ----------------------------------------------------------------------------- phrase sets
#: The date window of ``filtered_figures``: this many days, up to and including each quiz's date.
FILTER_DAYS = 7


def _asks(engine: Engine, question: str, **filters) -> Answer | None:
    """``engine.ask`` with ``filters``; None when the engine refuses them (no document in the window,
    an unknown document: another corpus than news2022's)."""
    try:
        return engine.ask(question, **filters)
    except (InvalidRequest, SourceNotFound):
        return None


def _filtered_record(label: str, question: str, filters: dict, ans: Answer) -> dict:
    """A filtered question's row of ``questions.jsonl``: what it was asked with and what it got."""
    return {"set": label, "question": question,
            "filters": {k: str(v) if isinstance(v, dt.date) else v for k, v in filters.items()},
            "answered": ans.answered, "evidence": ans.evidence, "cited": [x.doc_id for x in ans.sources],
            "quotes": [e.text for e in ans.excerpts]}


def filtered_figures(engine: Engine, dev: list[dict], off_test: list[dict]) -> tuple[dict, list[dict]]:
    """The dev questions asked with filters, as a user narrowing a question asks them: within the
    ``FILTER_DAYS`` days up to each quiz's date, and of one gold article alone; and near misses: each
    dev question asked of the other article nearest its quiz's date in that window (the same days'
    news, often on the question's subject: an answer there is mostly wrong, but can be right when that
    article covers the same event), and the off-topic test half asked with a dev question's window or
    article in turn. Also the rows for ``questions.jsonl``. A gold article dated outside its quiz's
    window (3 of the 79) cannot be cited within it."""
    def window(q: dict) -> dict:
        day = quiz_date(q)
        return {"since": day - dt.timedelta(days=FILTER_DAYS - 1), "until": day, "asked_on": day}

    def article(q: dict) -> dict:
        return {"doc_ids": sorted(q["gold_docs"])[:1]}

    out: dict = {"window_days": FILTER_DAYS}
    records: list[dict] = []
    for name, ask_with in (("window", window), ("one_article", article)):
        answers = []
        for q in dev:
            if (a := _asks(engine, q["question"], **ask_with(q))) is not None:
                answers.append((q, a))
                records.append(_filtered_record(f"news@{name}", q["question"], ask_with(q), a))
        off = []
        for i, q in enumerate(off_test):
            if (a := _asks(engine, q["question"], **ask_with(dev[i % len(dev)]))) is not None:
                off.append(a)
                records.append(_filtered_record(f"offtopic@{name}", q["question"], ask_with(dev[i % len(dev)]), a))
        n = len(answers) or 1
        judged = [_judge(q, a, []) for q, a in answers]  # as the unfiltered dev figures are judged
        out[name] = {
            "dev_asked": len(answers),
            **{f"dev_{key}": round(sum(j[key] for j in judged) / n, 3)
               for key in ("answered", "cited_gold", "answer_in_quote")},
            "offtopic_test_refused": round(sum(not a.answered for a in off) / (len(off) or 1), 3),
        }
    dated = sorted(((d.date, d.doc_id) for d in engine.sources() if d.date is not None), reverse=True)
    near = []
    for q in dev:
        w = window(q)
        other = next((doc for day, doc in dated if w["since"] <= day <= w["until"] and doc not in q["gold_docs"]), None)
        if other is not None and (a := _asks(engine, q["question"], doc_ids=[other])) is not None:
            near.append(a)
            records.append(_filtered_record("news@other-article", q["question"], {"doc_ids": [other]}, a))
    out["other_article_of_the_window"] = {"asked": len(near),
                                          "answered": round(sum(a.answered for a in near) / (len(near) or 1), 3)}
    return out, records


def note_filtered_figures(engine: Engine, community_qs: list[dict], off_test: list[dict]) -> tuple[dict, list[dict]]:
    """``filtered_figures`` for the small corpus: the community's answerable questions asked of their own
    note alone (``--doc``); its unanswerable ones asked of every note, and the off-topic test half of one
    note each in turn, which must stay refused. Also the rows for ``questions.jsonl``."""
    answerable = [q for q in community_qs if q["answerable"] and q.get("doc")]
    notes = sorted({q["doc"] for q in answerable})
    records = [phrase_record(engine, {**q, "doc_ids": [q["doc"]]}, "community@note") for q in answerable]
    others = [_filtered_record(label, q["question"], {"doc_ids": [note]}, engine.ask(q["question"], doc_ids=[note]))
              for label, pairs in (
                  ("unanswerable@note", [(q, note) for q in community_qs if not q["answerable"] for note in notes]),
                  ("offtopic@note", [(q, notes[i % len(notes)]) for i, q in enumerate(off_test)]))
              for q, note in pairs]
    unanswerable = [r for r in others if r["set"] == "unanswerable@note"]
    off = [r for r in others if r["set"] == "offtopic@note"]
    n = len(records) or 1
    return {"answered": round(sum(r["answered"] for r in records) / n, 3),
            "phrase_quoted": round(sum(r["phrase_quoted"] for r in records) / n, 3),
            "unanswerable_asked_of_each_note_refused": round(
                sum(not r["answered"] for r in unanswerable) / (len(unanswerable) or 1), 3),
            "offtopic_test_refused": round(sum(not r["answered"] for r in off) / (len(off) or 1), 3)}, records + others


def phrase_record(engine: Engine, q: dict, label: str) -> dict:
    ans = engine.ask(q["question"], asked_on=asked_on(q), doc_ids=q.get("doc_ids"))
    rec = {"set": label, "question": q["question"], "answerable": q.get("answerable", False),
           "split": q.get("split"), "domain": q.get("domain"), "answered": ans.answered,
           "evidence": ans.evidence, "sources": len(ans.sources), "excerpts": len(ans.excerpts),
           "quotes": [e.text for e in ans.excerpts]}
    if q.get("phrase"):
        rec["phrase"] = q["phrase"]
        rec["phrase_quoted"], _ = phrase_quoted(q, rec["quotes"])
    return rec


def phrase_figures(records: list[dict]) -> dict:
    pos = [r for r in records if r["answerable"]]
    neg = [r for r in records if not r["answerable"]]
    out: dict = {}
    if pos:
        out["answerable"] = len(pos)
        out["answered"] = round(sum(r["answered"] for r in pos) / len(pos), 3)
        out["phrase_quoted"] = round(sum(r.get("phrase_quoted", False) for r in pos) / len(pos), 3)
        answered = [r for r in pos if r["answered"]]
        if answered:
            out["sources_per_answer"] = round(statistics.fmean(r["sources"] for r in answered), 2)
            out["excerpts_per_answer"] = round(statistics.fmean(r["excerpts"] for r in answered), 2)
    if neg:
        out["unanswerable"] = len(neg)
        out["refused"] = round(sum(not r["answered"] for r in neg) / len(neg), 3)
    return out


# ------------------------------------------------------------------------------------- CV
def _folds(n: int, k: int = 5, seed: int = 11) -> list[list[int]]:
    idx = list(range(n))
    np.random.default_rng(seed).shuffle(idx)
    return [sorted(idx[i::k]) for i in range(k)]


def _reweighed_record(engine: Engine, q: dict, cached: tuple, params: Params) -> dict:
    """``news_record`` for other evidence weights, from passages scored once (no abstention)."""
    passages, texts = cached
    gen = engine.generation
    apply_all(passages, params)  # together, as the engine scores them (a passage's weights can depend on the others')
    ranked = rerank(passages, params)
    docs: list[str] = []
    for p in ranked:
        if gen.doc_id(p.doc) not in docs:
            docs.append(gen.doc_id(p.doc))
    ans = answer.build(q["question"], gen, ranked, texts, min_evidence=0.0,
                       max_excerpts=engine.settings.max_excerpts, params=params)
    return _judge(q, ans, docs)


def cross_validate(engine: Engine, dev: list[dict]) -> dict:
    """Grid-search the evidence weights on four folds, score on the fifth; the spread across folds.

    Sentence features are computed once per question; each setting only re-weighs them, which is
    what the engine would compute with those weights (``evidence.apply``).
    """
    keys = list(GRID)
    combos = [dict(zip(keys, vals)) for vals in itertools.product(*(GRID[k] for k in keys))]
    base = engine.evidence_params
    cache = [engine.passages(q["question"], asked_on=asked_on(q)) for q in dev]
    per_combo = [
        [_reweighed_record(engine, q, c, dataclasses.replace(base, **combo)) for q, c in zip(dev, cache)]
        for combo in combos
    ]
    folds = _folds(len(dev))
    held_out = []
    for f, test in enumerate(folds):
        train = [i for i in range(len(dev)) if i not in set(test)]
        best = max(range(len(combos)), key=lambda c: objective([per_combo[c][i] for i in train]))
        figs = news_figures([per_combo[best][i] for i in test])
        held_out.append({"fold": f, "chosen": combos[best], **figs})
    overall = max(range(len(combos)), key=lambda c: objective(per_combo[c]))
    summary = {}
    for key in ("hit@1", "hit@5", "cited_gold", "answer_in_quote", "evidence_overlap"):
        vals = [h[key] for h in held_out]
        summary[key] = {"mean": round(statistics.fmean(vals), 3), "min": min(vals), "max": max(vals),
                        "stdev": round(statistics.pstdev(vals), 3)}
    return {"grid": GRID, "folds": held_out, "held_out": summary,
            "chosen_on_all_dev": combos[overall], "objective_on_all_dev": round(objective(per_combo[overall]), 3)}


# ------------------------------------------------------------------------------------ fit
def _fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1e-2, iters: int = 50) -> np.ndarray:
    """Weighted, L2-regularised logistic regression by Newton's method; returns [bias, coefs...]."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(xb.shape[1])
    reg = np.eye(xb.shape[1]) * l2
    reg[0, 0] = 0.0
    for _ in range(iters):
        p = 0.5 * (1 + np.tanh(0.5 * (xb @ beta)))  # the sigmoid, without exp's overflow
        grad = xb.T @ (w * (p - y)) + reg @ beta
        hess = (xb * (w * p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def _fit_signed(x: np.ndarray, y: np.ndarray, w: np.ndarray, signs: list[int]) -> np.ndarray:
    """:func:`_fit_logistic` with each coefficient kept to its sign (``signs``: +1, -1 or 0 for free).

    An active set: fit, drop the feature whose coefficient has the wrong sign by the most (its weight
    becomes 0), fit again, until every sign holds. Returns [bias, coefs...] over all features.
    """
    free = list(range(x.shape[1]))
    while True:
        beta = _fit_logistic(x[:, free], y, w)
        wrong = [(abs(beta[k + 1]), j) for k, j in enumerate(free) if signs[j] * beta[k + 1] < 0]
        if not wrong:
            full = np.zeros(x.shape[1] + 1)
            full[0] = beta[0]
            full[[j + 1 for j in free]] = beta[1:]
            return full
        free.remove(max(wrong)[1])


def top_features(engine: Engine, question: str) -> list[float] | None:
    passages, _ = engine.passages(question)
    best = best_sentence(passages)
    return features(*best) if best else None


def answering_cut(engine: Engine, dev: list[dict], share: float) -> float:
    """The highest ``min_evidence`` (two decimals, rounded down) that still answers ``share`` of ``dev``:
    printed after a fit: ``DOCBOT_MIN_EVIDENCE``'s default must not be above it."""
    evidence = sorted(engine.ask(q["question"], asked_on=asked_on(q)).evidence for q in dev)
    keep = math.ceil(share * len(evidence) - 1e-9)
    return math.floor(evidence[len(evidence) - keep] * 100) / 100


def fit_groups(news: Engine, community: Engine, seeds: Engine, dev: list[dict], off_tune: list[str],
               community_qs: list[dict]) -> list[tuple[Engine, list[str], int]]:
    """What ``--fit`` learns from: answerable questions (the dev set, the community tune half) against
    off-topic ones (the off-topic tune half over news2022 and over the community notes, and the
    package's own null questions over each of the three corpora, ``embeddings.null_questions``).

    The community's *unanswerable* questions ("Who is the vice-treasurer?") are not among the
    negatives: they share the community's words and topic, so the only features that set them apart
    from the answerable ones (cosine, surprise) are the ones that must carry short answerable questions
    over the null; fitted with them, the model refused 0.19 of the answerable community test half.
    They weigh only the features of ``evidence.STAGED`` (``fit_staged``, the fit's second step), and are
    reported on the test half (``community_test_half.refused``)."""
    return [
        (news, [q["question"] for q in dev], 1),
        (news, off_tune, 0),
        (community, [q["question"] for q in community_qs if q["answerable"] and q["split"] == "tune"], 1),
        (community, off_tune, 0),
        *((engine, list(NULL_QUESTIONS), 0) for engine in (news, community, seeds)),
    ]


def fit_abstention(groups: list[tuple[Engine, list[str], int]]) -> dict:
    """Fit P(answers) on (engine, questions, label) groups.

    Both labels weigh the same in total, and within a label every group weighs the same, so 280
    off-topic questions don't outvote 79 answerable ones and each corpus counts. Each coefficient
    keeps the sign its feature's meaning gives it (``evidence.FEATURE_SIGNS``). The features of
    ``evidence.STAGED`` are held at 0 here and weighed by :func:`fit_staged`.
    """
    xs, ys, ws = [], [], []
    per_label = {label: sum(1 for _, _, lab in groups if lab == label) for _, _, label in groups}
    for engine, questions, label in groups:
        feats = [f for f in (top_features(engine, q) for q in questions) if f is not None]
        for f in feats:
            xs.append(f)
            ys.append(label)
            ws.append(1.0 / (len(feats) * per_label[label]))
    w = np.array(ws) * len(xs) / 2
    x = np.array(xs)
    x[:, [FEATURES.index(f) for f in STAGED]] = 0.0  # weighed by fit_staged
    beta = _fit_signed(x, np.array(ys, dtype=float), w, [FEATURE_SIGNS[f] for f in FEATURES])
    names = ["a_bias", *FEATURES]
    return {n: round(float(b), 3) for n, b in zip(names, beta)}


def staged_groups(community: Engine, community_qs: list[dict]) -> list[tuple[Engine, list[str], int]]:
    """What :func:`fit_staged` learns from: the community's tune half, answerable against unanswerable."""
    tune = [q for q in community_qs if q["split"] == "tune"]
    return [(community, [q["question"] for q in tune if q["answerable"]], 1),
            (community, [q["question"] for q in tune if not q["answerable"]], 0)]


def fit_staged(params: Params, groups: list[tuple[Engine, list[str], int]], cut: float | None = None) -> dict:
    """The fit's second step: the weight of ``evidence.STAGED``'s one feature, with the rest of the
    fitted model (``params``, that weight at 0) as each question's fixed log-odds.

    The community's unanswerable questions ("Does Orbit have a dark mode?") share its topic and words,
    so among the negatives of the first step they pulled the cosine and surprise weights down with them
    and cost short answerable questions their answers; here they only set how much the words the
    documents lack count.

    The weight is fitted by log-loss, as in the first step, but only among the weights that refuse no
    answerable tune question the first step answers at the cut the engine answers by (``cut``:
    ``DOCBOT_MIN_EVIDENCE``'s default; :func:`staged_weight`). Unconstrained, the log-loss was set by
    the questions no weight can decide ("What's the minimum age to join?", unanswerable, lacks only
    "minimum" and would need a weight of -37): it doubled the weight (-9.7 to -20.3) once "CLA" stopped
    counting as absent, and refused answerable questions lacking one uncommon word ("Spanish",
    "deadline", "agency") that the earlier weight answered."""
    (name,) = STAGED
    j = FEATURES.index(name)
    if cut is None:
        cut = EngineSettings.model_fields["min_evidence"].default
    kept = [(getattr(params, n), i) for i, n in enumerate(FEATURES) if n not in STAGED]
    rows = []
    for engine, questions, label in groups:
        for q in questions:
            f = top_features(engine, q)
            if f is not None:
                rows.append((params.a_bias + sum(coef * f[i] for coef, i in kept), f[j], label))
    off, x, y = (np.array(col, dtype=float) for col in zip(*rows))
    return {name: round(staged_weight(off, x, y.astype(bool), cut, FEATURE_SIGNS[name] or -1), 3)}


def staged_weight(off: np.ndarray, x: np.ndarray, y: np.ndarray, cut: float, sign: int, top: float = 60.0,
                  l2: float = 1e-2) -> float:
    """The weight w (of sign ``sign``, |w| < ``top``, in steps of 0.01) for the log-odds ``off + w x``:
    the best fit (weighted log-loss, both labels weighing the same, L2 as in the first step) among the
    weights that refuse no answerable question (``y``) the first step answers at ``cut``.

    Answering answerable questions comes first, as in the targets (1.00 of the community's answerable
    questions, no target on its unanswerable ones) and as in ``DOCBOT_MIN_EVIDENCE``'s default (the
    highest cut that still answers the dev set). Unconstrained, the log-loss was set by questions no
    weight can decide (see :func:`fit_staged`)."""
    threshold = math.log(cut / (1 - cut))
    grid = sign * np.arange(0.0, top, 0.01)
    z = off[None, :] + grid[:, None] * x[None, :]
    answered = z >= threshold
    keeps = (answered[:, y] >= answered[0, y][None, :]).all(axis=1)
    weights = np.where(y, 0.5 / max(y.sum(), 1), 0.5 / max((~y).sum(), 1)) * len(y)
    loss = (weights[None, :] * np.logaddexp(0.0, np.where(y[None, :], -z, z))).sum(axis=1) + 0.5 * l2 * grid ** 2
    return float(grid[np.flatnonzero(keeps)[np.argmin(loss[keeps])]])


_LIST_ITEM = re.compile(r"([-*+]|\d{1,3}[.)])[ \t]+")
_AS_AN_EDITOR = {"break_on_hyphens": False, "break_long_words": False}  # a URL is never cut


def hard_wrapped(source: Path, dest: Path, width: int) -> Path:
    """A copy of the notes in ``source`` with every paragraph and list item wrapped at ``width`` columns
    (``textwrap``, as an editor's hard wrap does), headings and blank lines kept: ``--wrap-community``."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if not path.is_file():
            continue
        lines = []
        for line in path.read_text(encoding="utf-8").split("\n"):
            item = _LIST_ITEM.match(line)
            if not line.strip() or line.lstrip().startswith(("#", "|", ">")):
                lines.append(line)
            elif item:
                lines.append(textwrap.fill(line, width, subsequent_indent=" " * item.end(), **_AS_AN_EDITOR))
            else:
                lines.append(textwrap.fill(line, width, **_AS_AN_EDITOR))
        (dest / path.name).write_text("\n".join(lines), encoding="utf-8")
    return dest


# ------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shared = Path(os.environ.get("DOCBOT_SHARED_DIR", ROOT.parent / "shared"))
    ap.add_argument("--corpus", type=Path, default=shared / "corpora" / "news2022")
    ap.add_argument("--questions", type=Path, default=shared / "corpora" / "news2022-qa-dev.jsonl")
    ap.add_argument("--news-data-dir", type=Path, help="the news2022 index (built here if absent)")
    ap.add_argument("--work-dir", type=Path, help="indexes of the small corpora (default: a temp folder)")
    ap.add_argument("--out", type=Path, help="write per-question records (questions.jsonl) and figures here")
    ap.add_argument("--cv", action="store_true", help="cross-validate the evidence weights on the dev set")
    ap.add_argument("--fit", action="store_true", help="fit the abstention model on the tune halves")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="override an evidence.Params field for this run, e.g. --set margin=0.2")
    ap.add_argument("--engine-setting", action="append", default=[], metavar="NAME=VALUE",
                    help="override an engine setting, e.g. sentence_vectors=query or min_evidence=0.5")
    ap.add_argument("--no-news", action="store_true", help="only the small corpora")
    ap.add_argument("--undated", action="store_true",
                    help="ask the dev questions without their quiz's date (as if asked after the newest article)")
    ap.add_argument("--wrap-community", type=int, metavar="COLUMNS",
                    help="ask the community questions of notes hard-wrapped at COLUMNS, as editors write them")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    params = dataclasses.replace(DEFAULT_PARAMS, **{k: float(v) for k, v in (s.split("=", 1) for s in args.set)})
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="quality-"))
    offtopic = _jsonl(DATA / "offtopic.jsonl")
    off_tune = [q["question"] for q in offtopic if q["split"] == "tune"]
    off_test = [q for q in offtopic if q["split"] == "test"]
    community_qs = _jsonl(DATA / "community_questions.jsonl")
    for i, q in enumerate(community_qs):  # tune / test halves, alternating within each kind
        q["split"] = "tune" if sum(1 for p in community_qs[:i] if p["answerable"] == q["answerable"]) % 2 == 0 else "test"
    seeds_qs = _jsonl(DATA / "seeds_questions.jsonl")

    overrides = dict(s.split("=", 1) for s in args.engine_setting)
    if args.wrap_community:
        notes = hard_wrapped(DATA / "community", work / f"community-notes-{args.wrap_community}", args.wrap_community)
        community = engine_for(work / f"community-{args.wrap_community}", notes, params, **overrides)
    else:
        community = engine_for(work / "community", DATA / "community", params, **overrides)
    seeds = engine_for(work / "seeds", ROOT / "seeds", params, **overrides)
    result: dict = {"params": dataclasses.asdict(params), "engine_settings": overrides}
    if args.wrap_community:
        result["community_wrapped_at"] = args.wrap_community
    records: list[dict] = []

    news = None
    if not args.no_news:
        if not args.corpus.is_dir() or not args.questions.is_file():
            result["news"] = {"skipped": f"corpus {args.corpus} or questions {args.questions} not found"}
        else:
            news = engine_for(args.news_data_dir or work / "news", args.corpus, params, **overrides)
            dev = load_questions(args.questions)
            if not args.undated:
                quiz_dates(dev)
            result["dev_asked_on"] = "undated" if args.undated else "the quiz's date"
            if args.cv:
                result["cv"] = cross_validate(news, dev)
                params = dataclasses.replace(params, **result["cv"]["chosen_on_all_dev"])
                for engine in (news, community, seeds):
                    engine.evidence_params = params
            if args.fit:
                result["fit"] = fit_abstention(fit_groups(news, community, seeds, dev, off_tune, community_qs))
                result["fit"].update(fit_staged(dataclasses.replace(params, **result["fit"]),
                                                staged_groups(community, community_qs)))
                params = dataclasses.replace(params, **result["fit"])
                for engine in (news, community, seeds):
                    engine.evidence_params = params
                result["fit"]["min_evidence_keeping_97pct_of_dev"] = answering_cut(news, dev, 0.97)
            result["params"] = dataclasses.asdict(params)
            news_records = [news_record(news, q, args.corpus) for q in dev]
            records += news_records
            result["news_dev"] = news_figures(news_records)
            # Asked on the dev questions' days in turn: a "this week" of theirs reaches the same articles.
            off_news = [phrase_record(news, {**q, "asked_on": asked_on(dev[i % len(dev)])}, "offtopic@news")
                        for i, q in enumerate(off_test)]
            records += off_news
            result["offtopic_test_refused_news"] = phrase_figures(off_news)["refused"]
            result["news_latency"] = latency(news, [q["question"] for q in dev], rounds=2,
                                             asked=[asked_on(q) for q in dev])
            if all(quiz_date(q) for q in dev):
                result["news_filtered"], filtered = filtered_figures(news, dev, off_test)
                records += filtered
            else:
                result["news_filtered"] = {"skipped": "some dev questions have no quiz date to filter by"}

    comm_records = [phrase_record(community, q, "community") for q in community_qs]
    records += comm_records
    result["community_test_half"] = phrase_figures([r for r in comm_records if r["split"] == "test"])
    result["community_all"] = phrase_figures(comm_records)
    off_comm = [phrase_record(community, q, "offtopic@community") for q in off_test]
    records += off_comm
    result["offtopic_test_refused_community"] = phrase_figures(off_comm)["refused"]
    result["community_filtered"], filtered = note_filtered_figures(community, community_qs, off_test)
    records += filtered
    seed_records = [phrase_record(seeds, q, "seeds") for q in seeds_qs]
    records += seed_records
    result["seeds"] = phrase_figures(seed_records)

    report(result, records, args.out, "questions.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
