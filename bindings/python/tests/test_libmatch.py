"""Tests of the Python binding (standard library only)."""
import array
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

import libmatch

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
DATA = os.path.join(ROOT, "examples", "data")

RECORDS = [
    {"id": "P1", "kind": "problem", "title": "碳化硅功率模块封装散热", "description": "电机控制器碳化硅MOSFET模块热阻过大",
     "keywords": ["碳化硅", "封装"], "fields": ["半导体"], "region": "陕西省西安市", "meta": {"budget_wan": 80, "tags": ["急"]}},
    {"id": "A1", "kind": "achievement", "title": "鋰離子電池熱失控預警系統", "abstract": "氣體傳感與溫度場監測，提前預警。",
     "keywords": ["熱失控"], "fields": ["新能源"], "region": "陕西省西安市", "maturity": 7, "experts": ["E1"]},
    {"id": "A2", "kind": "achievement", "title": "低热阻碳化硅功率模块银烧结封装", "abstract": "银烧结与双面散热",
     "keywords": ["碳化硅", "银烧结"], "fields": ["半导体"], "region": "陕西省宝鸡市", "maturity": 5, "experts": ["E2"]},
    {"id": "E1", "kind": "expert", "name": "李娜", "research": "储能电池安全", "fields": ["新能源"], "achievements": ["A1"]},
    {"id": "E2", "kind": "expert", "name": "张伟", "research": "功率器件封装", "fields": ["半导体"], "achievements": ["A2"]},
]


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="lmpy-")
        self.path = os.path.join(self.dir, "t.db")
        self.db = libmatch.open(self.path)
        self.db.add_many(RECORDS)

    def tearDown(self):
        self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class TestRecords(Base):
    def test_version(self):
        self.assertEqual(libmatch.library_version(), "1.0.0")

    def test_count_get_roundtrip(self):
        self.assertEqual(self.db.count(), 5)
        self.assertEqual(self.db.count("achievement"), 2)
        got = self.db.get("problem", "P1")
        self.assertEqual(got, RECORDS[0])
        self.assertEqual(got["meta"], {"budget_wan": 80, "tags": ["急"]})
        self.assertEqual(self.db.get("achievement", "A1")["title"], "鋰離子電池熱失控預警系統")

    def test_add_json_string_and_delete(self):
        self.db.add('{"id":"P9","kind":"problem","title":"小麦抗旱育种"}')
        self.assertEqual(self.db.count("problem"), 2)
        self.db.delete("problem", "P9")
        self.assertEqual(self.db.count("problem"), 1)
        with self.assertRaises(libmatch.NotFound):
            self.db.delete("problem", "P9")

    def test_stats(self):
        s = self.db.stats()
        self.assertEqual(s["records"], {"problem": 1, "achievement": 2, "expert": 2})
        self.assertEqual(s["links"], 2)
        self.assertIn("libmatch-zh/", s["analyzer"])

    def test_persistence(self):
        self.db.close()
        self.assertTrue(self.db.closed)
        with libmatch.open(self.path) as db:
            self.assertEqual(db.count(), 5)
        with libmatch.open(self.path, readonly=True) as db:
            with self.assertRaises(libmatch.InvalidArgument):
                db.add(RECORDS[0])
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.count()          # closed


