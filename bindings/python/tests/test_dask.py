"""libmatch.dask on a LocalCluster of 2 worker processes (loopback only):
sharded batch matching and record/text queries sharded by candidates (DFS
query-then-fetch) give exactly the single-process results (ids, scores,
probabilities, order) on the sample data and on a
generated 20,000-record set with exact ties across shards; a worker killed
in the middle of a batch is replaced and its work re-run; errors are raised
on the client, before any task runs."""
import contextlib
import io
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import distributed
import libmatch
import libmatch.dask as lmdask
from libmatch.dask import BatchResult, DaskMatcher
from lmsupport import DATA, EXAMPLES, PKG, SAMPLE_FILES

TMP = None
CLUSTER = None
CLIENT = None
SAMPLE = None        # the sample data with built vectors
GEN = None           # the generated 20,000 records with built vectors
CRASH = None         # the file that arms the crash hook
SAVED_ENV = {}

DIRECTIONS = [("problem", "achievement"), ("problem", "expert"), ("achievement", "expert"),
              ("expert", "problem"), ("achievement", "problem")]


def sample_records():
    recs = []
    for name in SAMPLE_FILES:
        with open(os.path.join(DATA, name), encoding="utf-8") as f:
            recs += [json.loads(line) for line in f if line.strip()]
    return recs


def generate(n_problems, n_achievements, n_dups, seed=19):
    """Records recombining the sample records' sentences (simplified and
    traditional, with their mixed terms); the last n_dups achievements of
    the first half are copied (new ids, same texts) into the second half of
    the storage order, so that their cosines tie exactly across shards."""
    src = sample_records()
    sents = []
    for r in src:
        for key in ("title", "description", "abstract", "research", "bio"):
            sents += [s for s in re.split(r"(?<=[。；！？])", r.get(key) or "") if len(s.strip()) > 4]
    kws = sorted({k for r in src for k in r.get("keywords", [])})
    fields = sorted({f for r in src for f in r.get("fields", [])})
    rnd = random.Random(seed)

    def text(lo, hi):
        return "".join(rnd.choice(sents) for _ in range(rnd.randint(lo, hi)))
    out = []
    for i in range(n_problems):
        out.append({"id": "GP-%05d" % i, "kind": "problem", "title": rnd.choice(sents)[:30],
                    "description": text(2, 4), "keywords": rnd.sample(kws, 2), "fields": [rnd.choice(fields)]})
    ach = []
    half = n_achievements // 2
    for i in range(n_achievements):
        if half <= i < half + n_dups:
            orig = ach[half - n_dups + (i - half)]
            ach.append(dict(orig, id="GA-%05d" % i))
        else:
            ach.append({"id": "GA-%05d" % i, "kind": "achievement", "title": rnd.choice(sents)[:30],
                        "abstract": text(2, 4), "keywords": rnd.sample(kws, 2), "fields": [rnd.choice(fields)],
                        "maturity": rnd.randint(1, 9)})
    return out + ach


def make_db(path, records, vectors=True):
    with libmatch.open(path) as db:
        rep = db.add_many(records, vectors=vectors)   # vectors=False: not even the loader's space
        assert rep.skipped == 0, rep
        if vectors:
            db.build_vectors()
    return path


def setUpModule():
    global TMP, CLUSTER, CLIENT, SAMPLE, GEN, CRASH
    TMP = tempfile.mkdtemp(prefix="lmdask-")
    CRASH = os.path.join(TMP, "crash-armed")
    # The workers inherit this environment: one BLAS thread each (two
    # processes on two cores), and the crash hook, inert until armed.
    SAVED_ENV.update((k, os.environ.get(k)) for k in ("OPENBLAS_NUM_THREADS", lmdask.CRASH_ENV))
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.environ[lmdask.CRASH_ENV] = CRASH
    SAMPLE = make_db(os.path.join(TMP, "sample.db"), sample_records())
    GEN = make_db(os.path.join(TMP, "gen.db"), generate(16000, 4000, 40))
    CLUSTER = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=logging.ERROR)
    CLIENT = distributed.Client(CLUSTER)


def tearDownModule():
    for x in (CLIENT, CLUSTER):
        if x is not None:
            x.close()
    for k, v in SAVED_ENV.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    shutil.rmtree(TMP, ignore_errors=True)


