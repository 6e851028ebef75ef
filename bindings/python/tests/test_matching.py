"""Matching in every direction, the result values (components, terms,
evidence, label, probability), Traditional and Simplified text, filters and
weights, allocation, semantic vectors (built-in, external, batch)."""
import array
import json
import os
import unittest
import warnings

import libmatch
from lmsupport import DATA, Base, sample_data_missing


class TestMatching(Base):
    def test_all_directions(self):
        cases = [("problem", "P1", "achievement", "A2"), ("problem", "P2", "achievement", "A1"),
                 ("problem", "P1", "expert", "E2"), ("achievement", "A2", "problem", "P1"),
                 ("achievement", "A1", "expert", "E1"), ("achievement", "A2", "expert", "E2"),
                 ("expert", "E2", "achievement", "A2"), ("expert", "E1", "problem", "P2"),
                 ("expert", "E2", "problem", "P1"), ("problem", "P1", "problem", "P2")]
        for frm, rid, to, top in cases:
            res = self.db.match(**{frm: rid}, to=to)
            self.assertEqual(res[0].id, top, (frm, rid, to))
            self.assertTrue(all(m.kind == to for m in res))
            self.assertNotIn(rid, [m.id for m in res if m.kind == frm])     # never itself

    def test_result_values(self):
        res = self.db.match(problem="P1", to="achievement", k=5)
        self.assertIsInstance(res, libmatch.MatchList)
        self.assertIsInstance(res, list)
        m = res[0]
        self.assertIsInstance(m, libmatch.Match)
        self.assertEqual((m.id, m.kind), ("A2", "achievement"))
        self.assertIsInstance(m.score, float)
        self.assertIn("碳化硅", m.terms)
        self.assertTrue(res.query_terms)
        self.assertTrue(set(m.terms) <= set(res.query_terms))
        self.assertTrue(0 < m.components["bm25"] < 1)      # a share of the query's maximum
        self.assertTrue(0 < m.probability < 1)
        self.assertEqual(m.score, m.probability)            # the default fusion ranks by it
        self.assertTrue(all(isinstance(v, float) for v in m.components.values()))
        for name in ("bm25", "fields", "region", "maturity", "bm25_raw"):
            self.assertIn(name, m.components)
        self.assertAlmostEqual(m.components["maturity"], 5 / 9)
        self.assertEqual(m.evidence, [])
        with self.assertRaises(Exception):
            m.score = 0                      # frozen
        self.assertEqual(len({m, res[0]}), 1)  # hashable
        scores = [h.score for h in res]
        self.assertEqual(scores, sorted(scores, reverse=True))
        d = res.to_dict()
        self.assertEqual(set(d), {"query_terms", "results"})
        self.assertEqual(d["results"][0]["id"], "A2")
        self.assertEqual(d["results"][0]["label"], "低热阻碳化硅功率模块银烧结封装")
        json.dumps(d, ensure_ascii=False)
        self.assertEqual(res.ids(), [h.id for h in res])

    def test_labels(self):
        # the title of a problem or achievement (as stored: traditional stays
        # traditional), the name of an expert
        self.assertEqual(self.db.query("锂离子电池热失控", to="achievement")[0].label, "鋰離子電池熱失控預警系統")
        self.assertEqual(self.db.match(problem="P2", to="expert")[0].label, "李娜")
        self.assertEqual(self.db.match(achievement="A2", to="problem")[0].label, "碳化硅功率模块封装散热")
        self.db.add({"id": "A9", "kind": "achievement", "abstract": "碳化硅衬底缺陷检测"})        # no title
        self.assertEqual([m.label for m in self.db.query("碳化硅衬底缺陷", to="achievement") if m.id == "A9"], [""])

    def test_probability_when_the_results_carry_it(self):
        res = self.db.match(problem="P1", to="achievement")
        for m in res:                       # None, or a probability, as the library reports
            self.assertTrue(m.probability is None or 0.0 <= m.probability <= 1.0)
            self.assertEqual("probability" in m.to_dict(), m.probability is not None)
        # the reader keeps what the JSON has: a "probability" key becomes the attribute
        from libmatch import types
        hit = types.Match("A1", "achievement", 0.5, {}, [], [], "标题", 0.82)
        self.assertEqual(hit.to_dict()["probability"], 0.82)
        self.assertEqual(types.Match("A1", "achievement", 0.5).probability, None)
        self.assertEqual(types.Match("A1", "achievement", 0.5).label, "")

    def test_expert_evidence(self):
        res = self.db.match(problem="P2", to="expert")
        self.assertEqual(res[0].id, "E1")
        self.assertEqual(res[0].evidence[0][0], "A1")
        self.assertIsInstance(res[0].evidence[0][1], float)
        self.assertGreater(res[0].components["evidence"], 0)
        self.assertEqual(res[0].to_dict()["evidence"][0]["id"], "A1")
        self.assertEqual(self.db.match(problem="P1", to="expert")[0].evidence[0][0], "A2")
        self.assertNotEqual(self.db.match(problem="P2", to="expert", evidence_mode="max")[0].score, 0)
        self.db.match(problem="P2", to="expert", evidence_mode="sum", evidence_m=2, evidence_candidates=50)
        self.db.match(problem="P2", to="expert", evidence_mode="topm", evidence_m=2)

    def test_traditional_and_simplified_both_ways(self):
        # stored traditional (A1), simplified query
        self.assertEqual(self.db.query("锂离子电池", to="achievement")[0].id, "A1")
        self.assertEqual(self.db.query("锂离子电池热失控", to="achievement")[0].id, "A1")
        # stored simplified (A2), traditional query
        self.assertEqual(self.db.query("碳化矽功率模組封裝", to="achievement")[0].id, "A2")
        self.assertEqual(self.db.query("碳化矽封裝", to="achievement")[0].id, "A2")
        # full-width letters and mixed terms
        self.assertEqual(self.db.query("ＳｉＣ　ＭＯＳＦＥＴ模块，封装！", to="problem")[0].id, "P1")
        # stored traditional, stored simplified problem, and unsaved traditional records
        self.db.add({"id": "P3", "kind": "problem", "title": "鋰離子電池"})
        self.db.add({"id": "A4", "kind": "achievement", "title": "锂离子电池"})
        self.assertIn("A4", self.db.match(problem="P3", to="achievement").ids())
        self.assertIn("P3", self.db.match(achievement="A4", to="problem").ids())
        rec = {"kind": "problem", "title": "儲能電池熱失控"}
        self.assertEqual(self.db.match_record(rec, to="achievement")[0].id, "A1")
        self.assertEqual(self.db.match_record(json.dumps(rec, ensure_ascii=False), to="expert")[0].id, "E1")

    def test_filters(self):
        q = "碳化硅 热失控 小麦"
        self.assertEqual(sorted(self.db.query(q, to="achievement").ids()), ["A1", "A2", "A3"])
        self.assertEqual(self.db.query(q, to="achievement", region="陕西省宝鸡市").ids(), ["A2"])
        self.assertEqual(self.db.query(q, to="achievement", region="陕西省杨凌").ids(), ["A3"])
        self.assertEqual(self.db.query(q, to="achievement", fields=["新能源"]).ids(), ["A1"])
        self.assertEqual(self.db.query(q, to="achievement", fields="新能源").ids(), ["A1"])
        self.assertEqual(sorted(self.db.query(q, to="achievement", fields=["新能源", "半导体"]).ids()), ["A1", "A2"])
        self.assertEqual(sorted(self.db.query(q, to="achievement", min_maturity=7).ids()), ["A1", "A3"])
        self.assertEqual(sorted(self.db.query(q, to="achievement", min_maturity=6).ids()), ["A1", "A3"])
        self.assertEqual(self.db.query(q, to="achievement", region="北京市").ids(), [])
        full = self.db.query(q, to="achievement")
        self.assertEqual(self.db.query(q, to="achievement", k=1).ids(), full.ids()[:1])
        self.assertEqual(self.db.query(q, to="achievement", k=1, offset=1).ids(), full.ids()[1:2])
        self.assertEqual(len(self.db.query(q, to="achievement", k=1, offset=1)), 1)
        self.assertEqual(self.db.query(q, to="achievement", offset=10).ids(), [])
        self.db.query(q, to="achievement", max_terms=2, candidates=10, topic_docs=0, prf_docs=2, prf_terms=3,
                      dense_candidates=0)

    def test_weights_change_components_and_score(self):
        # the weighted sum (fusion "weighted"): the score is sum w_c x component
        a = self.db.query("碳化硅", to="achievement", fusion="weighted")[0]
        b = self.db.query("碳化硅", to="achievement", fusion="weighted", weights={"maturity": 1.0})[0]
        self.assertEqual(a.components, b.components)
        self.assertAlmostEqual(b.score - a.score, (1.0 - 0.05) * b.components["maturity"], places=9)
        # field weights change the BM25 itself (a component)
        t1 = self.db.query("碳化硅", to="achievement", weights={"title": 1.0, "keywords": 1.0})[0]
        t5 = self.db.query("碳化硅", to="achievement", weights={"title": 5.0, "keywords": 1.0})[0]
        self.assertGreater(t5.components["bm25_raw"], t1.components["bm25_raw"])
        k = self.db.query("碳化硅", to="achievement", weights={"bm25_k1": 0.5, "bm25_b": 0.0})[0]
        self.assertNotEqual(k.components["bm25_raw"], a.components["bm25_raw"])
        # zero every fusion weight but one: the score is that component
        only = {n: 0.0 for n in ("bm25", "fields", "region", "maturity", "evidence", "topic", "cosine",
                                 "cosine_ext", "keyword_match")}
        for name in ("bm25", "maturity", "region"):
            m = self.db.query("碳化硅", to="achievement", fusion="weighted", weights=dict(only, **{name: 1.0}))[0]
            self.assertAlmostEqual(m.score, m.components[name], places=9)
        # the model (the default): a weight scales its component's say; 0 turns it off
        p = self.db.query("碳化硅", to="achievement")[0]
        q = self.db.query("碳化硅", to="achievement", weights={"maturity": 1.0})[0]
        self.assertEqual(p.id, q.id)
        self.assertGreater(q.probability, p.probability)       # more say to a positive component

    def test_query_and_match_record_options(self):
        self.assertEqual(self.db.query("", to="achievement").ids(), [])
        self.assertEqual(self.db.query("银烧结".encode(), to="achievement")[0].id, "A2")
        r = self.db.match_record({"kind": "achievement", "title": "碳化硅封装"}, to="achievement", k=1)
        self.assertEqual(r.ids(), ["A2"])
        with self.assertRaises(libmatch.InvalidRecord):
            self.db.match_record({"kind": "problem", "title": 5}, to="achievement")


