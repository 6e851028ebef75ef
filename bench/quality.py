#!/usr/bin/env python3
"""Match quality of libmatch and its peers, side by side, in one run.

    make bench-quality [DATA=path/to/set] [BENCH_ARGS="--json out.json --plot out.png"]
    /usr/bin/python3 bench/quality.py [--data DIR] [--systems ...] [--json F] [--plot F]

Every system answers every query of a set (k=100) and is scored by the same
metric code (lmbench/metrics.py).  With no --data, every set is run of
$LIBMATCH_BENCH_DATA when it is set, else of ../shared/bench-data next to this
checkout (or next to the main checkout of a git worktree).

Systems: the peers (xapian, fts5-trigram, fts5-unicode61) and libmatch
configurations (LM_CONFIGS below, plus any --lm-config NAME=ARGS, where ARGS
are lm_run arguments, e.g. --lm-config "lm-k1=--opt bm25_k1=1.5 --opt bm25_b=0.6").
Any libmatch configuration name + "-traditional" runs it with the queries
converted to Traditional script, + "-notags" without the records' domain
tags (`fields` removed from corpus and queries).  Peer runs are deterministic and cached in
bench/out/cache/ (keyed by the set's files, the peer code and the library
versions; --no-cache ignores it); a long peer run shows its progress on
stderr.  --json records the figures with the run's libmatch version, git
commit, host, date and configurations; --plot draws nDCG@10, MRR@10 and
R@100 per system and set.

Across queries (lmbench/calibration.py), for every system and set: the
pairwise loss of the reviewer-assignment gold standard (Stelmakh et al.),
the top hit's AUC for "is it relevant", and for runs with probabilities
(lm_run's fifth column) ECE and log-loss over the top 10 / 100 hits, with a
reliability diagram per set (bench/out/reliability-SET.png).  On csl-topic,
a no-match set is derived at run time (folds of disciplines left out of the
corpus): AUC for "has this need any match".
"""
import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from lmbench import calibration, datasets, metrics, peers, report  # noqa: E402

LM_RUN = os.path.join(ROOT, "build", "bench", "lm_run")
CACHE = os.path.join(HERE, "out", "cache")

PEERS = {"xapian": peers.Xapian, "xapian-wqf": lambda: peers.Xapian(use_wqf=True), "fts5-trigram": lambda: peers.FTS5("trigram"),
         "fts5-unicode61": lambda: peers.FTS5("unicode61")}
PEER_DESCRIPTIONS = {
    "xapian": "Xapian BM25 defaults, TermGenerator FLAG_CJK_NGRAM + English stemmer, OR of the query's terms (wqf 1)",
    "xapian-wqf": "xapian, each query term weighted by its frequency in the query",
    "fts5-trigram": "SQLite FTS5 trigram tokenizer, bm25(), OR of the query's quoted trigrams",
    "fts5-unicode61": "SQLite FTS5 unicode61 tokenizer, bm25(), OR of the query's \\w+ runs",
}

# libmatch configurations: name -> lm_run arguments.
LM_CONFIGS = {
    "libmatch": [],
    "libmatch-hybrid": ["--vectors", "0"],
    "libmatch-bm25-only": ["--opt", "w_topic=0", "--opt", "w_evidence=0", "--opt", "w_latent_topic=0"],
    "libmatch-dense-only": ["--vectors", "0", "--opt", "w_bm25=0", "--opt", "w_topic=0", "--opt", "w_fields=0",
                            "--opt", "w_latent_topic=0", "--opt", "w_cosine=1"],
    "libmatch-bm25+dense": ["--vectors", "0", "--opt", "w_topic=0", "--opt", "w_evidence=0",
                            "--opt", "w_latent_topic=0"],
    "libmatch-words": ["--mode", "words"],
    "libmatch-subwords": ["--mode", "subwords"],
    "libmatch-bigrams": ["--mode", "bigrams"],
    "libmatch-no-unigrams": ["--mode", "all"],
    "libmatch-no-latent": ["--opt", "w_latent_topic=0"],
    "libmatch-no-vectors": ["--no-auto-vectors"],
    "libmatch-prf": ["--opt", "prf_docs=10"],
    "libmatch-rrf": ["--opt", "fusion=2"],
    "libmatch-hybrid-rrf": ["--vectors", "0", "--opt", "fusion=2"],
    "libmatch-evidence-max": ["--opt", "evidence_mode=1"],
    "libmatch-evidence-sum": ["--opt", "evidence_mode=2"],
    "libmatch-no-evidence": ["--opt", "w_evidence=0"],
}


