"""The binding, wrapper by wrapper: records, bulk loads, every exception
mapping, matching options, the analyzer, handle lifetimes, threads, leaks.
Standard library only; each test uses its own small Chinese records in a
temporary directory."""
import array
import ctypes
import gc
import json
import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import unittest

import libmatch
from libmatch import _native

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
PKG = os.path.join(ROOT, "bindings", "python")

PROBLEMS = [
    {"id": "P1", "kind": "problem", "title": "碳化硅功率模块封装散热", "description": "电机控制器碳化硅MOSFET模块热阻过大，需要低热阻封装",
     "keywords": ["碳化硅", "封装"], "fields": ["半导体"], "region": "陕西省西安市", "org": "某电驱公司",
     "meta": {"budget_wan": 80, "tags": ["急", "SiC"], "nested": {"a": [1, 2.5, None, True]}, "note": "原样返回"}},
    {"id": "P2", "kind": "problem", "title": "储能电站锂离子电池热失控预警", "description": "需要早期预警与温度监测",
     "keywords": ["热失控", "储能"], "fields": ["新能源"], "region": "陕西省榆林市"},
]
ACHIEVEMENTS = [
    {"id": "A1", "kind": "achievement", "title": "鋰離子電池熱失控預警系統", "abstract": "氣體傳感與溫度場監測，提前預警。",
     "keywords": ["熱失控"], "fields": ["新能源"], "region": "陕西省西安市", "maturity": 7, "experts": ["E1"]},
    {"id": "A2", "kind": "achievement", "title": "低热阻碳化硅功率模块银烧结封装", "abstract": "银烧结与双面散热",
     "keywords": ["碳化硅", "银烧结"], "fields": ["半导体"], "region": "陕西省宝鸡市", "maturity": 5, "experts": ["E2"]},
    {"id": "A3", "kind": "achievement", "title": "小麦抗旱节水育种", "abstract": "旱作农业新品种",
     "keywords": ["小麦"], "fields": ["现代农业"], "region": "陕西省杨凌示范区", "maturity": 9},
]
EXPERTS = [
    {"id": "E1", "kind": "expert", "name": "李娜", "research": "储能电池安全", "fields": ["新能源"], "achievements": ["A1"]},
    {"id": "E2", "kind": "expert", "name": "张伟", "research": "功率器件封装", "fields": ["半导体"], "achievements": ["A2"]},
]
RECORDS = PROBLEMS + ACHIEVEMENTS + EXPERTS


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="lmpy-")
        self.path = os.path.join(self.dir, "t.db")
        self.db = libmatch.open(self.path)
        rep = self.db.add_many(RECORDS)
        self.assertEqual((rep.loaded, rep.skipped, rep.errors), (len(RECORDS), 0, []))

    def tearDown(self):
        self.db.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        p = os.path.join(self.dir, name)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return p


# ---------------------------------------------------------------------------


