#!/usr/bin/env python3
"""Fit libmatch's default match model on the public benchmark sets and write
its coefficients into libmatch/src/model_default.h.

    make fit-model                                 # every set under ../shared/bench-data
    /usr/bin/python3 bench/fit_model.py [--data DIR ...] [--out FILE] [--check]

The model (libmatch/src/model.h) is a logistic regression of "the hit is
relevant" (grade >= 1) on the hit's score components:

    z = intercept + expert [hit is an expert] + sum_terms coef x f(component)

with the terms of TERMS below (f: the value, its square root, or
log(1 + 1000 x)).  One model for every set and direction: the components
that only experts have (evidence) carry the expert direction, the expert
indicator its base rate.

How: build/bench/lm_run answers every query of every set (k = 100, default
options; once more with the built-in semantic vectors, so that the cosine
term is fitted too) and writes each hit's components (--features).  The hits
are labelled from qrels.tsv (unjudged = not relevant).  Every set and every
variant (as given; with vectors; without domain tags, for a set that has
them: data does not always carry `fields`) weighs the same in the fit,
whatever its number of hits.  Terms the
public sets cannot inform (their queries carry no domain tags, region or
maturity; nobody has external embeddings) get fixed coefficients, said so in
the header (PRIORS).

Cross-validation, reported for bench/README.md: 5 folds by query within
every set (fit on 4/5 of the queries of every set, predict the fifth), and
leave one set out (fit without a set, predict it: the closest thing to an
unseen set here).  Measures: nDCG@10 of the model's ranking of the top 100,
ECE over the top 10 and top 100 hits, log-loss, the pairwise loss of
lmbench/calibration.py and the top hit's AUC.

--check fits and compares with the header's coefficients instead of writing
(exit 1 when they differ by more than 1e-6): the header is what this script
makes of the data.
"""
import argparse
import collections
import datetime
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from lmbench import calibration, datasets, metrics, report  # noqa: E402

LM_RUN = os.path.join(ROOT, "build", "bench", "lm_run")
HEADER = os.path.join(ROOT, "libmatch", "src", "model_default.h")

# (component, transform) of every fitted term; the names are the library's.
TERMS = [("bm25", "log"), ("bm25", "sqrt"), ("topic", "linear"), ("topic", "sqrt"),
         ("keyword_match", "linear"), ("evidence", "log"), ("evidence", "sqrt"), ("cosine", "linear")]
# Similarities whose coefficient must not be negative: fitted below 0, the
# term is left out and the model refitted (a similarity that adds nothing
# beyond the others gets 0, never a penalty).
NONNEG = {("cosine", "linear")}
# Terms the public sets cannot inform: fixed coefficients (logit per unit of
# the component).  fields, region, maturity: in the proportions of the old
# weighted sum (0.1, 0.05, 0.05 against bm25's 1), where one unit of relative
# bm25 spans about 5 logits here; cosine_ext (nobody's embeddings are in the
# public sets): 2 per unit, so that a cosine of 0.8 with a strong embedding
# model adds about what a keyword match does.  lm_learn refits all of them
# from a platform's own outcomes.
PRIORS = [("fields", "linear", 0.5), ("region", "linear", 0.25), ("maturity", "linear", 0.25),
          ("cosine_ext", "linear", 2.0)]
L2 = 1.0            # ridge on the coefficients (not the intercepts), weights normalized to mean 1
C_NAME = {"bm25": "LMX_C_BM25", "topic": "LMX_C_TOPIC", "keyword_match": "LMX_C_KEYWORD_MATCH",
          "evidence": "LMX_C_EVIDENCE", "cosine": "LMX_C_COSINE", "cosine_ext": "LMX_C_COSINE_EXT",
          "fields": "LMX_C_FIELDS", "region": "LMX_C_REGION", "maturity": "LMX_C_MATURITY"}
TF_NAME = {"linear": "LMX_TF_LINEAR", "sqrt": "LMX_TF_SQRT", "log": "LMX_TF_LOG"}