class TestMerge(unittest.TestCase):
    """The merge of two partial results, without a cluster."""

    def part(self, scores, pos):
        s = np.array(scores, dtype=np.float32)
        return {"S": s, "G": np.array(pos, dtype=np.int64), "flag": np.zeros(len(s), bool), "t": []}

    def test_order_cut_and_flags(self):
        inf = float("-inf")
        a = self.part([[0.9, 0.5, 0.4], [0.8, 0.7, 0.7], [0.9, 0.6, 0.1], [0.5, inf, inf]],
                      [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, -1, -1]])
        b = self.part([[0.6, 0.5, 0.3], [0.75, 0.2, 0.1], [0.3, 0.3, 0.3], [0.4, inf, inf]],
                      [[11, 12, 13], [14, 15, 16], [17, 18, 19], [20, -1, -1]])
        m = lmdask._task_merge(a, b, 3)
        self.assertEqual(m["G"].tolist(), [[1, 11, 2], [4, 14, 5], [7, 8, 17], [10, 20, -1]])
        self.assertEqual(m["S"][0].tolist(), [np.float32(0.9), np.float32(0.6), np.float32(0.5)])
        # row 0: 0.5 of a and 0.5 of b tie inside the top 3: only exact cosines can order them
        # rows 1 and 2: the ties 0.7/0.7 and 0.3/0.3 are within one input, whose order stands;
        # row 3: padding never ties
        self.assertEqual(m["flag"].tolist(), [True, False, False, False])

    def test_tie_run_crossing_the_cut(self):
        a = self.part([[0.9, 0.5]], [[1, 2]])
        b = self.part([[0.5, 0.1]], [[3, 4]])
        self.assertTrue(lmdask._task_merge(a, b, 2)["flag"][0])        # the run starts at 1 < k
        self.assertFalse(lmdask._task_merge(a, b, 1)["flag"][0])       # the run starts at k

    def test_flags_propagate(self):
        a = self.part([[0.9]], [[1]])
        a["flag"][0] = True
        self.assertTrue(lmdask._task_merge(a, self.part([[0.1]], [[2]]), 1)["flag"][0])


class DaskCase(unittest.TestCase):
    def assertSameBatch(self, got, want):
        self.assertIsInstance(got, BatchResult)
        self.assertEqual(list(got), list(want))                 # queries in the same order
        self.assertEqual(got.to_dict(), want)                  # ids, scores and order of every list
        self.assertEqual(dict(got), want)

    def assertSameMatches(self, got, want):
        self.assertEqual(len(got), len(want))
        for g, w in zip(got, want):
            self.assertEqual(g.query_terms, w.query_terms)
            self.assertEqual([(m.id, m.score, m.probability, m.components, m.terms, m.evidence, m.label) for m in g],
                             [(m.id, m.score, m.probability, m.components, m.terms, m.evidence, m.label) for m in w])


