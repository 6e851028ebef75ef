"""The set readers: good files and malformed lines named by file and line."""
import os
import tempfile
import unittest

from lmbench import datasets, peers


class TestReaders(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="lmbench-")

    def write(self, name, text):
        p = os.path.join(self.d, name)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return p

    def test_good_set(self):
        self.write("corpus.jsonl", '{"id":"a1","kind":"achievement","title":"碳化硅","experts":["e1"]}\n'
                                   '{"id":"e1","kind":"expert","name":"张"}\n')
        self.write("queries.jsonl", '{"qid":"q1","to":"achievement","text":"碳化硅"}\n\n'
                                    '{"qid":"q2","to":"expert","record":{"id":"x","kind":"problem","title":"t"}}\n')
        self.write("qrels.tsv", "q1\t0\ta1\t2\nq2 0 e1 1\n")
        ds = datasets.DataSet(self.d)
        self.assertEqual(len(ds.corpus), 2)
        self.assertEqual([q["qid"] for q in ds.queries], ["q1", "q2"])
        self.assertEqual(ds.qrels, {"q1": {"a1": 2}, "q2": {"e1": 1}})
        self.assertEqual(datasets.find_sets(os.path.dirname(self.d)).count(self.d), 1)
        docs = peers.docs_by_kind(ds.corpus)
        self.assertIn("碳化硅", docs["expert"][0][1])      # expert text includes linked achievements

    def test_malformed_lines(self):
        cases = [
            ("queries.jsonl", '{"qid":"q1","to":"achievement","text":"x"}\n{"qid":"q2"', datasets.read_queries,
             "queries.jsonl line 2: bad JSON"),
            ("queries.jsonl", '{"qid":"q1","to":"patent","text":"x"}\n', datasets.read_queries, "line 1: 'to'"),
            ("queries.jsonl", '{"qid":"q1","to":"expert"}\n', datasets.read_queries, "exactly one of"),
            ("queries.jsonl", '{"to":"expert","text":"x"}\n', datasets.read_queries, "missing qid"),
            ("corpus.jsonl", '[1]\n', datasets.read_corpus, "line 1: expected a JSON object"),
            ("qrels.tsv", "q1 0 a1 2\nq1 0 a2\n", datasets.read_qrels, "qrels.tsv line 2: expected 4 columns"),
            ("qrels.tsv", "q1 0 a1 high\n", datasets.read_qrels, "line 1: grade 'high' is not an integer"),
        ]
        for name, text, fn, msg in cases:
            p = self.write(name, text)
            with self.assertRaises(datasets.FormatError) as cm:
                fn(p)
            self.assertIn(msg, str(cm.exception))

    def test_missing_root(self):
        self.assertEqual(datasets.find_sets(os.path.join(self.d, "nope")), [])


if __name__ == "__main__":
    unittest.main()