def to_traditional(path_in, path_out):
    """Queries in Traditional script (OpenCC s2twp through libopencc)."""
    import ctypes
    cc = ctypes.CDLL("libopencc.so.1.1")
    cc.opencc_open.restype = ctypes.c_void_p
    cc.opencc_open.argtypes = [ctypes.c_char_p]
    cc.opencc_convert_utf8.restype = ctypes.c_void_p
    cc.opencc_convert_utf8.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    cc.opencc_convert_utf8_free.argtypes = [ctypes.c_void_p]
    h = cc.opencc_open(b"/usr/share/opencc/s2t.json")

    def conv(s):
        b = s.encode()
        p = cc.opencc_convert_utf8(h, b, len(b))
        r = ctypes.string_at(p).decode()
        cc.opencc_convert_utf8_free(p)
        return r

    def walk(v):
        if isinstance(v, str):
            return conv(v)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: (walk(x) if k not in ("id", "kind", "qid", "to") else x) for k, x in v.items()}
        return v
    with open(path_in, encoding="utf-8") as f, open(path_out, "w", encoding="utf-8") as o:
        for line in f:
            if line.strip():
                o.write(json.dumps(walk(json.loads(line)), ensure_ascii=False) + "\n")


def run_libmatch(ds, args, queries_path=None, corpus_path=None):
    """(run, queries/s, probabilities or None) of lm_run on a set."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "run.tsv")
        cmd = [LM_RUN, "--corpus", corpus_path or ds.corpus_path, "--queries", queries_path or ds.queries_path,
               "--out", out, "--db", os.path.join(d, "lm.db"), "--k", "100"] + args
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            tail = "\n".join(p.stderr.strip().splitlines()[-5:])
            raise RuntimeError("lm_run exited with %d: %s" % (p.returncode, tail))
        stats = dict(tok.split("=", 1) for tok in p.stderr.split() if "=" in tok and not tok.startswith("-"))
        for key in ("skipped", "bad_lines", "failed"):
            if stats.get(key, "0") not in ("0", ""):
                print("  warning: lm_run reports %s=%s" % (key, stats[key]), file=sys.stderr)
        run, prob = datasets.read_run(out, probabilities=True)
        return run, float(stats.get("qps", 0) or 0), prob


SUFFIXES = ("-traditional", "-notags")


def lm_base(name):
    """The libmatch configuration of a system name (or None) and its
    variants: queries converted to Traditional script ("-traditional"),
    corpus and queries without domain tags ("-notags")."""
    variants = set()
    base = name
    while True:
        for suf in SUFFIXES:
            if base.endswith(suf):
                variants.add(suf[1:])
                base = base[:-len(suf)]
                break
        else:
            break
    return (base if base in LM_CONFIGS else None), variants


def strip_fields(path_in, path_out):
    """Records (corpus lines, or the records of query lines) without their
    domain tags: data as it often comes, without `fields`."""
    with open(path_in, encoding="utf-8") as f, open(path_out, "w", encoding="utf-8") as o:
        for line in f:
            if not line.strip():
                continue
            obj = json.loads(line)
            obj.pop("fields", None)
            if isinstance(obj.get("record"), dict):
                obj["record"].pop("fields", None)
            o.write(json.dumps(obj, ensure_ascii=False) + "\n")


def run_variant(ds, base, variants, corpus_path=None, queries_path=None):
    """lm_run of configuration `base` with its variants applied to the
    set's files (or to the given corpus and queries)."""
    corpus_path = corpus_path or ds.corpus_path
    queries_path = queries_path or ds.queries_path
    with tempfile.TemporaryDirectory() as d:
        if "notags" in variants:
            cp, qp = os.path.join(d, "c.jsonl"), os.path.join(d, "q0.jsonl")
            strip_fields(corpus_path, cp)
            strip_fields(queries_path, qp)
            corpus_path, queries_path = cp, qp
        if "traditional" in variants:
            qp = os.path.join(d, "q.jsonl")
            to_traditional(queries_path, qp)
            queries_path = qp
        return run_libmatch(ds, LM_CONFIGS[base], queries_path, corpus_path)