class TestSample(DaskCase):
    @classmethod
    def setUpClass(cls):
        cls.db = libmatch.open(SAMPLE, readonly=True)
        cls.m = DaskMatcher(CLIENT, SAMPLE)

    @classmethod
    def tearDownClass(cls):
        cls.m.close()
        cls.db.close()

    def test_batch_every_direction(self):
        for frm, to in DIRECTIONS:
            for k in (1, 10, 40):                  # 40: more than a shard holds
                with self.subTest(frm=frm, to=to, k=k):
                    got = self.m.batch_match(frm, to=to, k=k)
                    self.assertEqual(got.shards, 2)
                    self.assertSameBatch(got, self.db.batch_match(frm, to=to, k=k))

    def test_batch_split_by_queries(self):
        for frm, to in DIRECTIONS:
            with self.subTest(frm=frm, to=to):
                got = self.m.batch_match(frm, to=to, k=10, split="queries", shards=3)
                self.assertEqual((got.shards, got.resolved), (3, 0))
                self.assertSameBatch(got, self.db.batch_match(frm, to=to, k=10))
        with self.assertRaises(ValueError):
            self.m.batch_match("problem", to="expert", split="both")

    def test_batch_within_a_memory_bound(self):
        for split, frm, to in (("candidates", "problem", "achievement"), ("queries", "problem", "expert"),
                               ("candidates", "achievement", "achievement")):
            with self.subTest(split=split, frm=frm, to=to):
                got = self.m.batch_match(frm, to=to, k=5, split=split, memory=libmatch.LM_MIN_BATCH_MEMORY)
                self.assertEqual({t["memory"] for t in got.timings["shards"]}, {libmatch.LM_MIN_BATCH_MEMORY})
                self.assertSameBatch(got, self.db.batch_match(frm, to=to, k=5))
        with self.assertRaises(ValueError):
            self.m.batch_match("problem", to="achievement", memory=1000)

    def test_more_shards_than_workers(self):
        got = self.m.batch_match("problem", to="achievement", k=7, shards=5)
        self.assertEqual(got.shards, 5)
        self.assertEqual(len(got.timings["shards"]), 5)
        self.assertSameBatch(got, self.db.batch_match("problem", to="achievement", k=7))

    def test_default_k_is_the_registry_default(self):
        got = self.m.batch_match("problem", to="expert")
        self.assertEqual(got.scores.shape[1], libmatch.options()["k"].default)
        self.assertSameBatch(got, self.db.batch_match("problem", to="expert"))

    def test_same_kind_runs_unsharded(self):
        got = self.m.batch_match("achievement", to="achievement", k=5)
        self.assertEqual(got.shards, 1)
        want = self.db.batch_match("achievement", to="achievement", k=5)
        self.assertSameBatch(got, want)
        self.assertTrue(all(q not in [i for i, _ in hits] for q, hits in got.items()))   # never itself

    def test_record_queries_by_id(self):
        opts = dict(k=5, region="陕西省", w_topic=0.3)
        for to in ("achievement", "expert"):
            got = self.m.match_many("problem", to=to, **opts)
            ids = [r["id"] for r in self.db.scan("problem")]
            self.assertEqual(list(got), ids)
            self.assertSameMatches([got[i] for i in ids], [self.db.match(problem=i, to=to, **opts) for i in ids])
        got = self.m.match_many("expert", ["E-001", "E-022"], to="problem", k=3, chunk=1)
        self.assertSameMatches(list(got.values()), [self.db.match(expert=i, to="problem", k=3)
                                                    for i in ("E-001", "E-022")])

    def test_records_and_texts(self):
        records = [{"kind": "problem", "title": "5G基站散热", "description": "PEM燃料电池备用电源，需要低热阻封装。"},
                   {"kind": "problem", "title": "鋰離子電池熱失控預警", "keywords": ["儲能", "熱失控"]},
                   '{"kind":"problem","title":"无人机巡检光伏电站（山区）"}']
        got = self.m.match_records(records, to="achievement", k=4, chunk=2)
        self.assertSameMatches(got, [self.db.match_record(r, to="achievement", k=4) for r in records])
        texts = ["碳化矽功率模組封裝", "PEM燃料电池，双极板腐蚀！", "5G基站", "smart grid 储能"]
        for to in ("achievement", "expert", "problem"):
            got = self.m.query_many(texts, to=to, k=3)
            self.assertSameMatches(got, [self.db.query(t, to=to, k=3) for t in texts])
        self.assertEqual(self.m.query_many([], to="expert"), [])

    def test_queries_of_the_candidates_kind(self):
        """A stored record against its own kind: every shard runs its record,
        the one holding it leaves it out, as Database.match() does."""
        for kind in ("achievement", "expert", "problem"):
            ids = self.m.ids(kind)[::3]
            for shards in (2, 3):
                with self.subTest(kind=kind, shards=shards):
                    got = self.m.match_many(kind, ids, to=kind, k=6, shards=shards)
                    self.assertSameMatches([got[i] for i in ids], [self.db.match(**{kind: i}, to=kind, k=6) for i in ids])
                    self.assertTrue(all(i not in got[i].ids() for i in ids))

    def test_only_shards_cross_the_network(self):
        """Queries alone ship shards of the candidates' kind, never the whole
        snapshot; the shards' statistics add up to the collection's."""
        with DaskMatcher(CLIENT, SAMPLE) as m:
            got = m.query_many(["5G基站散热", "PEM燃料电池"], to="achievement", k=20, shards=3)
            self.assertSameMatches(got, [self.db.query(t, to="achievement", k=20) for t in ["5G基站散热", "PEM燃料电池"]])
            self.assertIsNone(m._src)                                   # no replica was sent
            sh = m._dfs[libmatch.KINDS["achievement"]]
            self.assertEqual(len(sh.payloads), 3)
            self.assertTrue(all(size < m.snapshot_bytes for size in sh.sizes))   # candidates (and the space's terms)
            token, kind = m.token, libmatch.KINDS["achievement"]

            def held(payload):                                           # on a worker: what shard 0 holds
                db = lmdask._dfs_db(token, kind, 0, payload, None)
                return [db.count(k) for k in ("problem", "achievement", "expert")]
            self.assertEqual(CLIENT.submit(held, sh.payloads[0], pure=False).result(), [0, 15, 0])
            stats = json.loads(CLIENT.gather(sh.stats))["kinds"]["achievement"]
            whole = json.loads(self.db.export_stats("achievement"))["kinds"]["achievement"]
            self.assertEqual(stats, whole)

    def test_batch_ships_shards_not_the_snapshot(self):
        """A candidate-split batch cuts its shards on the client: each holds
        one block of the candidates and every query (nothing of the third
        kind), lives on two workers, and no worker holds the whole database
        or every candidate; results equal one process."""
        P, A, E = (libmatch.KINDS[k] for k in ("problem", "achievement", "expert"))
        with DaskMatcher(CLIENT, SAMPLE) as m:
            got = m.batch_match("problem", to="achievement", k=10, shards=3)
            self.assertSameBatch(got, self.db.batch_match("problem", to="achievement", k=10))
            self.assertIsNone(m._src)                                   # no replica was sent
            sh = m._batch[(P, A, A, 3)]
            self.assertEqual(sh.bounds, [0, 15, 30, 45])
            self.assertTrue(all(size < m.snapshot_bytes for size in sh.sizes))
            self.assertEqual(m.shipped_bytes, sum(sh.shipped))
            self.assertEqual([t["bytes"] for t in got.timings["shards"]], sh.sizes)
            self.assertEqual([len(w) for w in CLIENT.who_has(sh.srcs).values()], [2, 2, 2])   # two copies each
            token = m.token

            def held(src):                                               # on a worker: what a shard holds
                db = lmdask._open_ro(token, lmdask._shard_path(token, src, "a test"))
                return [db.count(k) for k in ("problem", "achievement", "expert")], \
                    [i.decode() for i in lmdask._ids(db, A)]
            for j, src in enumerate(sh.srcs):
                counts, ids = CLIENT.submit(held, src, pure=False).result()
                self.assertEqual(counts, [43, 15, 0])
                self.assertEqual(ids, m.ids("achievement")[15 * j:15 * (j + 1)])

            # queries split: a block of the queries and every candidate
            got = m.batch_match("problem", to="expert", k=5, split="queries", shards=2)
            self.assertSameBatch(got, self.db.batch_match("problem", to="expert", k=5))
            sq = m._batch[(P, E, P, 2)]
            self.assertEqual([CLIENT.submit(held, src, pure=False).result()[0] for src in sq.srcs],
                             [[21, 0, 29], [22, 0, 29]])
            # one kind against itself: a file of that kind only
            got = m.batch_match("achievement", to="achievement", k=5)
            self.assertSameBatch(got, self.db.batch_match("achievement", to="achievement", k=5))
            self.assertEqual(CLIENT.submit(held, m._batch[(A, A, A, 1)].srcs[0], pure=False).result()[0], [0, 45, 0])
            self.assertIsNone(m._src)

            def whole():                                                 # on each worker: every file it holds
                st = lmdask._STATE.get(token)
                out = []
                for path, _ in (st.files.values() if st else []):
                    with libmatch.open(path, readonly=True) as db:
                        out.append([db.count(k) for k in ("problem", "achievement", "expert")])
                return out
            held_by = CLIENT.run(whole)
            self.assertEqual(len(held_by), 2)
            for files in held_by.values():
                self.assertTrue(files)                                  # both workers hold shards
                for counts in files:
                    self.assertNotEqual(counts, [43, 45, 29])           # never the whole database
                    self.assertLess(counts[1] + counts[2], 45 + 29)      # and never every candidate of a batch

    def test_tie_pass_on_the_client_is_exact(self):
        """The exact tie pass alone, for a few queries spread over the storage
        order with k=3: on the snapshot cut to the block of those queries
        and the block of their shards' hits (holding many candidates that
        are no hit of theirs), it gives the one-process lists."""
        want = self.db.batch_match("problem", to="achievement", k=3)
        bounds = [0, 15, 30, 45]
        rows = np.array([5, 17, 30])
        keep = set()
        with DaskMatcher(CLIENT, SAMPLE) as m:
            ach, prob = m.ids("achievement"), m.ids("problem")
            for j in range(3):                                # each shard's hits, computed here
                path = os.path.join(TMP, "tieshard-%d.db" % j)
                shutil.copyfile(SAMPLE, path)
                with libmatch.open(path) as db:
                    libmatch.dfs.cut(db, "achievement", bounds[j], bounds[j + 1])
                    hits = db.batch_match("problem", to="achievement", k=3)
                os.remove(path)
                keep |= {ach.index(a) for r in rows for a, _ in hits[prob[r]]}
            keep = np.array(sorted(keep))
            self.assertLess(len(keep), keep[-1] - keep[0] + 1)       # the block holds candidates outside keep
            s, g = m._resolve(libmatch.KINDS["problem"], libmatch.KINDS["achievement"], 3, rows, keep)
            self.assertEqual(s.shape[0], 3)
            for i, r in enumerate(rows.tolist()):
                self.assertEqual([(ach[p], x) for p, x in zip(g[i].tolist(), s[i].tolist()) if p >= 0],
                                 want[prob[r]])

    def test_worker_killed_during_queries(self):
        """Each query shard lives on two workers: one killed in the middle of
        the queries is replaced and its tasks re-run, with the same results."""
        texts = ["碳化矽功率模組封裝", "PEM燃料电池，双极板腐蚀！", "5G基站", "无人机巡检光伏电站"]
        want = [self.db.query(t, to="expert", k=5) for t in texts]
        with DaskMatcher(CLIENT, SAMPLE) as m:
            with open(CRASH, "w"):
                pass                                                  # the next task kills its worker
            got = m.query_many(texts, to="expert", k=5, chunk=1)
            self.assertFalse(os.path.exists(CRASH))                   # a worker did die
            self.assertSameMatches(got, want)
        CLIENT.wait_for_workers(2, timeout=60)

    def test_options_that_cannot_be_distributed(self):
        with self.assertRaises(libmatch.InvalidArgument) as cm:
            self.m.query_many(["碳化硅"], to="achievement", fusion="rrf")
        self.assertIn("'fusion'", str(cm.exception))
        with self.assertRaises(libmatch.InvalidArgument) as cm:
            self.m.query_many(["碳化硅"], to="achievement", prf_docs=5)
        self.assertIn("'prf_docs'", str(cm.exception))
        opts = dict(k=7, offset=3, fusion="weighted", min_probability=0.02, candidates=9, dense_candidates=4)
        texts = ["碳化矽功率模組封裝", "无人机巡检"]
        self.assertSameMatches(self.m.query_many(texts, to="achievement", **opts),
                               [self.db.query(t, to="achievement", **opts) for t in texts])

    def test_errors_on_the_client(self):
        with self.assertRaises(libmatch.InvalidArgument) as cm:
            self.m.batch_match("problem", to="achievement", k=0)
        self.assertIn("'k'", str(cm.exception))
        with self.assertRaises(TypeError):
            self.m.batch_match("problem", to="achievement", k=2.5)
        with self.assertRaises(ValueError):
            self.m.batch_match("problem", to="patent")
        with self.assertRaises(ValueError):
            self.m.batch_match("problem", to="expert", shards=0)
        with self.assertRaises(TypeError):
            self.m.query_many(["碳化硅"], to="expert", colour="red")
        with self.assertRaises(libmatch.InvalidArgument) as cm:
            self.m.query_many(["碳化硅"], to="expert", k=100000)
        self.assertIn("'k'", str(cm.exception))
        with self.assertRaises(libmatch.NotFound):             # raised on a worker, re-raised here
            self.m.match_many("problem", ["P-999"], to="expert")


