#!/usr/bin/env python3
"""Speed of libmatch beside its peers, same machine, same run.

    make bench-speed [BENCH_ARGS="--sizes 10000 100000 --json out.json --plot out.png"]
    make bench-speed BENCH_ARGS="--sizes 100000 1000000 --systems libmatch xapian:100000"

- indexing: records/s for N records (real sentences of the bench sets
  recombined into new records when a set is smaller), libmatch vs Xapian vs
  FTS5 trigram; bytes on disk per record;
- query latency: p50/p99 over 1,000 record queries and the same as free text,
  top-10, libmatch vs Xapian; how latency grows from one size to the next
  (the exponent of a power law through the two points);
- the semantic vectors: build time and peak memory;
- analyzer throughput: MB/s of Chinese text on one core;
- batch matching GFLOP/s beside a bare sgemm (sizes up to --batch-max);
- peak RSS of each job (each runs in its own process).
Figures are reported, never asserted.  The default run (10k and 100k
records) takes about 5 minutes on 2 cores; see bench/README.md.
"""
import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from lmbench import datasets, report  # noqa: E402

LM_SPEED = os.path.join(ROOT, "build", "bench", "lm_speed")


def rss_job(cmd, coretype=None):
    """Run cmd; returns (stdout, its peak RSS in MB read through wait4)."""
    env = dict(os.environ)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd[:2]), err.strip()))
    return out, ru.ru_maxrss / 1024.0


def kv(line):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}


HAN = re.compile(r"[\u4e00-\u9fff]")


def is_chinese(s):
    return len(HAN.findall(s)) * 2 > len(s)


def sentences(sets):
    """(Chinese sentences, other sentences, keywords) of the sets' records."""
    zh, other, kws = [], [], []
    for path in sets:
        for r in datasets.read_corpus(os.path.join(path, "corpus.jsonl")):
            kws += [k for k in r.get("keywords") or [] if isinstance(k, str)]
            for key in ("title", "abstract", "description", "bio", "research"):
                text = r.get(key) or ""
                for s in re.split(r"(?<=[。；;!?！？])|(?<=\.) ", text):
                    if len(s.strip()) > 8:
                        (zh if is_chinese(s) else other).append(s.strip())
    return zh, other, kws


def generate(pools, n, path, seed=7):
    """n achievements recombining real sentences: each record takes 3-6
    sentences of one language (Chinese as often as the sets have Chinese
    sentences), a title cut from a sentence, three real keywords."""
    zh, other, kws = pools
    rnd = random.Random(seed)
    p_zh = len(zh) / float(len(zh) + len(other))
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            pool, sep = (zh, "") if not other or rnd.random() < p_zh else (other, " ")
            body = sep.join(rnd.choice(pool) for _ in range(rnd.randint(3, 6)))
            rec = {"id": "g%07d" % i, "kind": "achievement", "title": rnd.choice(pool)[:40], "abstract": body,
                   "keywords": [rnd.choice(kws) for _ in range(3)] if kws else []}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def query_file(sets, n, path):
    """n record queries to achievements, cycling through the sets' record
    queries (any direction is turned into -> achievement)."""
    qs = []
    for s in sets:
        p = os.path.join(s, "queries.jsonl")
        if os.path.exists(p):
            qs += [q for q in datasets.read_queries(p) if "record" in q]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(min(n, len(qs) * 1000)):
            q = dict(qs[i % len(qs)], qid="s%d" % i, to="achievement")
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    return len(qs)


PEER_INDEX = r'''
import json, sys, time, os, sqlite3
# Streams the JSONL (reading and parsing are timed, as lm_load_jsonl's are).
kind, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
text = lambda r: " ".join([r.get("title", ""), r.get("abstract", "")] + r.get("keywords", []))
def recs():
    with open(path, encoding="utf-8") as f:
        for l in f:
            yield json.loads(l)
n = 0
t0 = time.perf_counter()
if kind == "xapian":
    import xapian
    db = xapian.WritableDatabase(out, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator(); tg.set_stemmer(xapian.Stem("english")); tg.set_flags(tg.FLAG_CJK_NGRAM)
    for r in recs():
        d = xapian.Document(); tg.set_document(d); tg.index_text(text(r)); d.set_data(r["id"]); db.add_document(d)
        n += 1
    db.commit(); db.close()
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
else:
    db = sqlite3.connect(out)
    db.execute("CREATE VIRTUAL TABLE t USING fts5(did UNINDEXED, body, tokenize='trigram')")
    rows = [0]
    def gen():
        for r in recs():
            rows[0] += 1
            yield r["id"], text(r)
    db.executemany("INSERT INTO t VALUES(?, ?)", gen()); db.commit(); db.close()
    n = rows[0]
    size = os.path.getsize(out)
dt = time.perf_counter() - t0
print("records=%d seconds=%.3f records_per_s=%.1f bytes_per_record=%.0f" % (n, dt, n / dt, size / n))
'''

