"""Tests of lmatch, the command-line tool, driven through its binary.

    LMATCH=build/lmatch /usr/bin/python3 tests/cli/test_cli.py

GNU conventions (help, version, exit statuses, one-line errors), read
commands that never create a database, match flags derived from the
library's option registry, stdin and CSV loading, export round trips, XLSX
tables, batch / vectors / mode, dispatch to lmatch-NAME, progress, man page,
bash completion and installation.  Ends with "# cli: passed=N failed=M".
"""
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LMATCH = os.path.abspath(os.environ.get("LMATCH", os.path.join(ROOT, "build", "lmatch")))
BUILD = os.path.dirname(LMATCH)
DATA = os.path.join(ROOT, "examples", "data")
KINDS = ("problems", "achievements", "experts")


def run(*args, stdin=None, cwd=None, env=None, prog=None):
    """Run lmatch; returns (exit status, stdout, stderr) as text."""
    p = subprocess.run([prog or LMATCH] + [str(a) for a in args], input=stdin, capture_output=True,
                       cwd=cwd, env=env, timeout=120)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def ok(test, *args, **kw):
    rc, out, err = run(*args, **kw)
    test.assertEqual(rc, 0, "lmatch %s failed (%d): %s" % (" ".join(map(str, args)), rc, err))
    return out, err


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Base(unittest.TestCase):
    """A temporary directory, and a database of the sample data built once."""
    base_db = None
    base_dir = None

    @classmethod
    def setUpClass(cls):
        if Base.base_db is None:
            Base.base_dir = tempfile.mkdtemp(prefix="lmatch-cli-base-")
            Base.base_db = os.path.join(Base.base_dir, "base.db")
            for k in KINDS:
                rc, out, err = run("load", Base.base_db, os.path.join(DATA, k + ".jsonl"))
                assert rc == 0, err

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lmatch-cli-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def copy_db(self, name="copy.db"):
        dst = self.path(name)
        shutil.copyfile(Base.base_db, dst)
        return dst


class HelpAndExitStatus(Base):
    COMMANDS = ["load", "put", "get", "delete", "export", "stats", "match", "query", "batch", "allocate",
                "vectors", "mode", "analyze", "dict", "synonyms", "reindex", "options"]

    def test_main_help_on_stdout_exit_0(self):
        for flag in ("--help", "-h"):
            rc, out, err = run(flag)
            self.assertEqual(rc, 0)
            self.assertEqual(err, "")
            self.assertIn("Usage: lmatch COMMAND", out)
            self.assertIn("--version", out)
            self.assertIn("serve", out)
            self.assertIn("Exit status", out)
            for c in self.COMMANDS:
                self.assertIn("  " + c + " ", out)

    def test_help_of_every_command(self):
        for c in self.COMMANDS:
            for args in ((c, "--help"), (c, "-h"), ("help", c)):
                rc, out, err = run(*args, cwd=self.tmp)
                self.assertEqual(rc, 0, args)
                self.assertEqual(err, "", args)
                self.assertTrue(out.startswith("Usage: lmatch %s " % c), (args, out[:80]))
        self.assertEqual(os.listdir(self.tmp), [])

    def test_help_lists_registry_options(self):
        out, _ = ok(self, "match", "--help")
        for flag in ("--w-topic X", "--fusion weighted|rrf", "--evidence-mode max|sum|topm", "--field TEXT",
                     "-k, --k N", "--min-maturity N", "--w-cosine X"):
            self.assertIn(flag, out)
        self.assertNotIn("--capacity", out)
        out, _ = ok(self, "allocate", "--help")
        self.assertIn("--capacity N", out)
        self.assertIn("--opt candidates=N", out)     # --candidates is allocate's id list

    def test_version(self):
        for args in (("--version",), ("-V",), ("version",)):
            out, err = ok(self, *args)
            self.assertRegex(out, r"^lmatch \d+\.\d+\.\d+ \(libmatch \d+\.\d+\.\d+\)")

    def test_no_command_is_a_usage_error(self):
        rc, out, err = run()
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertIn("Usage:", err)

    def test_usage_errors_exit_2_on_stderr(self):
        db = self.copy_db()
        cases = [
            ("match", db, "--problem", "P-001", "--to", "achievement", "--bogus"),
            ("match", db, "--problem", "P-001"),                       # no --to
            ("match", db, "--to", "expert"),                           # no query record
            ("get", db, "problem"),                                    # missing id
            ("get", db, "gadget", "X"),                                # not a kind
            ("load", db),                                              # no file
            ("stats",),
            ("stats", db, "extra"),
            ("--bogus",),
            ("vectors", db, "--dim", "x"),
            ("dict", db, "秦创原", "often"),
            ("dict", db, "秦创原", "-5"),                                # negative frequency
            ("dict", db, "秦创原", "99999999999999999999"),              # overflow
            ("match", db, "--problem", "P-001", "--to", "achievement", "-k"),   # no value
            ("options", "--json=yes"),
        ]
        for args in cases:
            rc, out, err = run(*args)
            self.assertEqual(rc, 2, (args, err))
            self.assertEqual(out, "", args)
            self.assertTrue(err.startswith("lmatch: "), (args, err))
            self.assertIn("--help", err, args)

    def test_runtime_error_exit_1_one_line(self):
        db = self.copy_db()
        for args in (("get", db, "problem", "P-999"), ("delete", db, "expert", "E-999"),
                     ("match", db, "--problem", "P-999", "--to", "expert"),
                     ("load", db, self.path("nope.jsonl"))):
            rc, out, err = run(*args)
            self.assertEqual(rc, 1, args)
            self.assertEqual(len(err.splitlines()), 1, (args, err))
            self.assertTrue(err.startswith("lmatch: "), err)
        rc, out, err = run("get", db, "problem", "P-999")
        self.assertIn("P-999", err)

    def test_help_never_creates_a_file(self):
        for args in (("stats", "--help"), ("load", "--help"), ("export", "--help", "x.db"), ("analyze", "--help"),
                     ("match", "x.db", "--help")):
            rc, out, err = run(*args, cwd=self.tmp)
            self.assertEqual(rc, 0, args)
        self.assertEqual(os.listdir(self.tmp), [])
        # analyze --help is help; "--" makes it text
        out, _ = ok(self, "analyze", "--help")
        self.assertTrue(out.startswith("Usage: lmatch analyze"))
        out, _ = ok(self, "analyze", "--", "--help")
        self.assertEqual(out.split("\t")[0], "help")


