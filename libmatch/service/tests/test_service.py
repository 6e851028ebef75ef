"""lmatch-serve: every endpoint, auth, limits, bad input, concurrent readers
with a writer, the orderly stop.  The service runs on a free loopback port
against a temporary database loaded with the sample libraries."""
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import unittest

import svc
from svc import TOKEN, Server


def lib():
    """The C library through its public ABI, to compare with the service."""
    L = ctypes.CDLL(svc.LIBMATCH)
    L.lm_open.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_int]
    L.lm_close.argtypes = [ctypes.c_void_p]
    L.lm_opts_new.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    L.lm_opts_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    L.lm_opts_free.argtypes = [ctypes.c_void_p]
    L.lm_match.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p,
                           ctypes.POINTER(ctypes.c_void_p)]
    L.lm_match_text.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p,
                                ctypes.POINTER(ctypes.c_void_p)]
    L.lm_results_json.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    L.lm_results_free.argtypes = [ctypes.c_void_p]
    L.lm_free.argtypes = [ctypes.c_void_p]
    L.lm_opt_count.restype = ctypes.c_int
    L.lm_opt_key.argtypes = [ctypes.c_int]
    L.lm_opt_name.argtypes = [ctypes.c_int]
    L.lm_opt_name.restype = ctypes.c_char_p
    L.lm_opt_bounds.argtypes = [ctypes.c_int] + [ctypes.POINTER(ctypes.c_double)] * 3
    return L


KIND = {"problem": 1, "achievement": 2, "expert": 3}


def lib_match(db, frm, rid, to, opts=None, text=None):
    """lm_results_json of the same match, computed in this process."""
    L = lib()
    h = ctypes.c_void_p()
    assert L.lm_open(ctypes.byref(h), db.encode(), 1) == 0   # LM_OPEN_READONLY
    o = ctypes.c_void_p()
    L.lm_opts_new(ctypes.byref(o))
    for k, v in (opts or {}).items():
        assert L.lm_opts_set(o, k.encode(), str(v).encode()) == 0
    res = ctypes.c_void_p()
    if text is None:
        rc = L.lm_match(h, KIND[frm], rid.encode(), KIND[to], o, ctypes.byref(res))
    else:
        t = text.encode()
        rc = L.lm_match_text(h, t, len(t), KIND[to], o, ctypes.byref(res))
    assert rc == 0, rc
    out = ctypes.c_void_p()
    assert L.lm_results_json(res, ctypes.byref(out)) == 0
    s = ctypes.string_at(out.value).decode()
    L.lm_free(out)
    L.lm_results_free(res)
    L.lm_opts_free(o)
    L.lm_close(h)
    return json.loads(s)


def setUpModule():
    global TMP, SAMPLE
    TMP = tempfile.mkdtemp(prefix="lmatch-serve-tests-")
    SAMPLE = svc.sample_db(TMP)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def fresh_db(name):
    return svc.copy_db(SAMPLE, os.path.join(TMP, name + ".db"))