class TestRecords(Base):
    def test_versions(self):
        self.assertEqual(libmatch.library_version(), "1.0.0")
        self.assertEqual(libmatch.library_version_number() // 10000, 1)
        self.assertTrue(os.path.exists(libmatch.library_path))

    def test_get_returns_record_and_meta_unchanged(self):
        for rec in RECORDS:
            self.assertEqual(self.db.get(rec["kind"], rec["id"]), rec)
        meta = self.db.get("problem", "P1")["meta"]
        self.assertEqual(json.dumps(meta, ensure_ascii=False, sort_keys=True),
                         json.dumps(PROBLEMS[0]["meta"], ensure_ascii=False, sort_keys=True))
        self.assertIs(meta["nested"]["a"][2], None)
        self.assertIs(meta["nested"]["a"][3], True)

    def test_add_forms_and_replace(self):
        self.db.add('{"id":"P9","kind":"problem","title":"苹果矮化砧木"}')
        self.db.add(b'{"id":"P10","kind":"problem","title":"\xe7\x8c\x95\xe7\x8c\xb4\xe6\xa1\x83"}')  # 猕猴桃
        self.assertEqual(self.db.get("problem", "P10")["title"], "猕猴桃")
        self.db.add({"id": "P9", "kind": "problem", "title": "苹果矮化密植"})      # insert or replace
        self.assertEqual(self.db.get("problem", "P9")["title"], "苹果矮化密植")
        self.assertEqual(self.db.count("problem"), 4)
        with self.assertRaises(TypeError):
            self.db.add(["not", "a", "record"])

    def test_delete_count(self):
        self.assertEqual(self.db.count(), 7)
        self.assertEqual([self.db.count(k) for k in ("problem", "achievement", "expert")], [2, 3, 2])
        self.db.delete("achievement", "A3")
        self.assertEqual(self.db.count("achievement"), 2)
        with self.assertRaises(libmatch.NotFound):
            self.db.delete("achievement", "A3")
        with self.assertRaises(libmatch.NotFound):
            self.db.get("achievement", "A3")

    def test_stats(self):
        s = self.db.stats()
        self.assertEqual(s["records"], {"problem": 2, "achievement": 3, "expert": 2})
        self.assertEqual(s["links"], 2)
        self.assertEqual(s["analyzer"], self.db.analyzer_id)

    def test_add_many_lines_and_policies(self):
        recs = [{"id": "N1", "kind": "problem", "title": "一"},
                '{"id": "N2",\n "kind": "problem",\n "title": 5}',       # bad, spans lines
                '{"id": "N3",\r\n "kind": "problem", "title": "三"}',     # good, spans lines
                b'{"id": "N4", "kind": "problem"']                        # malformed
        with self.assertRaises(libmatch.InvalidRecord) as cm:
            self.db.add_many(recs)
        self.assertEqual(cm.exception.report.errors[0][:2], (2, "N2"))
        self.assertEqual(self.db.count("problem"), 2)                      # atomic: nothing stored
        rep = self.db.add_many(iter(recs), skip_bad=True)                  # any iterable
        self.assertEqual((rep.loaded, rep.skipped), (2, 2))
        self.assertEqual([e[0] for e in rep.errors], [2, 4])               # positions in `recs`
        self.assertEqual(rep.errors[0][1], "N2")
        self.assertIn("'title'", rep.errors[0][2])
        self.assertEqual(rep.to_dict()["errors"][1]["line"], 4)
        self.assertEqual(self.db.get("problem", "N3")["title"], "三")
        self.assertEqual(self.db.add_many([]).loaded, 0)
        with self.assertRaises(TypeError):
            self.db.add_many({"id": "N5", "kind": "problem"})

    def test_load_jsonl(self):
        path = self.write("x.jsonl", '{"id":"L1","kind":"problem","title":"一"}\n\n'
                                     '{"id":"L2","kind":"problem","title":5}\n{"id":"L3","kind":"problem"}')
        with self.assertRaises(libmatch.InvalidRecord) as cm:
            self.db.load_jsonl(path)
        self.assertIn("line 3", str(cm.exception))
        self.assertEqual(cm.exception.report.errors[0][0], 3)
        self.assertEqual(self.db.count("problem"), 2)
        rep = self.db.load_jsonl(path, skip_bad=True)
        self.assertEqual((rep.loaded, rep.skipped, rep.errors[0][:2]), (2, 1, (3, "L2")))
        self.assertEqual(rep.to_dict(), {"loaded": 2, "skipped": 1,
                                         "errors": [{"line": 3, "id": "L2", "reason": rep.errors[0][2]}]})
        import pathlib
        self.assertEqual(self.db.load_jsonl(pathlib.Path(path), skip_bad=True).loaded, 2)   # PathLike

    def test_persistence_and_readonly(self):
        self.db.close()
        with libmatch.open(self.path) as db:
            self.assertEqual(db.count(), 7)
        with libmatch.open(self.path, readonly=True) as db:
            self.assertTrue(db.readonly)
            self.assertEqual(db.match(problem="P1", to="achievement")[0].id, "A2")
            with self.assertRaises(libmatch.Error):
                db.add(RECORDS[0])
        with self.assertRaises(libmatch.Error):
            libmatch.open(os.path.join(self.dir, "missing.db"), readonly=True)


# ---------------------------------------------------------------------------


class TestErrors(Base):
    def check(self, exc, fn, *args, contains=None, **kw):
        with self.assertRaises(exc) as cm:
            fn(*args, **kw)
        e = cm.exception
        self.assertIsInstance(e, libmatch.Error)
        self.assertGreater(e.code, 0)
        self.assertTrue(str(e))
        if contains:
            self.assertIn(contains, str(e))
        return e

    def test_record_errors(self):
        add = self.db.add
        e = self.check(libmatch.InvalidRecord, add, '{"id": "X", "kind": "problem"', contains="malformed JSON")
        self.assertEqual(e.code, _native.LM_EJSON)
        e = self.check(libmatch.InvalidRecord, add, {"kind": "problem", "title": "无编号"}, contains="'id'")
        self.assertEqual(e.code, _native.LM_ERECORD)
        self.check(libmatch.InvalidRecord, add, {"id": "X", "title": "无类型"}, contains="kind")
        self.check(libmatch.InvalidRecord, add, {"id": "X", "kind": "problem", "keywords": "碳化硅"},
                   contains="field 'keywords'")
        self.check(libmatch.InvalidRecord, add, {"id": "X", "kind": "achievement", "maturity": "高"},
                   contains="maturity")
        self.check(libmatch.InvalidRecord, add, {"id": "X", "kind": "patent"}, contains="'patent'")
        self.check(libmatch.InvalidRecord, add, {"id": "X", "kind": "problem", "color": 1},
                   contains="field 'color'")
        self.check(libmatch.InvalidRecord, add, '[1, 2]')
        self.check(libmatch.TooBig, add, {"id": "x" * 600, "kind": "problem"}, contains="'id'")
        self.assertEqual(self.db.count(), 7)                   # nothing changed

    def test_invalid_utf8(self):
        # A Python str cannot hold invalid UTF-8; a lone surrogate (as from
        # surrogateescape) or bytes can, and the C library rejects them.
        self.check(libmatch.InvalidUTF8, self.db.add, {"id": "X", "kind": "problem", "title": "\udc80"},
                   contains="UTF-8")
        self.check(libmatch.InvalidUTF8, self.db.add, b'{"id":"X","kind":"problem","title":"\xff\xfe"}')
        self.check(libmatch.InvalidUTF8, self.db.add, {"id": "X", "kind": "problem", "title": "a\x00b"})
        self.check(libmatch.InvalidUTF8, self.db.query, b"\xe7\xa2", to="achievement")
        self.check(libmatch.InvalidUTF8, libmatch.analyze, "\udcff")
        self.check(libmatch.InvalidUTF8, libmatch.analyze, b"\xc3\x28")
        bad = b"abc\xff".decode("utf-8", "surrogateescape")
        self.check(libmatch.InvalidUTF8, self.db.analyze, bad)
        self.check(libmatch.InvalidUTF8, self.db.get, "problem", b"P\xff")
        self.check(libmatch.InvalidUTF8, self.db.query, "x", to="achievement", region="陕西\udc80")

    def test_nul_in_c_strings_is_refused_not_truncated(self):
        # "P1\0x" must not silently become "P1" on its way through a char *.
        self.check(libmatch.InvalidUTF8, self.db.get, "problem", "P1\x00x", contains="NUL")
        self.check(libmatch.InvalidUTF8, self.db.delete, "problem", "P1\x00")
        self.check(libmatch.InvalidUTF8, self.db.match, problem="P1\x00", to="achievement")
        self.check(libmatch.InvalidUTF8, self.db.add_word, "秦\x00创原")
        self.check(libmatch.InvalidUTF8, self.db.query, "x", to="achievement", fields=["新\x00能源"])
        self.check(libmatch.InvalidUTF8, self.db.query, "碳化硅\x00封装", to="achievement")   # counted text: C
        with self.assertRaises(ValueError):
            self.db.load_jsonl(self.path + "\x00.jsonl")
        self.assertEqual(self.db.count("problem"), 2)

    def test_not_found(self):
        e = self.check(libmatch.NotFound, self.db.get, "problem", "nope", contains="nope")
        self.assertEqual(e.code, _native.LM_ENOTFOUND)
        self.assertIsInstance(e, KeyError)
        self.check(libmatch.NotFound, self.db.match, problem="nope", to="achievement")
        self.check(libmatch.NotFound, self.db.match, expert="A1", to="achievement")   # wrong kind
        self.check(libmatch.NotFound, self.db.allocate, to="expert", problems=["nope"])

    def test_database_errors(self):
        garbage = self.write("garbage.db", "this is not a database\n" * 100)
        self.check(libmatch.DatabaseError, libmatch.open, garbage)
        self.check(libmatch.DatabaseError, libmatch.open, self.dir)                # a directory
        self.check(libmatch.DatabaseError, self.db.load_jsonl, os.path.join(self.dir, "missing.jsonl"))
        e = self.check(libmatch.DatabaseError, self.db.load_synonyms, os.path.join(self.dir, "missing.tsv"))
        self.assertIn(e.code, (_native.LM_EIO, _native.LM_EDB))

    def test_mismatch_and_reindex(self):
        self.db.close()
        con = sqlite3.connect(self.path)
        with con:
            con.execute("UPDATE meta SET value = 'libmatch-zh/0 older' WHERE key = 'analyzer'")
        con.close()
        e = self.check(libmatch.Mismatch, libmatch.open, self.path, contains="older")
        self.assertEqual(e.code, _native.LM_EMISMATCH)
        with libmatch.open(self.path, reindex=True) as db:
            self.assertEqual(db.match(problem="P1", to="achievement")[0].id, "A2")
        with libmatch.open(self.path) as db:                           # fixed for good
            self.assertEqual(db.count(), 7)

    def test_dictionary_error_in_fresh_process(self):
        # A dictionary set explicitly but missing: the first open fails with
        # LM_EDICT and a message naming the path.
        missing = os.path.join(self.dir, "no-dict.txt")
        code = ("import libmatch\nlibmatch.set_dictionary(%r)\n"
                "try:\n    libmatch.open(':memory:')\n"
                "except libmatch.DictionaryError as e:\n    print('EDICT', e.code, e)\n" % missing)
        p = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=PKG),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("EDICT 13", p.stdout)
        self.assertIn("no-dict.txt", p.stdout)

    def test_dictionary_env_missing_is_an_error(self):
        # $LIBMATCH_DICT naming a missing file: no silent fallback to the
        # Debian dictionary; the open fails and names the path.
        code = ("import libmatch\ntry:\n    libmatch.open(':memory:')\n    print('OPENED')\n"
                "except libmatch.DictionaryError as e:\n    print('EDICT', e.code, e)\n")
        env = dict(os.environ, PYTHONPATH=PKG, LIBMATCH_DICT=os.path.join(self.dir, "typo-dict.txt"))
        p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("EDICT 13", p.stdout)
        self.assertIn("typo-dict.txt", p.stdout)
        self.assertNotIn("dist-packages", p.stdout)

    def test_set_dictionary(self):
        # The dictionary is loaded by now: changing it is a state error.
        e = self.check(libmatch.InvalidArgument, libmatch.set_dictionary, os.path.join(self.dir, "d.txt"))
        self.assertEqual(e.code, _native.LM_ESTATE)
        d = self.write("dict.txt", "碳化硅 100 n\n功率 50 n\n")
        code = ("import libmatch\nlibmatch.set_dictionary(%r)\n"
                "print([t.text for t in libmatch.analyze('碳化硅功率')])\n" % d)
        p = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=PKG),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("碳化硅", p.stdout)

    def test_invalid_argument_from_c(self):
        for kw in ({"k": 0}, {"k": 10001}, {"offset": -1}, {"min_maturity": 10},
                   {"weights": {"bm25": -1.0}}, {"weights": {"title": float("nan")}}):
            e = self.check(libmatch.InvalidArgument, self.db.query, "碳化硅", to="achievement", **kw)
            self.assertIsInstance(e, ValueError)
            self.assertIn(e.code, (_native.LM_EINVAL, _native.LM_ERANGE))
        self.check(libmatch.InvalidArgument, self.db.set_analyzer_mode, 0x80)

    def test_python_side_errors_before_c(self):
        db = self.db
        for call in (lambda: db.get("patent", "X"), lambda: db.count("problems"), lambda: db.delete(None, "X"),
                     lambda: db.match(problem="P1", to="patent"),
                     lambda: db.query("x", to="achievement", weights={"nope": 1}),
                     lambda: db.query("x", to="achievement", evidence_mode="median"),
                     lambda: db.query("x", to="achievement", k=1 << 70),
                     lambda: db.allocate(to="expert", capacities=[1])):
            with self.assertRaises(ValueError):
                call()
        for call in (lambda: db.match(to="achievement"),
                     lambda: db.match(problem="P1", expert="E1", to="achievement"),
                     lambda: db.match("P1", to="achievement"),
                     lambda: db.query("x", to="achievement", k="10"),
                     lambda: db.query("x", to="achievement", k=True),
                     lambda: db.query("x", to="achievement", weights={"title": "2"}),
                     lambda: db.query("x", to="achievement", weights=[("title", 2)]),
                     lambda: db.query("x", to="achievement", colour=1),
                     lambda: db.query("x", to="achievement", fields=[1]),
                     lambda: db.query(42, to="achievement"),
                     lambda: db.get("problem", 42),
                     lambda: db.allocate(to="expert", problems="P1")):
            with self.assertRaises(TypeError):
                call()
        self.assertNotIsInstance(ValueError("x"), libmatch.Error)

    def test_exception_table(self):
        expected = {1: libmatch.Error, 2: libmatch.OutOfMemory, 3: libmatch.InvalidArgument,
                    4: libmatch.InvalidRecord, 5: libmatch.InvalidRecord, 6: libmatch.InvalidUTF8,
                    7: libmatch.TooBig, 8: libmatch.NotFound, 9: libmatch.DatabaseError,
                    10: libmatch.DatabaseError, 11: libmatch.Busy, 12: libmatch.Mismatch,
                    13: libmatch.DictionaryError, 14: libmatch.InvalidArgument, 15: libmatch.InvalidArgument}
        from libmatch.errors import error_for
        for code, cls in expected.items():
            e = error_for(code)
            self.assertIs(type(e), cls, code)
            self.assertEqual(e.code, code)
            self.assertEqual(str(e), _native.lib.lm_errstr(code).decode())
            self.assertIsInstance(e, libmatch.Error)
            e2 = pickle.loads(pickle.dumps(e))
            self.assertEqual((type(e2), e2.code, str(e2)), (cls, code, str(e)))
        self.assertIs(type(error_for(99)), libmatch.Error)
        self.assertIsInstance(error_for(2), MemoryError)
        self.assertIsInstance(error_for(11), libmatch.DatabaseError)
        self.assertEqual(repr(error_for(8, "no")), "NotFound(8, 'no')")


