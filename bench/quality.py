#!/usr/bin/env python3
"""Match quality of libmatch and its peers, side by side, in one run.

    make bench-quality [DATA=path/to/set] [BENCH_ARGS="--json out.json --plot out.png"]
    /usr/bin/python3 bench/quality.py [--data DIR] [--systems ...] [--json F] [--plot F]

Every system answers every query of a set (k=100) and is scored by the same
metric code (lmbench/metrics.py).  With no --data, every set under
../shared/bench-data/ that has a corpus is run; none -> a message, exit 0.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from lmbench import datasets, metrics, peers  # noqa: E402

LM_RUN = os.path.join(ROOT, "build", "bench", "lm_run")

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
            raise RuntimeError("lm_run failed: %s" % p.stderr.strip())
        qps = 0.0
        for tok in p.stderr.split():
            if tok.startswith("qps="):
                qps = float(tok[4:])
        return datasets.read_run(out), qps


def run_set(path, systems):
    ds = datasets.DataSet(path)
    rows = []
    for name in systems:
        t = time.perf_counter()
        if name.startswith("libmatch"):
            trad = name.endswith("-traditional")
            base = name[:-len("-traditional")] if trad else name
            if trad:
                with tempfile.TemporaryDirectory() as d:
                    qp = os.path.join(d, "q.jsonl")
                    to_traditional(ds.queries_path, qp)
                    run, qps = run_libmatch(ds, LM_CONFIGS[base], qp)
            else:
                run, qps = run_libmatch(ds, LM_CONFIGS[base])
        else:
            peer = {"xapian": peers.Xapian, "fts5-trigram": lambda: peers.FTS5("trigram"),
                    "fts5-unicode61": lambda: peers.FTS5("unicode61")}[name]()
            run, _, qps = peers.run_peer(peer, ds.corpus, ds.queries)
        m = metrics.evaluate(ds.qrels, run)
        m.update(system=name, qps=qps, seconds=time.perf_counter() - t)
        rows.append(m)
        print("  %-28s nDCG@10 %.3f  (%.1fs)" % (name, m["ndcg@10"], m["seconds"]), file=sys.stderr)
    return ds.name, rows


def table(name, rows):
    out = ["### %s (%d queries)" % (name, rows[0]["queries"] if rows else 0), "",
           "| system | nDCG@10 | MRR@10 | R@100 | queries/s |", "|---|---|---|---|---|"]
    for r in rows:
        out.append("| %s | %.3f | %.3f | %.3f | %.0f |" % (r["system"], r["ndcg@10"], r["mrr@10"], r["r@100"], r["qps"]))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", action="append", help="a set folder (repeatable); default: all under ../shared/bench-data")
    ap.add_argument("--systems", nargs="+", default=["xapian", "fts5-trigram", "fts5-unicode61", "libmatch",
                                                     "libmatch-traditional", "libmatch-hybrid", "libmatch-bm25-only",
                                                     "libmatch-dense-only", "libmatch-bm25+dense", "libmatch-words",
                                                     "libmatch-subwords", "libmatch-bigrams", "libmatch-prf",
                                                     "libmatch-rrf", "libmatch-hybrid-rrf"])
    ap.add_argument("--json", help="write the figures as JSON")
    ap.add_argument("--plot", help="write a PNG bar chart of nDCG@10")
    a = ap.parse_args()
    sets = a.data or datasets.find_sets(os.path.join(ROOT, "..", "shared", "bench-data"))
    if not sets:
        print("bench-quality: no data set found (expected ../shared/bench-data/<set>/corpus.jsonl); skipping")
        return 0
    if any(s.startswith("libmatch") for s in a.systems) and not os.path.exists(LM_RUN):
        print("bench-quality: %s missing; run `make build/bench/lm_run`" % LM_RUN)
        return 1
    results = {}
    for path in sets:
        if not os.path.exists(os.path.join(path, "corpus.jsonl")):
            print("bench-quality: %s has no corpus.jsonl; skipped" % path)
            continue
        print("== %s" % path, file=sys.stderr)
        name, rows = run_set(path, a.systems)
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
            ax.barh([r["system"] for r in rows], [r["ndcg@10"] for r in rows], color="#4a7ab0")
            ax.set_title(name)
            ax.set_xlabel("nDCG@10")
            ax.invert_yaxis()
        fig.tight_layout()
        fig.savefig(a.plot, dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
