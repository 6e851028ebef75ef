"""Records: add, get, delete, count, stats, bulk loads (add_many,
load_jsonl) and their reports, scan and export, opening (read-only, mmap,
missing files), persistence."""
import io
import json
import os
import pathlib

import libmatch
from lmsupport import PROBLEMS, RECORDS, Base


class TestRecords(Base):
    def test_versions(self):
        self.assertEqual(libmatch.library_version(), "1.0.0")
        self.assertEqual(libmatch.library_version_number() // 10000, 1)
        self.assertTrue(os.path.exists(libmatch.library_path))

    def test_get_returns_record_and_meta_unchanged(self):
        self.assertEqual(self.db.count(), 7)
        for rec in RECORDS:
            self.assertEqual(self.db.get(rec["kind"], rec["id"]), rec)
        self.assertEqual(self.db.get("achievement", "A1")["title"], "鋰離子電池熱失控預警系統")   # traditional kept
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

    def test_utf8_bom_is_passed_to_the_library(self):
        # What a byte order mark means is the library's business: the
        # binding passes the bytes unchanged (it does not strip it).
        from libmatch.database import _record_bytes
        data = b'\xef\xbb\xbf{"id":"P11","kind":"problem","title":"\xe7\xa7\xb8\xe7\xa7\x86"}'   # 秸秆
        self.assertEqual(_record_bytes(data), data)
        self.assertEqual(_record_bytes(bytearray(data)), data)
        try:
            self.db.add(data)
        except (libmatch.InvalidRecord, libmatch.InvalidUTF8) as e:   # refused by the library, with a reason
            self.assertTrue(str(e))
            self.assertEqual(self.db.count("problem"), 2)
        else:                                                        # accepted by the library: stored
            self.assertEqual(self.db.count("problem"), 3)
            self.assertEqual(self.db.get("problem", "P11"), {"id": "P11", "kind": "problem", "title": "秸秆"})
            self.assertEqual(list(self.db.scan("problem"))[-1]["title"], "秸秆")
            rep = self.db.add_many([RECORDS[0], data], skip_bad=True)   # not only as the first line
            self.assertEqual(rep.loaded + rep.skipped, 2)

    def test_delete_count(self):
        self.assertEqual([self.db.count(k) for k in ("problem", "achievement", "expert")], [2, 3, 2])
        self.db.add('{"id":"P9","kind":"problem","title":"小麦抗旱育种"}')
        self.db.delete("problem", "P9")
        self.assertEqual(self.db.count("problem"), 2)
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
        self.assertIn("libmatch-zh/", s["analyzer"])


class TestBulkLoads(Base):
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

    def test_add_many_skip_bad_reports_items_of_a_wrong_type(self):
        # An item that is not a dict or JSON text is a bad record like the
        # others: reported at its position; the good records around it,
        # before and after, are stored.
        recs = [{"id": "M1", "kind": "problem", "title": "秸秆综合利用"},
                42,
                ["M2", "problem"],
                None,
                "   ",
                '{"id": "M3", "kind": "problem", "title": 5}',
                {"id": "M4", "kind": "problem", "title": "苹果矮化密植"}]
        rep = self.db.add_many(recs, skip_bad=True)
        self.assertEqual((rep.loaded, rep.skipped), (2, 5))
        self.assertEqual([e[0] for e in rep.errors], [2, 3, 4, 5, 6])
        self.assertIn("int", rep.errors[0][2])
        self.assertIn("list", rep.errors[1][2])
        self.assertIn("NoneType", rep.errors[2][2])
        self.assertIn("empty", rep.errors[3][2])
        self.assertEqual(rep.errors[4][1], "M3")                          # the library's own report
        self.assertEqual(self.db.get("problem", "M1")["title"], "秸秆综合利用")
        self.assertEqual(self.db.get("problem", "M4")["title"], "苹果矮化密植")
        # atomic: the wrong type raises before anything is stored
        with self.assertRaises(TypeError) as cm:
            self.db.add_many([{"id": "M5", "kind": "problem"}, 42])
        self.assertIn("record 2", str(cm.exception))
        with self.assertRaises(libmatch.InvalidRecord) as cm:
            self.db.add_many([{"id": "M6", "kind": "problem"}, ""])
        self.assertEqual(cm.exception.report.errors[0][0], 2)
        self.assertEqual(self.db.count("problem"), 4)

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
        self.assertIn("field 'title'", rep.errors[0][2])
        self.assertEqual(rep.to_dict(), {"loaded": 2, "skipped": 1,
                                         "errors": [{"line": 3, "id": "L2", "reason": rep.errors[0][2]}]})
        self.assertEqual(self.db.load_jsonl(pathlib.Path(path), skip_bad=True).loaded, 2)   # PathLike
        with self.assertRaises(libmatch.DatabaseError):
            self.db.load_jsonl(os.path.join(self.dir, "missing.jsonl"))


class TestScanExport(Base):
    def test_scan_all_and_by_kind(self):
        got = list(self.db.scan())
        self.assertEqual(got, RECORDS)                                     # problems, achievements, experts
        self.assertEqual([r["id"] for r in self.db.scan("achievement")], ["A1", "A2", "A3"])
        self.assertEqual(list(self.db.scan(kind="expert")), RECORDS[-2:])
        with self.assertRaises(ValueError):
            self.db.scan("patent")

    def test_scan_is_a_snapshot(self):
        it = self.db.scan("problem")
        self.db.add({"id": "P3", "kind": "problem", "title": "苹果矮化密植"})    # writing while iterating
        self.assertEqual([r["id"] for r in it], ["P1", "P2"])
        self.assertEqual([r["id"] for r in self.db.scan("problem")], ["P1", "P2", "P3"])

    def test_export_round_trip(self):
        self.db.add('{"id": "P5", "kind": "problem",\n "title": "多行\\n标题",\n "meta": {"a":\n 1}}')
        path = os.path.join(self.dir, "out.jsonl")
        self.assertEqual(self.db.export(path), 8)
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 8)                                    # one record per line
        with libmatch.open(os.path.join(self.dir, "copy.db")) as copy:
            self.assertEqual(copy.load_jsonl(path).loaded, 8)
            self.assertEqual(list(copy.scan()), list(self.db.scan()))
            self.assertEqual(copy.get("problem", "P5")["title"], "多行\n标题")
        self.assertEqual(self.db.export(pathlib.Path(path), kind="expert"), 2)

    def test_export_to_open_files(self):
        b = io.BytesIO()
        self.assertEqual(self.db.export(b, "problem"), 2)
        self.assertEqual([json.loads(x)["id"] for x in b.getvalue().splitlines()], ["P1", "P2"])
        t = io.StringIO()
        self.assertEqual(self.db.export(t, kind="achievement"), 3)
        self.assertIn("鋰離子電池", t.getvalue())

    def test_export_error_in_the_writer_is_raised(self):
        class Full(io.RawIOBase):
            def writable(self):
                return True

            def write(self, b):
                raise OSError(28, "No space left on device")
        with self.assertRaises(OSError) as cm:
            self.db.export(Full())
        self.assertEqual(cm.exception.errno, 28)
        self.assertEqual(self.db.count(), 7)                               # the handle still works