class TestAllocation(Base):
    def test_allocate(self):
        a = self.db.allocate(to="expert")
        self.assertIsInstance(a, libmatch.Allocation)
        self.assertEqual(dict((p, c) for p, c, _ in a.pairs), {"P1": "E2", "P2": "E1"})
        self.assertEqual(a.pairs[0][:2], ("P1", "E2"))
        self.assertAlmostEqual(a.total, sum(s for _, _, s in a.pairs))
        a = self.db.allocate(to="achievement", problems=["P1"], candidates=["A1", "A2"], capacities=[1, 0])
        self.assertNotIn("A2", [c for _, c, _ in a.pairs])
        self.assertEqual(self.db.allocate(to="expert", candidates=["E2"], capacities=[0]).pairs, [])
        self.assertEqual(self.db.allocate(to="expert", min_score=1e9).pairs, [])
        self.assertEqual(self.db.allocate(to="expert", problems=[]).pairs, [])
        self.assertEqual(self.db.allocate(to="expert", per_problem=2, default_capacity=2,
                                          weights={"evidence": 0.0}).to_dict()["pairs"][0]["problem"], "P1")
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.allocate(to="expert", candidates=["E1", "E1"])
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.allocate(to="expert", candidates=["E1"], capacities=[-1])
        with self.assertRaises(ValueError):
            self.db.allocate(to="expert", capacities=[1])

    def test_allocation_parameters_are_options(self):
        # default_capacity is the registry's "capacity"; all three are options
        self.db.add({"id": "P3", "kind": "problem", "title": "碳化硅模块银烧结封装", "fields": ["半导体"]})
        self.db.add({"id": "A4", "kind": "achievement", "title": "碳化硅模块封装可靠性测试", "fields": ["半导体"]})
        probs = ["P1", "P3"]
        one = self.db.allocate(to="achievement", problems=probs)
        self.assertEqual(len(one.pairs), 2)
        self.assertEqual(sorted(c for _, c, _ in one.pairs), ["A2", "A4"])     # A2 goes to one problem only
        cap2 = self.db.allocate(to="achievement", problems=probs, capacity=2)
        self.assertEqual([c for _, c, _ in cap2.pairs], ["A2", "A2"])          # both problems get their best
        self.assertEqual(cap2.to_dict(), self.db.allocate(to="achievement", problems=probs,
                                                          default_capacity=2).to_dict())
        self.assertGreater(cap2.total, one.total)
        per2 = self.db.allocate(to="achievement", problems=probs, capacity=2, per_problem=2)
        self.assertEqual(len(per2.pairs), 4)
        self.assertEqual(self.db.allocate(to="achievement", per_problem=0).pairs, [])
        self.assertEqual(self.db.allocate(to="achievement", capacity=0).pairs, [])
        low = sorted(s for _, _, s in per2.pairs)
        cut = (low[0] + low[1]) / 2       # between the two lowest (JSON scores are rounded to ~15 digits)
        high = self.db.allocate(to="achievement", problems=probs, capacity=2, per_problem=2, min_score=cut)
        self.assertEqual(len(high.pairs), 3)
        self.assertTrue(all(s >= cut for _, _, s in high.pairs))
        e = self.check(libmatch.InvalidArgument, self.db.allocate, to="expert", per_problem=-1,
                       contains="per_problem")
        self.assertIsInstance(e, ValueError)