class TestGenerated(DaskCase):
    """20,000 records: 16,000 problems x 4,000 achievements, 40 of them
    duplicated across the two shards (exact ties)."""

    @classmethod
    def setUpClass(cls):
        cls.db = libmatch.open(GEN, readonly=True)
        cls.want = cls.db.batch_match("problem", to="achievement", k=10)

    @classmethod
    def tearDownClass(cls):
        cls.db.close()

    def test_batch_equal_with_exact_ties(self):
        ach = [r["id"] for r in self.db.scan("achievement")]
        pos = {a: p for p, a in enumerate(ach)}
        # the single-process run has equal scores of hits from both halves
        crossing = sum(1 for hits in self.want.values() for (a, s), (b, t) in zip(hits, hits[1:])
                       if s == t and (pos[a] < 2000) != (pos[b] < 2000))
        self.assertGreater(crossing, 0)
        with DaskMatcher(CLIENT, GEN) as m:
            got = m.batch_match("problem", to="achievement", k=10)
            self.assertEqual(got.shards, 2)
            self.assertGreater(got.resolved, 0)                     # the exact tie pass ran (on the client)
            self.assertIn("resolve_s", got.timings)
            self.assertSameBatch(got, self.want)
            self.assertIsNone(m._src)                               # shards only, never the snapshot
            sh = m._batch[(libmatch.KINDS["problem"], libmatch.KINDS["achievement"], libmatch.KINDS["achievement"], 2)]
            self.assertEqual(sh.bounds, [0, 2000, 4000])
            self.assertTrue(all(size < m.snapshot_bytes for size in sh.sizes))
            token = m.token

            def held(src):
                db = lmdask._open_ro(token, lmdask._shard_path(token, src, "a test"))
                return [db.count(k) for k in ("problem", "achievement", "expert")]
            self.assertEqual([CLIENT.submit(held, src, pure=False).result() for src in sh.srcs],
                             [[16000, 2000, 0], [16000, 2000, 0]])
            again = m.batch_match("problem", to="achievement", k=10)   # the shards are reused
            self.assertEqual([t["cut_s"] for t in again.timings["shards"]], [0.0, 0.0])
            self.assertSameBatch(again, self.want)
            self.assertSameBatch(m.batch_match("problem", to="achievement", k=10, split="queries"), self.want)

    def test_queries_equal_on_shards(self):
        """Record and text queries, DFS over shards of 2,000 achievements or
        8,000 problems: the single-process results, probabilities included."""
        with DaskMatcher(CLIENT, GEN) as m:
            ids = m.ids("problem")[::200]
            self.assertSameMatches(list(m.match_many("problem", ids, to="achievement", k=10).values()),
                                   [self.db.match(problem=i, to="achievement", k=10) for i in ids])
            self.assertIsNone(m._src)                                   # shards only
            texts = ["碳化矽功率模組封裝散熱", "PEM燃料电池，双极板腐蚀！", "5G基站", "锂离子电池热失控预警",
                     "无人机复合材料机翼", "smart grid 储能"]
            for to in ("achievement", "problem"):
                self.assertSameMatches(m.query_many(texts, to=to, k=10), [self.db.query(t, to=to, k=10) for t in texts])
            recs = [self.db.get("problem", i) for i in ids[:10]]
            for r in recs:
                r["id"] = "NEW-" + r["id"]
            self.assertSameMatches(m.match_records(recs, to="problem", k=8),
                                   [self.db.match_record(r, to="problem", k=8) for r in recs])
            aids = m.ids("achievement")[::250]
            self.assertSameMatches(list(m.match_many("achievement", aids, to="problem", k=10).values()),
                                   [self.db.match(achievement=i, to="problem", k=10) for i in aids])
            self.assertSameMatches(list(m.match_many("achievement", aids, to="achievement", k=10).values()),
                                   [self.db.match(achievement=i, to="achievement", k=10) for i in aids])

    def test_worker_killed_mid_batch(self):
        with DaskMatcher(CLIENT, GEN, shared_dir=TMP) as m:
            with open(CRASH, "w"):
                pass                                                  # the next task kills its worker
            got = m.batch_match("problem", to="achievement", k=10, shards=3)
            self.assertFalse(os.path.exists(CRASH))                   # a worker did die
            self.assertSameBatch(got, self.want)
        CLIENT.wait_for_workers(2, timeout=60)


