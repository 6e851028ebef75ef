#!/usr/bin/env python3
"""Fit libmatch's default match model on the public benchmark sets and write
its coefficients into libmatch/src/model_default.h.

    /usr/bin/python3 bench/fit_model.py [--data DIR ...] [--out FILE] [--check] [--json FILE]

The model (libmatch/src/model.h) is a logistic regression of "the hit is
relevant" (grade >= 1) on the hit's score components:

    z = intercept + expert [hit is an expert] + sum_terms coef x f(component)

with the terms of REC_TERMS (for problems and achievements) and EXP_TERMS
(for experts) below (f: the value, its square root, or log(1 + 1000 x)).
Two of the record terms are the query's context, the same on all its hits
(topic_best, bm25_best: the largest topic share and the best bm25 among its
candidates): with them the hit terms are fitted on how a hit compares with
the query's best, which ranks better within a query (csl-topic nDCG@10
0.327 -> 0.360, cross-validated) and calibrates the top hits across
queries (ECE@10 0.17 -> 0.07 on csl-topic, 0.14 -> 0.09 on csl-need2paper).
One model for every set, one part per direction: what matches records is
fitted on the sets that ask for records, an expert's evidence on the sets
that ask for experts.

How: build/bench/lm_run answers every query of every set (k = 100, default
options, the loader's semantic space included, so that latent_topic is
fitted on the variant without domain tags; once more with the vectors of
lm_vectors_build, so that the cosine term is fitted too) and writes each
hit's components (--features).  The hits
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

The hits a query returns depend on the model that ranks them, so the script
fits, writes the header, rebuilds (make) and fits again until no
coefficient moves by more than --tolerance (at most --rounds rounds).
--check fits once and compares with the header's coefficients instead of
writing (exit 1 when one differs by more than --tolerance): the header is
what this script makes of the data.
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

# (component, transform) of the fitted terms: for records (problems and
# achievements), fitted on the sets whose queries ask for them, and for
# experts, fitted on the sets whose queries ask for experts.
REC_TERMS = [("bm25", "log"), ("bm25", "sqrt"), ("topic", "linear"), ("topic", "sqrt"),
             ("keyword_match", "linear"), ("cosine", "linear"), ("latent_topic", "linear"),
             ("topic_best", "linear"), ("bm25_best", "sqrt")]
EXP_TERMS = [("evidence", "log"), ("evidence", "sqrt")]
# Similarities whose coefficient must not be negative: fitted below 0, the
# term is left out and the model refitted (a similarity that adds nothing
# beyond the others gets 0, never a penalty).
NONNEG = {("cosine", "linear"), ("latent_topic", "linear")}
# Terms the public sets cannot inform, for records: fixed coefficients
# (logit per unit of the component).  fields, region, maturity: in the
# proportions of the old weighted sum (0.1, 0.05, 0.05 against bm25's 1),
# where one unit of relative bm25 spans about 5 logits here; cosine_ext
# (nobody's embeddings are in the public sets): 2 per unit, so that a cosine
# of 0.8 with a strong embedding model adds about what a keyword match does.
REC_PRIORS = [("fields", "linear", 0.5), ("region", "linear", 0.25), ("maturity", "linear", 0.25),
              ("cosine_ext", "linear", 2.0)]
# An expert's own profile (bm25, topic, keyword_match, fields, region and
# the cosines of the profile): the public expert set has empty profiles, so
# these are the record terms scaled by PROFILE -- what an expert did (their
# achievements: evidence) counts more than what their profile says, as the
# weighted sum had it (evidence 2, profile 1).  lm_learn refits all of them
# from a platform's own outcomes.  The profile terms come from a second fit
# of the record part without the query's context (CONTEXT): an expert is
# ranked on what they did, and an empty profile -- common -- is no evidence
# against them, whereas weighed against the query's best profile it would be.
PROFILE = 0.5
PROFILE_COMPS = {"bm25", "topic", "keyword_match", "cosine", "fields", "region", "cosine_ext"}
CONTEXT = {"topic_best", "bm25_best"}
L2 = 1.0            # ridge on the coefficients (not the intercepts), weights normalized to mean 1
C_NAME = {"bm25": "LMX_C_BM25", "topic": "LMX_C_TOPIC", "keyword_match": "LMX_C_KEYWORD_MATCH",
          "evidence": "LMX_C_EVIDENCE", "cosine": "LMX_C_COSINE", "cosine_ext": "LMX_C_COSINE_EXT",
          "fields": "LMX_C_FIELDS", "region": "LMX_C_REGION", "maturity": "LMX_C_MATURITY",
          "topic_best": "LMX_C_TOPIC_BEST", "bm25_best": "LMX_C_BM25_BEST", "latent_topic": "LMX_C_LATENT_TOPIC"}
TF_NAME = {"linear": "LMX_TF_LINEAR", "sqrt": "LMX_TF_SQRT", "log": "LMX_TF_LOG"}
HITS_NAME = {"all": "LMX_HITS_ALL", "records": "LMX_HITS_RECORDS", "experts": "LMX_HITS_EXPERTS"}


def tf(kind, x):
    if not x > 0:
        return 0.0
    if kind == "sqrt":
        return math.sqrt(x)
    if kind == "log":
        return math.log1p(1000.0 * x)
    return x


# ---- data --------------------------------------------------------------------------------

class Hits:
    """Every hit of one run of one set: query ids, doc ids, grades, and per
    hit the record terms (R), the expert terms (E) and the fixed part of
    the logit (P: the priors, and for experts their profile, from the record
    coefficients -- a function of them, see offsets())."""

    def __init__(self, name, variant, qrels, feats_path, expert):
        self.name, self.variant, self.qrels, self.expert = name, variant, qrels, expert
        self.qid, self.doc, R, E, P, g = [], [], [], [], [], []
        with open(feats_path, encoding="utf-8") as f:
            for line in f:
                q = json.loads(line)
                rel = qrels.get(q["qid"], {})
                for h in q["hits"]:
                    c = h["c"]
                    self.qid.append(q["qid"])
                    self.doc.append(h["id"])
                    R.append([tf(t, c.get(n, 0.0)) for n, t in REC_TERMS])
                    E.append([tf(t, c.get(n, 0.0)) for n, t in EXP_TERMS])
                    P.append([tf(t, c.get(n, 0.0)) for n, t, _ in REC_PRIORS])
                    g.append(rel.get(h["id"], 0))
        self.R, self.E, self.P = np.array(R), np.array(E), np.array(P)
        self.g = np.array(g)

    def design(self):
        """The matrix the part's own coefficients multiply."""
        return self.E if self.expert else self.R

    def offsets(self, rec):
        """The fixed part of every hit's logit given the record coefficients
        rec (for records: the priors; for experts: PROFILE x (record terms
        and priors) of the profile components)."""
        prior = np.array([v for _, _, v in REC_PRIORS])
        if not self.expert:
            return self.P @ prior
        keep_r = np.array([1.0 if n in PROFILE_COMPS else 0.0 for n, _ in REC_TERMS])
        keep_p = np.array([1.0 if n in PROFILE_COMPS else 0.0 for n, _, _ in REC_PRIORS])
        return PROFILE * (self.R @ (rec * keep_r) + self.P @ (prior * keep_p))


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

