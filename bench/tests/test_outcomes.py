"""Learning from outcomes on a public set: judgments simulated from the
qrels of half of csl-topic's queries (their top 20 hits, graded as the
qrels grade them) are stored, lm_learn refits the model, and nDCG@10 of
the other half rises.  Needs the bench data (../shared/bench-data) and the
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

    def test_feedback_on_half_raises_ndcg_on_the_other_half(self):
        ds = datasets.DataSet(self.path)
        queries = [q for q in ds.queries if "record" in q]
        self.assertTrue(queries)
        with tempfile.TemporaryDirectory() as d, self.libmatch.open(os.path.join(d, "learn.db")) as db:
            db.load_jsonl(ds.corpus_path)
            for q in queries:                       # needs as stored records, so they can be judged
                db.add(q["record"])
            train = [q for q in queries if half(q["qid"]) == 0]
            test = [q for q in queries if half(q["qid"]) == 1]

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
            rep = db.learn()
            after = ndcg(test)
            print("\n  %s: %s\n  held-out half nDCG@10 %.4f -> %.4f" % (SET, rep.reason, before, after),
                  file=sys.stderr)
            self.assertTrue(rep.adopted, rep.reason)
            self.assertGreater(after, before + 0.01)


if __name__ == "__main__":
    unittest.main()