class TestLifecycle(DaskCase):
    def test_shared_dir_snapshot_and_cleanup(self):
        path = os.path.join(TMP, "life.db")
        recs = sample_records()
        make_db(path, recs)
        shared = tempfile.mkdtemp(dir=TMP)
        with libmatch.open(path, readonly=True) as db:
            want = db.batch_match("problem", to="achievement", k=5)
            want_q = db.query("碳化硅", to="achievement", k=5)
        m = DaskMatcher(CLIENT, path, shared_dir=shared)
        try:
            self.assertEqual(m.shipped_bytes, 0)
            self.assertEqual(os.listdir(shared), ["libmatch-snapshot-%s.db" % m.token])   # the snapshot only
            with libmatch.open(path) as db:                           # later writes are not seen
                db.delete("achievement", "A-001")
            self.assertSameBatch(m.batch_match("problem", to="achievement", k=5), want)
            self.assertSameMatches(m.query_many(["碳化硅"], to="achievement", k=5), [want_q])
            token = m.token
            self.assertEqual(sorted(CLIENT.run(lambda: token in lmdask._STATE).values()), [True, True])
        finally:
            m.close()
        m.close()                                                     # idempotent
        self.assertEqual(os.listdir(shared), [])
        self.assertEqual(sorted(CLIENT.run(lambda: token in lmdask._STATE).values()), [False, False])
        with self.assertRaises(libmatch.InvalidArgument):
            m.batch_match("problem", to="achievement")

    def test_scheduler_address_and_progress_bar(self):
        with libmatch.open(SAMPLE, readonly=True) as db:
            want = db.batch_match("expert", to="problem", k=3)
            want_q = [db.query("PEM燃料电池", to="expert", k=3)]
        with DaskMatcher(CLUSTER.scheduler_address, SAMPLE) as m:      # its own Client
            self.assertIsNot(m.client, CLIENT)
            self.assertEqual(m.workers(), 2)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                got = m.batch_match("expert", to="problem", k=3, progress=True)
                got_q = m.query_many(["PEM燃料电池"], to="expert", k=3, progress=True)
            self.assertSameBatch(got, want)
            self.assertSameMatches(got_q, want_q)
            self.assertIn("100% Completed", out.getvalue())             # distributed's text bar
            own = m.client
        self.assertEqual(own.status, "closed")                         # close() closed its Client
        self.assertEqual(CLIENT.status, "running")
        with self.assertRaises(TypeError):
            DaskMatcher(object(), SAMPLE)

    def test_example_script(self):
        """examples/python/dask_batch.py on this cluster, compared with one process by --check."""
        env = dict(os.environ, PYTHONPATH=PKG + os.pathsep + os.environ.get("PYTHONPATH", ""))
        p = subprocess.run([sys.executable, os.path.join(EXAMPLES, "dask_batch.py"), SAMPLE, "--scheduler",
                            CLUSTER.scheduler_address, "--to", "expert", "-k", "4", "--check"],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("cluster: 2 workers", p.stdout)
        self.assertRegex(p.stdout, r"\nP-001 -> E-\d{3} ")
        self.assertIn("43 problem x 29 expert, 4 hits each at most", p.stdout)
        self.assertIn("equal to one process: yes", p.stdout)

    def test_no_vectors_and_bad_files(self):
        path = make_db(os.path.join(TMP, "novec.db"), sample_records(), vectors=False)
        with DaskMatcher(CLIENT, path) as m:
            self.assertEqual(m.shipped_bytes, 0)                      # nothing is sent before it is needed
            with self.assertRaises(libmatch.InvalidArgument) as cm:
                m.batch_match("problem", to="achievement")
            self.assertIn("vectors", str(cm.exception))
            self.assertEqual(m.shipped_bytes, 0)
            with libmatch.open(path, readonly=True) as db:            # queries need no vectors
                self.assertSameMatches(m.query_many(["储能"], to="expert"), [db.query("储能", to="expert")])
            self.assertGreater(m.shipped_bytes, 0)
        with self.assertRaises(FileNotFoundError):
            DaskMatcher(CLIENT, os.path.join(TMP, "missing.db"))
        junk = os.path.join(TMP, "junk.db")
        with open(junk, "wb") as f:
            f.write(b"not a database" * 100)
        with self.assertRaises(libmatch.NotADatabase):
            DaskMatcher(CLIENT, junk)


if __name__ == "__main__":
    unittest.main()