class ReadCommands(Base):
    def read_commands(self, db):
        return [("stats", db), ("get", db, "problem", "P-001"), ("export", db), ("export", db, "--format", "csv"),
                ("match", db, "--problem", "P-001", "--to", "expert"), ("query", db, "碳化硅", "--to", "achievement"),
                ("batch", db, "--from", "problem", "--to", "achievement"), ("allocate", db, "--to", "expert"),
                ("mode", db), ("analyze", "燃料电池", "--db", db)]

    def test_missing_database_is_an_error_and_is_not_created(self):
        db = self.path("missing.db")
        for args in self.read_commands(db):
            rc, out, err = run(*args, cwd=self.tmp)
            self.assertEqual(rc, 1, (args, err))
            self.assertIn("missing.db", err)
            self.assertIn("No such file", err)
            self.assertEqual(os.listdir(self.tmp), [], args)

    def test_read_commands_leave_the_database_unchanged(self):
        db = self.copy_db()
        ok(self, "vectors", db, "--dim", "16")
        before = sha(db)
        for args in self.read_commands(db):
            rc, out, err = run(*args)
            self.assertEqual(rc, 0, (args, err))
        self.assertEqual(sha(db), before)

    def test_load_of_a_missing_file_creates_no_database(self):
        db = self.path("new.db")
        rc, out, err = run("load", db, self.path("nope.csv"))
        self.assertEqual(rc, 1)
        self.assertIn("nope.csv", err)
        self.assertFalse(os.path.exists(db))
        rc, out, err = run("synonyms", db, self.path("nope.tsv"))
        self.assertEqual(rc, 1)
        self.assertIn("nope.tsv", err)
        self.assertFalse(os.path.exists(db))