class CommandLine(unittest.TestCase):
    def run_serve(self, *args):
        return subprocess.run([svc.SERVE] + list(args), capture_output=True, text=True, timeout=60)

    def test_help_on_stdout_exit_0(self):
        p = self.run_serve("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("Usage: lmatch-serve DB", p.stdout)
        self.assertIn("lmatch serve DB", p.stdout)
        for opt in ("--listen", "--threads", "--token-file", "--auth-reads", "--max-body", "--timeout",
                    "--max-connections", "--access-log"):
            self.assertIn(opt, p.stdout)
        self.assertEqual(p.stderr, "")

    def test_version(self):
        p = self.run_serve("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^lmatch-serve \(libmatch\) \d+\.\d+\.\d+\n$")

    def test_usage_errors_exit_2(self):
        for args, msg in ((["--nope", "x.db"], "unknown option '--nope'"),
                          ([], "missing the database"),
                          (["a.db", "b.db"], "unexpected argument 'b.db'"),
                          (["x.db", "--threads", "zero"], "--threads: 'zero' is not a whole number"),
                          (["x.db", "--max-body", "5Q"], "--max-body"),
                          (["x.db", "--listen", "127.0.0.1:99999"], "not a port number"),
                          (["x.db", "--auth-reads"], "--auth-reads needs --token-file"),
                          (["x.db", "--listen", "0.0.0.0:0"], "not a loopback address")):
            p = self.run_serve(*args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(msg, p.stderr)
            self.assertIn("Try 'lmatch-serve --help'", p.stderr)
            self.assertEqual(p.stdout, "")

    def test_missing_database_read_only_exit_1(self):
        p = self.run_serve(os.path.join(TMP, "nothing-here.db"), "--listen", "127.0.0.1:0")
        self.assertEqual(p.returncode, 1)
        self.assertIn("nothing-here.db", p.stderr)

    def test_bad_token_file_exit_1(self):
        empty = os.path.join(TMP, "empty-token")
        open(empty, "w").close()
        p = self.run_serve(fresh_db("badtok"), "--listen", "127.0.0.1:0", "--token-file", empty)
        self.assertEqual(p.returncode, 1)
        self.assertIn("holds no token", p.stderr)


class Endpoints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = fresh_db("endpoints")
        cls.s = Server(cls.db, "--threads", "2", tmp=TMP)

    @classmethod
    def tearDownClass(cls):
        rc = cls.s.stop()
        if rc != 0:   # e.g. a leak found by the ASan build
            raise RuntimeError("lmatch-serve exited %s: %s" % (rc, cls.s.stderr()[-3000:]))

    def ok(self, st, body, code=200):
        self.assertEqual(st, code, body)
        return body

    def test_health(self):
        st, h, j = self.s.get("/v1/health")
        self.ok(st, j)
        self.assertEqual(j["status"], "ok")
        self.assertEqual(j["service"], "lmatch-serve")
        self.assertTrue(h["content-type"].startswith("application/json"))
        st, h, data = self.s.request("HEAD", "/v1/health", raw=True)
        self.assertEqual(st, 200)
        self.assertEqual(data, b"")

    def test_match_is_the_library_json(self):
        st, _, j = self.s.post("/v1/match", {"from": {"kind": "problem", "id": "P-001"}, "to": "expert", "k": 5})
        self.ok(st, j)
        self.assertEqual(j, lib_match(self.db, "problem", "P-001", "expert", {"k": 5}))
        hits = j["results"]
        self.assertEqual(len(hits), 5)
        # 碳化硅 packaging: the SiC experts come first, with their achievements.
        self.assertIn(hits[0]["id"], ("E-001", "E-022"))
        for h in hits:
            for key in ("id", "kind", "label", "score", "components", "terms", "evidence"):
                self.assertIn(key, h)
        self.assertTrue(hits[0]["evidence"])
        self.assertIn("碳化硅", hits[0]["terms"])

    def test_match_every_direction(self):
        for frm, rid in (("problem", "P-011"), ("achievement", "A-001"), ("expert", "E-001")):
            for to in ("problem", "achievement", "expert"):
                st, _, j = self.s.post("/v1/match", {"from": {"kind": frm, "id": rid}, "to": to, "k": 3})
                self.ok(st, j)
                self.assertLessEqual(len(j["results"]), 3)
                self.assertTrue(all(h["kind"] == to for h in j["results"]))
                self.assertNotIn(rid, [h["id"] for h in j["results"]])

    def test_match_options_by_registry_name(self):
        body = {"from": {"kind": "problem", "id": "P-001"}, "to": "achievement", "k": 4, "w_topic": 0,
                "region": "陕西省西安市", "fusion": "rrf", "field": ["半导体", "新材料"]}
        st, _, j = self.s.post("/v1/match", body)
        self.ok(st, j)
        ref = lib_match(self.db, "problem", "P-001", "achievement",
                        {"k": 4, "w_topic": 0, "region": "陕西省西安市", "fusion": "rrf"})
        self.assertLessEqual(len(j["results"]), 4)
        self.assertNotEqual(j, ref)   # the field filter applies too
        for h in j["results"]:
            st, _, rec = self.s.get("/v1/records/achievement/" + h["id"])
            self.assertTrue(rec["region"].startswith("陕西省西安市"))
            self.assertTrue({"半导体", "新材料"} & set(rec.get("fields", [])))

    def test_match_unstored_record(self):
        rec = {"id": "new-1", "kind": "problem", "title": "PEM燃料电池双极板腐蚀", "keywords": ["燃料电池", "双极板"]}
        st, _, j = self.s.post("/v1/match", {"record": rec, "to": "achievement", "k": 3})
        self.ok(st, j)
        self.assertTrue(j["results"])
        st, _, j = self.s.get("/v1/records/problem/new-1")
        self.assertEqual(st, 404)   # not stored

    def test_match_errors(self):
        cases = [
            ({"from": {"kind": "problem", "id": "P-001"}, "to": "expert", "kk": 2}, 400, "EOPTION", "kk"),
            ({"from": {"kind": "problem", "id": "P-001"}, "to": "expert", "k": 0}, 400, "ERANGE", "k"),
            ({"from": {"kind": "problem", "id": "P-001"}, "to": "expert", "k": 2.5}, 400, None, "k"),
            ({"from": {"kind": "problem", "id": "P-001"}, "to": "expert", "fusion": "best"}, 400, None, "fusion"),
            ({"from": {"kind": "problem", "id": "P-001"}, "to": "expert", "k": {"a": 1}}, 400, "EINVAL", "k"),
            ({"from": {"kind": "problem", "id": "P-001"}, "to": "专家"}, 400, "EINVAL", "to"),
            ({"from": {"kind": "problem", "id": "P-001"}}, 400, "EINVAL", "to"),
            ({"to": "expert"}, 400, "EINVAL", "from"),
            ({"from": {"kind": "problem"}, "to": "expert"}, 400, "EINVAL", "from.id"),
            ({"from": {"kind": "problem", "id": "P-404"}, "to": "expert"}, 404, "ENOTFOUND", None),
        ]
        for body, status, code, field in cases:
            st, _, j = self.s.post("/v1/match", body)
            self.assertEqual(st, status, (body, j))
            e = j["error"]
            self.assertEqual(e["status"], status)
            if code:
                self.assertEqual(e["code"], code, j)
            if field:
                self.assertEqual(e.get("field"), field, j)
                self.assertIn(field.split(".")[-1], e["message"])
        st, _, j = self.s.post("/v1/match", {"from": {"kind": "problem", "id": "P-404"}, "to": "expert"})
        self.assertIn("P-404", j["error"]["message"])

    def test_malformed_json(self):
        for body in (b'{"text":"x",', b"not json", b'{"text":"x"} trailing', b"[1,2]", b'"x"'):
            st, _, j = self.s.request("POST", "/v1/query", body)
            self.assertEqual(st, 400, body)
            self.assertEqual(j["error"]["code"], "EJSON", j)
        st, _, j = self.s.request("POST", "/v1/query", b'{"text":"\xff\xfe","to":"expert"}')
        self.assertEqual((st, j["error"]["code"]), (400, "EINVAL_UTF8"))
        st, _, j = self.s.request("POST", "/v1/query", b"")
        self.assertEqual((st, j["error"]["code"]), (400, "EJSON"))

    def test_query_chinese_first(self):
        # Traditional script and full-width punctuation find the Simplified records.
        st, _, j = self.s.post("/v1/query", {"text": "鋰離子電池熱失控預警！", "to": "achievement", "k": 3})
        self.ok(st, j)
        self.assertEqual(j, lib_match(self.db, None, None, "achievement", {"k": 3}, text="鋰離子電池熱失控預警！"))
        self.assertTrue(j["results"])
        self.assertTrue(any("电池" in h["label"] or "電池" in h["label"] for h in j["results"]), j)
        for text in ("5G基站", "PEM燃料电池", "碳化硅（SiC）功率模块，封装散热"):
            st, _, j = self.s.post("/v1/query", {"text": text, "to": "expert", "k": 5})
            self.ok(st, j)
            self.assertTrue(j["results"], text)

    def test_query_text_is_never_syntax(self):
        st, _, before = self.s.get("/v1/stats")
        for text in ('"碳化硅" OR 1=1; DROP TABLE records; --', "NEAR(碳化硅 封装, 2)", "碳化* AND ^封装",
                     "'); DELETE FROM fts_problem; --", "title:碳化硅 -散热 {a b}", "\"unbalanced", "*", "()"):
            st, _, j = self.s.post("/v1/query", {"text": text, "to": "achievement", "k": 5})
            self.ok(st, j)
            self.assertIsInstance(j["results"], list)
        st, _, after = self.s.get("/v1/stats")
        self.assertEqual(before["records"], after["records"])
        st, _, j = self.s.post("/v1/query", {"text": '"碳化硅" OR 1=1; DROP TABLE records; --', "to": "achievement"})
        self.assertIn("碳化硅", j["query_terms"])

    def test_query_errors(self):
        st, _, j = self.s.post("/v1/query", {"to": "expert"})
        self.assertEqual((st, j["error"]["field"]), (400, "text"))
        st, _, j = self.s.post("/v1/query", {"text": 5, "to": "expert"})
        self.assertEqual((st, j["error"]["field"]), (400, "text"))

    def test_records_get_list(self):
        st, _, j = self.s.get("/v1/records/problem/P-001")
        self.ok(st, j)
        self.assertEqual(j["title"], "碳化硅功率模块封装散热难题")
        st, _, j = self.s.get("/v1/records/expert/E-404")
        self.assertEqual((st, j["error"]["code"]), (404, "ENOTFOUND"))
        self.assertIn("E-404", j["error"]["message"])
        st, _, j = self.s.get("/v1/records/person/E-001")
        self.assertEqual((st, j["error"]["field"]), (404, "kind"))
        st, _, j = self.s.get("/v1/records/expert?limit=5&offset=2")
        self.ok(st, j)
        self.assertEqual(j["total"], 29)
        self.assertEqual([r["id"] for r in j["records"]], ["E-%03d" % i for i in range(3, 8)])
        self.assertEqual(j["records"][0]["label"], self.s.get("/v1/records/expert/E-003")[2]["name"])
        st, _, j = self.s.get("/v1/records/expert?limit=0")
        self.assertEqual((st, j["error"]["field"]), (400, "limit"))

    def test_put_get_delete(self):
        rec = {"id": "技术需求/2024 #1", "kind": "problem", "title": "5G基站射频功放散热",
               "description": "需要GaN功放模块的散热方案，功耗降低２０％。", "keywords": ["5G基站", "散热"],
               "region": "陕西省西安市", "meta": {"来源": "测试", "n": [1, 2]}}
        st, _, j = self.s.request("PUT", "/v1/records", rec, token=TOKEN)
        self.ok(st, j)
        self.assertEqual(j["stored"], {"kind": "problem", "id": rec["id"]})
        path = "/v1/records/problem/" + "%E6%8A%80%E6%9C%AF%E9%9C%80%E6%B1%82%2F2024%20%231"
        st, _, got = self.s.get(path)
        self.ok(st, got)
        self.assertEqual(got["meta"], rec["meta"])
        self.assertEqual(got["title"], rec["title"])
        # Readers see the write (their next snapshot).
        st, _, j = self.s.post("/v1/query", {"text": "GaN功放散热", "to": "problem", "k": 3})
        self.assertIn(rec["id"], [h["id"] for h in j["results"]])
        st, _, j = self.s.request("DELETE", path, token=TOKEN)
        self.ok(st, j)
        self.assertEqual(j["deleted"], {"kind": "problem", "id": rec["id"]})
        self.assertEqual(self.s.get(path)[0], 404)
        st, _, j = self.s.request("DELETE", path, token=TOKEN)
        self.assertEqual((st, j["error"]["code"]), (404, "ENOTFOUND"))

    def test_put_bad_record_names_the_field(self):
        for rec, field in (({"id": "P-X", "kind": "problem", "title": 5}, "title"),
                           ({"id": "P-X", "kind": "problem", "titel": "x"}, "titel"),
                           ({"id": "A-X", "kind": "achievement", "title": "x", "maturity": 12}, "maturity"),
                           ({"kind": "problem", "title": "x"}, "id"),
                           ({"id": "P-X", "kind": "需求"}, "kind")):
            st, _, j = self.s.request("PUT", "/v1/records", rec, token=TOKEN)
            self.assertEqual(st, 400, j)
            self.assertEqual(j["error"]["code"], "ERECORD", j)
            self.assertIn(field, j["error"]["message"])
        st, _, j = self.s.request("PUT", "/v1/records", b'{"id":"P-X","kind":', token=TOKEN)
        self.assertEqual((st, j["error"]["code"]), (400, "EJSON"))
        st, _, j = self.s.request("PUT", "/v1/records", [{"id": "P-X", "kind": "problem"}], token=TOKEN)
        self.assertEqual((st, j["error"]["code"]), (400, "EJSON"))
        self.assertEqual(self.s.get("/v1/records/problem/P-X")[0], 404)

    def test_put_json_lines(self):
        lines = ('{"id":"L-1","kind":"problem","title":"氢燃料电池堆低温启动"}\n'
                 '{"id":"L-2","kind":"problem","title":"PEM燃料电池膜电极"}\n')
        st, _, j = self.s.request("PUT", "/v1/records", lines, token=TOKEN)   # two lines: JSON Lines
        self.ok(st, j)
        self.assertEqual((j["loaded"], j["skipped"]), (2, 0))
        bad = lines.replace("L-1", "L-3").replace("L-2", "L-4").replace('"title":"PEM', '"titel":"PEM')
        st, _, j = self.s.request("PUT", "/v1/records", bad, token=TOKEN,
                                  headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(st, 400, j)
        self.assertEqual(j["error"]["code"], "ERECORD")
        self.assertIn("line 2", j["error"]["message"])
        self.assertEqual(j["report"]["errors"][0]["line"], 2)
        self.assertEqual(self.s.get("/v1/records/problem/L-3")[0], 404)   # atomic: nothing stored
        st, _, j = self.s.request("PUT", "/v1/records?policy=skip_bad", bad, token=TOKEN)
        self.ok(st, j)
        self.assertEqual((j["loaded"], j["skipped"]), (1, 1))
        self.assertEqual(self.s.get("/v1/records/problem/L-3")[0], 200)
        st, _, j = self.s.request("PUT", "/v1/records?policy=some", lines, token=TOKEN)
        self.assertEqual((st, j["error"]["field"]), (400, "policy"))
        # One record declared as JSON Lines is a load too.
        st, _, j = self.s.request("PUT", "/v1/records", lines.splitlines()[0], token=TOKEN,
                                  headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(j["loaded"], 1)

    def test_allocate(self):
        ps = ["P-%03d" % i for i in range(1, 9)]
        st, _, j = self.s.post("/v1/allocate", {"to": "expert", "problems": ps, "capacity": 1, "per_problem": 1})
        self.ok(st, j)
        cands = [p["candidate"] for p in j["pairs"]]
        self.assertEqual(len(cands), len(set(cands)))           # capacity 1
        self.assertLessEqual(len(j["pairs"]), len(ps))
        self.assertAlmostEqual(j["total"], sum(p["score"] for p in j["pairs"]), places=6)
        self.assertEqual(set(j["labels"]["problems"]), set(ps))
        self.assertEqual(j["labels"]["problems"]["P-001"], "碳化硅功率模块封装散热难题")
        for c in cands:
            self.assertTrue(j["labels"]["candidates"][c])
        st, _, j2 = self.s.post("/v1/allocate", {"to": "expert", "problems": ps, "capacity": 2, "per_problem": 2,
                                                 "min_score": 0.5})
        self.ok(st, j2)
        self.assertTrue(all(p["score"] >= 0.5 for p in j2["pairs"]))
        per = {}
        for p in j2["pairs"]:
            per[p["problem"]] = per.get(p["problem"], 0) + 1
        self.assertTrue(all(v <= 2 for v in per.values()))
        st, _, j3 = self.s.post("/v1/allocate", {"to": "achievement", "problems": ps[:3],
                                                 "candidates": ["A-001", "A-002"], "capacities": [1, 0]})
        self.ok(st, j3)
        self.assertEqual({p["candidate"] for p in j3["pairs"]}, {"A-001"})
        for body, field in (({"to": "expert", "problems": []}, "problems"),
                            ({"to": "expert", "problems": "P-001"}, "problems"),
                            ({"to": "expert", "capacities": [1]}, "capacities"),
                            ({"to": "expert", "candidates": ["E-001"], "capacities": [1, 2]}, "capacities"),
                            ({"to": "expert", "capacity": -1}, "capacity"),
                            ({"to": "expert", "capacityy": 1}, "capacityy")):
            st, _, j = self.s.post("/v1/allocate", body)
            self.assertEqual((st, j["error"].get("field")), (400, field), j)
        st, _, j = self.s.post("/v1/allocate", {"to": "expert", "problems": ["P-001", "P-999"]})
        self.assertEqual((st, j["error"]["code"]), (404, "ENOTFOUND"))
        self.assertIn("P-999", j["error"]["message"])

    def test_stats(self):
        st, _, j = self.s.get("/v1/stats")
        self.ok(st, j)
        self.assertGreaterEqual(j["records"]["problem"], 43)
        self.assertEqual(j["records"]["expert"], 29)
        self.assertIn("analyzer", j)
        self.assertGreater(j["service"]["requests"], 0)
        self.assertEqual(j["service"]["reader_threads"], 2)
        self.assertTrue(j["service"]["writes"])

    def test_options_registry(self):
        st, _, j = self.s.get("/v1/options")
        self.ok(st, j)
        L = lib()
        names = [L.lm_opt_name(L.lm_opt_key(i)).decode() for i in range(L.lm_opt_count())]
        self.assertEqual([o["name"] for o in j["options"]], names)
        by = {o["name"]: o for o in j["options"]}
        for name in ("k", "w_bm25", "min_score"):
            key = L.lm_opt_key(names.index(name))
            d, lo, hi = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
            L.lm_opt_bounds(key, ctypes.byref(d), ctypes.byref(lo), ctypes.byref(hi))
            self.assertEqual((by[name]["default"], by[name]["min"], by[name]["max"]), (d.value, lo.value, hi.value))
        self.assertEqual(by["k"]["type"], "int")
        self.assertEqual(by["region"]["type"], "string")
        self.assertEqual(by["field"]["type"], "list")
        self.assertIn("rrf", by["fusion"]["choices"])
        self.assertTrue(all(o["help"] for o in j["options"]))

    def test_openapi(self):
        st, h, data = self.s.get("/v1/openapi.json", raw=True)
        self.assertEqual(st, 200)
        with open(os.path.join(svc.HERE, "..", "openapi.json"), "rb") as f:
            self.assertEqual(data, f.read())      # embedded at build time
        doc = json.loads(data)
        self.assertTrue(doc["openapi"].startswith("3."))
        ops = {(p, m.upper()) for p, item in doc["paths"].items() for m in item}
        served = {("/v1/health", "GET"), ("/v1/match", "POST"), ("/v1/query", "POST"), ("/v1/allocate", "POST"),
                  ("/v1/records", "PUT"), ("/v1/records/{kind}", "GET"), ("/v1/records/{kind}/{id}", "GET"),
                  ("/v1/records/{kind}/{id}", "DELETE"), ("/v1/stats", "GET"), ("/v1/options", "GET"),
                  ("/v1/openapi.json", "GET")}
        self.assertEqual(ops, served)
        for p, item in doc["paths"].items():          # each documents its success and errors
            for m, op in item.items():
                self.assertIn("200", op["responses"], (p, m))

        def refs(x):
            if isinstance(x, dict):
                for k, v in x.items():
                    if k == "$ref":
                        yield v
                    else:
                        yield from refs(v)
            elif isinstance(x, list):
                for v in x:
                    yield from refs(v)
        for r in refs(doc):
            node = doc
            for part in r[2:].split("/"):
                node = node[part]                       # every $ref resolves

    def test_console_files(self):
        st, h, data = self.s.get("/", raw=True)
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/html"))
        self.assertIn("精准对接控制台", data.decode())
        self.assertIn("default-src 'self'", h["content-security-policy"])
        for path, ctype in (("/app.js", "text/javascript"), ("/style.css", "text/css"), ("/index.html", "text/html")):
            st, h, data = self.s.get(path, raw=True)
            self.assertEqual(st, 200)
            self.assertTrue(h["content-type"].startswith(ctype))
            with open(os.path.join(svc.HERE, "..", "www", path[1:]), "rb") as f:
                self.assertEqual(data, f.read())

    def test_routes_and_methods(self):
        st, _, j = self.s.get("/v1/nothing")
        self.assertEqual((st, j["error"]["code"]), (404, "ENOTFOUND"))
        st, _, j = self.s.get("/nothing.html")
        self.assertEqual(st, 404)
        st, h, j = self.s.get("/v1/match")
        self.assertEqual((st, j["error"]["code"]), (405, "EMETHOD"))
        self.assertEqual(h["allow"], "POST")
        st, h, j = self.s.request("POST", "/v1/records/problem/P-001", {})
        self.assertEqual(st, 405)
        self.assertEqual(h["allow"], "GET, HEAD, DELETE")
        st, _, j = self.s.request("GET", "/v1/stats", b"{}")
        self.assertEqual((st, j["error"]["code"]), (400, "EINVAL"))

    def test_access_log(self):
        self.s.get("/v1/health?probe=1")
        self.s.get("/v1/records/expert/E-404")
        want = '"GET /v1/records/expert/E-404 HTTP/1.1" 404'
        for _ in range(200):    # the line is written when the request completes, after the response
            lines = self.s.access_log()
            if any(want in l for l in lines):
                break
            threading.Event().wait(0.05)
        pat = re.compile(r'^127\.0\.0\.1 - - \[[^\]]+\] "(GET|POST|PUT|DELETE|HEAD) \S+ HTTP/1\.[01]" \d{3} \d+ [\d.]+ms'
                         r'( aborted)?$')
        for line in lines:
            self.assertRegex(line, pat)
        self.assertTrue(any(want in l for l in lines))


class Auth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = fresh_db("auth")

    def test_writes_need_the_token(self):
        s = Server(self.db, tmp=TMP)
        try:
            rec = {"id": "P-A1", "kind": "problem", "title": "测试"}
            st, h, j = s.request("PUT", "/v1/records", rec)
            self.assertEqual((st, j["error"]["code"]), (401, "EAUTH"))
            self.assertTrue(h["www-authenticate"].startswith("Bearer"))
            st, _, j = s.request("PUT", "/v1/records", rec, headers={"Authorization": "Basic dXNlcjpwYXNz"})
            self.assertEqual(st, 401)
            for wrong in (TOKEN[:-1] + "x", TOKEN[:-1], TOKEN + "x", "x", TOKEN.upper()):
                st, _, j = s.request("PUT", "/v1/records", rec, token=wrong)
                self.assertEqual((st, j["error"]["code"]), (403, "EFORBIDDEN"), wrong)
            st, _, j = s.request("DELETE", "/v1/records/problem/P-001")
            self.assertEqual(st, 401)
            self.assertEqual(s.get("/v1/records/problem/P-A1")[0], 404)
            st, _, j = s.request("PUT", "/v1/records", rec, token=TOKEN)
            self.assertEqual(st, 200)
            # Reads stay open on loopback.
            self.assertEqual(s.get("/v1/records/problem/P-A1")[0], 200)
            self.assertEqual(s.post("/v1/query", {"text": "测试", "to": "problem"})[0], 200)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_read_only_without_token_file(self):
        s = Server(self.db, token=False, tmp=TMP)
        try:
            st, _, j = s.request("PUT", "/v1/records", {"id": "P-A2", "kind": "problem"}, token=TOKEN)
            self.assertEqual((st, j["error"]["code"]), (403, "EFORBIDDEN"))
            self.assertIn("--token-file", j["error"]["message"])
            self.assertEqual(s.get("/v1/records/problem/P-001")[0], 200)
            self.assertFalse(s.get("/v1/stats")[2]["service"]["writes"])
        finally:
            self.assertEqual(s.stop(), 0)

    def test_auth_reads(self):
        s = Server(self.db, "--auth-reads", tmp=TMP)
        try:
            for method, path, body in (("GET", "/v1/stats", None), ("GET", "/v1/records/problem/P-001", None),
                                       ("POST", "/v1/query", {"text": "碳化硅", "to": "expert"}),
                                       ("GET", "/v1/options", None)):
                st, _, j = s.request(method, path, body)
                self.assertEqual((st, j["error"]["code"]), (401, "EAUTH"), path)
                st, _, j = s.request(method, path, body, token="wrong-token")
                self.assertEqual(st, 403, path)
                st, _, j = s.request(method, path, body, token=TOKEN)
                self.assertEqual(st, 200, path)
            for path in ("/v1/health", "/v1/openapi.json", "/"):
                self.assertEqual(s.get(path, raw=True)[0], 200, path)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_constant_time_compare_present(self):
        # The token is compared by svc_token_equal (every byte, no early
        # exit), never by strcmp/memcmp; tests/test_auth.c checks its results.
        with open(os.path.join(svc.HERE, "..", "auth.c")) as f:
            src = f.read()
        body = src[src.index("int svc_token_equal"):src.index("int svc_auth_check")]
        self.assertIn("volatile", body)
        self.assertNotRegex(body, r"\b(strcmp|strncmp|memcmp|return 0;|break;)")
        check = src[src.index("int svc_auth_check"):]
        self.assertIn("svc_token_equal(", check)
        self.assertNotRegex(check, r"\b(strcmp|memcmp)\s*\(\s*v\b")


class Limits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = fresh_db("limits")

    def test_body_too_large(self):
        s = Server(self.db, "--max-body", "2K", tmp=TMP)
        try:
            big = {"text": "碳化硅" * 400, "to": "expert"}
            st, _, j = s.post("/v1/query", big)
            self.assertEqual((st, j["error"]["code"]), (413, "ETOOBIG"))
            self.assertIn("2048", j["error"]["message"])
            # A chunked body, counted as it comes.
            c = s.conn()
            c.putrequest("POST", "/v1/query")
            c.putheader("Transfer-Encoding", "chunked")
            c.endheaders()
            data = json.dumps(big).encode()
            for i in range(0, len(data), 500):
                part = data[i:i + 500]
                c.send(b"%x\r\n%s\r\n" % (len(part), part))
            c.send(b"0\r\n\r\n")
            r = c.getresponse()
            self.assertEqual(r.status, 413)
            self.assertEqual(json.loads(r.read())["error"]["code"], "ETOOBIG")
            c.close()
            # Small requests still pass.
            self.assertEqual(s.post("/v1/query", {"text": "碳化硅", "to": "expert"})[0], 200)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_too_many_connections(self):
        s = Server(self.db, "--max-connections", "2", tmp=TMP)
        try:
            held = [s.conn(), s.conn()]
            for c in held:     # both accepted and served, kept open
                self.assertEqual(s.request("GET", "/v1/health", conn=c)[0], 200)
            st, h, j = s.get("/v1/health")
            self.assertEqual((st, j["error"]["code"]), (503, "EBUSY"))
            self.assertIn("--max-connections 2", j["error"]["message"])
            self.assertIn("retry-after", h)
            for c in held:     # the held ones still work
                self.assertEqual(s.request("GET", "/v1/health", conn=c)[0], 200)
            held.pop().close()
            ok = False
            for _ in range(200):   # once the server has seen the close
                st = s.get("/v1/health")[0]
                if st == 200:
                    ok = True
                    break
                threading.Event().wait(0.05)
            self.assertTrue(ok)
            held[0].close()
        finally:
            self.assertEqual(s.stop(), 0)

    def test_idle_connection_closed_after_timeout(self):
        s = Server(self.db, "--timeout", "1", tmp=TMP)
        try:
            sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")     # never finished
            self.assertEqual(sock.recv(100), b"")                        # closed by the server
            sock.close()
        finally:
            self.assertEqual(s.stop(), 0)


class Concurrency(unittest.TestCase):
    def test_readers_with_a_writer(self):
        db = fresh_db("concurrency")
        s = Server(db, "--threads", "3", tmp=TMP)
        try:
            ref = {p: s.post("/v1/match", {"from": {"kind": "problem", "id": p}, "to": "expert", "k": 5})[2]
                   for p in ("P-001", "P-011", "P-021")}
            errors = []

            def reader(n):
                try:
                    for i in range(12):
                        p = ("P-001", "P-011", "P-021")[(i + n) % 3]
                        st, _, j = s.post("/v1/match", {"from": {"kind": "problem", "id": p}, "to": "expert", "k": 5})
                        if st != 200 or j != ref[p]:
                            errors.append((p, st, j))
                except Exception as e:  # noqa: BLE001
                    errors.append(e)

            def writer():
                try:
                    for i in range(20):
                        rec = {"id": "W-%02d" % i, "kind": "problem", "title": "氢能储运第%d号难题" % i,
                               "keywords": ["氢能", "储运"]}
                        st, _, j = s.request("PUT", "/v1/records", rec, token=TOKEN)
                        if st != 200:
                            errors.append(("put", st, j))
                except Exception as e:  # noqa: BLE001
                    errors.append(e)

            ts = [threading.Thread(target=reader, args=(n,)) for n in range(4)] + [threading.Thread(target=writer)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(120)
            self.assertEqual(errors, [])
            st, _, j = s.get("/v1/stats")
            self.assertEqual(j["records"]["problem"], 43 + 20)
            st, _, j = s.get("/v1/records/problem?limit=100")
            self.assertEqual([r["id"] for r in j["records"]][-20:], ["W-%02d" % i for i in range(20)])
        finally:
            self.assertEqual(s.stop(), 0)


class Stop(unittest.TestCase):
    def test_sigterm_finishes_the_request_in_flight(self):
        db = fresh_db("stop")
        s = Server(db, tmp=TMP)
        rec = json.dumps({"id": "P-STOP", "kind": "problem", "title": "停机时的在途请求"}, ensure_ascii=False).encode()
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=60)
        sock.sendall(b"PUT /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN.encode() +
                     b"\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n"
                     % len(rec))
        got = b""
        while b"\r\n\r\n" not in got:          # the server has the headers: the request is in flight
            chunk = sock.recv(1000)
            self.assertTrue(chunk, "connection closed before 100 Continue")
            got += chunk
        self.assertIn(b"100 Continue", got)
        s.proc.send_signal(signal.SIGTERM)
        # New connections are refused once the service stops listening.
        refused = False
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", s.port), timeout=5).close()
            except OSError:
                refused = True
                break
            threading.Event().wait(0.02)
        self.assertTrue(refused)
        sock.sendall(rec)                        # the rest of the request in flight
        resp = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            resp += chunk
            if b"\r\n\r\n" in resp:
                head, _, body = resp.partition(b"\r\n\r\n")
                m = re.search(rb"Content-Length: (\d+)", head, re.I)
                if m and len(body) >= int(m.group(1)):
                    break
        sock.close()
        self.assertIn(b"HTTP/1.1 200", resp)
        self.assertIn(b'"P-STOP"', resp)
        self.assertEqual(s.stop(), 0)
        self.assertIn("stopped", s.stderr())
        # Stored, and the database was closed cleanly.
        s2 = Server(db, tmp=TMP, token=False)
        try:
            self.assertEqual(s2.get("/v1/records/problem/P-STOP")[0], 200)
        finally:
            self.assertEqual(s2.stop(signal.SIGINT), 0)


if __name__ == "__main__":
    unittest.main()
