"""Learning from outcomes through the binding: feedback(), learn() and its
LearnReport, model(), model_reset(), on the Chinese sample libraries."""
import os
import unittest

import libmatch
from lmsupport import DATA, SAMPLE_FILES, Base, sample_data_missing


class TestFeedback(Base):
    def test_grades_and_errors(self):
        self.db.feedback(problem="P1", to="achievement", id="A2", grade="contract")
        self.db.feedback(problem="P1", to="achievement", id="A1", grade=0)
        self.assertEqual(self.db.stats()["feedback"], 2)
        self.db.feedback(problem="P1", to="achievement", id="A1", grade=None)      # deletes
        self.assertEqual(self.db.stats()["feedback"], 1)
        with self.assertRaises(libmatch.NotFound) as cm:
            self.db.feedback(problem="P1", to="expert", id="E-无此人", grade=1)
        self.assertIn("E-无此人", str(cm.exception))
        with self.assertRaises(libmatch.InvalidArgument):
            self.db.feedback(problem="P1", to="achievement", id="A2", grade=7)      # the library's range
        with self.assertRaises(ValueError):
            self.db.feedback(problem="P1", to="achievement", id="A2", grade="签约")
        with self.assertRaises(TypeError):
            self.db.feedback(to="achievement", id="A2", grade=1)
        with self.assertRaises(TypeError):
            self.db.feedback(problem="P1", to="achievement", id="A2", grade=1.5)
        with self.assertRaises(ValueError):
            self.db.feedback(problem="P1", to="成果", id="A2", grade=1)

    def test_too_few_judgments(self):
        self.db.feedback(problem="P1", to="achievement", id="A2", grade="visit")
        with self.assertRaises(libmatch.InvalidArgument) as cm:
            self.db.learn()
        self.assertIn("learn_min_pairs", str(cm.exception))
        self.assertEqual(self.db.model()["source"], "default")
        self.assertEqual(self.db.stats()["model"], "default")


class TestLearn(unittest.TestCase):
    def setUp(self):
        why = sample_data_missing()
        if why:
            self.skipTest(why)
        self.db = libmatch.open(":memory:")
        for f in SAMPLE_FILES:
            self.db.load_jsonl(os.path.join(DATA, f))

    def tearDown(self):
        self.db.close()

    def test_learn_adopts_and_resets(self):
        # Outcomes of a platform where only mature achievements (TRL >= 7)
        # that share the problem's domain tag led to a contract.
        recs = {r["id"]: r for r in self.db.scan()}
        problems = sorted(i for i, r in recs.items() if r["kind"] == "problem")
        before = self.db.match(problem=problems[1], to="achievement", k=1)[0].probability
        for pid in problems[::2]:
            for m in self.db.match(problem=pid, to="achievement", k=10):
                shared = set(recs[pid].get("fields", [])) & set(recs[m.id].get("fields", []))
                grade = (3 if recs[m.id].get("maturity", 0) >= 7 else 1) if shared else 0
                self.db.feedback(problem=pid, to="achievement", id=m.id, grade=grade)
        rep = self.db.learn()
        self.assertIsInstance(rep, libmatch.LearnReport)
        self.assertTrue(rep.adopted, rep.reason)
        self.assertEqual(rep.queries, len(problems[::2]))
        self.assertLess(rep.logloss_after, rep.logloss_before)
        self.assertGreaterEqual(rep.ndcg_after, rep.ndcg_before)
        self.assertEqual(rep.model["source"], "learned")
        self.assertIn("adopted", rep.to_dict()["reason"])
        model = self.db.model()
        self.assertEqual(model["source"], "learned")
        self.assertEqual({t["feature"] for t in model["terms"]} >= {"bm25", "topic", "maturity", "evidence"}, True)
        self.assertNotEqual(self.db.match(problem=problems[1], to="achievement", k=1)[0].probability, before)
        self.db.model_reset()
        self.assertEqual(self.db.model()["source"], "default")
        self.assertEqual(self.db.match(problem=problems[1], to="achievement", k=1)[0].probability, before)


if __name__ == "__main__":
    unittest.main()