def fit_part(parts, l2=L2, nonneg=()):
    """Weighted logistic regression by Newton's method.  parts: [(X, y,
    offset)], every part weighing the same whatever its rows; the columns in
    nonneg are refitted at 0 while they come out negative.  Returns
    [intercept, coefs...]."""
    drop = set()
    while True:
        b = _newton(parts, l2, drop)
        neg = [i for i in nonneg if i not in drop and b[1 + i] < 0]
        if not neg:
            return b
        drop.update(neg)


def _newton(parts, l2, drop):
    X = np.vstack([p[0] for p in parts]).copy()
    for i in drop:
        X[:, i] = 0.0
    y = np.concatenate([p[1] for p in parts])
    off = np.concatenate([p[2] for p in parts])
    w = np.concatenate([np.full(len(p[1]), 1.0 / max(1, len(p[1]))) for p in parts])
    w *= len(w) / w.sum()
    n, d = X.shape
    Xb = np.hstack([np.ones((n, 1)), X])
    reg = np.r_[0.0, np.full(d, l2)]            # no penalty on the intercept
    b = np.zeros(d + 1)
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(Xb @ b + off, -35, 35)))
        grad = Xb.T @ (w * (p - y)) + reg * b
        H = (Xb * (w * p * (1 - p))[:, None]).T @ Xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(H, grad)
        b -= step
        if np.abs(step).max() < 1e-10:
            break
    return b


