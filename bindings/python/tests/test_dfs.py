"""libmatch.dfs in one process: the sample libraries cut into shards of the
candidates' kind give, through probe / context / part / merge, what the
whole database gives (ids, scores, probabilities, components); statistics
add up; errors name what is wrong."""
import json
import os
import shutil
import sqlite3
import tempfile
import unittest

import libmatch
from libmatch import dfs
from lmsupport import DATA, SAMPLE_FILES

TMP = None
FULL = None


def setUpModule():
    global TMP, FULL
    TMP = tempfile.mkdtemp(prefix="lmdfs-")
    FULL = os.path.join(TMP, "full.db")
    with libmatch.open(FULL) as db:
        for name in SAMPLE_FILES:
            db.load_jsonl(os.path.join(DATA, name))
        db.add({"id": "A-950", "kind": "achievement", "title": "5G基站液冷散熱機櫃",
                "abstract": "面向5G基站的冷板式液冷，功放模組溫度降低18℃。", "keywords": ["5G基站", "液冷"],
                "fields": ["电子信息"], "maturity": 7})
        db.add({"id": "P-950", "kind": "problem", "title": "PEM燃料電池低溫啟動",
                "description": "質子交換膜（PEM）燃料電池零下30℃冷啟動結冰。", "keywords": ["PEM燃料电池"],
                "fields": ["新能源"]})
        db.build_vectors(32)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def cut(kind, n):
    """n shards of `kind`: block j of its storage order, everything else kept."""
    with libmatch.open(FULL, readonly=True) as db:
        ids = [r["id"] for r in db.scan(kind)]
    out = []
    for j in range(n):
        path = os.path.join(TMP, "%s-%d-%d.db" % (kind, n, j))
        shutil.copyfile(FULL, path)
        with libmatch.open(path) as s:
            dfs.cut(s, kind, len(ids) * j // n, len(ids) * (j + 1) // n)
            assert s.count(kind) == len(ids) * (j + 1) // n - len(ids) * j // n
        c = sqlite3.connect(path)
        c.execute("VACUUM")
        c.close()
        out.append(libmatch.open(path, readonly=True))
    stats = dfs.merge_stats([s.export_stats(kind) for s in out])
    for s in out:
        s.set_global_stats(stats)
    return out


def same(a, b):
    return ([m.to_dict() for m in a], a.query_terms) == ([m.to_dict() for m in b], b.query_terms)


class TestDfs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = libmatch.open(FULL, readonly=True)

    @classmethod
    def tearDownClass(cls):
        cls.db.close()

    def test_equal_to_one_database(self):
        texts = ["5G基站散热", "ＰＥＭ燃料電池，質子交換膜。", "碳化矽功率模組封裝", "储能"]
        for to in ("achievement", "expert", "problem"):
            shards = cut(to, 3)
            try:
                n = 0
                for r in self.db.scan("problem"):
                    q = (dfs.Query.stored_as_record(self.db, "problem", r["id"]) if to == "problem"
                         else dfs.Query.stored("problem", r["id"]))
                    got = dfs.match(shards, q, to=to, k=8)
                    want = self.db.match(problem=r["id"], to=to, k=8)
                    self.assertTrue(same(got, want), (to, r["id"]))
                    n += len(want) > 0
                for t in texts:
                    self.assertTrue(same(dfs.match(shards, dfs.Query.text(t), to=to, k=8, region="陕西省"),
                                         self.db.query(t, to=to, k=8, region="陕西省")), (to, t))
                self.assertGreater(n, 30)
            finally:
                for s in shards:
                    s.close()

    def test_record_queries_and_step_by_step(self):
        shards = cut("achievement", 2)
        try:
            rec = {"kind": "problem", "title": "鋰離子電池熱失控預警", "keywords": ["储能", "热失控"]}
            q = dfs.Query.record(rec)
            probes = [dfs.probe(s, q, to="achievement", k=5) for s in shards]
            self.assertTrue(all(json.loads(p)["format"] == "libmatch-dfs-probe/1" for p in probes))
            ctx = dfs.context(probes)
            parts = [dfs.part(s, q, ctx, to="achievement", k=5) for s in shards]
            got = dfs.merge(parts, k=5)
            self.assertTrue(same(got, self.db.match_record(rec, to="achievement", k=5)))
            self.assertGreater(len(got), 0)
            self.assertIsNotNone(got[0].probability)
            with self.assertRaises(libmatch.InvalidArgument):          # the same shard twice: overlap
                dfs.merge([parts[0], parts[0]], k=5)
        finally:
            for s in shards:
                s.close()

    def test_statistics(self):
        shards = cut("expert", 2)
        try:
            parts = [s.export_stats("expert") for s in shards]
            merged = json.loads(dfs.merge_stats(parts))["kinds"]["expert"]
            whole = json.loads(self.db.export_stats("expert"))["kinds"]["expert"]
            self.assertEqual(merged, whole)
            self.assertNotEqual(json.loads(parts[0])["kinds"]["expert"]["records"], whole["records"])
            with self.assertRaises(libmatch.InvalidRecord) as cm:
                shards[0].set_global_stats('{"format":"libmatch-stats/1","analyzer":"x","kinds":'
                                           '{"expert":{"records":2,"rows":2,"lengths":[1,2],"terms":{}}}}')
            self.assertIn('"lengths"', str(cm.exception))
            with self.assertRaises(libmatch.Error):
                shards[0].set_global_stats("{not json")
            with libmatch.open(":memory:") as words:
                words.set_analyzer_mode(libmatch.ANALYZE_WORDS)
                with self.assertRaises(libmatch.Error) as cm:
                    dfs.merge_stats([parts[0], words.export_stats()])
                self.assertIn("part 2", str(cm.exception))
            with self.assertRaises(TypeError):
                dfs.merge_stats([b"bytes"])
            with self.assertRaises(ValueError):
                dfs.merge_stats([])
        finally:
            for s in shards:
                s.close()

    def test_refused_options(self):
        with self.assertRaises(libmatch.InvalidArgument) as cm:
            dfs.probe(self.db, dfs.Query.text("5G基站"), to="achievement", fusion="rrf")
        self.assertIn("'fusion'", str(cm.exception))
        with self.assertRaises(TypeError):
            dfs.probe(self.db, "5G基站", to="achievement")
        with self.assertRaises(libmatch.InvalidRecord):
            dfs.part(self.db, dfs.Query.text("5G基站"), '{"format":"x"}', to="achievement")


if __name__ == "__main__":
    unittest.main()