def peer_cache_key(ds, name):
    h = hashlib.sha1()
    for p in (ds.corpus_path, ds.queries_path, peers.__file__):
        with open(p, "rb") as f:
            h.update(hashlib.sha1(f.read()).digest())
    import sqlite3
    h.update(sqlite3.sqlite_version.encode())
    if name == "xapian":
        import xapian
        h.update(xapian.version_string().encode())
    return "%s-%s-%s.json" % (ds.name, name, h.hexdigest()[:16])


def run_peer_cached(ds, name, use_cache):
    path = os.path.join(CACHE, peer_cache_key(ds, name))
    if use_cache and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            c = json.load(f)
        return {q: [tuple(x) for x in r] for q, r in c["run"].items()}, c["qps"], True
    prog = report.Progress("  %s on %s" % (name, ds.name), len(ds.queries))
    try:
        run, _, qps = peers.run_peer(PEERS[name](), ds.corpus, ds.queries, progress=prog)
    finally:
        prog.done()
    if use_cache:
        os.makedirs(CACHE, exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump({"qps": qps, "run": run}, f, ensure_ascii=False)
        os.replace(path + ".tmp", path)
    return run, qps, False


def cross_query(qrels, run, prob):
    """The measures across queries of one run: the pairwise loss (scores),
    the top hit's AUC for "is it relevant" (probabilities when the run has
    them, else scores), and with probabilities ECE and log-loss over the
    top 10 and top 100 hits."""
    loss, _, npairs = calibration.pairwise_loss(qrels, calibration.run_scores(run))
    rows = calibration.top_hit(qrels, prob or run)
    a_top, _ = calibration.top_hit_aucs(rows)
    out = {"pairwise_loss": loss, "loss_pairs": npairs, "top_auc": a_top}
    if prob:
        for k in (10, 100):
            pairs = calibration.labelled(qrels, prob, k)
            out["ece@%d" % k] = calibration.ece(pairs)
            out["logloss@%d" % k] = calibration.log_loss(pairs)
    return out


def run_set(path, systems, use_cache=True, keep=None):
    """Run every system on one set; rows of metrics (a failed libmatch run
    gives a row with "error" set, the others go on).  keep, a dict, gets
    each system's probabilities when it has them (for the reliability
    diagrams)."""
    ds = datasets.DataSet(path)
    rows = []
    for name in systems:
        t = time.perf_counter()
        cached = False
        prob = None
        base, variants = lm_base(name)
        try:
            if base is not None:
                run, qps, prob = run_variant(ds, base, variants)
            else:
                run, qps, cached = run_peer_cached(ds, name, use_cache)
        except RuntimeError as e:
            print("  %-28s FAILED: %s" % (name, e), file=sys.stderr)
            rows.append({"system": name, "error": str(e), "ndcg@10": 0.0, "mrr@10": 0.0, "r@100": 0.0,
                         "qps": 0.0, "queries": 0, "seconds": time.perf_counter() - t})
            continue
        m = metrics.evaluate(ds.qrels, run)
        m.update(cross_query(ds.qrels, run, prob))
        m.update(system=name, qps=qps, seconds=time.perf_counter() - t, cached=cached)
        if prob and keep is not None:
            keep[name] = calibration.labelled(ds.qrels, prob, 10)
        rows.append(m)
        print("  %-28s nDCG@10 %.3f  (%.1fs%s)" % (name, m["ndcg@10"], m["seconds"], ", cached run" if cached else ""),
              file=sys.stderr)
    return ds.name, rows


def run_no_match(path, systems, folds=5):
    """The no-match set derived from a topical set (csl-topic): in each of
    `folds` runs a fold of the disciplines is left out of the corpus, so its
    needs have no relevant record; every need is asked in every run.  Per
    system: AUC of the top hit's probability (score for peers) for "is the
    top hit relevant" and "has this need any match", pooled over the runs,
    and the ECE of the top-10 hits."""
    ds = datasets.DataSet(path)
    rows = []
    for name in systems:
        base, variants = lm_base(name)
        pooled, pairs = [], []
        t = time.perf_counter()
        try:
            for f, out, kept, qrels in calibration.leave_out_folds(ds.corpus, ds.qrels, folds):
                with tempfile.TemporaryDirectory() as d:
                    cp = os.path.join(d, "corpus.jsonl")
                    with open(cp, "w", encoding="utf-8") as o:
                        for r in kept:
                            o.write(json.dumps(r, ensure_ascii=False) + "\n")
                    if base is not None:
                        run, _, prob = run_variant(ds, base, variants, corpus_path=cp)
                    else:
                        run, _, _ = peers.run_peer(PEERS[name](), kept, ds.queries)
                        prob = None
                pooled += calibration.top_hit(qrels, prob or run, [q["qid"] for q in ds.queries])
                if prob:
                    pairs += calibration.labelled(qrels, prob, 10)
        except RuntimeError as e:
            print("  %-28s FAILED: %s" % (name, e), file=sys.stderr)
            rows.append({"system": name, "error": str(e)})
            continue
        a_top, a_any = calibration.top_hit_aucs(pooled)
        row = {"system": name, "top_auc": a_top, "match_auc": a_any, "needs": len(pooled),
               "no_match": sum(1 for r in pooled if not r[3]), "ece@10": calibration.ece(pairs) if pairs else None,
               "seconds": time.perf_counter() - t}
        rows.append(row)
        print("  %-28s no-match AUC %.3f, top-hit AUC %.3f  (%.1fs)" % (name, a_any or 0, a_top or 0, row["seconds"]),
              file=sys.stderr)
    return rows


def table(name, rows):
    nq = max([r["queries"] for r in rows] or [0])
    out = ["### %s (%d queries with a relevant record)" % (name, nq), "",
           "| system | nDCG@10 | MRR@10 | R@100 | queries/s |", "|---|---|---|---|---|"]
    for r in rows:
        if r.get("error"):
            out.append("| %s | failed | | | |" % r["system"])
            continue
        qps = ("%.0f" if r["qps"] >= 10 else "%.2g") % r["qps"]
        out.append("| %s | %.3f | %.3f | %.3f | %s |" % (r["system"], r["ndcg@10"], r["mrr@10"], r["r@100"], qps))
    return "\n".join(out)


def fmt(v, spec="%.3f"):
    return "n/a" if v is None else spec % v


def cross_table(name, rows):
    """The measures across queries (lmbench/calibration.py) of every system
    on one set."""
    out = ["#### %s: scores across queries" % name, "",
           "| system | pairwise loss | top-hit AUC | ECE@10 | ECE@100 | log-loss@10 |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("error"):
            continue
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            r["system"], fmt(r.get("pairwise_loss")), fmt(r.get("top_auc")), fmt(r.get("ece@10")),
            fmt(r.get("ece@100")), fmt(r.get("logloss@10"))))
    return "\n".join(out)


