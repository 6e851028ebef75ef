"""The set readers, the peers' text and the harness's skip paths (standard
library only: no xapian, no data sets)."""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

from lmbench import datasets, peers

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def has_fts5_trigram():
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        return True
    except sqlite3.OperationalError:
        return False


class TestReaders(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="lmbench-")
        self.addCleanup(shutil.rmtree, self.d)

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
        self.write("qrels.tsv", "q1\t0\ta1\t2\nq2 0 e1 1\n\n")
        ds = datasets.DataSet(self.d)
        self.assertEqual(ds.name, os.path.basename(self.d))
        self.assertEqual(len(ds.corpus), 2)
        self.assertEqual([q["qid"] for q in ds.queries], ["q1", "q2"])
        self.assertEqual(ds.qrels, {"q1": {"a1": 2}, "q2": {"e1": 1}})
        self.assertEqual(datasets.find_sets(os.path.dirname(self.d)).count(self.d), 1)

    def test_malformed_lines_name_file_and_line(self):
        cases = [
            ("queries.jsonl", '{"qid":"q1","to":"achievement","text":"x"}\n{"qid":"q2"', datasets.read_queries,
             "queries.jsonl line 2: bad JSON"),
            ("queries.jsonl", '{"qid":"q1","to":"patent","text":"x"}\n', datasets.read_queries,
             "queries.jsonl line 1: 'to'"),
            ("queries.jsonl", '\n{"qid":"q1","text":"x"}\n', datasets.read_queries, "queries.jsonl line 2: 'to'"),
            ("queries.jsonl", '{"qid":"q1","to":"expert"}\n', datasets.read_queries, "line 1: a query has exactly one"),
            ("queries.jsonl", '{"qid":"q1","to":"expert","text":"a","record":{}}\n', datasets.read_queries,
             "exactly one of"),
            ("queries.jsonl", '{"to":"expert","text":"x"}\n', datasets.read_queries, "line 1: missing qid"),
            ("queries.jsonl", '{"qid":"q1","to":"expert","record":"x"}\n', datasets.read_queries,
             "'record' must be an object"),
            ("corpus.jsonl", '[1]\n', datasets.read_corpus, "corpus.jsonl line 1: expected a JSON object"),
            ("corpus.jsonl", '{"id":"a","kind":"achievement"}\n{"kind":"expert"}\n', datasets.read_corpus,
             "corpus.jsonl line 2: a record needs"),
            ("qrels.tsv", "q1 0 a1 2\nq1 0 a2\n", datasets.read_qrels, "qrels.tsv line 2: expected 4 columns"),
            ("qrels.tsv", "q1 0 a1 2 7\n", datasets.read_qrels, "qrels.tsv line 1: expected 4 columns"),
            ("qrels.tsv", "q1 0 a1 high\n", datasets.read_qrels, "qrels.tsv line 1: grade 'high' is not an integer"),
            ("qrels.tsv", "q1 0 a1 1.5\n", datasets.read_qrels, "grade '1.5' is not an integer"),
            ("run.tsv", "q1\ta1\t1\n", datasets.read_run, "run.tsv line 1: expected qid, docid, rank, score"),
        ]
        for name, text, fn, msg in cases:
            with self.subTest(name=name, text=text):
                p = self.write(name, text)
                with self.assertRaises(datasets.FormatError) as cm:
                    fn(p)
                self.assertIn(msg, str(cm.exception))
                self.assertIn(p, str(cm.exception))          # the full path of the file

    def test_run_reader(self):
        p = self.write("run.tsv", "q1\ta\t1\t2.5\nq1\tb\t2\t1\nq2\tc\t1\t-0.5\n")
        self.assertEqual(datasets.read_run(p), {"q1": [("a", 2.5), ("b", 1.0)], "q2": [("c", -0.5)]})

    def test_missing_root(self):
        self.assertEqual(datasets.find_sets(os.path.join(self.d, "nope")), [])
        os.mkdir(os.path.join(self.d, "no-corpus"))
        self.assertEqual(datasets.find_sets(self.d), [])

    def test_quality_skips_a_set_without_corpus(self):
        p = subprocess.run([sys.executable, os.path.join(BENCH, "quality.py"), "--data", self.d,
                            "--systems", "fts5-unicode61"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 77, p.stderr)        # nothing was measured
        self.assertIn("has no corpus.jsonl; skipped", p.stdout)

    def test_quality_rejects_unknown_system_and_bad_lm_config(self):
        for args in (["--systems", "nope"], ["--lm-config", "noequals"], ["--lm-config", "xapian=--k 5"]):
            p = subprocess.run([sys.executable, os.path.join(BENCH, "quality.py"), "--data", self.d] + args,
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, args)


class TestPeerText(unittest.TestCase):
    CORPUS = [
        {"id": "a1", "kind": "achievement", "title": "碳化硅衬底", "abstract": "外延生长", "keywords": ["SiC"],
         "experts": ["e1"]},
        {"id": "a2", "kind": "achievement", "title": "Graphene", "abstract": "films"},
        {"id": "e1", "kind": "expert", "name": "张三", "research": "功率器件", "achievements": ["a2", "a9"]},
        {"id": "p1", "kind": "problem", "title": "需求", "description": "耐高温"},
    ]

    def test_record_and_query_text(self):
        self.assertEqual(peers.record_text(self.CORPUS[0]), "碳化硅衬底 外延生长 SiC")
        self.assertEqual(peers.query_text({"text": "free"}), "free")
        self.assertEqual(peers.query_text({"record": self.CORPUS[3]}), "需求 耐高温")

    def test_experts_get_linked_achievements_both_ways(self):
        docs = peers.docs_by_kind(self.CORPUS)
        (eid, text), = docs["expert"]
        self.assertEqual(eid, "e1")
        self.assertIn("功率器件", text)       # own text
        self.assertIn("碳化硅衬底", text)     # a1 lists e1 in "experts"
        self.assertIn("Graphene", text)       # e1 lists a2 in "achievements"; a9 does not exist: ignored
        self.assertEqual(sorted(d for d, _ in docs["achievement"]), ["a1", "a2"])

    def test_trigram_terms(self):
        # lower-cased; trigrams that begin or end with whitespace are dropped,
        # an inner space is kept; each trigram once, sorted
        self.assertEqual(peers.FTS5("trigram").terms('Ab "c 碳化硅'), ['b "', 'c 碳', '碳化硅'])
        self.assertEqual(peers.FTS5("trigram").terms("ab"), [])
        self.assertEqual(peers.FTS5("unicode61").terms("Graphene films, 碳化硅衬底。SiC"),
                         ["films", "graphene", "sic", "碳化硅衬底"])

    @unittest.skipUnless(has_fts5_trigram(), "SQLite without FTS5 trigram")
    def test_fts5_peer_runs_and_escapes_quotes(self):
        peer = peers.FTS5("trigram")
        run, _, _ = peers.run_peer(peer, self.CORPUS, [
            {"qid": "q1", "to": "achievement", "text": "碳化硅"},
            {"qid": "q2", "to": "achievement", "text": 'say "graphene"'},
            {"qid": "q3", "to": "expert", "text": "ab"},        # too short for a trigram: no results
        ])
        self.assertEqual([d for d, _ in run["q1"]], ["a1"])
        self.assertEqual([d for d, _ in run["q2"]], ["a2"])
        self.assertEqual(run["q3"], [])


if __name__ == "__main__":
    unittest.main()
