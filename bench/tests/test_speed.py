"""speed.py's own logic: which systems run at which size, the latency
growth exponent between sizes, the summary and the plot.  No xapian, no
lm_speed, no data needed."""
import io
import math
import os
import tempfile
import unittest
from contextlib import redirect_stdout

import speed


class TestSystems(unittest.TestCase):
    def test_caps(self):
        s = speed.parse_systems(["libmatch", "xapian:100000"])
        self.assertEqual(s, {"libmatch": None, "xapian": 100000})
        self.assertTrue(speed.runs_at(s, "xapian", 100000))
        self.assertFalse(speed.runs_at(s, "xapian", 1000000))
        self.assertTrue(speed.runs_at(s, "libmatch", 1000000))
        self.assertFalse(speed.runs_at(s, "fts5-trigram", 10))

    def test_errors_name_the_entry(self):
        for bad, says in ((["libmatch", "lucene"], "unknown system 'lucene'"),
                          (["libmatch", "xapian:lots"], "'xapian:lots'"),
                          (["libmatch", "xapian:0"], "must be positive"),
                          (["xapian"], "must include libmatch")):
            with self.assertRaises(ValueError) as cm:
                speed.parse_systems(bad)
            self.assertIn(says, str(cm.exception))


class TestGrowth(unittest.TestCase):
    def test_exponent(self):
        self.assertAlmostEqual(speed.growth(100000, 10.0, 1000000, 100.0), 1.0)     # linear
        self.assertAlmostEqual(speed.growth(100000, 10.0, 1000000, 10.0), 0.0)      # flat
        self.assertAlmostEqual(speed.growth(100000, 10.0, 1000000, 30.0), math.log10(3))
        self.assertTrue(math.isnan(speed.growth(100000, 0.0, 1000000, 10.0)))
        self.assertTrue(math.isnan(speed.growth(100000, None, 1000000, 10.0)))

    def sizes(self):
        q = lambda p50, p99: {"p50_ms": p50, "p99_ms": p99, "text_p50_ms": p50 / 2, "text_p99_ms": p99 / 2,
                              "cpu_p50_ms": p50, "cpu_p99_ms": p99, "queries": 1000, "rss_mb": 50}
        lm = {"records_per_s": 8000, "bytes_per_record": 2500, "rss_mb": 100}
        return {10000: {"libmatch": lm, "libmatch-query": q(2.0, 5.0)},
                100000: {"libmatch": lm, "libmatch-query": q(4.0, 10.0), "xapian-query": {"p50_ms": 9.0, "p99_ms": 30}},
                1000000: {"libmatch": lm, "libmatch-query": q(12.0, 40.0), "vectors": {"build_seconds": 80.0,
                                                                                       "rss_mb": 2000, "dim": 256},
                          "batch detected": {"batch_rss_mb": 1085, "rss_mb": 3040}}}

    def test_rows_between_consecutive_sizes(self):
        rows = speed.growth_rows(self.sizes())
        self.assertEqual(len(rows), 8)
        n1, n2, label, v1, v2, r, e = rows[0]
        self.assertEqual((n1, n2, label, v1, v2), (10000, 100000, "record p50", 2.0, 4.0))
        self.assertAlmostEqual(r, 2.0)
        self.assertAlmostEqual(e, math.log10(2))
        last = [x for x in rows if x[0] == 100000 and x[2] == "record p99"][0]
        self.assertAlmostEqual(last[5], 4.0)

    def test_summary_and_plot(self):
        res = {"meta": {"libmatch": "1.0.0", "git_describe": "abc", "date": "2026-12-03T00:00:00+00:00",
                        "host": {"cpu": "cpu", "cores": 2}}, "sizes": self.sizes()}
        out = io.StringIO()
        with redirect_stdout(out):
            speed.summary(res)
        text = out.getvalue()
        self.assertIn("| 1000000 | 8000 | 2500 | 100 | 12.00 / 40.00 | 6.00 / 20.00 | 50 | 80.0 | 2000 | 1085 |", text)
        self.assertIn("| 100000 | 8000 | 2500 | 100 | 4.00 / 10.00 | 2.00 / 5.00 | 50 | - | - | - |", text)
        self.assertIn("| 100000 | 1000000 | record p50 | 4.00 | 12.00 | 3.00 | 0.48 |", text)
        # matplotlib is installed by `make test` (scripts/install-deps.sh test).
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "lat.png")
            speed.plot(res, p)
            with open(p, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main()