def tf(kind, x):
    if not x > 0:
        return 0.0
    if kind == "sqrt":
        return math.sqrt(x)
    if kind == "log":
        return math.log1p(1000.0 * x)
    return x


def design_row(comp, expert):
    return [1.0 if expert else 0.0] + [tf(t, comp.get(c, 0.0)) for c, t in TERMS]


# ---- data --------------------------------------------------------------------------------

class Hits:
    """Every hit of one run of one set: query ids, doc ids, design rows,
    grades."""

    def __init__(self, name, variant, qrels, feats_path, expert):
        self.name, self.variant, self.qrels, self.expert = name, variant, qrels, expert
        self.qid, self.doc, X, g = [], [], [], []
        with open(feats_path, encoding="utf-8") as f:
            for line in f:
                q = json.loads(line)
                rel = qrels.get(q["qid"], {})
                for h in q["hits"]:
                    self.qid.append(q["qid"])
                    self.doc.append(h["id"])
                    X.append(design_row(h["c"], expert))
                    g.append(rel.get(h["id"], 0))
        self.X = np.array(X)
        self.g = np.array(g)


def strip_fields(path_in, path_out):
    """Records (or the records of query lines) without their domain tags."""
    with open(path_in, encoding="utf-8") as f, open(path_out, "w", encoding="utf-8") as o:
        for line in f:
            if line.strip():
                obj = json.loads(line)
                obj.pop("fields", None)
                if isinstance(obj.get("record"), dict):
                    obj["record"].pop("fields", None)
                o.write(json.dumps(obj, ensure_ascii=False) + "\n")


def run_set(path, extra_args, notags=False):
    """lm_run of a set with --features (notags: corpus and queries without
    `fields`); returns the features file path (in a temporary directory that
    lives as long as the process)."""
    d = tempfile.mkdtemp(prefix="lm-fit-")
    out, feats = os.path.join(d, "run.tsv"), os.path.join(d, "features.jsonl")
    corpus, queries = os.path.join(path, "corpus.jsonl"), os.path.join(path, "queries.jsonl")
    if notags:
        strip_fields(corpus, os.path.join(d, "corpus.jsonl"))
        strip_fields(queries, os.path.join(d, "queries.jsonl"))
        corpus, queries = os.path.join(d, "corpus.jsonl"), os.path.join(d, "queries.jsonl")
    cmd = [LM_RUN, "--corpus", corpus, "--queries", queries,
           "--out", out, "--db", os.path.join(d, "lm.db"), "--k", "100", "--features", feats] + extra_args
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("lm_run on %s exited with %d: %s" % (path, p.returncode, p.stderr.strip()[-400:]))
    return feats


def load_sets(paths):
    out = []
    for path in paths:
        ds = datasets.DataSet(path)
        to = {q["to"] for q in ds.queries}
        tagged = any(r.get("fields") for r in ds.corpus)
        for variant, args in (("plain", []), ("vectors", ["--vectors", "0"]), ("notags", None)):
            if args is None and not tagged:
                continue                      # without tags already
            print("fit-model: %s (%s)" % (ds.name, variant), file=sys.stderr)
            feats = run_set(path, args or [], notags=args is None)
            out.append(Hits(ds.name, variant, ds.qrels, feats, to == {"expert"}))
    return out


def file_digest(paths):
    h = hashlib.sha1()
    for p in paths:
        for name in ("corpus.jsonl", "queries.jsonl", "qrels.tsv"):
            with open(os.path.join(p, name), "rb") as f:
                h.update(hashlib.sha1(f.read()).digest())
    return h.hexdigest()[:16]


# ---- the fit --------------------------------------------------------------------------------

def fit(parts, l2=L2):
    """fit_free() with the NONNEG terms left out while they come out
    negative."""
    drop = set()
    while True:
        b = fit_free(parts, l2, drop)
        neg = [i for i, t in enumerate(TERMS) if t in NONNEG and i not in drop and b[2 + i] < 0]
        if not neg:
            return b
        drop.update(neg)