class RegistryFlags(Base):
    def setUp(self):
        super().setUp()
        self.db = self.copy_db()
        out, _ = ok(self, "options", "--json")
        self.registry = json.loads(out)

    def match(self, *extra, to="achievement"):
        out, _ = ok(self, "match", self.db, "--problem", "P-001", "--to", to, "--json", *extra)
        return json.loads(out)["results"]

    def test_options_lists_the_registry(self):
        names = [o["name"] for o in self.registry]
        for n in ("k", "w_topic", "fusion", "evidence_mode", "field", "region", "min_maturity", "capacity"):
            self.assertIn(n, names)
        for o in self.registry:
            self.assertEqual(o["flag"], "--" + o["name"].replace("_", "-"))
            self.assertTrue(o["help"])
        fusion = next(o for o in self.registry if o["name"] == "fusion")
        self.assertEqual(fusion["choices"], ["weighted", "rrf", "model"])
        out, _ = ok(self, "options")
        lines = out.splitlines()
        self.assertEqual(len(lines), len(self.registry))
        self.assertEqual([l.split()[0] for l in lines], [o["flag"] for o in self.registry])

    def test_every_registry_option_is_a_flag(self):
        """Each option at its registry default is accepted by match/query
        (allocation ones by allocate) and leaves the ranking unchanged."""
        base = self.match()
        for o in self.registry:
            if o["type"] in ("string", "list"):
                continue
            value = o["choices"][int(o["default"] - o["min"])] if o.get("choices") else "%.17g" % o["default"]
            if o["allocation_only"]:
                out, _ = ok(self, "allocate", self.db, "--to", "expert", "--problems", "P-001", o["flag"], value)
                continue
            got = self.match(o["flag"], value)
            self.assertEqual([h["id"] for h in got], [h["id"] for h in base], o["name"])
            ok(self, "query", self.db, "燃料电池", "--to", "expert", o["flag"] + "=" + value)

    def test_messages_come_from_the_library(self):
        cases = [(("-k", "abc"), "not a whole number"), (("--k", "0"), "is not in 1.."),
                 (("--w-topic", "-1"), "is not in 0.."), (("--w-topic", "abc"), "not a number"),
                 (("--fusion", "foo"), "weighted|rrf"), (("--evidence-mode", "most"), "max|sum|topm"),
                 (("--min-maturity", "10"), "0..9")]
        for args, text in cases:
            rc, out, err = run("match", self.db, "--problem", "P-001", "--to", "achievement", *args)
            self.assertEqual(rc, 2, args)
            self.assertIn(text, err, args)
            self.assertIn("'%s'" % args[0], err, args)      # names the flag as typed

    def test_allocation_options_only_for_allocate(self):
        rc, out, err = run("match", self.db, "--problem", "P-001", "--to", "expert", "--capacity", "2")
        self.assertEqual(rc, 2)
        self.assertIn("allocate", err)
        rc, out, err = run("batch", self.db, "--from", "problem", "--to", "achievement", "--w-topic", "0")
        self.assertEqual(rc, 2)
        self.assertIn("does not apply to batch", err)

    def test_weights_and_fusion_change_the_scores(self):
        base = self.match()
        # (the latent topic too: it stands in for the tag vote where that
        # has nothing to count, and the sample has the loader's space)
        no_topic = self.match("--w-topic", "0", "--w-latent-topic", "0")
        self.assertTrue(any(h["components"]["topic"] > 0 for h in base))
        b = {h["id"]: h for h in base}
        # The model weighs a hit's topic against the query's best topic: the
        # hits of the winning topic lose by turning it off, and more than
        # the hits of the other topics (which may gain).
        seen = set()
        ratio = {"winning": [], "other": []}
        for h in no_topic:
            c = b.get(h["id"], {}).get("components", {})
            if c.get("topic", 0) > 0:
                which = "winning" if c["topic"] == c["topic_best"] else "other"
                if which == "winning":
                    self.assertLess(h["score"], b[h["id"]]["score"])
                ratio[which].append(h["score"] / b[h["id"]]["score"])
                seen.add(which)
            self.assertEqual(h["components"]["topic_best"], 0)
        self.assertEqual(seen, {"winning", "other"})
        self.assertGreater(min(ratio["other"]), max(ratio["winning"]), ratio)
        rrf = self.match("--fusion", "rrf")
        self.assertLess(rrf[0]["score"], 1.0)        # reciprocal ranks are small
        self.assertNotEqual([h["score"] for h in rrf], [h["score"] for h in base])
        opt = self.match("--opt", "w_topic=0", "--opt", "w_latent_topic=0")
        self.assertEqual([h["score"] for h in opt], [h["score"] for h in no_topic])
        rc, out, err = run("match", self.db, "--problem", "P-001", "--to", "expert", "--opt", "nonsense=1")
        self.assertEqual(rc, 2)
        self.assertIn("nonsense", err)

    def test_existing_flags_and_filters(self):
        got = self.match("-k", "3")
        self.assertEqual(len(got), 3)
        self.assertEqual(len(self.match("--k=2")), 2)
        self.assertEqual(len(self.match("-k2")), 2)
        for h in self.match("--region", "陕西省西安市"):
            rec = json.loads(ok(self, "get", self.db, "achievement", h["id"])[0])
            self.assertTrue(rec.get("region", "").startswith("陕西省西安市"))
        tags = {"新材料", "半导体"}
        got = self.match("--field", "新材料", "--field", "半导体", "-k", "50")
        self.assertTrue(got)
        for h in got:
            rec = json.loads(ok(self, "get", self.db, "achievement", h["id"])[0])
            self.assertTrue(tags & set(rec.get("fields", [])), h["id"])
        for h in self.match("--min-maturity", "7", "-k", "50"):
            rec = json.loads(ok(self, "get", self.db, "achievement", h["id"])[0])
            self.assertGreaterEqual(rec["maturity"], 7)
        out, _ = ok(self, "match", self.db, "--problem", "P-001", "--to", "achievement", "-k", "5",
                    "--w-title", "3", "--w-body", "1", "--w-keywords", "2", "--w-bm25", "1", "--w-fields", "0.1",
                    "--w-region", "0.05", "--w-maturity", "0.05", "--offset", "1", "--max-terms", "40")
        self.assertTrue(out.startswith("#    id             score   匹配度  components"))

    def test_table_output_unchanged(self):
        out, _ = ok(self, "match", self.db, "--problem", "P-001", "--to", "achievement", "-k", "2")
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["#", "id", "score", "匹配度", "components", "matched", "terms"])
        self.assertTrue(lines[1].startswith("1    A-001 "))
        self.assertEqual(lines[2], "     低熱阻碳化矽功率模組銀燒結封裝技術")
        out, _ = ok(self, "query", self.db, "鋰離子電池熱失控預警", "--to", "achievement", "-k", "1")
        self.assertIn("bm25=", out)
        out, _ = ok(self, "query", self.db, "-", "--to", "expert", "-k", "1", stdin="碳化硅功率模块".encode())
        self.assertEqual(len(out.splitlines()), 3)