# ---------------------------------------------------------------------------


class TestMatching(Base):
    def test_all_directions(self):
        cases = [("problem", "P1", "achievement", "A2"), ("problem", "P2", "achievement", "A1"),
                 ("problem", "P1", "expert", "E2"), ("achievement", "A2", "problem", "P1"),
                 ("achievement", "A1", "expert", "E1"), ("expert", "E2", "achievement", "A2"),
                 ("expert", "E1", "problem", "P2"), ("problem", "P1", "problem", "P2")]
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
        self.assertIsInstance(m.score, float)
        self.assertIn("碳化硅", m.terms)
        self.assertTrue(set(m.terms) <= set(res.query_terms))
        self.assertEqual(m.components["bm25"], 1.0)
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
        json.dumps(d, ensure_ascii=False)
        self.assertEqual(res.ids(), [h.id for h in res])

    def test_expert_evidence(self):
        res = self.db.match(problem="P2", to="expert")
        self.assertEqual(res[0].id, "E1")
        self.assertEqual(res[0].evidence[0][0], "A1")
        self.assertIsInstance(res[0].evidence[0][1], float)
        self.assertGreater(res[0].components["evidence"], 0)
        self.assertEqual(res[0].to_dict()["evidence"][0]["id"], "A1")
        self.assertNotEqual(self.db.match(problem="P2", to="expert", evidence_mode="max")[0].score, 0)
        self.db.match(problem="P2", to="expert", evidence_mode="sum", evidence_m=2, evidence_candidates=50)

    def test_traditional_and_simplified_both_ways(self):
        # stored traditional (A1), simplified query
        self.assertEqual(self.db.query("锂离子电池", to="achievement")[0].id, "A1")
        self.assertEqual(self.db.query("锂离子电池热失控", to="achievement")[0].id, "A1")
        # stored simplified (A2), traditional query
        self.assertEqual(self.db.query("碳化矽功率模組封裝", to="achievement")[0].id, "A2")
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
        self.assertEqual(self.db.query(q, to="achievement", region="北京市").ids(), [])
        full = self.db.query(q, to="achievement")
        self.assertEqual(self.db.query(q, to="achievement", k=1).ids(), full.ids()[:1])
        self.assertEqual(self.db.query(q, to="achievement", k=1, offset=1).ids(), full.ids()[1:2])
        self.assertEqual(self.db.query(q, to="achievement", offset=10).ids(), [])
        self.db.query(q, to="achievement", max_terms=2, candidates=10, topic_docs=0, prf_docs=2, prf_terms=3,
                      dense_candidates=0)

    def test_weights_change_components_and_score(self):
        a = self.db.query("碳化硅", to="achievement")[0]
        b = self.db.query("碳化硅", to="achievement", weights={"maturity": 1.0})[0]
        self.assertEqual(a.components, b.components)
        self.assertAlmostEqual(b.score - a.score, (1.0 - 0.05) * b.components["maturity"], places=9)
        # field weights change the BM25 itself (a component)
        t1 = self.db.query("碳化硅", to="achievement", weights={"title": 1.0, "keywords": 1.0})[0]
        t5 = self.db.query("碳化硅", to="achievement", weights={"title": 5.0, "keywords": 1.0})[0]
        self.assertGreater(t5.components["bm25_raw"], t1.components["bm25_raw"])
        k = self.db.query("碳化硅", to="achievement", weights={"bm25_k1": 0.5, "bm25_b": 0.0})[0]
        self.assertNotEqual(k.components["bm25_raw"], a.components["bm25_raw"])
        # zero every fusion weight but one: the score is that component
        only = {n: 0.0 for n in ("bm25", "fields", "region", "maturity", "evidence", "topic", "cosine")}
        for name in ("bm25", "maturity", "region"):
            m = self.db.query("碳化硅", to="achievement", weights=dict(only, **{name: 1.0}))[0]
            self.assertAlmostEqual(m.score, m.components[name], places=9)

    def test_query_and_match_record_options(self):
        self.assertEqual(self.db.query("", to="achievement").ids(), [])
        self.assertEqual(self.db.query("银烧结".encode(), to="achievement")[0].id, "A2")
        r = self.db.match_record({"kind": "achievement", "title": "碳化硅封装"}, to="achievement", k=1)
        self.assertEqual(r.ids(), ["A2"])
        with self.assertRaises(libmatch.InvalidRecord):
            self.db.match_record({"kind": "problem", "title": 5}, to="achievement")

    def test_allocate(self):
        a = self.db.allocate(to="expert")
        self.assertIsInstance(a, libmatch.Allocation)
        self.assertEqual(dict((p, c) for p, c, _ in a.pairs), {"P1": "E2", "P2": "E1"})
        self.assertAlmostEqual(a.total, sum(s for _, _, s in a.pairs))
        a = self.db.allocate(to="achievement", problems=["P1"], candidates=["A1", "A2"], capacities=[1, 0])
        self.assertNotIn("A2", [c for _, c, _ in a.pairs])
        self.assertEqual(self.db.allocate(to="expert", min_score=1e9).pairs, [])
        self.assertEqual(self.db.allocate(to="expert", problems=[]).pairs, [])
        self.assertEqual(self.db.allocate(to="expert", per_problem=2, default_capacity=2,
                                          weights={"evidence": 0.0}).to_dict()["pairs"][0]["problem"], "P1")
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.allocate(to="expert", candidates=["E1", "E1"])
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.allocate(to="expert", candidates=["E1"], capacities=[-1])