PEER_QUERY = r'''
import json, sys, time, xapian
path, qpath, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = xapian.Database(path)
tg = xapian.TermGenerator(); tg.set_stemmer(xapian.Stem("english")); tg.set_flags(tg.FLAG_CJK_NGRAM)
lat = []
for line in open(qpath, encoding="utf-8"):
    if len(lat) >= n: break
    q = json.loads(line)
    if "record" not in q: continue
    r = q["record"]; text = " ".join([r.get("title", ""), r.get("description", "") or r.get("abstract", "")] + r.get("keywords", []))
    t0 = time.perf_counter()
    d = xapian.Document(); tg.set_document(d); tg.index_text(text)
    e = xapian.Enquire(db); e.set_query(xapian.Query(xapian.Query.OP_OR, [t.term for t in d.termlist()]))
    e.get_mset(0, 10)
    lat.append((time.perf_counter() - t0) * 1000)
lat.sort()
print("queries=%d p50_ms=%.3f p99_ms=%.3f" % (len(lat), lat[len(lat) // 2], lat[min(len(lat) - 1, len(lat) * 99 // 100)]))
'''


SYSTEMS = ("libmatch", "xapian", "fts5-trigram")


def ratio(a, b):
    return a / b if b else float("nan")


def parse_systems(specs):
    """['libmatch', 'xapian:100000'] -> {'libmatch': None, 'xapian': 100000}:
    each system with the largest size it runs at (None: every size).
    Raises ValueError naming a bad entry."""
    out = {}
    for spec in specs:
        name, _, cap = spec.partition(":")
        if name not in SYSTEMS:
            raise ValueError("unknown system '%s' (known: %s)" % (name, ", ".join(SYSTEMS)))
        if cap:
            try:
                cap_n = int(cap)
            except ValueError:
                raise ValueError("'%s': the size after ':' must be a number of records" % spec)
            if cap_n < 1:
                raise ValueError("'%s': the size after ':' must be positive" % spec)
            out[name] = cap_n
        else:
            out[name] = None
    if "libmatch" not in out:
        raise ValueError("--systems must include libmatch (the other systems are compared with it)")
    return out


def runs_at(systems, name, n):
    return name in systems and (systems[name] is None or n <= systems[name])


def growth(n1, v1, n2, v2):
    """Exponent e of v = c n^e through (n1, v1) and (n2, v2): 1 is linear
    growth, 0 none.  NaN when a value is missing or not positive."""
    if not (v1 and v2 and v1 > 0 and v2 > 0 and n1 > 0 and n2 > 0 and n1 != n2):
        return float("nan")
    return math.log(v2 / v1) / math.log(float(n2) / n1)


def growth_rows(sizes):
    """[(n1, n2, metric, v1, v2, ratio, exponent)] for consecutive sizes of
    libmatch's latencies; sizes = {n: row}."""
    keys = (("record p50", "p50_ms"), ("record p99", "p99_ms"), ("text p50", "text_p50_ms"),
            ("text p99", "text_p99_ms"))
    ns = sorted(sizes)
    rows = []
    for a, b in zip(ns, ns[1:]):
        qa, qb = sizes[a].get("libmatch-query"), sizes[b].get("libmatch-query")
        if not qa or not qb:
            continue
        for label, k in keys:
            va, vb = qa.get(k), qb.get(k)
            if va is None or vb is None:
                continue
            rows.append((a, b, label, va, vb, ratio(vb, va), growth(a, va, b, vb)))
    return rows


def fmt(v, spec="%.2f"):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else spec % v