def no_match_table(name, rows, folds):
    n = max([r.get("needs", 0) for r in rows] or [0])
    nm = max([r.get("no_match", 0) for r in rows] or [0])
    out = ["#### no-match set derived from %s (%d folds of disciplines left out; %d needs asked, %d without a "
           "match)" % (name, folds, n, nm), "",
           "| system | AUC has-any-match | AUC top-hit-relevant | ECE@10 |", "|---|---|---|---|"]
    for r in rows:
        if r.get("error"):
            out.append("| %s | failed | | |" % r["system"])
            continue
        out.append("| %s | %s | %s | %s |" % (r["system"], fmt(r.get("match_auc")), fmt(r.get("top_auc")),
                                              fmt(r.get("ece@10"))))
    return "\n".join(out)


def reliability_plot(name, per_system, path, meta):
    """A reliability diagram: for each system with probabilities, the share
    of relevant hits against the mean predicted probability per bin (top 10
    hits of every query), the diagonal, and how many hits fall in each bin."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, axh) = plt.subplots(2, 1, figsize=(6.0, 7.0), gridspec_kw={"height_ratios": [3, 1]}, sharex=True)
    ax.plot([0, 1], [0, 1], color="#999999", lw=1, ls="--", label="perfect calibration")
    colors = ["#2f6db5", "#e08a2c", "#4a9c5d", "#b5452f", "#7a4ab5", "#555555"]
    for i, (sysname, pairs) in enumerate(per_system.items()):
        bins = calibration.reliability(pairs)
        xs = [b[3] for b in bins if b[2]]
        ys = [b[4] for b in bins if b[2]]
        c = colors[i % len(colors)]
        ax.plot(xs, ys, marker="o", color=c, label="%s (ECE %.3f, %d hits)" % (sysname, calibration.ece(pairs),
                                                                              len(pairs)))
        width = 0.1 / (len(per_system) + 0.5)
        axh.bar([b[0] + width * (i + 0.25) for b in bins], [b[2] for b in bins], width=width, color=c, align="edge")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share relevant (grade >= 1)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("%s: reliability of the match probability (top 10 hits)\nlibmatch %s (%s), %s"
                 % (name, meta.get("libmatch") or "?", (meta.get("git_describe") or "?")[:20], meta["date"][:10]),
                 fontsize=9)
    axh.set_xlabel("predicted probability (bin)")
    axh.set_ylabel("hits")
    axh.set_yscale("log")
    axh.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# The bars of issue #13, by the role of a set (the public sets play them
# here; the same code checks the hidden sets of the same roles).
ROLES = {"csl-topic": "topical", "csl-need2paper": "known-item", "expertise-en": "experts"}


def goals(results, no_match):
    """Lines "goal | figure | bar | met" of the quality bars, for the roles
    present among the sets run."""
    def get(role, system, key="ndcg@10"):
        for name, rows in results.items():
            if ROLES.get(name) == role:
                for r in rows:
                    if r["system"] == system and not r.get("error"):
                        return r.get(key)
        return None
    out = ["#### goals (issue #13)", "", "| goal | figure | bar | met |", "|---|---|---|---|"]

    def row(what, v, bar, ok):
        if v is not None and bar is not None:
            out.append("| %s | %.3f | %s | %s |" % (what, v, bar, "yes" if ok(v) else "**no**"))
    x = get("topical", "xapian")
    v = get("topical", "libmatch")
    row("topical nDCG@10 >= xapian + 0.05", v, None if x is None else "%.3f" % (x + 0.05), lambda v: v >= x + 0.05)
    row("known-item nDCG@10 >= 0.96", get("known-item", "libmatch"), "0.960", lambda v: v >= 0.96)
    xe = get("experts", "xapian")
    row("experts nDCG@10 >= xapian + 0.15", get("experts", "libmatch"), None if xe is None else "%.3f" % (xe + 0.15),
        lambda v: v >= xe + 0.15)
    for role in ("topical", "known-item", "experts"):
        a, b = get(role, "libmatch"), get(role, "libmatch-traditional")
        if a is not None and b is not None:
            row("%s: Traditional = Simplified (difference)" % role, abs(a - b), "0.005", lambda v: v <= 0.005)
    row("topical without tags >= xapian + 0.015", get("topical", "libmatch-notags"),
        None if x is None else "%.3f" % (x + 0.015), lambda v: v >= x + 0.015)
    row("known-item without tags >= 0.95", get("known-item", "libmatch-notags"), "0.950", lambda v: v >= 0.95)
    row("experts: pairwise loss <= 0.27", get("experts", "libmatch", "pairwise_loss"), "0.270", lambda v: v <= 0.27)
    for role in ("topical", "known-item", "experts"):
        row("%s: top-hit AUC >= 0.80" % role, get(role, "libmatch", "top_auc"), "0.800", lambda v: v >= 0.80)
        row("%s: ECE@10 <= 0.10" % role, get(role, "libmatch", "ece@10"), "0.100", lambda v: v <= 0.10)
        row("%s: ECE@100 <= 0.10" % role, get(role, "libmatch", "ece@100"), "0.100", lambda v: v <= 0.10)
    for name, rows in no_match.items():
        for r in rows:
            if r["system"] == "libmatch" and not r.get("error"):
                row("no-match set from %s: has-any-match AUC >= 0.80" % name, r.get("match_auc"), "0.800",
                    lambda v: v >= 0.80)
                row("no-match set from %s: top-hit AUC >= 0.80" % name, r.get("top_auc"), "0.800",
                    lambda v: v >= 0.80)
    return "\n".join(out)


EPILOG = """data: --data (make bench-quality DATA=dir), else every set in
$LIBMATCH_BENCH_DATA when it is set, else in ../shared/bench-data next to this
checkout, else next to the main checkout of a git worktree.

