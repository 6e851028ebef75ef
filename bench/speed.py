#!/usr/bin/env python3
"""Speed of libmatch beside its peers, same machine, same run.

    make bench-speed [BENCH_ARGS="--sizes 10000 100000 --json out.json"]

- indexing: records/s for N records (real sentences of the bench sets
  recombined into new records when a set is smaller), libmatch vs Xapian vs
  FTS5 trigram; bytes on disk per record;
- query latency: p50/p99 over 1,000 record queries, top-10, libmatch vs Xapian;
- analyzer throughput: MB/s of Chinese text on one core;
- batch matching GFLOP/s beside a bare sgemm (sizes up to --batch-max);
- peak RSS of each job (each runs in its own process).
Figures are reported, never asserted.  The default run (10k and 100k
records) takes about 5 minutes on 2 cores; see bench/README.md.
"""
import argparse
import json
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


def ratio(a, b):
    return a / b if b else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="data: --data, else the sets of $LIBMATCH_BENCH_DATA when it is set, else of "
                                        "../shared/bench-data\nnext to this checkout (or next to the main checkout of a "
                                        "git worktree).\n\nexit status: 0 done; 1 a job failed; 2 bad arguments; %d no "
                                        "data set found." % report.EXIT_NO_DATA)
    ap.add_argument("--data", action="append", help="a set folder (repeatable); default: see 'data' below")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000], help="records to index (default 10000 100000)")
    ap.add_argument("--queries", type=int, default=1000, help="record queries for the latency (default 1000)")
    ap.add_argument("--batch-max", type=int, default=10000,
                    help="run the all-x-all batch matching only for sizes up to this (default 10000; 0: never)")
    ap.add_argument("--analyzer-mb", type=float, default=10, help="MB of Chinese text for the analyzer (default 10)")
    ap.add_argument("--json", help="write the figures as JSON")
    a = ap.parse_args()
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
                                          "analyzer_mb": a.analyzer_mb,
                                          "set_paths": [os.path.abspath(s) for s in sets]}),
           "sets": [os.path.basename(s) for s in sets], "sizes": {}}
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        qpath = os.path.join(d, "queries.jsonl")
        if not query_file(sets, a.queries, qpath):
            print("bench-speed: the sets have no record queries; skipping the latency")
            qpath = None
        for n in a.sizes:
            corpus = os.path.join(d, "gen%d.jsonl" % n)
            generate(pools, n, corpus)
            print("== %d records (%.1f MB of JSONL)" % (n, os.path.getsize(corpus) / 1e6), file=sys.stderr)
            row = {}
            lmdb, xadb, tridb = (os.path.join(d, x % n) for x in ("lm%d.db", "xa%d", "tri%d.db"))
            out, rss = rss_job([LM_SPEED, "load", lmdb, corpus])
            row["libmatch"] = dict(kv(out), rss_mb=rss)
            out, rss = rss_job([py, "-c", PEER_INDEX, "xapian", corpus, xadb])
            row["xapian"] = dict(kv(out), rss_mb=rss)
            out, rss = rss_job([py, "-c", PEER_INDEX, "fts5", corpus, tridb])
            row["fts5-trigram"] = dict(kv(out), rss_mb=rss)
            if qpath:
                out, rss = rss_job([LM_SPEED, "query", lmdb, qpath, str(a.queries)])
                row["libmatch-query"] = dict(kv(out), rss_mb=rss)
                out, rss = rss_job([py, "-c", PEER_QUERY, xadb, qpath, str(a.queries)])
                row["xapian-query"] = dict(kv(out), rss_mb=rss)
            res["sizes"][n] = row
            lm = row["libmatch"]
            print("\n### Indexing %d records\n" % n)
            print("| system | records/s | bytes/record | peak RSS MB | libmatch speed ratio | libmatch size ratio |")
            print("|---|---|---|---|---|---|")
            for sname in ("libmatch", "xapian", "fts5-trigram"):
                r = row[sname]
                print("| %s | %.0f | %.0f | %.0f | %.2f | %.2f |" % (
                    sname, r["records_per_s"], r["bytes_per_record"], r["rss_mb"],
                    ratio(lm["records_per_s"], r["records_per_s"]), ratio(lm["bytes_per_record"], r["bytes_per_record"])))
            if qpath:
                lq, xq = row["libmatch-query"], row["xapian-query"]
                print("\n| %d record queries, top-10 | p50 ms | p99 ms | peak RSS MB |\n|---|---|---|---|" % lq["queries"])
                for sname, r in (("libmatch", lq), ("xapian", xq)):
                    print("| %s | %.2f | %.2f | %.0f |" % (sname, r["p50_ms"], r["p99_ms"], r["rss_mb"]))
                print("\nlatency libmatch/xapian: p50 %.2f, p99 %.2f" % (ratio(lq["p50_ms"], xq["p50_ms"]),
                                                                        ratio(lq["p99_ms"], xq["p99_ms"])))
            if 0 < n <= a.batch_max:
                # Batch figures both ways: the kernels OpenBLAS detects, and
                # OPENBLAS_CORETYPE=SkylakeX forced (on VMs detection may fall
                # back to slow generic kernels; see the README).
                for way, env in (("detected", None), ("forced SkylakeX", "SkylakeX")):
                    out, rss = rss_job([LM_SPEED, "batch", lmdb, "10"], coretype=env)
                    m = re.search(r"core=(\S+)", out)
                    b = dict(kv(out), rss_mb=rss, core=m.group(1) if m else "?")
                    row["batch " + way] = b
                    print("\nbatch matching, %s (all x all, top-10, dim %d, OpenBLAS core %s): %.1f GFLOP/s vs bare "
                          "sgemm %.1f GFLOP/s (%.0f%%; %.1f s); first call, loading the vectors: %.1f GFLOP/s "
                          "(%.0f%%; %.1f s); building the vectors took %.1f s"
                          % (way, b["dim"], b["core"], b["gflops"], b["sgemm_gflops"], 100 * b["ratio"], b["seconds"],
                             b.get("cold_gflops", float("nan")), 100 * b.get("cold_ratio", float("nan")),
                             b.get("cold_seconds", float("nan")), b.get("build_seconds", float("nan"))))
            for p in (lmdb, lmdb + "-wal", lmdb + "-shm", tridb, corpus):
                if os.path.exists(p):
                    os.unlink(p)
            shutil.rmtree(xadb, ignore_errors=True)
        text = os.path.join(d, "text.txt")
        zh = pools[0]
        if zh:
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
    res["seconds"] = time.perf_counter() - t_start
    print("\n(%.0f s in all)" % res["seconds"])
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=2, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