class Loading(Base):
    def test_stdin_jsonl(self):
        db = self.path("s.db")
        with open(os.path.join(DATA, "problems.jsonl"), "rb") as f:
            out, _ = ok(self, "load", db, "-", stdin=f.read())
        self.assertEqual(out.strip(), "loaded 43, skipped 0")
        stats = json.loads(ok(self, "stats", db)[0])
        self.assertEqual(stats["records"]["problem"], 43)

    def test_jsonl_error_names_file_and_line(self):
        db = self.path("e.db")
        src = self.path("bad.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            f.write('{"id":"P-1","kind":"problem","title":"5G基站散热"}\n\n{"id":"P-2","kind":"problem","maturity":"高"}\n')
        rc, out, err = run("load", db, src)
        self.assertEqual(rc, 1)
        self.assertEqual(len(err.splitlines()), 1)
        self.assertIn("bad.jsonl line 3", err)
        self.assertIn("P-2", err)
        with open(src, "rb") as f:
            rc, out, err = run("load", db, "-", stdin=f.read())
        self.assertIn("stdin line 3", err)
        rc, out, err = run("load", db, src, "--skip-bad", "--json")
        self.assertEqual(rc, 0)
        rep = json.loads(out)
        self.assertEqual((rep["loaded"], rep["skipped"]), (1, 1))
        self.assertEqual(rep["errors"][0]["line"], 3)

    CSV = ('\ufeff编号,类型,标题,描述,关键词,领域,地区,meta\r\n'
           'P-101,problem,"PEM燃料电池, 膜电极衰减","第一行\r\n第二行有""引号""，还有逗号,",'
           '质子交换膜；催化剂; 铂载量 ,新能源;新材料,陕西省西安市,"{""budget_wan"": 80}"\r\n'
           'P-102,problem,5G基站散熱難題,高溫環境下的散熱,散热；5G,信息技术,陕西省宝鸡市,备注文字\r\n'
           '\r\n'
           'P-103,problem,"多行\n标题",,,,,\r\n')

    def write(self, name, text, encoding="utf-8"):
        p = self.path(name)
        with open(p, "w", encoding=encoding, newline="") as f:
            f.write(text)
        return p

    def test_csv_chinese_bom_quotes_newlines_separators(self):
        db = self.path("c.db")
        src = self.write("p.csv", self.CSV)
        out, _ = ok(self, "load", db, src)
        self.assertEqual(out.strip(), "loaded 3, skipped 0")
        r = json.loads(ok(self, "get", db, "problem", "P-101")[0])
        self.assertEqual(r["title"], "PEM燃料电池, 膜电极衰减")
        self.assertEqual(r["description"], "第一行\r\n第二行有\"引号\"，还有逗号,")
        self.assertEqual(r["keywords"], ["质子交换膜", "催化剂", "铂载量"])
        self.assertEqual(r["fields"], ["新能源", "新材料"])
        self.assertEqual(r["meta"], {"budget_wan": 80})
        r = json.loads(ok(self, "get", db, "problem", "P-102")[0])
        self.assertEqual(r["keywords"], ["散热", "5G"])
        self.assertEqual(r["meta"], "备注文字")
        r = json.loads(ok(self, "get", db, "problem", "P-103")[0])
        self.assertEqual(r["title"], "多行\n标题")
        self.assertNotIn("keywords", r)
        # the records are searchable, Traditional script too
        out, _ = ok(self, "query", db, "燃料電池", "--to", "problem", "-k", "1")
        self.assertIn("P-101", out)

    def test_csv_kind_flag_stdin_and_format(self):
        db = self.path("k.db")
        text = "id,title,abstract,maturity,experts\nA-101,固态电池电解质,硫化物电解质,6,E-1；E-2\n"
        out, _ = ok(self, "load", db, "-", "--format", "csv", "--kind", "achievement", stdin=text.encode())
        self.assertIn("loaded 1", out)
        r = json.loads(ok(self, "get", db, "achievement", "A-101")[0])
        self.assertEqual((r["kind"], r["maturity"], r["experts"]), ("achievement", 6, ["E-1", "E-2"]))
        rc, out, err = run("load", db, "-", "--kind", "achievement", stdin=text.encode())
        self.assertEqual(rc, 2)         # --kind is for CSV
        src = self.write("a.txt", text)
        ok(self, "load", db, src, "--format", "csv", "--kind", "achievement")
        rc, out, err = run("load", db, src, "--format", "xml")
        self.assertEqual(rc, 2)

    def test_csv_bad_rows_are_reported_with_their_physical_line(self):
        text = ('id,kind,title,maturity\n'
                'A-1,achievement,"两行\n标题",5\n'        # lines 2-3
                'A-2,achievement,成熟度错误,高\n'           # line 4: library error
                'A-3,achievement,"引号"后有字,3\n'          # line 5: not CSV
                'A-4,achievement,字段太多,3,多\n'           # line 6
                'A-5,achievement,正常,9\n')                 # line 7
        src = self.write("bad.csv", text)
        db = self.path("b.db")
        rc, out, err = run("load", db, src)
        self.assertEqual(rc, 1)
        self.assertEqual(len(err.splitlines()), 1)
        self.assertIn("bad.csv line 4", err)              # the first bad row, from the library
        self.assertIn("maturity", err)
        self.assertFalse(os.path.exists(db))              # nothing loaded, nothing created
        out, _ = ok(self, "load", db, src, "--skip-bad", "--json")
        rep = json.loads(out)
        self.assertEqual((rep["loaded"], rep["skipped"]), (2, 3))
        self.assertEqual([e["line"] for e in rep["errors"]], [4, 5, 6])
        self.assertEqual(rep["errors"][0]["id"], "A-2")
        self.assertIn("closing quote", rep["errors"][1]["reason"])
        self.assertIn("the row has 5 fields, the header has 4", rep["errors"][2]["reason"])
        out, _ = ok(self, "load", self.path("b2.db"), src, "--skip-bad")
        self.assertIn("  line 4 (id 'A-2'): ", out)

    def test_csv_unterminated_quote_and_bad_header(self):
        src = self.write("u.csv", 'id,kind,title\nP-1,problem,"没有结束\n\nP-2,problem,x\n')
        rc, out, err = run("load", self.path("u.db"), src)
        self.assertEqual(rc, 1)
        self.assertIn("u.csv line 2", err)
        self.assertIn("never closed", err)
        for text, msg in (('id,id,title\n', "twice"), ('id,,title\n', "no name"), ('', "no header")):
            src = self.write("h.csv", text)
            rc, out, err = run("load", self.path("h.db"), src)
            self.assertEqual(rc, 1, text)
            self.assertIn(msg, err)

    def test_csv_invalid_utf8_reported_by_the_library(self):
        src = self.path("x.csv")
        with open(src, "wb") as f:
            f.write(b"id,kind,title\nP-1,problem,\xff\xfe\nP-2,problem,ok\n")
        rc, out, err = run("load", self.path("x.db"), src, "--skip-bad", "--json")
        self.assertEqual(rc, 0)
        rep = json.loads(out)
        self.assertEqual((rep["loaded"], rep["skipped"], rep["errors"][0]["line"]), (1, 1, 2))
        self.assertIn("UTF-8", rep["errors"][0]["reason"])


class Export(Base):
    def test_jsonl_round_trip(self):
        a = self.path("a.jsonl")
        ok(self, "export", Base.base_db, "-o", a)
        with open(a, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 43 + 45 + 29)
        self.assertEqual(json.loads(lines[0])["kind"], "problem")
        self.assertEqual(json.loads(lines[-1])["kind"], "expert")
        db2 = self.path("two.db")
        ok(self, "load", db2, a)
        out2, _ = ok(self, "export", db2)
        with open(a, encoding="utf-8") as f:
            self.assertEqual(out2, f.read())
        out, _ = ok(self, "export", db2, "--kind", "expert")
        self.assertEqual(len(out.splitlines()), 29)

    def test_csv_round_trip(self):
        jsonl, _ = ok(self, "export", Base.base_db)
        c = self.path("all.csv")
        ok(self, "export", Base.base_db, "-o", c)            # format from the name
        with open(c, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 117)
        self.assertIn("keywords", rows[0])
        db2 = self.path("fromcsv.db")
        ok(self, "load", db2, c)
        out, _ = ok(self, "export", db2)
        self.assertEqual(out, jsonl)                         # lossless
        again, _ = ok(self, "export", db2, "--format", "csv")
        with open(c, encoding="utf-8", newline="") as f:
            self.assertEqual(again, f.read())

    def test_csv_export_of_awkward_lists(self):
        db = self.path("w.db")
        rec = ('{"id":"P-1","kind":"problem","title":"分号;测试, 逗号\\n换行","keywords":["a;b"," 空格 ","；全角",'
               '"[x]"],"fields":[],"meta":{"x":[1.50,"y"],"z":null}}')
        ok(self, "put", db, rec)
        self.assertEqual(ok(self, "get", db, "problem", "P-1")[0], rec + "\n")     # stored verbatim
        c = self.path("w.csv")
        ok(self, "export", db, "--csv", "-o", c)
        db2 = self.path("w2.db")
        ok(self, "load", db2, c)
        self.assertEqual(ok(self, "get", db2, "problem", "P-1")[0], ok(self, "get", db, "problem", "P-1")[0])

    def test_failed_export_leaves_no_file(self):
        rc, out, err = run("export", Base.base_db, "-o", self.path("no", "such", "dir.jsonl"))
        self.assertEqual(rc, 1)
        self.assertIn("dir.jsonl", err)
        self.assertEqual(os.listdir(self.tmp), [])


def sheet_xml(test, path, n=1):
    test.assertTrue(zipfile.is_zipfile(path))
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        test.assertIn("xl/worksheets/sheet%d.xml" % n, names)
        return z.read("xl/worksheets/sheet%d.xml" % n).decode("utf-8")


class TablesAndBatch(Base):
    def setUp(self):
        super().setUp()
        self.db = self.copy_db()

    def test_match_xlsx_with_chinese_headers_and_labels(self):
        x = self.path("匹配.xlsx")
        out, _ = ok(self, "match", self.db, "--problem", "P-001", "--to", "expert", "-k", "3", "--xlsx", x)
        self.assertEqual(out, "")
        xml = sheet_xml(self, x)
        for s in ("排名", "专家编号", "专家姓名", "得分", "文本相关度", "成果佐证", "匹配词", "佐证成果", "林志明", "E-022"):
            self.assertIn(s, xml)
        q = sheet_xml(self, x, 2)
        self.assertIn("碳化硅功率模块封装散热难题", q)

    def test_match_csv(self):
        out, _ = ok(self, "match", self.db, "--problem", "P-001", "--to", "expert", "-k", "3", "--csv")
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[0]["id"], "E-022")
        self.assertEqual(rows[0]["label"], "林志明")
        self.assertIn("A-001:", rows[0]["evidence_ids"])
        self.assertGreater(float(rows[0]["evidence"]), 0)

    def test_allocate_outputs(self):
        out, _ = ok(self, "allocate", self.db, "--to", "expert", "--problems", "P-001,P-002", "--capacity", "1")
        self.assertIn("碳化硅功率模块封装散热难题", out)
        self.assertIn("total", out.splitlines()[-1])
        js = json.loads(ok(self, "allocate", self.db, "--to", "expert", "--problems", "P-001,P-002", "--json")[0])
        self.assertEqual(len(js["pairs"]), 2)
        x = self.path("对接会.xlsx")
        ok(self, "allocate", self.db, "--to", "expert", "--problems", "P-001", "--problems", "P-002", "--xlsx", x)
        xml = sheet_xml(self, x)
        for s in ("问题编号", "问题名称", "专家姓名", "合计", js["pairs"][0]["candidate"]):
            self.assertIn(s, xml)
        rc, out, err = run("allocate", self.db, "--to", "expert", "--per-problem", "-1")
        self.assertEqual(rc, 2)

    def test_batch_needs_vectors_then_works(self):
        bare = self.path("bare.db")                     # loaded without the loader's semantic space
        for k in ("problems", "achievements"):
            ok(self, "load", bare, os.path.join(DATA, k + ".jsonl"), "--no-vectors")
        self.assertEqual(json.loads(ok(self, "stats", bare)[0])["vectors"]["dim"], 0)
        rc, out, err = run("batch", bare, "--from", "problem", "--to", "achievement")
        self.assertEqual(rc, 1)
        self.assertEqual(len(err.splitlines()), 1)
        self.assertIn("vectors", err)
        loaded = json.loads(ok(self, "stats", self.db)[0])["vectors"]   # the sample: 117 records, the loader's space
        self.assertEqual(loaded["built_records"], 117)
        out, _ = ok(self, "vectors", self.db, "--dim", "32")
        self.assertIn("dimension 32", out)
        stats = json.loads(ok(self, "stats", self.db)[0])
        self.assertEqual(stats["vectors"]["dim"], 32)
        js = json.loads(ok(self, "batch", self.db, "--from", "problem", "--to", "achievement", "-k", "2", "--json")[0])
        self.assertEqual((js["from"], js["to"], js["k"]), ("problem", "achievement", 2))
        self.assertEqual(len(js["results"]), 43)
        first = js["results"][0]
        self.assertEqual((first["id"], first["label"]), ("P-001", "碳化硅功率模块封装散热难题"))
        self.assertEqual(len(first["results"]), 2)
        self.assertEqual(first["results"][0]["id"], "A-001")
        self.assertEqual(first["results"][0]["label"], "低熱阻碳化矽功率模組銀燒結封裝技術")
        jl = ok(self, "batch", self.db, "--from", "problem", "--to", "achievement", "-k", "2", "--format", "jsonl")[0]
        self.assertEqual([json.loads(l) for l in jl.splitlines()], js["results"])
        for size in ("64K", "1MiB", "0"):             # a memory bound: the same results
            jm = ok(self, "batch", self.db, "--from", "problem", "--to", "achievement", "-k", "2", "--format", "jsonl",
                    "--memory", size)[0]
            self.assertEqual(jm, jl)
        for bad, why in (("12X", "is not a size"), ("1000", "nor at least 65536"), ("-1M", "is not a size")):
            rc, out, err = run("batch", self.db, "--from", "problem", "--to", "achievement", "--memory", bad)
            self.assertEqual(rc, 2, bad)
            self.assertIn(why, err)
        c = ok(self, "batch", self.db, "--from", "problem", "--to", "achievement", "-k", "2", "--csv")[0]
        rows = list(csv.DictReader(io.StringIO(c)))
        self.assertEqual(len(rows), 86)
        self.assertEqual(rows[0]["from_label"], "碳化硅功率模块封装散热难题")
        t = ok(self, "batch", self.db, "--from", "problem", "--to", "achievement", "-k", "1")[0]
        self.assertIn("P-001          碳化硅功率模块封装散热难题", t)
        x = self.path("batch.xlsx")
        ok(self, "batch", self.db, "--from", "problem", "--to", "expert", "--xlsx", x)
        xml = sheet_xml(self, x)
        for s in ("问题编号", "专家姓名", "语义相似度", "碳化硅功率模块封装散热难题"):
            self.assertIn(s, xml)
        # the hybrid ranking now has a cosine component
        js = json.loads(ok(self, "match", self.db, "--problem", "P-001", "--to", "achievement", "--json")[0])
        self.assertGreater(js["results"][0]["components"]["cosine"], 0)

    def test_mode(self):
        out, _ = ok(self, "mode", self.db)
        self.assertIn("words+subwords+bigrams", out)
        out, _ = ok(self, "mode", self.db, "words")
        self.assertIn("words", out)
        self.assertNotIn("bigrams", out)
        self.assertEqual(json.loads(ok(self, "stats", self.db)[0])["analyzer"].split()[1], "words")
        ok(self, "mode", self.db, "words+bigrams")
        self.assertIn("words+bigrams", ok(self, "mode", self.db)[0])
        out, _ = ok(self, "query", self.db, "碳化硅", "--to", "achievement", "-k", "1")
        self.assertIn("A-", out)
        rc, out, err = run("mode", self.db, "trigrams")
        self.assertEqual(rc, 2)
        ok(self, "reindex", self.db)

    def test_analyze_json(self):
        js = json.loads(ok(self, "analyze", "基于5G的PEM燃料電池，全角：ＡＢＣ", "--json")[0])
        texts = [t["text"] for t in js["tokens"]]
        self.assertIn("燃料电池", texts)
        self.assertIn("5g", texts)
        self.assertIn("abc", texts)
        self.assertTrue(any(t["colocated"] for t in js["tokens"]))
        out, _ = ok(self, "analyze", "-", "--mode", "words", stdin="碳化硅功率器件".encode())
        self.assertIn("碳化硅", out)


