#!/usr/bin/env python3
"""Match quality of libmatch and its peers, side by side, in one run.

    make bench-quality [DATA=path/to/set] [BENCH_ARGS="--json out.json --plot out.png"]
    /usr/bin/python3 bench/quality.py [--data DIR] [--systems ...] [--json F] [--plot F]

Every system answers every query of a set (k=100) and is scored by the same
metric code (lmbench/metrics.py).  With no --data, every set under
../shared/bench-data/ that has a corpus is run; none -> a message, exit 0.

Systems: the peers (xapian, fts5-trigram, fts5-unicode61) and libmatch
configurations (LM_CONFIGS below, plus any --lm-config NAME=ARGS, where ARGS
are lm_run arguments, e.g. --lm-config "lm-k1=--opt bm25_k1=1.5 --opt bm25_b=0.6").
Any libmatch configuration name + "-traditional" runs it with the queries
converted to Traditional script.  Peer runs are deterministic and cached in
bench/out/cache/ (keyed by the set's files, the peer code and the library
versions; --no-cache ignores it).
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
from lmbench import datasets, metrics, peers  # noqa: E402

LM_RUN = os.path.join(ROOT, "build", "bench", "lm_run")
CACHE = os.path.join(HERE, "out", "cache")

PEERS = {"xapian": peers.Xapian, "xapian-wqf": lambda: peers.Xapian(use_wqf=True), "fts5-trigram": lambda: peers.FTS5("trigram"),
         "fts5-unicode61": lambda: peers.FTS5("unicode61")}

# libmatch configurations: name -> lm_run arguments.
LM_CONFIGS = {
    "libmatch": [],
    "libmatch-hybrid": ["--vectors", "0"],
    "libmatch-bm25-only": ["--opt", "w_topic=0", "--opt", "w_evidence=0"],
    "libmatch-dense-only": ["--vectors", "0", "--opt", "w_bm25=0", "--opt", "w_topic=0", "--opt", "w_fields=0",
                            "--opt", "w_cosine=1"],
    "libmatch-bm25+dense": ["--vectors", "0", "--opt", "w_topic=0", "--opt", "w_evidence=0"],
    "libmatch-words": ["--mode", "words"],
    "libmatch-subwords": ["--mode", "subwords"],
    "libmatch-bigrams": ["--mode", "bigrams"],
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


def run_libmatch(ds, args, queries_path=None):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "run.tsv")
        cmd = [LM_RUN, "--corpus", ds.corpus_path, "--queries", queries_path or ds.queries_path,
               "--out", out, "--db", os.path.join(d, "lm.db"), "--k", "100"] + args
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            tail = "\n".join(p.stderr.strip().splitlines()[-5:])
            raise RuntimeError("lm_run exited with %d: %s" % (p.returncode, tail))
        stats = dict(tok.split("=", 1) for tok in p.stderr.split() if "=" in tok and not tok.startswith("-"))
        for key in ("skipped", "bad_lines", "failed"):
            if stats.get(key, "0") not in ("0", ""):
                print("  warning: lm_run reports %s=%s" % (key, stats[key]), file=sys.stderr)
        return datasets.read_run(out), float(stats.get("qps", 0) or 0)


def lm_base(name):
    """The libmatch configuration of a system name (or None) and whether its
    queries are converted to Traditional script."""
    trad = name.endswith("-traditional")
    base = name[:-len("-traditional")] if trad else name
    return (base if base in LM_CONFIGS else None), trad


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
    run, _, qps = peers.run_peer(PEERS[name](), ds.corpus, ds.queries)
    if use_cache:
        os.makedirs(CACHE, exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump({"qps": qps, "run": run}, f, ensure_ascii=False)
        os.replace(path + ".tmp", path)
    return run, qps, False


def run_set(path, systems, use_cache=True):
    """Run every system on one set; rows of metrics (a failed libmatch run
    gives a row with "error" set, the others go on)."""
    ds = datasets.DataSet(path)
    rows = []
    for name in systems:
        t = time.perf_counter()
        cached = False
        base, trad = lm_base(name)
        try:
            if base is not None and trad:
                with tempfile.TemporaryDirectory() as d:
                    qp = os.path.join(d, "q.jsonl")
                    to_traditional(ds.queries_path, qp)
                    run, qps = run_libmatch(ds, LM_CONFIGS[base], qp)
            elif base is not None:
                run, qps = run_libmatch(ds, LM_CONFIGS[base])
            else:
                run, qps, cached = run_peer_cached(ds, name, use_cache)
        except RuntimeError as e:
            print("  %-28s FAILED: %s" % (name, e), file=sys.stderr)
            rows.append({"system": name, "error": str(e), "ndcg@10": 0.0, "mrr@10": 0.0, "r@100": 0.0,
                         "qps": 0.0, "queries": 0, "seconds": time.perf_counter() - t})
            continue
        m = metrics.evaluate(ds.qrels, run)
        m.update(system=name, qps=qps, seconds=time.perf_counter() - t, cached=cached)
        rows.append(m)
        print("  %-28s nDCG@10 %.3f  (%.1fs%s)" % (name, m["ndcg@10"], m["seconds"], ", cached run" if cached else ""),
              file=sys.stderr)
    return ds.name, rows


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", action="append", help="a set folder (repeatable); default: all under ../shared/bench-data")
    ap.add_argument("--systems", nargs="+", default=["xapian", "xapian-wqf", "fts5-trigram", "fts5-unicode61", "libmatch",
                                                     "libmatch-traditional", "libmatch-hybrid", "libmatch-bm25-only",
                                                     "libmatch-dense-only", "libmatch-bm25+dense", "libmatch-words",
                                                     "libmatch-subwords", "libmatch-bigrams", "libmatch-prf",
                                                     "libmatch-rrf", "libmatch-hybrid-rrf"])
    ap.add_argument("--lm-config", action="append", default=[], metavar="NAME=ARGS",
                    help="a libmatch configuration: NAME=lm_run arguments (repeatable); NAME is added to the systems")
    ap.add_argument("--json", help="write the figures as JSON")
    ap.add_argument("--plot", help="write a PNG bar chart of nDCG@10")
    ap.add_argument("--no-cache", action="store_true", help="rerun the peers even when a cached run exists")
    a = ap.parse_args()
    systems = list(a.systems)
    for spec in a.lm_config:
        name, eq, args = spec.partition("=")
        if not eq or not name or name in PEERS or name.endswith("-traditional"):
            ap.error("--lm-config wants NAME=ARGS with a new NAME (not a peer, not ending in -traditional): %r" % spec)
        LM_CONFIGS[name] = shlex.split(args)
        if name not in systems:
            systems.append(name)
    unknown = [s for s in systems if s not in PEERS and lm_base(s)[0] is None]
    if unknown:
        ap.error("unknown system(s) %s; known: %s" % (", ".join(unknown), ", ".join(list(PEERS) + list(LM_CONFIGS))))
    root = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench-data"))
    sets = a.data or datasets.find_sets(root)
    if not sets:
        print("bench-quality: no data set found (expected %s/<set>/corpus.jsonl); skipping" % root)
        return 0
    if any(lm_base(s)[0] is not None for s in systems) and not os.path.exists(LM_RUN):
        print("bench-quality: %s missing; run `make build/bench/lm_run`" % LM_RUN)
        return 1
    results = {}
    for path in sets:
        if not os.path.exists(os.path.join(path, "corpus.jsonl")):
            print("bench-quality: %s has no corpus.jsonl; skipped" % path)
            continue
        print("== %s" % path, file=sys.stderr)
        try:
            name, rows = run_set(path, systems, use_cache=not a.no_cache)
        except (OSError, datasets.FormatError) as e:
            print("bench-quality: %s: %s" % (path, e))
            return 1
        results[name] = rows
        print(table(name, rows))
        print()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)
    if a.plot and results:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 4), squeeze=False)
        for ax, (name, rows) in zip(axes[0], results.items()):
            colors = ["#4a7ab0" if lm_base(r["system"])[0] else "#b0804a" for r in rows]
            ax.barh([r["system"] for r in rows], [r["ndcg@10"] for r in rows], color=colors)
            ax.set_title(name)
            ax.set_xlabel("nDCG@10")
            ax.invert_yaxis()
        fig.tight_layout()
        fig.savefig(a.plot, dpi=100)
    return 1 if any(r.get("error") for rows in results.values() for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
