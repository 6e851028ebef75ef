"""The run's record (metadata in the JSON, the plot), where data is looked
for when there is none, and the progress of long peer runs.  Peers: FTS5
only (no xapian, no lm_run); data: a tiny set written here."""
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

from lmbench import report

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUALITY = os.path.join(BENCH, "quality.py")
SPEED = os.path.join(BENCH, "speed.py")


def has_fts5_trigram():
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        return True
    except sqlite3.OperationalError:
        return False


class TestNoData(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="lmbench-nodata-")
        self.addCleanup(shutil.rmtree, self.d)

    def test_quality_and_speed_say_where_they_looked(self):
        env = dict(os.environ, LIBMATCH_BENCH_DATA=self.d)
        for script, tool in ((QUALITY, "bench-quality"), (SPEED, "bench-speed")):
            p = subprocess.run([sys.executable, script], capture_output=True, text=True, env=env)
            self.assertEqual(p.returncode, report.EXIT_NO_DATA, p.stderr)
            self.assertIn("%s: no benchmark data set found" % tool, p.stderr)
            self.assertIn(self.d, p.stderr)
            self.assertIn("LIBMATCH_BENCH_DATA", p.stderr)
            self.assertIn("make %s DATA=" % tool, p.stderr)
            self.assertIn("../shared/bench-data", p.stderr)

    def test_roots(self):
        os.environ["LIBMATCH_BENCH_DATA"] = self.d
        try:
            self.assertEqual(report.data_roots(), [(self.d, "$LIBMATCH_BENCH_DATA")])
        finally:
            del os.environ["LIBMATCH_BENCH_DATA"]
        roots = report.data_roots()
        self.assertTrue(roots[0][0].endswith(os.path.join("shared", "bench-data")))

    def test_help_documents_the_exit_statuses(self):
        p = subprocess.run([sys.executable, QUALITY, "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("exit status", p.stdout)
        self.assertIn("77 no data", p.stdout)


class TestMeta(unittest.TestCase):
    def test_run_meta(self):
        m = report.run_meta({"x": {"kind": "peer"}}, {"k": 100})
        for key in ("libmatch", "git_commit", "date", "host", "versions", "configurations", "command"):
            self.assertIn(key, m)
        self.assertRegex(m["date"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
        self.assertGreaterEqual(m["host"]["cores"], 1)
        self.assertTrue(m["host"]["cpu"])
        self.assertEqual(m["k"], 100)
        if m["git_commit"] is not None:
            self.assertRegex(m["git_commit"], r"^[0-9a-f]{40}$")
        json.dumps(m)


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


class TestProgress(unittest.TestCase):
    def test_lines_and_silence(self):
        s = io.StringIO()
        p = report.Progress("fts5-trigram on expertise-en", 190, stream=s, after=0, every=0)
        p.t0 -= 100                        # 100 s ago
        p(50)
        p(190)
        p.done()
        lines = s.getvalue().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines[0], "fts5-trigram on expertise-en: 50/190 queries (26%), 0.5 queries/s, ~5 min left")
        self.assertTrue(lines[1].startswith("fts5-trigram on expertise-en: 190/190 queries (100%)"))
        quick = io.StringIO()
        q = report.Progress("x", 10, stream=quick)       # first 5 s: silent
        q(10)
        self.assertEqual(quick.getvalue(), "")

    def test_terminal_redraws_one_line(self):
        s = FakeTTY()
        p = report.Progress("x", 4, stream=s, after=0)
        p(1)
        p(4)
        p.done()
        self.assertTrue(s.getvalue().startswith("\rx: 1/4 queries"))
        self.assertTrue(s.getvalue().endswith("\n"))


@unittest.skipUnless(has_fts5_trigram(), "SQLite without FTS5 trigram")
class TestQualityRun(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="lmbench-run-")
        self.addCleanup(shutil.rmtree, self.d)
        s = os.path.join(self.d, "mini")
        os.mkdir(s)
        recs = [{"id": "a%d" % i, "kind": "achievement", "title": t} for i, t in
                enumerate(["碳化硅功率模块封装", "氮化镓外延片", "锂离子电池热失控", "graphene films"])]
        with open(os.path.join(s, "corpus.jsonl"), "w", encoding="utf-8") as f:
            f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs))
        with open(os.path.join(s, "queries.jsonl"), "w", encoding="utf-8") as f:
            f.write('{"qid":"q1","to":"achievement","text":"碳化硅模块"}\n'
                    '{"qid":"q2","to":"achievement","text":"电池热失控预警"}\n')
        with open(os.path.join(s, "qrels.tsv"), "w") as f:
            f.write("q1 0 a0 2\nq2 0 a2 1\n")
        self.set = s

    def test_json_and_plot(self):
        out_json = os.path.join(self.d, "q.json")
        out_png = os.path.join(self.d, "q.png")
        p = subprocess.run([sys.executable, QUALITY, "--data", self.set, "--systems", "fts5-trigram",
                            "fts5-unicode61", "--no-cache", "--json", out_json, "--plot", out_png],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("### mini (2 queries", p.stdout)
        with open(out_json, encoding="utf-8") as f:
            j = json.load(f)
        meta = j["meta"]
        for key in ("libmatch", "git_commit", "date", "host", "configurations", "sets"):
            self.assertIn(key, meta)
        self.assertEqual(meta["configurations"]["fts5-trigram"]["kind"], "peer")
        self.assertEqual(meta["sets"]["mini"], os.path.abspath(self.set))
        rows = j["results"]["mini"]
        self.assertEqual([r["system"] for r in rows], ["fts5-trigram", "fts5-unicode61"])
        self.assertEqual(rows[0]["ndcg@10"], 1.0)
        with open(out_png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main()