class Dispatch(Base):
    def private_lmatch(self):
        d = self.path("bin")
        os.mkdir(d)
        shutil.copy(LMATCH, d)
        for f in os.listdir(BUILD):
            if f.startswith("libmatch.so"):
                shutil.copy(os.path.join(BUILD, f), d)
        return d, os.path.join(d, "lmatch")

    def script(self, d, name, body):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(p, 0o755)

    def test_next_to_lmatch(self):
        d, prog = self.private_lmatch()
        self.script(d, "lmatch-hello", 'echo "hello $# [$1] [$2]"; exit 7')
        rc, out, err = run("hello", "世界", "--flag", prog=prog, env={"PATH": "/usr/bin:/bin"})
        self.assertEqual(rc, 7)
        self.assertEqual(out, "hello 2 [世界] [--flag]\n")

    def test_on_path_and_help(self):
        d = self.path("path")
        os.mkdir(d)
        self.script(d, "lmatch-hi", 'echo "path $*"')
        env = dict(os.environ, PATH=d + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
        self.assertEqual(ok(self, "hi", "a", "b", env=env)[0], "path a b\n")
        self.assertEqual(ok(self, "help", "hi", env=env)[0], "path --help\n")

    def test_unknown_and_missing_serve(self):
        d, prog = self.private_lmatch()
        env = {"PATH": self.path("empty")}
        rc, out, err = run("frobnicate", prog=prog, env=env)
        self.assertEqual(rc, 2)
        self.assertIn("lmatch-frobnicate", err)
        rc, out, err = run("../../bin/sh", prog=prog, env=env)
        self.assertEqual(rc, 2)
        rc, out, err = run("serve", "--port", "1", prog=prog, env=env)
        self.assertEqual(rc, 1)
        self.assertIn("lmatch-serve", err)
        self.assertEqual(len(err.splitlines()), 1)


class Progress(Base):
    WORDS = ("碳化硅 氮化镓 散热 封装 燃料电池 膜电极 催化剂 锂电池 电解质 隔膜 激光 光纤 传感器 芯片 基站 天线 "
             "无人机 电机 控制器 算法 数据 轴承 涂层 焊接 钛合金 复合材料 发动机 叶片 疫苗 抗体").split()

    def big_jsonl(self, n=2500):
        w = self.WORDS
        lines = [json.dumps({"id": "P-%05d" % i, "kind": "problem", "title": w[i % 30] + w[i * 7 % 30] + "技术难题",
                             "description": "，".join(w[i * k % 30] for k in (3, 5, 11, 13)),
                             "keywords": ["5G基站"], "fields": ["半导体"]}, ensure_ascii=False)
                 for i in range(n)]
        return ("\n".join(lines) + "\n").encode()

    def test_progress_forced_and_quiet(self):
        db = self.path("p.db")
        rc, out, err = run("load", db, "-", "--progress", stdin=self.big_jsonl())
        self.assertEqual(rc, 0)
        self.assertRegex(err, r"load: 2,500 records in [0-9.]+ s \([0-9,]+ records/s\)")
        self.assertIn("loaded 2500", out)
        # not a terminal, no --progress: silent
        rc, out, err = run("load", self.path("q.db"), "-", stdin=self.big_jsonl())
        self.assertEqual((rc, err), (0, ""))
        rc, out, err = run("load", self.path("r.db"), "-", "--quiet", "--progress", stdin=self.big_jsonl())
        self.assertEqual((rc, out, err), (0, "", ""))
        out, err = ok(self, "vectors", db, "--dim", "8", "--progress")
        self.assertIn("vectors: ", err)
        out, err = ok(self, "--progress", "batch", db, "--from", "problem", "--to", "problem", "-k", "1", "--csv")
        self.assertIn("batch: 2,500 records", err)
        out, err = ok(self, "reindex", db, "--progress")
        self.assertIn("reindex: ", err)


class Packaging(Base):
    def test_man_page_renders(self):
        man = os.path.join(ROOT, "libmatch", "cli", "lmatch.1")
        p = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-ww", "-z", man], capture_output=True)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stderr.decode(), "")
        with open(man, encoding="utf-8") as f:
            text = f.read()
        for c in HelpAndExitStatus.COMMANDS + ["serve"]:
            self.assertIn(c, text)

    def test_bash_completion(self):
        comp = os.path.join(ROOT, "libmatch", "cli", "lmatch.bash")
        script = """
source %s
t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _lmatch; echo "${COMPREPLY[*]}"; }
t %s ma
t %s match x.db --w-to
t %s match x.db --fusion ''
t %s match x.db --to ex
t %s allocate x.db --per
t %s get x.db ach
""" % ((comp,) + (LMATCH,) * 6)
        p = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode().splitlines(),
                         ["match", "--w-topic", "weighted rrf model", "expert", "--per-problem", "achievement"])

    def test_install_with_a_custom_prefix(self):
        prefix = self.path("prefix")
        p = subprocess.run(["make", "--no-print-directory", "-s", "install", "PREFIX=" + prefix], cwd=ROOT,
                           capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-2000:])
        lm = os.path.join(prefix, "bin", "lmatch")
        out, _ = ok(self, "--version", prog=lm)
        self.assertIn("xlsx", out)
        self.assertTrue(os.path.exists(os.path.join(prefix, "share", "man", "man1", "lmatch.1")))
        self.assertTrue(os.path.exists(os.path.join(prefix, "share", "bash-completion", "completions", "lmatch")))
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
        pc = subprocess.run(["pkg-config", "--static", "--libs", "libmatch"], env=env, capture_output=True)
        self.assertEqual(pc.returncode, 0, pc.stderr)
        libs = pc.stdout.decode().split()
        for lib in ("-lmatch", "-lsqlite3", "-lcjson", "-lopencc", "-lopenblas", "-llapack", "-lstemmer"):
            self.assertIn(lib, libs)
        # a static link with nothing but pkg-config's flags
        exe = self.path("report")
        flags = subprocess.run(["pkg-config", "--static", "--cflags", "--libs", "libmatch"], env=env,
                               capture_output=True).stdout.decode().split()
        flags = [f if f != "-lmatch" else os.path.join(prefix, "lib", "libmatch.a") for f in flags]
        p = subprocess.run(["cc", "-std=c11", "-o", exe, os.path.join(ROOT, "examples", "c", "match_report.c")] + flags,
                           capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-2000:])
        # and uninstall removes what install put
        p = subprocess.run(["make", "--no-print-directory", "-s", "uninstall", "PREFIX=" + prefix], cwd=ROOT,
                           capture_output=True)
        self.assertEqual(p.returncode, 0)
        self.assertFalse(os.path.exists(lm))
        self.assertFalse(os.path.exists(os.path.join(prefix, "share", "man", "man1", "lmatch.1")))


def main():
    if not os.access(LMATCH, os.X_OK):
        print("not ok - %s is missing; build it with make" % LMATCH)
        print("# cli: passed=0 failed=1")
        return 1
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    res = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    passed = res.testsRun - failed - len(res.skipped)
    if Base.base_dir:
        shutil.rmtree(Base.base_dir, True)
    print("# cli: passed=%d failed=%d" % (passed, failed + len(res.skipped)))
    return 0 if failed == 0 and not res.skipped else 1


if __name__ == "__main__":
    sys.exit(main())
