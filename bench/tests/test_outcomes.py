"""Learning from outcomes on a public set: a platform whose 对接 outcomes
follow shared keywords (csl-topic's grade 2: the paper shares an author
keyword with the need) rather than the shared discipline the default model
was fitted for.  Judgments simulated from half of csl-topic's queries (their
top 20 hits: 1 when the qrels grade them 2, else 0) are stored, lm_learn
refits the model, and nDCG@10 of the other half, judged the same way, rises
(on average over the two ways of splitting, and never falls).
On csl-topic's own grades the default model is already what the judgments
say (it was fitted on them), and lm_learn rightly keeps it: the second test.  Needs the bench data (../shared/bench-data) and the
Python binding (PYTHONPATH=bindings/python, as `make test` sets it); skipped
with a message when the data is absent (a fresh clone, CI)."""
import hashlib
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from lmbench import datasets, metrics, report  # noqa: E402

SET = "csl-topic"


def find_set():
    for root, _ in report.data_roots():
        path = os.path.join(root, SET)
        if os.path.exists(os.path.join(path, "corpus.jsonl")):
            return path
    return None


def half(qid):
    """Stable split of the queries: by a hash of the query id."""
    return int(hashlib.sha1(qid.encode()).hexdigest()[:8], 16) % 2


class TestLearningOnPublicSet(unittest.TestCase):
    def setUp(self):
        self.path = find_set()
        if not self.path:
            self.skipTest("bench data absent: no %s under %s (this test needs the project's shared bench-data)"
                          % (SET, ", ".join(r for r, _ in report.data_roots())))
        try:
            import libmatch
        except ImportError as e:                    # the binding is on PYTHONPATH under `make test`
            self.fail("the Python binding does not import: %s" % e)
        self.libmatch = libmatch

    def _learn(self, relevant, train_half=0, **learn_options):
        """Feedback on half of the queries (grade: relevant(qrels grade)),
        lm_learn, and nDCG@10 of the other half before and after."""
        ds = datasets.DataSet(self.path)
        ds.qrels = {q: {d: relevant(g) for d, g in r.items()} for q, r in ds.qrels.items()}
        queries = [q for q in ds.queries if "record" in q]
        self.assertTrue(queries)
        with tempfile.TemporaryDirectory() as d, self.libmatch.open(os.path.join(d, "learn.db")) as db:
            db.load_jsonl(ds.corpus_path)
            for q in queries:                       # needs as stored records, so they can be judged
                db.add(q["record"])
            train = [q for q in queries if half(q["qid"]) == train_half]
            test = [q for q in queries if half(q["qid"]) != train_half]

            def ndcg(qs):
                run = {}
                for q in qs:
                    r = q["record"]
                    run[q["qid"]] = [(m.id, m.score) for m in db.match(**{r["kind"]: r["id"]}, to=q["to"], k=100)]
                return metrics.evaluate({q["qid"]: ds.qrels.get(q["qid"], {}) for q in qs}, run)["ndcg@10"]

            before = ndcg(test)
            for q in train:
                r = q["record"]
                rel = ds.qrels.get(q["qid"], {})
                for m in db.match(**{r["kind"]: r["id"]}, to=q["to"], k=20):
                    db.feedback(**{r["kind"]: r["id"]}, to=q["to"], id=m.id, grade=min(3, rel.get(m.id, 0)))
            rep = db.learn(**learn_options)
            after = ndcg(test)
            print("\n  %s: %s\n  held-out half nDCG@10 %.4f -> %.4f" % (SET, rep.reason, before, after),
                  file=sys.stderr)
            return rep, before, after

    def test_feedback_on_half_raises_ndcg_on_the_other_half(self):
        # 141-157 judged records (about 3,000 pairs): enough to trust the
        # platform's own data more than the default (learn_prior 0.1
        # instead of 1).  Both ways round (learn on one half, measure on
        # the other): the gain of one split alone varies with the split
        # (+0.005 one way, +0.04 the other, on 2026-12-03), so the test asks
        # for a mean gain of 0.01 and no loss either way.
        gains = []
        for train_half in (0, 1):
            rep, before, after = self._learn(lambda g: 1 if g >= 2 else 0, train_half, learn_prior=0.1)
            self.assertTrue(rep.adopted, rep.reason)
            self.assertGreaterEqual(after, before)
            gains.append(after - before)
        self.assertGreater(sum(gains) / 2, 0.01, gains)

    def test_judgments_the_default_already_follows_keep_it(self):
        rep, before, after = self._learn(lambda g: min(3, g))
        self.assertFalse(rep.adopted, rep.reason)
        self.assertIn("kept", rep.reason)
        self.assertEqual(after, before)


if __name__ == "__main__":
    unittest.main()