def plot(res, path):
    """PNG of query latency against the number of records (log-log): libmatch
    record and free-text queries, p50 and p99, and Xapian where it ran."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ns = sorted(int(n) for n in res["sizes"])
    fig, ax = plt.subplots(figsize=(7.5, 5))
    series = (("libmatch-query", "p50_ms", "libmatch record p50", "C0", "-", "o"),
              ("libmatch-query", "p99_ms", "libmatch record p99", "C0", "--", "o"),
              ("libmatch-query", "text_p50_ms", "libmatch free text p50", "C2", "-", "s"),
              ("libmatch-query", "text_p99_ms", "libmatch free text p99", "C2", "--", "s"),
              ("xapian-query", "p50_ms", "xapian record p50", "C1", "-", "^"),
              ("xapian-query", "p99_ms", "xapian record p99", "C1", "--", "^"))
    for job, key, label, color, ls, marker in series:
        pts = [(n, res["sizes"][n][job][key]) for n in ns if job in res["sizes"][n] and key in res["sizes"][n][job]]
        if not pts:
            continue
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=color, linestyle=ls, marker=marker, label=label)
        for x, y in pts:
            ax.annotate("%.1f" % y, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7, color=color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("records")
    ax.set_ylabel("latency per query, ms (top-10)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    m = res["meta"]
    ax.set_title("query latency against size\nlibmatch %s, %s, %s, %s (%s cores)" % (
        m.get("libmatch"), (m.get("git_describe") or "?"), m.get("date", "")[:10],
        m["host"].get("cpu", "?")[:40], m["host"].get("cores")), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="systems: libmatch (always), xapian, fts5-trigram; NAME:N runs NAME only at "
                                        "sizes up to N records\n(e.g. --systems libmatch xapian:100000 leaves Xapian "
                                        "out of a 1,000,000-record size).\n\ndata: --data, else the sets of "
                                        "$LIBMATCH_BENCH_DATA when it is set, else of "
                                        "../shared/bench-data\nnext to this checkout (or next to the main checkout of a "
                                        "git worktree).\n\nexit status: 0 done; 1 a job failed; 2 bad arguments; %d no "
                                        "data set found." % report.EXIT_NO_DATA)
    ap.add_argument("--data", action="append", help="a set folder (repeatable); default: see 'data' below")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000], help="records to index (default 10000 100000)")
    ap.add_argument("--systems", nargs="+", default=list(SYSTEMS), metavar="NAME[:N]",
                    help="systems to run, each at every size or at sizes up to N (default: %s)" % " ".join(SYSTEMS))
    ap.add_argument("--queries", type=int, default=1000, help="record queries for the latency (default 1000)")
    ap.add_argument("--vectors-max", type=int, default=10 ** 9,
                    help="build the semantic vectors (time, peak memory) only for sizes up to this (default: all; 0: never)")
    ap.add_argument("--batch-max", type=int, default=10000,
                    help="run the all-x-all batch matching only for sizes up to this (default 10000; 0: never)")
    ap.add_argument("--batch-rows", type=int, default=0,
                    help="batch: match only the first N records against all and extrapolate the all-x-all time "
                         "(default 0: all)")
    ap.add_argument("--analyzer-mb", type=float, default=10, help="MB of Chinese text for the analyzer (default 10)")
    ap.add_argument("--corpus-dir", help="keep the generated corpora here and reuse them in later runs "
                                         "(default: a temporary directory)")
    ap.add_argument("--json", help="write the figures as JSON")
    ap.add_argument("--plot", help="write a PNG of query latency against the number of records")
    a = ap.parse_args()
    try:
        systems = parse_systems(a.systems)
    except ValueError as e:
        ap.error(str(e))
    if any(n < 1 for n in a.sizes):
        ap.error("--sizes must be positive numbers of records")
    sets = a.data or report.find_sets(datasets.find_sets)[1]
    sets = [s for s in sets if os.path.exists(os.path.join(s, "corpus.jsonl"))]
    if not sets:
        print(report.no_data_message("bench-speed"), file=sys.stderr)
        return report.EXIT_NO_DATA
    if not os.path.exists(LM_SPEED):
        print("bench-speed: %s missing; run `make build/bench/lm_speed`" % LM_SPEED, file=sys.stderr)
        return 1
    py = "/usr/bin/python3"
    pools = sentences(sets)
    res = {"meta": report.run_meta(extra={"sizes": a.sizes, "queries": a.queries, "batch_max": a.batch_max,
                                          "batch_rows": a.batch_rows, "vectors_max": a.vectors_max,
                                          "systems": {k: v for k, v in systems.items()},
                                          "analyzer_mb": a.analyzer_mb,
                                          "set_paths": [os.path.abspath(s) for s in sets]}),
           "sets": [os.path.basename(s) for s in sets], "sizes": {}}
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        cdir = a.corpus_dir or d
        os.makedirs(cdir, exist_ok=True)
        qpath = os.path.join(d, "queries.jsonl")
        if not query_file(sets, a.queries, qpath):
            print("bench-speed: the sets have no record queries; skipping the latency")
            qpath = None
        for n in sorted(a.sizes):
            corpus = os.path.join(cdir, "gen%d-seed7.jsonl" % n)
            if not (a.corpus_dir and os.path.exists(corpus)):
                t0 = time.perf_counter()
                generate(pools, n, corpus + ".part")
                os.replace(corpus + ".part", corpus)
                print("== generated %d records in %.0f s" % (n, time.perf_counter() - t0), file=sys.stderr)
            print("== %d records (%.1f MB of JSONL)" % (n, os.path.getsize(corpus) / 1e6), file=sys.stderr)
            row = {}
            lmdb, xadb, tridb = (os.path.join(d, x % n) for x in ("lm%d.db", "xa%d", "tri%d.db"))
            out, rss = rss_job([LM_SPEED, "load", lmdb, corpus])
            row["libmatch"] = dict(kv(out), rss_mb=rss)
            if runs_at(systems, "xapian", n):
                out, rss = rss_job([py, "-c", PEER_INDEX, "xapian", corpus, xadb])
                row["xapian"] = dict(kv(out), rss_mb=rss)
            if runs_at(systems, "fts5-trigram", n):
                out, rss = rss_job([py, "-c", PEER_INDEX, "fts5", corpus, tridb])
                row["fts5-trigram"] = dict(kv(out), rss_mb=rss)
            if qpath:
                out, rss = rss_job([LM_SPEED, "query", lmdb, qpath, str(a.queries)])
                row["libmatch-query"] = dict(kv(out), rss_mb=rss)
                if runs_at(systems, "xapian", n):
                    out, rss = rss_job([py, "-c", PEER_QUERY, xadb, qpath, str(a.queries)])
                    row["xapian-query"] = dict(kv(out), rss_mb=rss)
            if 0 < n <= a.vectors_max:
                out, rss = rss_job([LM_SPEED, "vectors", lmdb])
                row["vectors"] = dict(kv(out), rss_mb=rss)
            res["sizes"][n] = row
            lm = row["libmatch"]
            print("\n### Indexing %d records\n" % n)
            print("| system | records/s | bytes/record | peak RSS MB | libmatch speed ratio | libmatch size ratio |")
            print("|---|---|---|---|---|---|")
            for sname in SYSTEMS:
                if sname not in row:
                    continue
                r = row[sname]
                print("| %s | %.0f | %.0f | %.0f | %.2f | %.2f |" % (
                    sname, r["records_per_s"], r["bytes_per_record"], r["rss_mb"],
                    ratio(lm["records_per_s"], r["records_per_s"]), ratio(lm["bytes_per_record"], r["bytes_per_record"])))
            if qpath:
                lq, xq = row["libmatch-query"], row.get("xapian-query")
                print("\n| %d queries, top-10 | p50 ms | p99 ms | CPU p50 ms | CPU p99 ms | peak RSS MB |\n"
                      "|---|---|---|---|---|---|" % lq["queries"])
                print("| libmatch, record | %.2f | %.2f | %.2f | %.2f | %.0f |" % (
                    lq["p50_ms"], lq["p99_ms"], lq["cpu_p50_ms"], lq["cpu_p99_ms"], lq["rss_mb"]))
                print("| libmatch, free text | %.2f | %.2f | %.2f | %.2f | |" % (
                    lq["text_p50_ms"], lq["text_p99_ms"], lq["text_cpu_p50_ms"], lq["text_cpu_p99_ms"]))
                if xq:
                    print("| xapian, record | %.2f | %.2f | | | %.0f |" % (xq["p50_ms"], xq["p99_ms"], xq["rss_mb"]))
                    print("\nlatency libmatch/xapian (record queries): p50 %.2f, p99 %.2f" % (
                        ratio(lq["p50_ms"], xq["p50_ms"]), ratio(lq["p99_ms"], xq["p99_ms"])))
            if "vectors" in row:
                v = row["vectors"]
                print("\nsemantic vectors (dim %d): built in %.1f s, peak RSS %.0f MB (database read without a memory map)"
                      % (v["dim"], v["build_seconds"], v["rss_mb"]))
            if 0 < n <= a.batch_max:
                # Batch figures both ways: the kernels OpenBLAS detects, and
                # OPENBLAS_CORETYPE=SkylakeX forced (on VMs detection may fall
                # back to slow generic kernels; see the README).
                for way, env in (("detected", None), ("forced SkylakeX", "SkylakeX")):
                    out, rss = rss_job([LM_SPEED, "batch", lmdb, "10", str(a.batch_rows)], coretype=env)
                    m = re.search(r"core=(\S+)", out)
                    b = dict(kv(out), rss_mb=rss, core=m.group(1) if m else "?")
                    row["batch " + way] = b
                    print("\nbatch matching, %s (%d of %d records x all, top-10, dim %d, OpenBLAS core %s): %.1f GFLOP/s "
                          "vs bare sgemm %.1f GFLOP/s (%.0f%%; %.1f s); first call, loading the vectors: %.1f GFLOP/s "
                          "(%.0f%%; %.1f s); all x all: ~%.0f s; peak RSS of the batch %.0f MB (%.0f bytes a record; "
                          "the job's with the bare sgemm's copies: %.0f MB)"
                          % (way, b["rows"], b["cols"], b["dim"], b["core"], b["gflops"], b["sgemm_gflops"],
                             100 * b["ratio"], b["seconds"], b.get("cold_gflops", float("nan")),
                             100 * b.get("cold_ratio", float("nan")), b.get("cold_seconds", float("nan")),
                             b.get("all_seconds", float("nan")), b.get("batch_rss_mb", float("nan")),
                             b.get("batch_rss_mb", float("nan")) * 1048576.0 / max(b["cols"], 1), b["rss_mb"]))
            for p in (lmdb, lmdb + "-wal", lmdb + "-shm", tridb):
                if os.path.exists(p):
                    os.unlink(p)
            if not a.corpus_dir:
                os.unlink(corpus)
            shutil.rmtree(xadb, ignore_errors=True)
        text = os.path.join(d, "text.txt")
        zh = pools[0]
        if zh and a.analyzer_mb > 0:
            with open(text, "w", encoding="utf-8") as f:
                i = 0
                while f.tell() < a.analyzer_mb * 1e6:
                    f.write("".join(zh[i % len(zh):i % len(zh) + 5]) + "\n")    # paragraphs of 5 sentences
                    i += 5
            out, rss = rss_job([LM_SPEED, "analyze", text])
            res["analyzer"] = dict(kv(out), rss_mb=rss)
            print("\nanalyzer: %.2f MB/s of Chinese text on one core (%.1f MB in paragraphs of 5 sentences; "
                  "%.0f tokens/s; peak RSS %.0f MB)" % (res["analyzer"]["mb_per_s"], res["analyzer"]["bytes"] / 1e6,
                                                         res["analyzer"]["tokens"] / res["analyzer"]["seconds"],
                                                         res["analyzer"]["rss_mb"]))
    summary(res)
    res["growth"] = [dict(zip(("from", "to", "metric", "from_ms", "to_ms", "ratio", "exponent"), g))
                     for g in growth_rows(res["sizes"])]
    res["seconds"] = time.perf_counter() - t_start
    print("\n(%.0f s in all)" % res["seconds"])
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=2, ensure_ascii=False)
    if a.plot:
        plot(res, a.plot)
        print("plot: %s" % a.plot)
    return 0


def summary(res):
    """libmatch at every size in one table, then how latency grows."""
    ns = sorted(res["sizes"])
    print("\n### libmatch by size\n")
    print("| records | index rec/s | bytes/rec | load RSS MB | record p50 / p99 ms | free text p50 / p99 ms | "
          "query RSS MB | vector build s | build peak MB | batch peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in ns:
        r = res["sizes"][n]
        lm, q, v = r["libmatch"], r.get("libmatch-query", {}), r.get("vectors", {})
        bt = r.get("batch detected", {})
        print("| %d | %.0f | %.0f | %.0f | %s / %s | %s / %s | %s | %s | %s | %s |" % (
            n, lm["records_per_s"], lm["bytes_per_record"], lm["rss_mb"], fmt(q.get("p50_ms")), fmt(q.get("p99_ms")),
            fmt(q.get("text_p50_ms")), fmt(q.get("text_p99_ms")), fmt(q.get("rss_mb"), "%.0f"),
            fmt(v.get("build_seconds"), "%.1f"), fmt(v.get("rss_mb"), "%.0f"), fmt(bt.get("batch_rss_mb"), "%.0f")))
    rows = growth_rows(res["sizes"])
    if rows:
        print("\n### Latency growth (exponent e of latency ~ records^e: 1 linear, 0 flat)\n")
        print("| from | to | metric | ms | ms | ratio | exponent |\n|---|---|---|---|---|---|---|")
        for n1, n2, label, v1, v2, r, e in rows:
            print("| %d | %d | %s | %.2f | %.2f | %.2f | %.2f |" % (n1, n2, label, v1, v2, r, e))


if __name__ == "__main__":
    sys.exit(main())
