"""The measures across queries (lmbench/calibration.py) against
hand-computed cases (standard library only)."""
import math
import unittest

from lmbench import calibration as cal


class TestPairwiseLoss(unittest.TestCase):
    # One candidate "E1" judged by three queries with grades 3, 1, 0.
    QRELS = {"q1": {"E1": 3}, "q2": {"E1": 1}, "q3": {"E1": 0}}

    def test_perfect_and_reversed(self):
        # pairs (q1,q2) w=2, (q1,q3) w=3, (q2,q3) w=1: total weight 6
        good = {"q1": {"E1": 0.9}, "q2": {"E1": 0.5}, "q3": {"E1": 0.1}}
        bad = {"q1": {"E1": 0.1}, "q2": {"E1": 0.5}, "q3": {"E1": 0.9}}
        self.assertEqual(cal.pairwise_loss(self.QRELS, good), (0.0, 6.0, 3))
        self.assertEqual(cal.pairwise_loss(self.QRELS, bad), (1.0, 6.0, 3))

    def test_weighted_by_grade_difference(self):
        # only (q2,q3) wrong (w=1): loss 1/6; only (q1,q3) wrong (w=3) is
        # impossible alone, so swap q1 and q2 instead: (q1,q2) wrong, w=2 -> 2/6
        s = {"q1": {"E1": 0.9}, "q2": {"E1": 0.1}, "q3": {"E1": 0.5}}
        self.assertAlmostEqual(cal.pairwise_loss(self.QRELS, s)[0], 1 / 6)
        s = {"q1": {"E1": 0.5}, "q2": {"E1": 0.9}, "q3": {"E1": 0.1}}
        self.assertAlmostEqual(cal.pairwise_loss(self.QRELS, s)[0], 2 / 6)

    def test_constant_predictor_is_one_half(self):
        s = {q: {"E1": 0.7} for q in self.QRELS}
        self.assertAlmostEqual(cal.pairwise_loss(self.QRELS, s)[0], 0.5)

    def test_missing_scores_rank_last_and_tie(self):
        # q3 absent: below q1 and q2 (right); q1 and q2 both absent would tie.
        s = {"q1": {"E1": 0.9}, "q2": {"E1": 0.5}}
        self.assertEqual(cal.pairwise_loss(self.QRELS, s)[0], 0.0)
        s = {"q3": {"E1": 0.5}}        # q3 above both: w 3 + 1 wrong, (q1,q2) tie: w 2 / 2
        self.assertAlmostEqual(cal.pairwise_loss(self.QRELS, s)[0], (3 + 1 + 1) / 6)

    def test_equal_grades_and_other_candidates(self):
        q = {"a": {"E1": 2, "E2": 1}, "b": {"E1": 2, "E2": 3}}
        # E1: equal grades, no pair.  E2: one pair (b > a), w=2.
        s = {"a": {"E1": 5, "E2": 9}, "b": {"E1": 1, "E2": 1}}
        self.assertEqual(cal.pairwise_loss(q, s), (1.0, 2.0, 1))
        self.assertEqual(cal.pairwise_loss({"a": {"E1": 1}}, s), (None, 0, 0))

    def test_run_scores_keeps_best(self):
        self.assertEqual(cal.run_scores({"q": [("a", 1.0), ("a", 3.0), ("b", 2.0)]}), {"q": {"a": 3.0, "b": 2.0}})