# ---------------------------------------------------------------------------


class TestAnalyzer(Base):
    def test_module_level_analyze(self):
        text = "基于5G的PEM燃料电池"
        toks = libmatch.analyze(text)
        texts = [t.text for t in toks]
        for w in ("5g", "pem", "燃料"):
            self.assertIn(w, texts)
        self.assertNotIn("的", texts)
        self.assertIsInstance(toks[0], libmatch.Token)
        self.assertEqual(toks[0].to_dict(), {"text": toks[0].text, "start": toks[0].start,
                                             "end": toks[0].end, "flags": toks[0].flags})
        self.assertEqual(libmatch.analyze(""), [])

    def test_offsets_are_str_indexes(self):
        text = "鋰離子電池ＳｉＣ功率模組 running 𠀋tests"
        toks = libmatch.analyze(text)
        surface = {t.text: text[t.start:t.end] for t in toks}
        self.assertEqual(surface["锂离子"], "鋰離子")
        self.assertEqual(surface["sic"], "ＳｉＣ")
        self.assertEqual(surface["run"], "running")
        self.assertEqual(surface["模块"], "模組")
        data = text.encode()
        btoks = libmatch.analyze(data)                    # bytes in: byte offsets
        self.assertEqual([t.text for t in btoks], [t.text for t in toks])
        self.assertEqual({t.text: data[t.start:t.end].decode() for t in btoks}, surface)
        colocated = [t for t in toks if t.colocated]
        self.assertTrue(colocated)
        self.assertTrue(all(t.flags & 1 for t in colocated))

    def test_modes(self):
        words = [t.text for t in libmatch.analyze("碳化硅功率", mode=libmatch.ANALYZE_WORDS)]
        bigrams = [t.text for t in libmatch.analyze("碳化硅功率", mode=libmatch.ANALYZE_BIGRAMS)]
        self.assertIn("碳化硅", words)
        self.assertNotIn("碳化硅", bigrams)
        self.assertEqual(bigrams[0], "碳化")
        self.assertEqual([t.text for t in libmatch.analyze("碳化硅功率", mode=None)],
                         [t.text for t in libmatch.analyze("碳化硅功率", mode=libmatch.ANALYZE_ALL)])
        with self.assertRaises(TypeError):
            libmatch.analyze("x", mode="words")

    def test_database_analyzer_words_and_mode(self):
        self.assertNotIn("秦创原", [t.text for t in self.db.analyze("秦创原总窗口")])
        self.db.add({"id": "A5", "kind": "achievement", "title": "秦创原总窗口孵化平台"})
        self.db.add_word("秦创原")
        self.db.add_word("总窗口", freq=1000)
        self.assertIn("秦创原", [t.text for t in self.db.analyze("秦創原總窗口")])   # traditional too
        self.assertNotIn("秦创原", [t.text for t in libmatch.analyze("秦创原总窗口")])  # not process-wide
        self.assertIn("user=", self.db.analyzer_id)
        self.db.reindex()
        self.assertEqual(self.db.query("秦创原", to="achievement")[0].id, "A5")
        self.db.set_analyzer_mode(libmatch.ANALYZE_WORDS)
        self.assertIn("words", self.db.analyzer_id)
        self.assertNotIn("bigrams", self.db.analyzer_id)
        self.assertEqual(self.db.match(problem="P1", to="achievement")[0].id, "A2")
        self.db.set_analyzer_mode(libmatch.ANALYZE_ALL)

    def test_synonyms(self):
        self.db.add({"id": "A6", "kind": "achievement", "title": "3D打印钛合金构件"})
        self.assertNotIn("A6", self.db.query("增材制造", to="achievement").ids())
        self.db.add_synonym("增材制造", "3D打印")
        self.assertEqual(self.db.query("增材制造", to="achievement")[0].id, "A6")
        self.db.add({"id": "A7", "kind": "achievement", "title": "SiC MOSFET 驱动"})
        path = self.write("syn.tsv", "# 注释\n碳化硅\tSiC\n锂电池\t锂离子电池\t锂电\n")
        n = self.db.load_synonyms(path)
        self.assertGreaterEqual(n, 2)
        self.assertIn("A7", self.db.query("碳化硅", to="achievement").ids())
        self.assertGreaterEqual(self.db.stats()["synonyms"], n)