def fit_free(parts, l2=L2, drop=()):
    """Weighted logistic regression by Newton's method; every part (a set
    and variant, rows selected by a mask) weighs the same.  parts: [(X, y)];
    the terms in drop are held at 0.  Returns [intercept, expert, coefs...]."""
    X = np.vstack([p[0] for p in parts]).copy()
    for i in drop:
        X[:, 1 + i] = 0.0
    y = np.concatenate([p[1] for p in parts])
    w = np.concatenate([np.full(len(p[1]), 1.0 / max(1, len(p[1]))) for p in parts])
    w *= len(w) / w.sum()
    n, d = X.shape
    Xb = np.hstack([np.ones((n, 1)), X])
    reg = np.r_[0.0, 0.0, np.full(d - 1, l2)]     # no penalty on the intercept and the expert offset
    b = np.zeros(d + 1)
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(Xb @ b, -35, 35)))
        grad = Xb.T @ (w * (p - y)) + reg * b
        H = (Xb * (w * p * (1 - p))[:, None]).T @ Xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(H, grad)
        b -= step
        if np.abs(step).max() < 1e-10:
            break
    return b


def predict(b, X):
    return 1 / (1 + np.exp(-np.clip(b[0] + X @ b[1:], -35, 35)))


def measures(hits, prob, mask=None):
    """The figures of one set's hits (rows in mask) under probabilities prob."""
    run = collections.defaultdict(list)
    qids = set()
    for i in range(len(hits.qid)):
        if mask is not None and not mask[i]:
            continue
        run[hits.qid[i]].append((hits.doc[i], float(prob[i])))
        qids.add(hits.qid[i])
    for q in run:
        run[q].sort(key=lambda x: -x[1])
    qrels = {q: r for q, r in hits.qrels.items() if q in qids}
    m = metrics.evaluate(qrels, run)
    p10 = calibration.labelled(qrels, run, 10)
    p100 = calibration.labelled(qrels, run, 100)
    return {"ndcg@10": m["ndcg@10"], "ece@10": calibration.ece(p10), "ece@100": calibration.ece(p100),
            "logloss@100": calibration.log_loss(p100),
            "pairwise_loss": calibration.pairwise_loss(qrels, calibration.run_scores(run))[0],
            "top_auc": calibration.top_hit_aucs(calibration.top_hit(qrels, run))[0]}


def parts_of(sets, keep=None):
    out = []
    for h in sets:
        m = keep(h) if keep else np.ones(len(h.g), bool)
        if m.any():
            out.append((h.X[m], (h.g[m] >= 1).astype(float)))
    return out


def folds_of(h, k=5):
    """Fold of every row: by a hash of its query id (stable across runs)."""
    return np.array([int(hashlib.sha1(q.encode()).hexdigest()[:8], 16) % k for q in h.qid])


def cross_validate(sets, k=5):
    rows = []
    fold = {id(h): folds_of(h, k) for h in sets}
    pred = {id(h): np.zeros(len(h.g)) for h in sets}
    for f in range(k):
        b = fit(parts_of(sets, lambda h: fold[id(h)] != f))
        for h in sets:
            m = fold[id(h)] == f
            pred[id(h)][m] = predict(b, h.X[m])
    for h in sets:
        rows.append(("5-fold by query", h, measures(h, pred[id(h)])))
    names = sorted({h.name for h in sets})
    for name in names:
        rest = [h for h in sets if h.name != name]
        same_dir = [h for h in rest if h.expert == any(x.expert for x in sets if x.name == name)]
        if not same_dir:
            continue                          # the only set of its direction: nothing to learn it from
        b = fit(parts_of(rest))
        for h in sets:
            if h.name == name:
                rows.append(("set left out", h, measures(h, predict(b, h.X))))
    return rows


# ---- output ----------------------------------------------------------------------------------