class TestCalibration(unittest.TestCase):
    def test_perfectly_calibrated(self):
        # bin [0.2,0.3): 5 hits at 0.25, 1 relevant -> 0.2 vs 0.25;
        # bin [0.8,0.9): 4 hits at 0.8, 3 relevant -> 0.75 vs 0.8
        pairs = [(0.25, 1)] + [(0.25, 0)] * 4 + [(0.8, 1)] * 3 + [(0.8, 0)]
        # ECE = 5/9 * 0.05 + 4/9 * 0.05 = 0.05
        self.assertAlmostEqual(cal.ece(pairs), 0.05)
        self.assertAlmostEqual(cal.ece([(0.5, 1), (0.5, 0)]), 0.0)
        self.assertIsNone(cal.ece([]))

    def test_overconfident(self):
        self.assertAlmostEqual(cal.ece([(1.0, 0)] * 3), 1.0)     # p = 1 falls in the last bin
        self.assertAlmostEqual(cal.ece([(0.0, 1), (0.0, 0)]), 0.5)

    def test_reliability_bins(self):
        bins = cal.reliability([(0.05, 0), (0.15, 1), (0.15, 0), (0.99, 1)], bins=10)
        self.assertEqual(len(bins), 10)
        self.assertEqual(bins[0][2:], (1, 0.05, 0.0))
        self.assertEqual(bins[1][2], 2)
        self.assertAlmostEqual(bins[1][3], 0.15)
        self.assertAlmostEqual(bins[1][4], 0.5)
        self.assertEqual(bins[5][2:], (0, None, None))
        self.assertEqual(bins[9][2:], (1, 0.99, 1.0))

    def test_labelled_top_k(self):
        qrels = {"q": {"a": 2, "b": 0}, "r": {"c": 1}}
        run = {"q": [("a", 0.9), ("b", 0.4), ("x", 0.2)], "r": [("y", 0.3), ("c", 0.2)], "unjudged": [("a", 1)]}
        self.assertEqual(cal.labelled(qrels, run, k=2), [(0.9, 1), (0.4, 0), (0.3, 0), (0.2, 1)])

    def test_log_loss(self):
        self.assertAlmostEqual(cal.log_loss([(0.5, 1), (0.5, 0)]), math.log(2))
        self.assertAlmostEqual(cal.log_loss([(0.8, 1)]), -math.log(0.8))


class TestAuc(unittest.TestCase):
    def test_separation_and_ties(self):
        self.assertEqual(cal.auc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]), 1.0)
        self.assertEqual(cal.auc([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0]), 0.0)
        self.assertEqual(cal.auc([0.5, 0.5], [1, 0]), 0.5)
        # pos {3, 1}, neg {2, 1}: pairs (3,2)=1 (3,1)=1 (1,2)=0 (1,1)=0.5 -> 2.5/4
        self.assertAlmostEqual(cal.auc([3, 1, 2, 1], [1, 1, 0, 0]), 0.625)
        self.assertIsNone(cal.auc([1, 2], [1, 1]))

    def test_top_hit(self):
        qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {}}
        run = {"q1": [("x", 0.2), ("a", 0.9)], "q2": [("x", 0.6)]}
        rows = cal.top_hit(qrels, run, ["q1", "q2", "q3"])
        self.assertEqual(rows, [("q1", 0.9, True, True), ("q2", 0.6, False, True), ("q3", 0.0, False, False)])
        top, has = cal.top_hit_aucs(rows)
        self.assertEqual(top, 1.0)       # 0.9 relevant vs 0.6 and 0.0 not
        self.assertEqual(has, 1.0)       # 0.9 and 0.6 have a match, 0.0 none


class TestNoMatchFolds(unittest.TestCase):
    def test_every_discipline_left_out_once(self):
        corpus = [{"id": "d%d" % i, "fields": ["D%d" % (i % 4)]} for i in range(8)] + [{"id": "free"}]
        qrels = {"q0": {"d0": 1, "d4": 2}, "q1": {"d1": 1}}
        folds = list(cal.leave_out_folds(corpus, qrels, folds=2))
        self.assertEqual([f[1] for f in folds], [["D0", "D2"], ["D1", "D3"]])
        f0 = folds[0]
        ids = {r["id"] for r in f0[2]}
        self.assertEqual(ids, {"d1", "d3", "d5", "d7", "free"})
        self.assertEqual(f0[3], {"q0": {}, "q1": {"d1": 1}})        # q0 has no match in fold 0
        self.assertEqual(folds[1][3], {"q0": {"d0": 1, "d4": 2}, "q1": {}})


if __name__ == "__main__":
    unittest.main()