class TestVectors(Base):
    def test_built_in_space_and_batch(self):
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.batch_match("problem", to="achievement")            # no vectors built yet
        with self.assertRaisesRegex(libmatch.InvalidArgument, "lm_vectors_build"):   # the call's own message
            self.db.batch_match("problem", to="achievement", memory=1 << 20)
        self.db.build_vectors(4)
        self.assertEqual(self.db.stats()["vectors"]["dim"], 4)
        res = self.db.match(problem="P1", to="achievement", weights={"cosine": 1.0})
        self.assertIn("cosine", res[0].components)
        batch = self.db.batch_match("problem", to="achievement", k=2)
        self.assertEqual(sorted(batch), ["P1", "P2"])
        self.assertTrue(all(len(v) == 2 and isinstance(v[0][1], float) for v in batch.values()))
        self.assertEqual(self.db.batch_match(kind="problem", to="achievement", k=2), batch)
        default_k = libmatch.options()["k"].default                       # k: the registry's default
        self.assertEqual(len(self.db.batch_match("problem", to="achievement")["P1"]), min(3, default_k))
        self.db.build_vectors(2)
        self.assertEqual(self.db.stats()["vectors"]["dim"], 2)
        b = self.db.batch_match("expert", to="achievement", k=1)
        self.assertEqual(list(b), ["E1", "E2"])
        self.assertEqual(len(b["E1"]), 1)

    def test_batch_within_memory(self):
        words = ["锂电池", "储能", "热失控", "猕猴桃", "溃疡病", "小麦", "抗旱", "育种", "5G基站", "PEM燃料电池",
                 "碳化硅", "功率器件", "光伏", "氢能", "果园", "病害", "電站", "新品種", "隧道", "掘进"]
        with libmatch.Database(":memory:") as db:
            x, recs = 7, []
            for i in range(1100):
                title = ""
                for _ in range(4):
                    x = (x * 1103515245 + 12345) % (1 << 31)
                    title += words[(x >> 8) % len(words)]
                recs.append({"id": "A%04d" % i, "kind": "achievement", "title": title})
            db.add_many(recs)
            db.build_vectors(12)
            whole = db.batch_match("achievement", to="achievement", k=5)
            seen = []
            part = db.batch_match("achievement", to="achievement", k=5, memory=libmatch.LM_MIN_BATCH_MEMORY,
                                  progress=lambda stage, done, total: seen.append(done))
            self.assertEqual(part, whole)                      # ids and scores, in the same order
            self.assertEqual(list(part), list(whole))
            self.assertGreater(len(seen), 2)                   # blocks and shards report progress
            self.assertEqual(db.batch_memory, 0)               # memory= is for the one call
            db.batch_memory = 1 << 16
            self.assertEqual(db.batch_match("achievement", to="achievement", k=5), whole)
            with self.assertRaises(ValueError):
                db.batch_memory = 1000
            with self.assertRaises(TypeError):
                db.batch_match("achievement", to="achievement", memory=1.5)
            self.assertEqual(db.batch_memory, 1 << 16)

    def test_batch_match_old_keyword_is_deprecated(self):
        self.db.build_vectors(2)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            old = self.db.batch_match(frm="problem", to="achievement", k=2)
        self.assertEqual([x.category for x in w], [DeprecationWarning])
        self.assertIn("batch_match('problem', to=...)", str(w[0].message))
        self.assertEqual(w[0].filename, __file__)                         # points at the caller
        self.assertEqual(old, self.db.batch_match("problem", to="achievement", k=2))
        with self.assertRaises(TypeError):
            self.db.batch_match("problem", frm="problem", to="achievement")
        with self.assertRaises(TypeError):
            self.db.batch_match(to="achievement")
        with self.assertRaises(ValueError):
            self.db.batch_match("patent", to="achievement")

    def test_external_vectors(self):
        self.db.put_vector("achievement", "A1", array.array("f", [1, 0, 0]), model="m3")
        self.db.put_vector("achievement", "A2", [0, 1, 0.1], model="m3")
        hits = self.db.match_vector(memoryview(array.array("f", [0.1, 0.9, 0.0])), model="m3", to="achievement",
                                    k=5)
        self.assertEqual(hits.ids()[:2], ["A2", "A1"])
        self.assertGreater(hits[0].components["cosine_ext"], 0.9)
        self.assertEqual(hits[0].label, "低热阻碳化硅功率模块银烧结封装")
        self.assertEqual(self.db.match_vector((0.1, 0.9, 0.0), model="m3", to="achievement",
                                              fields=["新能源"]).ids(), ["A1"])
        with self.assertRaises(libmatch.Mismatch):
            self.db.match_vector([1.0, 0.0], model="m3", to="achievement")
        with self.assertRaises(libmatch.Mismatch):
            self.db.put_vector("achievement", "A1", [1.0, 0.0], model="m3")
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.put_vector("achievement", "A3", [0, 0, 0], model="m3")     # zero vector
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.put_vector("achievement", "A1", [1.0, float("nan"), 0.0], model="m3")
        with self.assertRaises(libmatch.NotFound):
            self.db.put_vector("achievement", "nope", [1.0, 0.0, 0.0], model="m3")
        with self.assertRaises(TypeError):
            self.db.put_vector("achievement", "A3", "abc", model="m3")


class TestSampleData(unittest.TestCase):
    def test_sample_libraries(self):
        why = sample_data_missing()
        if why:
            self.skipTest(why)
        with libmatch.open() as db:
            for name in ("problems", "achievements", "experts"):
                db.load_jsonl(os.path.join(DATA, name + ".jsonl"))
            top = db.match(problem="P-001", to="achievement")[0]
            self.assertEqual(top.id, "A-001")
            self.assertEqual(top.label, db.get("achievement", "A-001")["title"])
            expert = db.match(problem="P-011", to="expert")[0]
            self.assertEqual(expert.id, "E-008")
            self.assertEqual(expert.label, db.get("expert", "E-008")["name"])


if __name__ == "__main__":
    unittest.main()