class Model:
    """The fitted model: record intercept and coefficients, expert
    intercept and coefficients, and the record coefficients of the fit
    without the query's context that experts' profiles use (profile)."""

    def __init__(self, rec, exp, profile):
        self.rec, self.exp, self.profile = rec, exp, profile

    def prob(self, h, mask=None):
        X = h.design() if mask is None else h.design()[mask]
        b = self.exp if h.expert else self.rec
        off = h.offsets(self.profile[1:] if h.expert else self.rec[1:])
        if mask is not None:
            off = off[mask]
        return 1 / (1 + np.exp(-np.clip(b[0] + X @ b[1:] + off, -35, 35)))


def fit(sets, keep=None):
    """Fit the record part on the record sets, then the expert part on the
    expert sets (their profile offsets use the record coefficients).  keep(h)
    selects rows (cross-validation).  A direction without any set keeps
    zeros."""
    def parts(expert, rec=None, drop=()):
        out = []
        for h in sets:
            if h.expert != expert:
                continue
            m = keep(h) if keep else np.ones(len(h.g), bool)
            if m.any():
                off = h.offsets(rec if rec is not None else np.zeros(len(REC_TERMS)))[m]
                X = h.design()[m]
                if drop:
                    X = X.copy()
                    X[:, list(drop)] = 0.0          # a column of zeros gets coefficient 0
                out.append((X, (h.g[m] >= 1).astype(float), off))
        return out
    nonneg = [i for i, t in enumerate(REC_TERMS) if t in NONNEG]
    ctx = [i for i, (c, _) in enumerate(REC_TERMS) if c in CONTEXT]
    pr = parts(False)
    rec = fit_part(pr, nonneg=nonneg) if pr else np.zeros(1 + len(REC_TERMS))
    pn = parts(False, drop=ctx)
    profile = fit_part(pn, nonneg=nonneg) if pn else np.zeros(1 + len(REC_TERMS))
    pe = parts(True, profile[1:])
    exp = fit_part(pe) if pe else np.zeros(1 + len(EXP_TERMS))
    return Model(rec, exp, profile)


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


def folds_of(h, k=5):
    """Fold of every row: by a hash of its query id (stable across runs)."""
    return np.array([int(hashlib.sha1(q.encode()).hexdigest()[:8], 16) % k for q in h.qid])


def cross_validate(sets, k=5):
    rows = []
    fold = {id(h): folds_of(h, k) for h in sets}
    pred = {id(h): np.zeros(len(h.g)) for h in sets}
    for f in range(k):
        m = fit(sets, lambda h: fold[id(h)] != f)
        for h in sets:
            sel = fold[id(h)] == f
            pred[id(h)][sel] = m.prob(h, sel)
    for h in sets:
        rows.append(("5-fold by query", h, measures(h, pred[id(h)])))
    for name in sorted({h.name for h in sets}):
        expert = any(h.expert for h in sets if h.name == name)
        rest = [h for h in sets if h.name != name]
        if not any(h.expert == expert for h in rest):
            continue                          # the only set of its direction: nothing to learn it from
        m = fit(rest)
        for h in sets:
            if h.name == name:
                rows.append(("set left out", h, measures(h, m.prob(h))))
    return rows


