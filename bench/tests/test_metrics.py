"""Metric code against hand-computed cases (standard library only)."""
import math
import unittest

from lmbench import metrics


class TestMetrics(unittest.TestCase):
    def test_ndcg_graded(self):
        rel = {"a": 3, "b": 1, "c": 2}
        # ranking b, x, a: DCG = 1/log2(2) + 0 + 3/log2(4) = 1 + 1.5 = 2.5
        # ideal 3, 2, 1: 3 + 2/log2(3) + 1/log2(4) = 3 + 1.26186 + 0.5 = 4.76186
        got = metrics.ndcg_at(rel, ["b", "x", "a"])
        self.assertAlmostEqual(got, 2.5 / (3 + 2 / math.log2(3) + 0.5), places=9)
        self.assertAlmostEqual(metrics.ndcg_at(rel, ["a", "c", "b"]), 1.0)
        self.assertEqual(metrics.ndcg_at(rel, []), 0.0)
        # only the top 10 count
        self.assertEqual(metrics.ndcg_at({"z": 1}, ["n%d" % i for i in range(10)] + ["z"]), 0.0)

    def test_mrr_and_recall(self):
        rel = {"a": 0, "b": 2, "c": 1}
        self.assertAlmostEqual(metrics.rr_at(rel, ["a", "x", "c", "b"]), 1 / 3)   # grade 0 is not a hit
        self.assertEqual(metrics.rr_at(rel, ["x"] * 10 + ["b"]), 0.0)
        self.assertAlmostEqual(metrics.recall_at(rel, ["c", "x"]), 0.5)
        self.assertAlmostEqual(metrics.recall_at(rel, ["x"] * 100 + ["b", "c"]), 0.0)

    def test_ties_ranked_like_trec_eval(self):
        # equal scores: docid descending
        self.assertEqual(metrics.ranked([("a", 1.0), ("c", 1.0), ("b", 2.0)]), ["b", "c", "a"])

    def test_evaluate_averages_over_judged_queries(self):
        qrels = {"q1": {"a": 1}, "q2": {"b": 2, "c": 0}, "q3": {"d": 0}}   # q3 has no relevant doc
        run = {"q1": [("a", 5.0), ("x", 1.0)], "q3": [("d", 1.0)]}          # q2 missing from the run
        m = metrics.evaluate(qrels, run)
        self.assertEqual(m["queries"], 2)
        self.assertAlmostEqual(m["ndcg@10"], 0.5)
        self.assertAlmostEqual(m["mrr@10"], 0.5)
        self.assertAlmostEqual(m["r@100"], 0.5)
        self.assertEqual(metrics.evaluate({}, {})["queries"], 0)


if __name__ == "__main__":
    unittest.main()