# ---------------------------------------------------------------------------


class TestLifecycle(Base):
    def test_close_is_idempotent_and_final(self):
        db = libmatch.open(self.path)
        self.assertIn("t.db", repr(db))
        db.close()
        db.close()
        self.assertTrue(db.closed)
        self.assertIn("closed", repr(db))
        self.assertFalse(db._finalizer.alive)
        for call in (lambda: db.count(), lambda: db.get("problem", "P1"), lambda: db.analyzer_id,
                     lambda: db.query("x", to="problem"), lambda: db.add(RECORDS[0])):
            with self.assertRaises(libmatch.InvalidArgument) as cm:
                call()
            self.assertEqual(cm.exception.code, _native.LM_ESTATE)

    def test_context_manager_and_finalizer(self):
        with libmatch.open(self.path) as db:
            self.assertEqual(db.count(), 7)
            fin = db._finalizer
        self.assertFalse(fin.alive)
        db = libmatch.open(self.path)
        fin = db._finalizer
        del db
        gc.collect()
        self.assertFalse(fin.alive)          # the safety net closed it
        with self.assertRaises(ZeroDivisionError):
            with libmatch.open(self.path) as db:
                1 / 0
        self.assertTrue(db.closed)

    def test_float_vector_conversion(self):
        # list, array('f'), memoryview, read-only buffer, doubles: all become float32 C arrays
        for v in ([1, 2.5, 3], (1.0, 2.5, 3.0), array.array("f", [1, 2.5, 3]),
                  memoryview(array.array("f", [1, 2.5, 3])), bytes(array.array("f", [1, 2.5, 3])),
                  array.array("d", [1, 2.5, 3])):
            if isinstance(v, bytes):
                v = memoryview(v).cast("f")
            arr, n, _keep = _native.float_vector(v)
            self.assertEqual((n, list(arr)), (3, [1.0, 2.5, 3.0]))
        src = array.array("f", [0.0, 1.0])
        arr, n, _keep = _native.float_vector(src)      # writable float32: used in place, no copy
        self.assertEqual(ctypes.addressof(arr), src.buffer_info()[0])
        self.assertEqual(_native.float_vector([])[1], 0)
        with self.assertRaises(TypeError):
            _native.float_vector(b"abcd")
        with self.assertRaises(ValueError):
            _native.float_vector(memoryview(array.array("f", [1, 2, 3, 4])).cast("B").cast("f", (2, 2)))

    def test_vectors(self):
        self.db.build_vectors(4)
        self.assertEqual(self.db.stats()["vectors"]["dim"], 4)
        res = self.db.match(problem="P1", to="achievement", weights={"cosine": 1.0})
        self.assertIn("cosine", res[0].components)
        batch = self.db.batch_match(frm="problem", to="achievement", k=2)
        self.assertEqual(sorted(batch), ["P1", "P2"])
        self.assertTrue(all(len(v) == 2 and isinstance(v[0][1], float) for v in batch.values()))
        self.db.put_vector("achievement", "A1", array.array("f", [1, 0, 0]), model="m3")
        self.db.put_vector("achievement", "A2", [0, 1, 0], model="m3")
        hits = self.db.match_vector((0.1, 0.9, 0.0), model="m3", to="achievement", k=5)
        self.assertEqual(hits.ids()[:2], ["A2", "A1"])
        with self.assertRaises(libmatch.Mismatch):
            self.db.match_vector([1.0, 0.0], model="m3", to="achievement")
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.put_vector("achievement", "A3", [0, 0, 0], model="m3")     # zero vector
        with self.assertRaises(TypeError):
            self.db.put_vector("achievement", "A3", "abc", model="m3")