class TestOpen(Base):
    def test_persistence_and_readonly(self):
        self.db.close()
        self.assertTrue(self.db.closed)
        with libmatch.open(self.path) as db:
            self.assertEqual(db.count(), 7)
        with libmatch.open(self.path, readonly=True) as db:
            self.assertTrue(db.readonly)
            self.assertEqual(db.match(problem="P1", to="achievement")[0].id, "A2")
            with self.assertRaises(libmatch.InvalidArgument):
                db.add(RECORDS[0])
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.count()          # closed

    def test_missing_database_read_only_is_file_not_found(self):
        missing = os.path.join(self.dir, "missing.db")
        for p in (missing, pathlib.Path(missing), missing.encode()):
            with self.assertRaises(FileNotFoundError) as cm:
                libmatch.open(p, readonly=True)
            self.assertIsInstance(cm.exception, OSError)
            self.assertNotIsInstance(cm.exception, libmatch.Error)
            self.assertIn("missing.db", str(cm.exception))
            self.assertEqual(os.fsdecode(cm.exception.filename), missing)
        self.assertFalse(os.path.exists(missing))                           # not created
        with self.assertRaises(FileNotFoundError) as cm:                    # a directory that is not there
            libmatch.open(os.path.join(self.dir, "no-such-dir", "x.db"))
        self.assertIn("no-such-dir", str(cm.exception))
        with libmatch.open(":memory:", readonly=False) as db:
            self.assertEqual(db.count(), 0)

    def test_no_mmap(self):
        def mapped():
            with open("/proc/self/maps") as f:
                return any(line.split()[-1] == self.path for line in f if len(line.split()) >= 6)
        self.db.close()
        with libmatch.open(self.path, mmap=False) as db:
            self.assertFalse(db.mmap)
            self.assertEqual(db.query("碳化硅封装", to="achievement")[0].id, "A2")
            self.assertFalse(mapped())                                      # LM_OPEN_NO_MMAP reached SQLite
        with libmatch.open(self.path) as db:
            self.assertTrue(db.mmap)
            self.assertEqual(db.query("碳化硅封装", to="achievement")[0].id, "A2")
            self.assertTrue(mapped())
        with libmatch.open(self.path, readonly=True, mmap=False) as db:
            self.assertEqual(db.count(), 7)


if __name__ == "__main__":
    import unittest
    unittest.main()