# ---- output ----------------------------------------------------------------------------------

def model_terms(m):
    """[(component, transform, coefficient, hits)] of the whole model."""
    rec = [(c, t, float(v), "records") for (c, t), v in zip(REC_TERMS, m.rec[1:])]
    rec += [(c, t, v, "records") for c, t, v in REC_PRIORS]
    exp = [(c, t, float(v), "experts") for (c, t), v in zip(EXP_TERMS, m.exp[1:])]
    prof = [(c, t, float(v)) for (c, t), v in zip(REC_TERMS, m.profile[1:])] + list(REC_PRIORS)
    exp += [(c, t, PROFILE * v, "experts") for c, t, v in prof if c in PROFILE_COMPS]
    return [x for x in rec + exp if x[2] != 0.0]


def header_text(m, meta):
    terms = model_terms(m)
    lines = ["/*",
             "** model_default.h -- the default match model's coefficients, written by",
             "** bench/fit_model.py; do not edit (rerun /usr/bin/python3 bench/fit_model.py).",
             "**",
             "** Fitted %s on %s (commit %s), data digest %s:" % (meta["date"], meta["host"], meta["commit"],
                                                                  meta["digest"])]
    for s in meta["sets"]:
        lines.append("**   %s" % s)
    lines += ["** Logistic regression of grade >= 1 on the components of the top 100 hits",
              "** of every query (default options; again with lm_vectors_build; again",
              "** without domain tags), every set and variant weighing the same, ridge %g" % L2,
              "** on the coefficients; records from the achievement sets, experts (their",
              "** evidence) from the expert set.  Set by hand (see bench/fit_model.py):",
              "** records' fields, region, maturity, cosine_ext (the public sets carry none);",
              "** experts' own profile terms = %g x the records' of a fit without the query's" % PROFILE,
              "** context (public profiles are empty; an empty one is no evidence against).",
              "** Cross-validated figures: bench/README.md (\"The match model\").",
              "*/",
              "static const lmx_model default_model = {",
              "    %.9g, %.9g, %d, {" % (m.rec[0], m.exp[0] - m.rec[0], len(terms))]
    for c, t, v, hits in terms:
        lines.append("        { %s, %s, %.9g, %s }," % (C_NAME[c], TF_NAME[t], v, HITS_NAME[hits]))
    lines += ["    }", "};", ""]
    return "\n".join(lines), terms


def header_coefficients(text):
    """{(component, transform, hits): coefficient} of a model_default.h, with
    ("intercept", "", "") and ("expert", "", "")."""
    import re
    rev_c = {v: k for k, v in C_NAME.items()}
    rev_t = {v: k for k, v in TF_NAME.items()}
    rev_h = {v: k for k, v in HITS_NAME.items()}
    out = {}
    m = re.search(r"default_model = \{\s*([-+0-9.eE]+), ([-+0-9.eE]+),", text)
    if m:
        out[("intercept", "", "")] = float(m.group(1))
        out[("expert", "", "")] = float(m.group(2))
    for c, t, v, h in re.findall(r"\{ (LMX_C_\w+), (LMX_TF_\w+), ([-+0-9.eE]+), (LMX_HITS_\w+) \}", text):
        out[(rev_c[c], rev_t[t], rev_h[h])] = float(v)
    return out