exit status: 0 every system ran; 1 a system failed or a set is malformed;
2 bad arguments; %d no data set found (nothing was measured; the message says
where it looked and how to get the data).""" % report.EXIT_NO_DATA


def configurations(systems):
    """What each system is, for the JSON record of the run."""
    out = {}
    for name in systems:
        base, variants = lm_base(name)
        if base is not None:
            out[name] = {"kind": "libmatch", "lm_run_args": ["--k", "100"] + LM_CONFIGS[base],
                         "queries": "converted to Traditional script (OpenCC s2t)" if "traditional" in variants
                         else "as given",
                         "fields": "removed from corpus and queries" if "notags" in variants else "as given"}
        else:
            out[name] = {"kind": "peer", "description": PEER_DESCRIPTIONS.get(name, name), "k": 100}
    return out


def plot(results, path, meta):
    """Per set, for every system, nDCG@10, MRR@10 and R@100 side by side,
    with their values; libmatch configurations and peers told apart."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    metrics_ = (("ndcg@10", "nDCG@10", "#2f6db5"), ("mrr@10", "MRR@10", "#e08a2c"), ("r@100", "R@100", "#4a9c5d"))
    nsys = max(len(rows) for rows in results.values())
    fig, axes = plt.subplots(1, len(results), figsize=(max(7.5, 6.5 * len(results)), 2.0 + 0.62 * nsys),
                             squeeze=False)
    bar = 0.27
    for ax, (name, rows) in zip(axes[0], results.items()):
        ys = range(len(rows))
        for j, (key, label, color) in enumerate(metrics_):
            vals = [0.0 if r.get("error") else r[key] for r in rows]
            pos = [y + (j - 1) * bar for y in ys]
            bars = ax.barh(pos, vals, height=bar, color=color, label=label)
            for b, v, r in zip(bars, vals, rows):
                text = "failed" if r.get("error") else "%.3f" % v
                ax.text(b.get_width() + 0.01, b.get_y() + b.get_height() / 2, text, va="center", fontsize=6.5)
        ax.set_yticks(list(ys))
        ax.set_yticklabels([r["system"] for r in rows], fontsize=8)
        for tick, r in zip(ax.get_yticklabels(), rows):
            if lm_base(r["system"])[0] is None:
                tick.set_color("#8a5a2b")          # peers
                tick.set_fontstyle("italic")
        ax.invert_yaxis()
        ax.set_xlim(0, 1.12)
        ax.set_xlabel("score (peers in brown italics)")
        nq = max([r.get("queries", 0) for r in rows] or [0])
        ax.set_title("%s (%d queries)" % (name, nq))
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    commit = (meta.get("git_describe") or meta.get("git_commit") or "?")[:20]
    head = 0.8                                  # inches for the title and the legend
    top = 1 - head / fig.get_figheight()
    fig.suptitle("libmatch %s (%s) and its peers: nDCG@10, MRR@10, R@100\n%s, %s, %d cores"
                 % (meta.get("libmatch") or "?", commit, meta["date"][:10], meta["host"]["cpu"],
                    meta["host"]["cores"] or 0), fontsize=10, y=1 - 0.15 / fig.get_figheight(), va="top")
    fig.legend(handles, labels, loc="upper center", ncol=3, fontsize=9, frameon=False,
               bbox_to_anchor=(0.5, 1 - 0.55 / fig.get_figheight()))
    fig.tight_layout(rect=(0, 0, 1, top))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=EPILOG,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", action="append", help="a set folder (repeatable); default: see 'data' below")
    ap.add_argument("--systems", nargs="+", default=["xapian", "xapian-wqf", "fts5-trigram", "fts5-unicode61", "libmatch",
                                                     "libmatch-traditional", "libmatch-hybrid", "libmatch-bm25-only",
                                                     "libmatch-dense-only", "libmatch-bm25+dense", "libmatch-words",
                                                     "libmatch-subwords", "libmatch-bigrams", "libmatch-prf",
                                                     "libmatch-rrf", "libmatch-hybrid-rrf", "libmatch-no-unigrams",
                                                     "libmatch-no-latent", "libmatch-notags",
                                                     "libmatch-no-unigrams-notags", "libmatch-no-latent-notags"])
    ap.add_argument("--lm-config", action="append", default=[], metavar="NAME=ARGS",
                    help="a libmatch configuration: NAME=lm_run arguments (repeatable); NAME is added to the systems")
    ap.add_argument("--json", help="write the figures and the run's metadata (version, commit, host, date, "
                                   "configurations) as JSON")
    ap.add_argument("--plot", help="write a PNG of nDCG@10, MRR@10 and R@100 per system and set")
    ap.add_argument("--no-cache", action="store_true", help="rerun the peers even when a cached run exists")
    ap.add_argument("--reliability-dir", default=os.path.join(HERE, "out"),
                    help="where the reliability diagrams go: reliability-SET.png (default bench/out)")
    ap.add_argument("--no-match-from", default="csl-topic", metavar="SET",
                    help="the topical set the no-match set is derived from (default csl-topic; '' to skip)")
    ap.add_argument("--no-match-systems", nargs="+", default=["xapian", "libmatch", "libmatch-notags"],
                    help="systems run on the derived no-match set (default: xapian libmatch libmatch-notags)")
    ap.add_argument("--folds", type=int, default=5, help="folds of disciplines for the no-match set (default 5)")
    a = ap.parse_args()
    systems = list(a.systems)
    for spec in a.lm_config:
        name, eq, args = spec.partition("=")
        if not eq or not name or name in PEERS or name.endswith(SUFFIXES):
            ap.error("--lm-config wants NAME=ARGS with a new NAME (not a peer, not ending in %s): %r"
                     % (" or ".join(SUFFIXES), spec))
        LM_CONFIGS[name] = shlex.split(args)
        if name not in systems:
            systems.append(name)
    unknown = [s for s in systems + (a.no_match_systems if a.no_match_from else [])
               if s not in PEERS and lm_base(s)[0] is None]
    if unknown:
        ap.error("unknown system(s) %s; known: %s" % (", ".join(unknown), ", ".join(list(PEERS) + list(LM_CONFIGS))))
    sets = a.data or report.find_sets(datasets.find_sets)[1]
    if not sets:
        print(report.no_data_message("bench-quality"), file=sys.stderr)
        return report.EXIT_NO_DATA
    if any(lm_base(s)[0] is not None for s in systems) and not os.path.exists(LM_RUN):
        print("bench-quality: %s missing; run `make build/bench/lm_run`" % LM_RUN, file=sys.stderr)
        return 1
    meta = report.run_meta(configurations(systems), {"k": 100})
    results = {}
    no_match = {}
    for path in sets:
        if not os.path.exists(os.path.join(path, "corpus.jsonl")):
            print("bench-quality: %s has no corpus.jsonl; skipped" % path)
            continue
        print("== %s" % path, file=sys.stderr)
        keep = {}
        try:
            name, rows = run_set(path, systems, use_cache=not a.no_cache, keep=keep)
        except (OSError, datasets.FormatError) as e:
            print("bench-quality: %s: %s" % (path, e), file=sys.stderr)
            return 1
        results[name] = rows
        meta.setdefault("sets", {})[name] = os.path.abspath(path)
        print(table(name, rows))
        print()
        print(cross_table(name, rows))
        print()
        if keep and a.reliability_dir:
            os.makedirs(a.reliability_dir, exist_ok=True)
            png = os.path.join(a.reliability_dir, "reliability-%s.png" % name)
            reliability_plot(name, {k: v for k, v in keep.items() if k in ("libmatch", "libmatch-notags",
                                                                          "libmatch-hybrid")} or keep, png, meta)
            print("reliability diagram: %s" % png, file=sys.stderr)
        if a.no_match_from and name == a.no_match_from:
            print("== no-match set derived from %s" % name, file=sys.stderr)
            nm = run_no_match(path, a.no_match_systems, a.folds)
            no_match[name] = nm
            print(no_match_table(name, nm, a.folds))
            print()
    if not results:
        print(report.no_data_message("bench-quality"), file=sys.stderr)
        return report.EXIT_NO_DATA
    print(goals(results, no_match))
    print()
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"meta": meta, "results": results, "no_match": no_match}, f, indent=2, ensure_ascii=False)
    if a.plot:
        plot(results, a.plot, meta)
    failed = any(r.get("error") for rows in list(results.values()) + list(no_match.values()) for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