# ---------------------------------------------------------------------------


class TestThreadsAndLeaks(Base):
    def test_four_threads_one_database_each(self):
        expected = {"P1": self.db.match(problem="P1", to="achievement").to_dict(),
                    "P2": self.db.match(problem="P2", to="expert").to_dict()}
        errors, barrier = [], threading.Barrier(4)

        def work(i):
            try:
                with libmatch.open(self.path) as db:
                    barrier.wait()
                    for j in range(60):
                        if db.match(problem="P1", to="achievement").to_dict() != expected["P1"]:
                            errors.append("P1 changed in thread %d" % i)
                        if db.match(problem="P2", to="expert").to_dict() != expected["P2"]:
                            errors.append("P2 changed in thread %d" % i)
                        if db.count("achievement") != 3:
                            errors.append("count changed in thread %d" % i)
                        if i == 0 and j % 10 == 0:     # one writer: problems do not change these ranks
                            db.add({"id": "T%d" % j, "kind": "problem", "title": "线程写入%d" % j})
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.db.count("problem"), 8)

    def test_one_database_shared_by_threads_is_serialized(self):
        errors = []

        def work():
            try:
                for _ in range(100):
                    if self.db.query("碳化硅封装", to="achievement")[0].id != "A2":
                        errors.append("wrong")
                    try:
                        self.db.get("problem", "nope")
                    except libmatch.NotFound as e:
                        if "nope" not in str(e):
                            errors.append("message of another call: %s" % e)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])

    def test_no_leak_over_10000_calls(self):
        def cycle(n):
            for i in range(n):
                r = i % 5
                if r == 0:
                    self.db.match(problem="P1", to="expert", k=3)
                elif r == 1:
                    self.db.get("achievement", "A2")
                elif r == 2:
                    self.db.query("锂离子电池热失控", to="achievement", region="陕西省", weights={"title": 3})
                elif r == 3:
                    try:
                        self.db.get("problem", "missing")
                    except libmatch.NotFound:
                        pass
                else:
                    self.db.analyze("碳化矽功率模組")
        cycle(1000)                    # warm-up: caches, allocator pools
        gc.collect()
        before = rss_bytes()
        cycle(10000)
        gc.collect()
        grown = rss_bytes() - before
        self.assertLess(grown, 20 << 20, "RSS grew by %d bytes over 10,000 calls" % grown)

    def test_no_leak_in_loads_and_handles(self):
        lines = [json.dumps({"id": "B%d" % i, "kind": "problem", "title": "批量%d" % i}, ensure_ascii=False)
                 for i in range(20)] + ['{"id": "bad"']
        for _ in range(100):
            self.db.add_many(lines, skip_bad=True)
        gc.collect()
        before = rss_bytes()
        for _ in range(1000):
            self.db.add_many(lines, skip_bad=True)
            with libmatch.open(":memory:") as db:
                db.add(RECORDS[0])
        gc.collect()
        grown = rss_bytes() - before
        self.assertLess(grown, 20 << 20, "RSS grew by %d bytes" % grown)


if __name__ == "__main__":
    unittest.main()