def fmt(v):
    return "n/a" if v is None else "%.3f" % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", action="append", help="a set folder (repeatable); default: every public set")
    ap.add_argument("--out", default=HEADER, help="the header to write (default libmatch/src/model_default.h)")
    ap.add_argument("--check", action="store_true",
                    help="compare with the header instead of writing it (within --tolerance)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="fit, write, rebuild, refit until the coefficients settle (default at most 3 rounds)")
    ap.add_argument("--tolerance", type=float, default=0.05,
                    help="largest change of a coefficient (logit units) that counts as settled (default 0.05)")
    ap.add_argument("--json", help="write the coefficients and the cross-validated figures as JSON")
    a = ap.parse_args()
    paths = a.data or report.find_sets(datasets.find_sets)[1]
    if not paths:
        print(report.no_data_message("fit-model"), file=sys.stderr)
        return report.EXIT_NO_DATA
    if not os.path.exists(LM_RUN):
        print("fit-model: %s missing; run `make build/bench/lm_run`" % LM_RUN, file=sys.stderr)
        return 1
    if a.check:
        sets = load_sets(paths)
        model = fit(sets)
        with open(a.out, encoding="utf-8") as f:
            old = header_coefficients(f.read())
        new = [(c, t, h, v) for c, t, v, h in model_terms(model)] + [("intercept", "", "", model.rec[0]),
                                                                    ("expert", "", "", model.exp[0] - model.rec[0])]
        worst = max(abs(v - old.get((c, t, h), 0.0)) for c, t, h, v in new)
        missing = set(old) - {(c, t, h) for c, t, h, _ in new}
        if worst > a.tolerance or missing:
            print("fit-model: %s differs from this fit (largest change %.4f > %g%s); rerun bench/fit_model.py"
                  % (a.out, worst, a.tolerance, ", terms %s gone" % sorted(missing) if missing else ""), file=sys.stderr)
            return 1
        print("fit-model: %s is this fit (largest change %.4f <= %g)" % (a.out, worst, a.tolerance), file=sys.stderr)
        return 0
    prev = None
    for rnd in range(max(1, a.rounds)):
        sets = load_sets(paths)
        model = fit(sets)
        coefs = np.r_[model.rec, model.exp]
        if prev is not None and np.abs(coefs - prev).max() <= a.tolerance:
            break
        prev = coefs
        if rnd + 1 < a.rounds:
            # The hits each query returns depend on the model that ranks them:
            # write it, rebuild, and fit again on what the new model returns.
            text, _ = header_text(model, {"date": "", "host": "", "commit": "", "digest": "", "sets": []})
            with open(a.out, "w", encoding="utf-8") as f:
                f.write(text)
            print("fit-model: round %d written; rebuilding" % (rnd + 1), file=sys.stderr)
            p = subprocess.run(["make", "-s", "-C", ROOT, "all", "build/bench/lm_run"], capture_output=True, text=True)
            if p.returncode:
                print("fit-model: make failed: %s" % p.stderr[-2000:], file=sys.stderr)
                return 1
    commit = report._git("rev-parse", "--short", "HEAD") or "?"
    meta = {"date": datetime.date.today().isoformat(), "host": report.run_meta()["host"]["cpu"], "commit": commit,
            "digest": file_digest(paths),
            "sets": ["%s: %d queries, %d hits, variants %s" %
                     (h.name, len(set(h.qid)), len(h.qid), "/".join(x.variant for x in sets if x.name == h.name))
                     for h in sets if h.variant == "plain"]}
    text, terms = header_text(model, meta)
    print("intercept %.4f, expert intercept %.4f" % (model.rec[0], model.exp[0]))
    for c, t, v, hits in terms:
        print("  %-8s %-14s %-7s %9.4f" % (hits, c, t, v))
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
            json.dump({"meta": meta, "intercept": model.rec[0], "expert": model.exp[0] - model.rec[0],
                       "terms": [{"feature": c, "transform": t, "coef": v, "hits": hh} for c, t, v, hh in terms],
                       "cv": [{"validation": how, "set": h.name, "variant": h.variant, **m} for how, h, m in rows]},
                      f, indent=2)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text)
    print("fit-model: wrote %s" % a.out, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