class TestErrors(Base):
    def test_exception_mapping(self):
        cases = [
            ('{"id": "X", "kind": "problem"', libmatch.InvalidRecord, "malformed JSON"),
            ({"kind": "problem"}, libmatch.InvalidRecord, "'id'"),
            ({"id": "X", "kind": "problem", "keywords": "碳化硅"}, libmatch.InvalidRecord, "field 'keywords'"),
            ({"id": "X", "kind": "patent"}, libmatch.InvalidRecord, "'patent'"),
            ({"id": "X", "kind": "problem", "color": 1}, libmatch.InvalidRecord, "field 'color'"),
            ({"id": "x" * 600, "kind": "problem"}, libmatch.TooBig, "field 'id'"),
            ({"id": "X", "kind": "problem", "title": "a\x00b"}, libmatch.InvalidUTF8, "NUL"),
            ({"id": "X", "kind": "problem", "title": "\udc80"}, libmatch.InvalidUTF8, "UTF-8"),
        ]
        for rec, exc, text in cases:
            with self.assertRaises(exc) as cm:
                self.db.add(rec)
            self.assertIn(text, str(cm.exception))
            self.assertIsInstance(cm.exception, libmatch.Error)
            self.assertGreater(cm.exception.code, 0)
        self.assertEqual(self.db.count(), 5)
        with self.assertRaises(libmatch.NotFound) as cm:
            self.db.get("problem", "nope")
        self.assertIn("nope", str(cm.exception))
        with self.assertRaises(libmatch.NotFound):
            self.db.match(problem="nope", to="achievement")

    def test_python_side_errors(self):
        with self.assertRaises(ValueError):
            self.db.get("patent", "X")
        with self.assertRaises(TypeError):
            self.db.match(to="achievement")
        with self.assertRaises(TypeError):
            self.db.match(problem="P1", expert="E1", to="achievement")
        with self.assertRaises(ValueError):
            self.db.query("x", to="achievement", weights={"nope": 1})
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.query("x", to="achievement", k=0)
        with self.assertRaises(TypeError):
            self.db.query("x", to="achievement", k="10")

    def test_load_report(self):
        path = os.path.join(self.dir, "bad.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.write('{"id":"N1","kind":"problem","title":"一"}\n{"id":"N2","kind":"problem","title":5}\n')
        with self.assertRaises(libmatch.InvalidRecord) as cm:
            self.db.load_jsonl(path)
        self.assertIn("line 2", str(cm.exception))
        self.assertEqual(cm.exception.report.errors[0][0], 2)
        self.assertEqual(self.db.count(), 5)
        rep = self.db.load_jsonl(path, skip_bad=True)
        self.assertEqual((rep.loaded, rep.skipped), (1, 1))
        self.assertEqual(rep.errors[0][1], "N2")
        self.assertIn("field 'title'", rep.to_dict()["errors"][0]["reason"])
        with self.assertRaises(libmatch.DatabaseError):
            self.db.load_jsonl(os.path.join(self.dir, "missing.jsonl"))

    def test_library_not_found(self):
        pkg = os.path.join(self.dir, "pkg")
        shutil.copytree(os.path.join(ROOT, "bindings", "python", "libmatch"), os.path.join(pkg, "libmatch"))
        env = dict(os.environ, LIBMATCH_LIBRARY=os.path.join(self.dir, "none.so"), PYTHONPATH=pkg)
        p = subprocess.run([sys.executable, "-c", "import libmatch"], env=env, capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("libmatch shared library not found", p.stderr)
        self.assertIn("none.so", p.stderr)


class TestMatching(Base):
    def test_directions_and_results(self):
        res = self.db.match(problem="P1", to="achievement", k=5)
        self.assertEqual(res[0].id, "A2")
        self.assertEqual(res[0].kind, "achievement")
        self.assertIn("碳化硅", res[0].terms)
        self.assertEqual(res[0].components["bm25"], 1.0)
        self.assertTrue(res.query_terms)
        d = res.to_dict()
        json.dumps(d, ensure_ascii=False)
        self.assertEqual(d["results"][0]["id"], "A2")
        self.assertEqual(self.db.match(achievement="A2", to="problem")[0].id, "P1")
        self.assertEqual(self.db.match(achievement="A2", to="expert")[0].id, "E2")
        self.assertEqual(self.db.match(expert="E2", to="achievement")[0].id, "A2")
        self.assertEqual(self.db.match(expert="E2", to="problem")[0].id, "P1")
        experts = self.db.match(problem="P1", to="expert")
        self.assertEqual(experts[0].id, "E2")
        self.assertEqual(experts[0].evidence[0][0], "A2")

    def test_traditional_and_simplified(self):
        self.assertEqual(self.db.query("锂离子电池热失控", to="achievement")[0].id, "A1")
        self.assertEqual(self.db.query("碳化矽封裝", to="achievement")[0].id, "A2")
        rec = {"kind": "problem", "title": "儲能電池熱失控"}
        self.assertEqual(self.db.match_record(rec, to="achievement")[0].id, "A1")

    def test_filters_and_weights(self):
        self.assertEqual([m.id for m in self.db.query("碳化硅 热失控", to="achievement", region="陕西省宝鸡市")], ["A2"])
        self.assertEqual([m.id for m in self.db.query("碳化硅 热失控", to="achievement", fields=["新能源"])], ["A1"])
        self.assertEqual([m.id for m in self.db.query("碳化硅 热失控", to="achievement", min_maturity=6)], ["A1"])
        a = self.db.query("碳化硅", to="achievement")[0]
        b = self.db.query("碳化硅", to="achievement", weights={"maturity": 1.0})[0]
        self.assertAlmostEqual(b.score - a.score, (1.0 - 0.05) * b.components["maturity"], places=9)
        page = self.db.query("碳化硅 热失控", to="achievement", k=1, offset=1)
        self.assertEqual(len(page), 1)

    def test_analyze_and_lexicon(self):
        toks = libmatch.analyze("基于5G的PEM燃料电池")
        texts = [t.text for t in toks]
        self.assertIn("5g", texts)
        self.assertIn("pem", texts)
        self.assertNotIn("的", texts)
        self.assertEqual(toks[0].to_dict()["start"], 0)
        self.assertEqual(libmatch.analyze("碳化硅功率", mode=libmatch.ANALYZE_BIGRAMS)[0].text, "碳化")
        with self.assertRaises(libmatch.InvalidUTF8):
            libmatch.analyze("\udc80")
        self.db.add_word("秦创原")
        self.assertIn("秦创原", [t.text for t in self.db.analyze("秦創原總窗口")])
        self.assertIn("user=", self.db.analyzer_id)
        self.db.reindex()
        self.db.add({"id": "A3", "kind": "achievement", "title": "无人驾驶航空器巡检"})
        self.db.add_synonym("无人机", "无人驾驶航空器")
        self.assertEqual(self.db.query("无人机", to="achievement")[0].id, "A3")
        path = os.path.join(self.dir, "syn.tsv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("锂电池\t锂离子电池\n")
        self.assertEqual(self.db.load_synonyms(path), 1)

    def test_allocation(self):
        a = self.db.allocate(to="expert", per_problem=1)
        self.assertEqual(a.pairs[0][:2], ("P1", "E2"))
        self.assertAlmostEqual(a.total, sum(p[2] for p in a.pairs))
        self.assertEqual(self.db.allocate(to="expert", candidates=["E2"], capacities=[0]).pairs, [])
        with self.assertRaises(ValueError):
            self.db.allocate(to="expert", capacities=[1])


class TestVectors(Base):
    def test_external_vectors_from_list_array_and_buffer(self):
        self.db.put_vector("achievement", "A1", [1.0, 0.0, 0.1], model="m")
        self.db.put_vector("achievement", "A2", array.array("f", [0.0, 1.0, 0.1]), model="m")
        hits = self.db.match_vector(memoryview(array.array("f", [0.1, 0.9, 0.0])), model="m", to="achievement")
        self.assertEqual([h.id for h in hits], ["A2", "A1"])
        self.assertGreater(hits[0].components["cosine_ext"], 0.9)
        with self.assertRaises(libmatch.Mismatch):
            self.db.put_vector("achievement", "A1", [1.0, 0.0], model="m")
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.put_vector("achievement", "A1", [1.0, float("nan"), 0.0], model="m")
        with self.assertRaises(libmatch.NotFound):
            self.db.put_vector("achievement", "nope", [1.0, 0.0, 0.0], model="m")

    def test_built_in_space_and_batch(self):
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.batch_match(frm="problem", to="achievement")
        self.db.build_vectors(2)
        self.assertEqual(self.db.stats()["vectors"]["dim"], 2)
        b = self.db.batch_match(frm="problem", to="achievement", k=2)
        self.assertEqual(list(b), ["P1"])
        self.assertEqual(len(b["P1"]), 2)


class TestSampleData(unittest.TestCase):
    def test_report_like_example(self):
        if not os.path.exists(os.path.join(DATA, "problems.jsonl")):
            self.skipTest("sample data absent")
        with libmatch.open() as db:
            for name in ("problems", "achievements", "experts"):
                db.load_jsonl(os.path.join(DATA, name + ".jsonl"))
            self.assertEqual(db.match(problem="P-001", to="achievement")[0].id, "A-001")
            self.assertEqual(db.match(problem="P-011", to="expert")[0].id, "E-008")


class TestThreadsAndLeaks(Base):
    def test_threads(self):
        errors = []

        def work(i):
            try:
                with libmatch.open(self.path) as db:
                    for _ in range(50):
                        if db.query("碳化硅封装", to="achievement")[0].id != "A2":
                            errors.append("wrong")
                        db.add({"id": "T%d" % i, "kind": "problem", "title": "线程%d" % i})
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.db.count("problem"), 5)

    def test_no_leak(self):
        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        for _ in range(500):
            self.db.query("碳化硅", to="achievement")
        gc.collect()
        before = rss()
        for i in range(10000):
            if i % 2:
                self.db.match(problem="P1", to="expert", k=3)
            else:
                self.db.get("achievement", "A2")
        gc.collect()
        grown = rss() - before
        self.assertLess(grown, 20 << 20, "RSS grew by %d bytes over 10,000 calls" % grown)


if __name__ == "__main__":
    unittest.main()
