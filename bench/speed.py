#!/usr/bin/env python3
"""Speed of libmatch beside its peers, same machine, same run.

    make bench-speed [BENCH_ARGS="--sizes 10000 100000 --json out.json"]

- indexing: records/s for N records (real sentences of the bench sets
  recombined into new records when a set is smaller), libmatch vs Xapian vs
  FTS5 trigram; bytes on disk per record;
- query latency: p50/p99 over 1,000 record queries, top-10, libmatch vs Xapian;
- analyzer throughput: MB/s of Chinese text on one core;
- peak RSS of each job (each runs in its own process).
Targets are reported, never asserted.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from lmbench import datasets  # noqa: E402

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


def sentences(sets):
    out = []
    for path in sets:
        for r in datasets.read_corpus(os.path.join(path, "corpus.jsonl")):
            for key in ("title", "abstract", "description", "bio"):
                text = r.get(key) or ""
                out += [s for s in re.split(r"(?<=[。.；;!?！？])", text) if len(s) > 8]
    return out


def generate(sents, n, path, seed=7):
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            body = "".join(rnd.choice(sents) for _ in range(rnd.randint(3, 6)))
            rec = {"id": "g%07d" % i, "kind": "achievement", "title": rnd.choice(sents)[:40], "abstract": body,
                   "keywords": [rnd.choice(sents)[:6] for _ in range(3)]}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


PEER_INDEX = r'''
import json, sys, time, os, sqlite3
kind, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
recs = [json.loads(l) for l in open(path, encoding="utf-8")]
text = lambda r: " ".join([r.get("title", ""), r.get("abstract", "")] + r.get("keywords", []))
t0 = time.perf_counter()
if kind == "xapian":
    import xapian
    db = xapian.WritableDatabase(out, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator(); tg.set_stemmer(xapian.Stem("english")); tg.set_flags(tg.FLAG_CJK_NGRAM)
    for r in recs:
        d = xapian.Document(); tg.set_document(d); tg.index_text(text(r)); d.set_data(r["id"]); db.add_document(d)
    db.commit(); db.close()
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
else:
    db = sqlite3.connect(out)
    db.execute("CREATE VIRTUAL TABLE t USING fts5(did UNINDEXED, body, tokenize='trigram')")
    db.executemany("INSERT INTO t VALUES(?, ?)", ((r["id"], text(r)) for r in recs)); db.commit(); db.close()
    size = os.path.getsize(out)
dt = time.perf_counter() - t0
print("records=%d seconds=%.3f records_per_s=%.1f bytes_per_record=%.0f" % (len(recs), dt, len(recs) / dt, size / len(recs)))
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
    r = q["record"]; text = " ".join([r.get("title", ""), r.get("description", "") or r.get("abstract", "")])
    t0 = time.perf_counter()
    d = xapian.Document(); tg.set_document(d); tg.index_text(text)
    e = xapian.Enquire(db); e.set_query(xapian.Query(xapian.Query.OP_OR, [t.term for t in d.termlist()]))
    e.get_mset(0, 10)
    lat.append((time.perf_counter() - t0) * 1000)
lat.sort()
print("queries=%d p50_ms=%.3f p99_ms=%.3f" % (len(lat), lat[len(lat) // 2], lat[min(len(lat) - 1, len(lat) * 99 // 100)]))
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", action="append")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--json")
    a = ap.parse_args()
    sets = a.data or datasets.find_sets(os.path.join(ROOT, "..", "shared", "bench-data"))
    if not sets:
        print("bench-speed: no data set found under ../shared/bench-data; skipping")
        return 0
    py = "/usr/bin/python3"
    sents = sentences(sets)
    qsets = [s for s in sets if os.path.exists(os.path.join(s, "queries.jsonl"))]
    qpath = os.path.join(qsets[0], "queries.jsonl")
    res = {"sizes": {}}
    with tempfile.TemporaryDirectory() as d:
        for n in a.sizes:
            corpus = os.path.join(d, "gen%d.jsonl" % n)
            generate(sents, n, corpus)
            row = {}
            out, rss = rss_job([LM_SPEED, "load", os.path.join(d, "lm%d.db" % n), corpus])
            row["libmatch"] = dict(kv(out), rss_mb=rss)
            out, rss = rss_job([py, "-c", PEER_INDEX, "xapian", corpus, os.path.join(d, "xa%d" % n)])
            row["xapian"] = dict(kv(out), rss_mb=rss)
            out, rss = rss_job([py, "-c", PEER_INDEX, "fts5", corpus, os.path.join(d, "tri%d.db" % n)])
            row["fts5-trigram"] = dict(kv(out), rss_mb=rss)
            out, rss = rss_job([LM_SPEED, "query", os.path.join(d, "lm%d.db" % n), qpath, str(a.queries)])
            row["libmatch-query"] = dict(kv(out), rss_mb=rss)
            out, rss = rss_job([py, "-c", PEER_QUERY, os.path.join(d, "xa%d" % n), qpath, str(a.queries)])
            row["xapian-query"] = dict(kv(out), rss_mb=rss)
            res["sizes"][n] = row
            print("\n### %d records\n" % n)
            print("| system | records/s | bytes/record | peak RSS MB |\n|---|---|---|---|")
            for s in ("libmatch", "xapian", "fts5-trigram"):
                r = row[s]
                print("| %s | %.0f | %.0f | %.0f |" % (s, r["records_per_s"], r["bytes_per_record"], r["rss_mb"]))
            print("\nindexing rate libmatch/xapian: %.2f" % (row["libmatch"]["records_per_s"] / row["xapian"]["records_per_s"]))
            print("\n| queries (top-10) | p50 ms | p99 ms |\n|---|---|---|")
            for s in ("libmatch-query", "xapian-query"):
                print("| %s | %.2f | %.2f |" % (s, row[s]["p50_ms"], row[s]["p99_ms"]))
            print("\nquery p50 libmatch/xapian: %.2f" % (row["libmatch-query"]["p50_ms"] / row["xapian-query"]["p50_ms"]))
            # Batch figures both ways: the kernels OpenBLAS detects, and
            # OPENBLAS_CORETYPE=SkylakeX forced (on VMs detection may fall back
            # to slow generic kernels; see the README).
            for way, env in (("detected", None), ("forced SkylakeX", "SkylakeX")):
                out, rss = rss_job([LM_SPEED, "batch", os.path.join(d, "lm%d.db" % n), "10"], coretype=env)
                b = dict(kv(out), rss_mb=rss, core=re.search(r"core=(\S+)", out).group(1))
                row["batch " + way] = b
                print("\nbatch matching, %s (all x all, top-10, dim %d, OpenBLAS core %s): %.1f GFLOP/s vs bare "
                      "sgemm %.1f GFLOP/s (%.0f%%; %.1f s); building the vectors took %.1f s"
                      % (way, b["dim"], b["core"], b["gflops"], b["sgemm_gflops"], 100 * b["ratio"], b["seconds"],
                         b["build_seconds"]))
        text = os.path.join(d, "text.txt")
        with open(text, "w", encoding="utf-8") as f:
            while f.tell() < 20 << 20:
                f.write("".join(sents[:5000]) + "\n")
        out, rss = rss_job([LM_SPEED, "analyze", text])
        res["analyzer"] = dict(kv(out), rss_mb=rss)
        print("\nanalyzer: %.1f MB/s of Chinese text on one core" % res["analyzer"]["mb_per_s"])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
