#!/usr/bin/env python3
"""Throughput and latency of lmatch-serve's POST /v1/match beside the same
matches through the C API in one process.

    make bench-service [BENCH_ARGS="--records 100000 --requests 400"]

Records are generated as bench/speed.py does (real sentences of the bench
sets recombined into achievements; without the sets, sentences of
examples/data), loaded with bench/lm_speed.  Each client (1, 2, 8 by
default) matches stored achievements against achievements (top-10), in a
loop of --requests calls:
- C API: one thread per client, each with its own lm_db, calling lm_match
  and lm_results_json through ctypes (the GIL is released during the calls);
- service: one process per client, each with one keep-alive HTTP/1.1
  connection, against lmatch-serve with its default reader threads.
Figures are reported, never asserted; run by hand, not by the tests.
"""
import argparse
import ctypes
import http.client
import json
import multiprocessing
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import speed  # noqa: E402  (generate, sentences)
from lmbench import datasets  # noqa: E402

B = os.path.join(ROOT, os.environ.get("B", "build"))
SERVE = os.path.join(B, "lmatch-serve")
LM_SPEED = os.path.join(B, "bench", "lm_speed")
LIB = os.path.join(B, "libmatch.so")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def example_pools():
    """Sentence pools from examples/data when no bench set is at hand."""
    zh, other, kws = [], [], []
    for name in ("problems", "achievements", "experts"):
        with open(os.path.join(ROOT, "examples", "data", name + ".jsonl"), encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                kws += r.get("keywords", [])
                for key in ("title", "description", "abstract", "bio", "research"):
                    for s in re.split(r"(?<=[。；;！？])", r.get(key) or ""):
                        if len(s.strip()) > 8:
                            zh.append(s.strip())
    return zh, other, kws


# ---- C API, one process -------------------------------------------------------

def capi_run(db, ids, clients, requests, k):
    L = ctypes.CDLL(LIB)
    vp = ctypes.c_void_p
    L.lm_open.argtypes = [ctypes.POINTER(vp), ctypes.c_char_p, ctypes.c_int]
    L.lm_close.argtypes = [vp]
    L.lm_opts_new.argtypes = [ctypes.POINTER(vp)]
    L.lm_opts_set.argtypes = [vp, ctypes.c_char_p, ctypes.c_char_p]
    L.lm_opts_free.argtypes = [vp]
    L.lm_match.argtypes = [vp, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, vp, ctypes.POINTER(vp)]
    L.lm_results_json.argtypes = [vp, ctypes.POINTER(vp)]
    L.lm_results_free.argtypes = [vp]
    L.lm_free.argtypes = [vp]
    lat = [[] for _ in range(clients)]
    handles = []
    for _ in range(clients):
        h = vp()
        if L.lm_open(ctypes.byref(h), db.encode(), 1) != 0:
            raise RuntimeError("lm_open failed")
        handles.append(h)
    start = threading.Barrier(clients + 1)

    def worker(c):
        h = handles[c]
        o = vp()
        L.lm_opts_new(ctypes.byref(o))
        L.lm_opts_set(o, b"k", str(k).encode())
        rnd = random.Random(c)
        start.wait()
        for _ in range(requests):
            rid = rnd.choice(ids).encode()
            t0 = time.perf_counter()
            res, out = vp(), vp()
            if L.lm_match(h, 2, rid, 2, o, ctypes.byref(res)) != 0:
                raise RuntimeError("lm_match failed")
            L.lm_results_json(res, ctypes.byref(out))
            L.lm_free(out)
            L.lm_results_free(res)
            lat[c].append(time.perf_counter() - t0)
        L.lm_opts_free(o)

    ts = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for t in ts:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    for h in handles:
        L.lm_close(h)
    all_lat = [x for l in lat for x in l]
    return {"rps": len(all_lat) / wall, "p50_ms": pct(all_lat, 50) * 1e3, "p99_ms": pct(all_lat, 99) * 1e3}


# ---- the service ---------------------------------------------------------------

def client_proc(port, ids, requests, k, seed, go, q):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    rnd = random.Random(seed)
    lat = []
    errors = 0
    go.wait()
    for _ in range(requests):
        body = json.dumps({"from": {"kind": "achievement", "id": rnd.choice(ids)}, "to": "achievement", "k": k})
        t0 = time.perf_counter()
        conn.request("POST", "/v1/match", body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        lat.append(time.perf_counter() - t0)
        if r.status != 200 or b'"results"' not in data:
            errors += 1
    conn.close()
    q.put((lat, errors, time.perf_counter()))


def service_run(port, ids, clients, requests, k):
    ctx = multiprocessing.get_context("fork")
    go = ctx.Event()
    q = ctx.Queue()
    ps = [ctx.Process(target=client_proc, args=(port, ids, requests, k, c, go, q)) for c in range(clients)]
    for p in ps:
        p.start()
    time.sleep(0.5)      # let every client connect and wait
    t0 = time.perf_counter()
    go.set()
    got = [q.get(timeout=1800) for _ in ps]
    for p in ps:
        p.join()
    wall = max(g[2] for g in got) - t0
    all_lat = [x for g in got for x in g[0]]
    return {"rps": len(all_lat) / wall, "p50_ms": pct(all_lat, 50) * 1e3, "p99_ms": pct(all_lat, 99) * 1e3,
            "errors": sum(g[1] for g in got)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", action="append", help="a bench set folder (repeatable); default: ../shared/bench-data")
    ap.add_argument("--records", type=int, default=100000, help="achievements to generate (default 100000)")
    ap.add_argument("--requests", type=int, default=400, help="matches per client (default 400)")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 2, 8], help="concurrent clients (default 1 2 8)")
    ap.add_argument("--threads", type=int, default=0, help="lmatch-serve --threads (default: its own, the CPUs)")
    ap.add_argument("-k", type=int, default=10, help="hits per match (default 10)")
    ap.add_argument("--json", help="write the figures as JSON")
    a = ap.parse_args()
    for exe in (SERVE, LM_SPEED, LIB):
        if not os.path.exists(exe):
            print("bench-service: %s missing; run `make all %s`" % (exe, os.path.relpath(LM_SPEED, ROOT)))
            return 1
    root = os.path.normpath(os.path.join(ROOT, "..", "shared", "bench-data"))
    sets = [s for s in (a.data or datasets.find_sets(root)) if os.path.exists(os.path.join(s, "corpus.jsonl"))]
    pools = speed.sentences(sets) if sets else example_pools()
    res = {"records": a.records, "requests_per_client": a.requests, "k": a.k,
           "sentences_from": [os.path.basename(s) for s in sets] or ["examples/data"], "runs": []}
    with tempfile.TemporaryDirectory() as d:
        corpus, db = os.path.join(d, "gen.jsonl"), os.path.join(d, "gen.db")
        speed.generate(pools, a.records, corpus)
        t0 = time.perf_counter()
        out = subprocess.run([LM_SPEED, "load", db, corpus], capture_output=True, text=True, check=True).stdout
        print("loaded %d records in %.1f s (%s)" % (a.records, time.perf_counter() - t0, out.strip()), file=sys.stderr)
        os.unlink(corpus)
        ids = ["g%07d" % i for i in random.Random(1).sample(range(a.records), min(a.records, 5000))]
        capi_run(db, ids, 1, 50, a.k)                           # warm the page cache
        cmd = [SERVE, db, "--listen", "127.0.0.1:0", "--access-log", os.path.join(d, "access.log"),
               "--max-connections", str(max(64, 2 * max(a.clients)))]
        if a.threads:
            cmd += ["--threads", str(a.threads)]
        err = open(os.path.join(d, "serve.err"), "w+")
        srv = subprocess.Popen(cmd, stderr=err, stdout=subprocess.DEVNULL)
        port = None
        for _ in range(600):
            text = open(err.name).read()
            m = re.search(r"http://[^/]*:(\d+)/", text)
            if m:
                port = int(m.group(1))
                break
            if srv.poll() is not None:
                raise RuntimeError("lmatch-serve did not start: " + text)
            time.sleep(0.05)
        threads = re.search(r"\((\d+) reader threads", open(err.name).read()).group(1)
        try:
            service_run(port, ids, 2, 50, a.k)                  # warm every reader's handle
            for c in a.clients:
                row = {"clients": c, "capi": capi_run(db, ids, c, a.requests, a.k),
                       "service": service_run(port, ids, c, a.requests, a.k)}
                res["runs"].append(row)
                print("clients=%d done" % c, file=sys.stderr)
        finally:
            srv.terminate()
            srv.wait(60)
    res["service_threads"] = int(threads)
    print("\n### /v1/match beside lm_match, %d records, top-%d, %d matches per client (lmatch-serve --threads %s)\n"
          % (a.records, a.k, a.requests, threads))
    print("| clients | C API req/s | C API p50 ms | C API p99 ms | service req/s | service p50 ms | service p99 ms "
          "| p50 overhead ms | throughput service/C |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in res["runs"]:
        c, s = r["capi"], r["service"]
        print("| %d | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f | %.2f |" % (
            r["clients"], c["rps"], c["p50_ms"], c["p99_ms"], s["rps"], s["p50_ms"], s["p99_ms"],
            s["p50_ms"] - c["p50_ms"], s["rps"] / c["rps"]))
        if s["errors"]:
            print("\n(%d service requests failed at %d clients)" % (s["errors"], r["clients"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
