"""Every exception mapping: record errors, invalid UTF-8 and NUL, not found,
database and dictionary errors, analyzer mismatch, arguments refused by the
C library or already by Python, and the table of status codes."""
import os
import pickle
import sqlite3
import unittest

import libmatch
from libmatch import _native
from libmatch.errors import error_for
from lmsupport import Base, run_python


class TestRecordErrors(Base):
    def test_record_errors(self):
        add = self.db.add
        e = self.check(libmatch.InvalidRecord, add, '{"id": "X", "kind": "problem"', contains="malformed JSON")
        self.assertEqual(e.code, _native.LM_EJSON)
        e = self.check(libmatch.InvalidRecord, add, {"kind": "problem", "title": "无编号"}, contains="'id'")
        self.assertEqual(e.code, _native.LM_ERECORD)
        self.check(libmatch.InvalidRecord, add, {"kind": "problem"}, contains="'id'")
        self.check(libmatch.InvalidRecord, add, {"id": "X", "title": "无类型"}, contains="kind")
        self.check(libmatch.InvalidRecord, add, {"id": "X", "kind": "problem", "keywords": "碳化硅"},
                   contains="field 'keywords'")
        self.check(libmatch.InvalidRecord, add, {"id": "X", "kind": "achievement", "maturity": "高"},
                   contains="maturity")
        self.check(libmatch.InvalidRecord, add, {"id": "X", "kind": "patent"}, contains="'patent'")
        self.check(libmatch.InvalidRecord, add, {"id": "X", "kind": "problem", "color": 1},
                   contains="field 'color'")
        self.check(libmatch.InvalidRecord, add, '[1, 2]')
        self.check(libmatch.TooBig, add, {"id": "x" * 600, "kind": "problem"}, contains="field 'id'")
        self.assertEqual(self.db.count(), 7)                   # nothing changed

    def test_invalid_utf8(self):
        # A Python str cannot hold invalid UTF-8; a lone surrogate (as from
        # surrogateescape) or bytes can, and the C library rejects them.
        self.check(libmatch.InvalidUTF8, self.db.add, {"id": "X", "kind": "problem", "title": "\udc80"},
                   contains="UTF-8")
        self.check(libmatch.InvalidUTF8, self.db.add, b'{"id":"X","kind":"problem","title":"\xff\xfe"}')
        self.check(libmatch.InvalidUTF8, self.db.add, {"id": "X", "kind": "problem", "title": "a\x00b"},
                   contains="NUL")
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
        self.check(libmatch.InvalidUTF8, self.db.query, "x", to="achievement", region="陕西\x00省")
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


class TestDatabaseErrors(Base):
    def test_database_errors(self):
        garbage = self.write("garbage.db", "this is not a database\n" * 100)
        e = self.check(libmatch.NotADatabase, libmatch.open, garbage)
        self.assertEqual(e.code, _native.LM_ENOTDB)
        self.assertIn("is not a libmatch database", str(e))
        with open(garbage, encoding="utf-8") as f:                           # left untouched
            self.assertEqual(f.read(), "this is not a database\n" * 100)
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
        p = run_python(code)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("EDICT 13", p.stdout)
        self.assertIn("no-dict.txt", p.stdout)

    def test_dictionary_env_missing_is_an_error(self):
        # $LIBMATCH_DICT naming a missing file: no silent fallback to the
        # Debian dictionary; the open fails and names the path.
        code = ("import libmatch\ntry:\n    libmatch.open(':memory:')\n    print('OPENED')\n"
                "except libmatch.DictionaryError as e:\n    print('EDICT', e.code, e)\n")
        p = run_python(code, LIBMATCH_DICT=os.path.join(self.dir, "typo-dict.txt"))
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
        p = run_python(code)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("碳化硅", p.stdout)


class TestArgumentErrors(Base):
    def test_invalid_argument_from_c(self):
        for kw, name in (({"k": 0}, "'k'"), ({"k": 10001}, "'k'"), ({"offset": -1}, "'offset'"),
                         ({"min_maturity": 10}, "'min_maturity'"), ({"weights": {"bm25": -1.0}}, "'w_bm25'"),
                         ({"weights": {"title": float("nan")}}, "'w_title'"), ({"w_topic": float("inf")}, "'w_topic'"),
                         ({"evidence_mode": "median"}, "max|sum|topm"), ({"fusion": "borda"}, "weighted|rrf")):
            e = self.check(libmatch.InvalidArgument, self.db.query, "碳化硅", to="achievement", contains=name, **kw)
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
                     lambda: db.query("x", to="achievement", k=2.0),
                     lambda: db.query("x", to="achievement", weights={"title": "2"}),
                     lambda: db.query("x", to="achievement", weights=[("title", 2)]),
                     lambda: db.query("x", to="achievement", w_bm25=True),
                     lambda: db.query("x", to="achievement", region=5),
                     lambda: db.query("x", to="achievement", colour=1),
                     lambda: db.query("x", to="achievement", fields=[1]),
                     lambda: db.query("x", to="achievement", fields=["新能源"], field="半导体"),
                     lambda: db.query("x", to="achievement", weights={"bm25": 1}, w_bm25=2),
                     lambda: db.query(42, to="achievement"),
                     lambda: db.get("problem", 42),
                     lambda: db.allocate(to="expert", problems="P1"),
                     lambda: db.allocate(to="expert", min_score="high"),
                     lambda: db.allocate(to="expert", default_capacity=2, capacity=3)):
            with self.assertRaises(TypeError):
                call()
        with self.assertRaises(TypeError) as cm:
            db.query("x", to="achievement", colour=1)
        self.assertIn("colour", str(cm.exception))
        self.assertIn("fusion", str(cm.exception))                       # the known names are listed
        self.assertNotIsInstance(ValueError("x"), libmatch.Error)

    def test_exception_table(self):
        expected = {1: libmatch.Error, 2: libmatch.OutOfMemory, 3: libmatch.InvalidArgument,
                    4: libmatch.InvalidRecord, 5: libmatch.InvalidRecord, 6: libmatch.InvalidUTF8,
                    7: libmatch.TooBig, 8: libmatch.NotFound, 9: libmatch.DatabaseError,
                    10: libmatch.DatabaseError, 11: libmatch.Busy, 12: libmatch.Mismatch,
                    13: libmatch.DictionaryError, 14: libmatch.InvalidArgument, 15: libmatch.InvalidArgument,
                    16: libmatch.NotADatabase, 17: libmatch.Misuse}
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
        self.assertIsInstance(error_for(16), libmatch.DatabaseError)        # not a database: a database error
        self.assertIsInstance(error_for(17), RuntimeError)
        self.assertEqual(repr(error_for(8, "no")), "NotFound(8, 'no')")
        self.assertEqual(str(error_for(16)), "not a libmatch database")     # lm_errstr


if __name__ == "__main__":
    unittest.main()
