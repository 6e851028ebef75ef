#!/usr/bin/env python3
"""Batch matching on a Dask cluster, with libmatch on every worker.

    python3 examples/python/dask_batch.py                        # sample data, LocalCluster of 2 workers
    python3 examples/python/dask_batch.py --workers 4 -k 5 --to expert
    python3 examples/python/dask_batch.py match.db --scheduler tcp://10.0.0.5:8786 --progress
    python3 examples/python/dask_batch.py --check                # compare with one process

Without a database file, the sample data of examples/data/ is loaded into a
temporary one and its semantic vectors are built (once: every worker gets
the same vectors, so cosines of all shards are comparable).  Without
--scheduler, a LocalCluster of --workers processes (one thread each) is
started on this machine; with it, the script connects to that cluster,
whose workers need Python 3, numpy, dask, distributed, this package and
libmatch.so installed (see bindings/python/README.md, "Dask").

Prints, for the first --show queries, the best candidates with their cosine,
then the time per shard and what crossed the network.  --check also runs
Database.batch_match() in this process and says whether the results are
equal (ids, scores and order); exit status 1 if not.
"""
import argparse
import logging
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import libmatch  # noqa: E402

DATA = os.path.normpath(os.path.join(HERE, "..", "data"))
KINDS = ("problem", "achievement", "expert")


def load_sample(path, data_dir):
    with libmatch.open(path) as db:
        for name in ("problems", "achievements", "experts"):
            db.load_jsonl(os.path.join(data_dir, name + ".jsonl"))
        db.build_vectors()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", nargs="?", help="libmatch database with semantic vectors (default: the sample data)")
    ap.add_argument("--scheduler", metavar="ADDRESS", help="a running cluster's scheduler (tcp://host:8786)")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    ap.add_argument("--from", dest="frm", choices=KINDS, default="problem", help="query kind (default problem)")
    ap.add_argument("--to", choices=KINDS, default="achievement", help="candidate kind (default achievement)")
    ap.add_argument("-k", type=int, default=None, help="hits per query (default: the library's)")
    ap.add_argument("--shards", type=int, default=None, help="shards (default: one per worker)")
    ap.add_argument("--split", choices=("candidates", "queries"), default="candidates",
                    help="which side is sharded (default candidates)")
    ap.add_argument("--shared-dir", metavar="DIR",
                    help="a directory every worker reads: the batch shards go there instead of through Dask")
    ap.add_argument("--progress", action="store_true", help="show distributed's progress bar")
    ap.add_argument("--show", type=int, default=3, help="queries printed (default 3)")
    ap.add_argument("--check", action="store_true", help="compare with Database.batch_match() in this process")
    args = ap.parse_args(argv)

    import distributed                       # Debian: python3-distributed
    from libmatch.dask import DaskMatcher

    tmp = tempfile.TemporaryDirectory(prefix="lm-dask-example-")
    with tmp:
        path = args.db
        if path is None:
            path = os.path.join(tmp.name, "sample.db")
            load_sample(path, DATA)
        cluster = None
        if args.scheduler:
            client = distributed.Client(args.scheduler)
        else:
            cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                               dashboard_address=":0", silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
        try:
            print("cluster: %d workers, dashboard %s" % (len(client.scheduler_info()["workers"]),
                                                         client.dashboard_link))
            with DaskMatcher(client, path, shared_dir=args.shared_dir) as m:
                t0 = time.perf_counter()
                res = m.batch_match(args.frm, to=args.to, k=args.k, shards=args.shards, split=args.split,
                                    progress=args.progress)
                wall = time.perf_counter() - t0
                for q in list(res)[:args.show]:
                    print("%s -> %s" % (q, "  ".join("%s %.3f" % (c, s) for c, s in res[q])))
                print("%d %s x %d %s, %d hits each at most: %.2f s on %d shards (%d queries settled by the exact tie pass)"
                      % (len(res), args.frm, len(m.ids(args.to)), args.to, res.scores.shape[1], wall,
                         res.shards, res.resolved))
                for t in res.timings.get("shards", []):
                    print("  shard [%d, %d): %d bytes (%s), cut %.2f s, match %.2f s on %s"
                          % (t["lo"], t["hi"], t["bytes"],
                             "shared dir" if args.shared_dir else "%d zlib" % t["shipped_bytes"],
                             t["cut_s"], t["match_s"], t["worker"]))
                print("snapshot %d bytes, kept on the client; %d bytes sent through Dask"
                      % (m.snapshot_bytes, m.shipped_bytes))
                if args.check:
                    with libmatch.open(path, readonly=True) as db:
                        kwargs = {} if args.k is None else {"k": args.k}
                        same = res.to_dict() == db.batch_match(args.frm, to=args.to, **kwargs)
                    print("equal to one process: %s" % ("yes" if same else "NO"))
                    if not same:
                        return 1
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
