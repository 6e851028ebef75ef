"""Metric code against hand-computed cases (standard library only)."""
import math
import unittest

from lmbench import metrics

L3 = math.log2(3)    # 1.5849625: the discount of rank 2


class TestNdcg(unittest.TestCase):
    def test_graded(self):
        rel = {"a": 3, "b": 1, "c": 2}
        # ranking b, x, a: DCG = 1/log2(2) + 0/log2(3) + 3/log2(4) = 1 + 0 + 1.5 = 2.5
        # ideal a, c, b:  IDCG = 3/1 + 2/log2(3) + 1/log2(4) = 3 + 1.2618595 + 0.5 = 4.7618595
        # nDCG = 2.5 / 4.7618595 = 0.5250050
        got = metrics.ndcg_at(rel, ["b", "x", "a"])
        self.assertAlmostEqual(got, 2.5 / (3 + 2 / L3 + 0.5), places=12)
        self.assertAlmostEqual(got, 0.5250050, places=6)
        self.assertAlmostEqual(metrics.ndcg_at(rel, ["a", "c", "b"]), 1.0)

    def test_rank_two_is_discounted(self):
        # log2(rank + 1) as trec_eval 9.x: one relevant doc at rank 2 gives
        # 1/log2(3) = 0.6309298, not 1.0 (trec_eval 8.x's log2(rank) would).
        self.assertAlmostEqual(metrics.ndcg_at({"a": 1}, ["x", "a"]), 1 / L3, places=12)
        self.assertAlmostEqual(metrics.ndcg_at({"a": 1}, ["x", "y", "a"]), 0.5, places=12)

    def test_ideal_from_qrels_not_from_run(self):
        # 3 relevant docs judged, only one retrieved at rank 1:
        # DCG = 2; IDCG = 2 + 1/log2(3) + 1/log2(4) = 2 + 0.6309298 + 0.5 = 3.1309298
        rel = {"a": 2, "b": 1, "c": 1, "d": 0}
        self.assertAlmostEqual(metrics.ndcg_at(rel, ["a", "d"]), 2 / (2 + 1 / L3 + 0.5), places=12)

    def test_ideal_cut_at_10(self):
        # 12 relevant docs of grade 1; a run with all 12: ranks 11, 12 do not
        # count in DCG nor IDCG -> 1.0
        rel = {"d%02d" % i: 1 for i in range(12)}
        self.assertAlmostEqual(metrics.ndcg_at(rel, sorted(rel)), 1.0)
        # the same run shifted by one irrelevant doc: DCG = sum_{r=2..10} 1/log2(r+1)
        idcg = sum(1 / math.log2(r + 1) for r in range(1, 11))
        dcg = idcg - 1.0
        self.assertAlmostEqual(metrics.ndcg_at(rel, ["x"] + sorted(rel)), dcg / idcg, places=12)

    def test_empty_and_beyond_cutoff(self):
        self.assertEqual(metrics.ndcg_at({"a": 2}, []), 0.0)
        self.assertEqual(metrics.ndcg_at({"z": 1}, ["n%d" % i for i in range(10)] + ["z"]), 0.0)
        self.assertEqual(metrics.ndcg_at({"a": 0}, ["a"]), 0.0)      # no relevant doc: 0, not a division by 0


class TestMrrRecall(unittest.TestCase):
    def test_mrr(self):
        rel = {"a": 0, "b": 2, "c": 1}
        self.assertAlmostEqual(metrics.rr_at(rel, ["a", "x", "c", "b"]), 1 / 3)   # grade 0 is not a hit
        self.assertEqual(metrics.rr_at(rel, ["b"]), 1.0)
        self.assertAlmostEqual(metrics.rr_at(rel, ["x"] * 9 + ["c"]), 0.1)         # rank 10 still counts
        self.assertEqual(metrics.rr_at(rel, ["x"] * 10 + ["b"]), 0.0)              # rank 11 does not
        self.assertEqual(metrics.rr_at(rel, []), 0.0)

    def test_recall(self):
        rel = {"a": 0, "b": 2, "c": 1}          # relevant: b, c
        self.assertAlmostEqual(metrics.recall_at(rel, ["c", "x"]), 0.5)
        self.assertAlmostEqual(metrics.recall_at(rel, ["a", "b", "c"]), 1.0)
        self.assertAlmostEqual(metrics.recall_at(rel, ["x"] * 99 + ["b", "c"]), 0.5)   # c is rank 101
        self.assertEqual(metrics.recall_at(rel, []), 0.0)
        self.assertEqual(metrics.recall_at({"a": 0}, ["a"]), 0.0)