def header_text(b, meta):
    terms = [(c, t, float(v)) for (c, t), v in zip(TERMS, b[2:])]
    terms += [(c, t, v) for c, t, v in PRIORS]
    lines = ["/*",
             "** model_default.h -- the default match model's coefficients, written by",
             "** bench/fit_model.py; do not edit (rerun `make fit-model`).",
             "**",
             "** Fitted %s on %s (commit %s), data digest %s:" % (meta["date"], meta["host"], meta["commit"],
                                                                  meta["digest"])]
    for s in meta["sets"]:
        lines.append("**   %s" % s)
    lines += ["** Logistic regression of grade >= 1 on the components of the top 100 hits",
              "** of every query (default options; again with lm_vectors_build; again",
              "** without domain tags), every set and variant weighing the same, ridge %g" % L2,
              "** on the coefficients.",
              "** cosine kept >= 0.  fields, region, maturity, cosine_ext: set by hand",
              "** (the public sets carry none of them; see PRIORS in bench/fit_model.py).",
              "** Cross-validated figures: bench/README.md (\"The match model\").",
              "*/",
              "static const lmx_model default_model = {",
              "    %.9g, %.9g, %d, {" % (b[0], b[1], len(terms))]
    for c, t, v in terms:
        lines.append("        { %s, %s, %.9g }," % (C_NAME[c], TF_NAME[t], v))
    lines += ["    }", "};", ""]
    return "\n".join(lines), terms


def fmt(v):
    return "n/a" if v is None else "%.3f" % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", action="append", help="a set folder (repeatable); default: every public set")
    ap.add_argument("--out", default=HEADER, help="the header to write (default libmatch/src/model_default.h)")
    ap.add_argument("--check", action="store_true", help="compare with the header instead of writing it")
    ap.add_argument("--json", help="write the coefficients and the cross-validated figures as JSON")
    a = ap.parse_args()
    paths = a.data or report.find_sets(datasets.find_sets)[1]
    if not paths:
        print(report.no_data_message("fit-model"), file=sys.stderr)
        return report.EXIT_NO_DATA
    if not os.path.exists(LM_RUN):
        print("fit-model: %s missing; run `make build/bench/lm_run`" % LM_RUN, file=sys.stderr)
        return 1
    sets = load_sets(paths)
    b = fit(parts_of(sets))
    commit = report._git("rev-parse", "--short", "HEAD") or "?"
    meta = {"date": datetime.date.today().isoformat(), "host": report.run_meta()["host"]["cpu"], "commit": commit,
            "digest": file_digest(paths),
            "sets": ["%s: %d queries, %d hits, variants %s" %
                     (h.name, len(set(h.qid)), len(h.qid), "/".join(x.variant for x in sets if x.name == h.name))
                     for h in sets if h.variant == "plain"]}
    text, terms = header_text(b, meta)
    print("intercept %.4f, expert %.4f" % (b[0], b[1]))
    for c, t, v in terms:
        print("  %-14s %-7s %9.4f" % (c, t, v))
    rows = cross_validate(sets)
    print()
    print("| validation | set | variant | nDCG@10 | ECE@10 | ECE@100 | log-loss@100 | pairwise loss | top-hit AUC |")
    print("|---|---|---|---|---|---|---|---|---|")
    for how, h, m in rows:
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            how, h.name, h.variant, fmt(m["ndcg@10"]), fmt(m["ece@10"]), fmt(m["ece@100"]), fmt(m["logloss@100"]),
            fmt(m["pairwise_loss"]), fmt(m["top_auc"])))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"meta": meta, "intercept": b[0], "expert": b[1],
                       "terms": [{"feature": c, "transform": t, "coef": v} for c, t, v in terms],
                       "cv": [{"validation": how, "set": h.name, "variant": h.variant, **m} for how, h, m in rows]},
                      f, indent=2)
    if a.check:
        with open(a.out, encoding="utf-8") as f:
            old = f.read()
        strip = lambda s: [l for l in s.splitlines() if not l.startswith("**")]   # noqa: E731
        if strip(old) != strip(text):
            print("fit-model: %s differs from this fit" % a.out, file=sys.stderr)
            return 1
        print("fit-model: %s is this fit" % a.out, file=sys.stderr)
        return 0
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text)
    print("fit-model: wrote %s" % a.out, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