class TestRanking(unittest.TestCase):
    def test_ties_like_trec_eval(self):
        # equal scores: docid descending; the file order does not matter
        self.assertEqual(metrics.ranked([("a", 1.0), ("c", 1.0), ("b", 2.0)]), ["b", "c", "a"])
        self.assertEqual(metrics.ranked([("c", 1.0), ("a", 1.0), ("b", 2.0)]), ["b", "c", "a"])
        self.assertEqual(metrics.ranked([("d10", 1.0), ("d9", 1.0)]), ["d9", "d10"])   # string, not number

    def test_ties_change_the_metrics(self):
        # relevant "a" tied with irrelevant "z": z ranks first (docid descending)
        # -> RR = 1/2, nDCG = (1/log2(3)) / 1
        qrels = {"q": {"a": 1}}
        m = metrics.evaluate(qrels, {"q": [("a", 3.0), ("z", 3.0)]})
        self.assertAlmostEqual(m["mrr@10"], 0.5)
        self.assertAlmostEqual(m["ndcg@10"], 1 / L3)

    def test_unsorted_run_is_sorted_and_deduplicated(self):
        self.assertEqual(metrics.ranked([("a", 1.0), ("b", 5.0), ("a", 7.0)]), ["a", "b"])
        self.assertEqual(metrics.ranked([]), [])


class TestEvaluate(unittest.TestCase):
    def test_averages_over_judged_queries(self):
        qrels = {"q1": {"a": 1}, "q2": {"b": 2, "c": 0}, "q3": {"d": 0}}   # q3 has no relevant doc: excluded
        run = {"q1": [("a", 5.0), ("x", 1.0)], "q3": [("d", 1.0)]}          # q2 missing from the run: 0
        m = metrics.evaluate(qrels, run)
        self.assertEqual(m["queries"], 2)
        self.assertAlmostEqual(m["ndcg@10"], 0.5)     # (1 + 0) / 2
        self.assertAlmostEqual(m["mrr@10"], 0.5)
        self.assertAlmostEqual(m["r@100"], 0.5)

    def test_graded_average(self):
        # q1: relevant b (3) at rank 2, a (1) at rank 1
        #   DCG = 1 + 3/log2(3); IDCG = 3 + 1/log2(3); RR = 1; recall = 1
        # q2: its single relevant doc c at rank 3 -> nDCG 0.5, RR 1/3, recall 1
        qrels = {"q1": {"a": 1, "b": 3}, "q2": {"c": 2}}
        run = {"q1": [("a", 2.0), ("b", 1.0)], "q2": [("x", 3.0), ("y", 2.0), ("c", 1.0)]}
        m = metrics.evaluate(qrels, run)
        n1 = (1 + 3 / L3) / (3 + 1 / L3)
        self.assertAlmostEqual(m["ndcg@10"], (n1 + 0.5) / 2, places=12)
        self.assertAlmostEqual(m["mrr@10"], (1 + 1 / 3) / 2, places=12)
        self.assertAlmostEqual(m["r@100"], 1.0)

    def test_empty(self):
        self.assertEqual(metrics.evaluate({}, {})["queries"], 0)
        m = metrics.evaluate({"q": {"a": 1}}, {})                         # an empty run
        self.assertEqual((m["queries"], m["ndcg@10"], m["mrr@10"], m["r@100"]), (1, 0.0, 0.0, 0.0))
        m = metrics.evaluate({"q": {"a": 1}}, {"q": []})
        self.assertEqual(m["ndcg@10"], 0.0)
        m = metrics.evaluate({"q": {"a": 1}}, {"other": [("a", 1.0)]})   # results of an unjudged query ignored
        self.assertEqual((m["queries"], m["mrr@10"]), (1, 0.0))


if __name__ == "__main__":
    unittest.main()
