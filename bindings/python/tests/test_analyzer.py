"""The analyzer: module-level and per-database, str offsets, modes, user
words, synonyms."""
import unittest

import libmatch
from lmsupport import Base


class TestAnalyzer(Base):
    def test_module_level_analyze(self):
        text = "基于5G的PEM燃料电池"
        toks = libmatch.analyze(text)
        texts = [t.text for t in toks]
        for w in ("5g", "pem", "燃料"):
            self.assertIn(w, texts)
        self.assertNotIn("的", texts)
        self.assertIsInstance(toks[0], libmatch.Token)
        self.assertEqual(toks[0].to_dict(), {"text": toks[0].text, "start": toks[0].start,
                                             "end": toks[0].end, "flags": toks[0].flags})
        self.assertEqual(toks[0].to_dict()["start"], 0)
        self.assertEqual(libmatch.analyze(""), [])

    def test_offsets_are_str_indexes(self):
        text = "鋰離子電池ＳｉＣ功率模組 running 𠀋tests"
        toks = libmatch.analyze(text)
        surface = {t.text: text[t.start:t.end] for t in toks}
        self.assertEqual(surface["锂离子"], "鋰離子")
        self.assertEqual(surface["sic"], "ＳｉＣ")
        self.assertEqual(surface["run"], "running")
        self.assertEqual(surface["模块"], "模組")
        data = text.encode()
        btoks = libmatch.analyze(data)                    # bytes in: byte offsets
        self.assertEqual([t.text for t in btoks], [t.text for t in toks])
        self.assertEqual({t.text: data[t.start:t.end].decode() for t in btoks}, surface)
        colocated = [t for t in toks if t.colocated]
        self.assertTrue(colocated)
        self.assertTrue(all(t.flags & 1 for t in colocated))

    def test_modes(self):
        words = [t.text for t in libmatch.analyze("碳化硅功率", mode=libmatch.ANALYZE_WORDS)]
        bigrams = [t.text for t in libmatch.analyze("碳化硅功率", mode=libmatch.ANALYZE_BIGRAMS)]
        self.assertIn("碳化硅", words)
        self.assertNotIn("碳化硅", bigrams)
        self.assertEqual(bigrams[0], "碳化")
        self.assertEqual([t.text for t in libmatch.analyze("碳化硅功率", mode=None)],     # a new database's default
                         [t.text for t in libmatch.analyze("碳化硅功率",
                                                           mode=libmatch.ANALYZE_ALL | libmatch.ANALYZE_UNIGRAMS)])
        with self.assertRaises(TypeError):
            libmatch.analyze("x", mode="words")

    def test_unigrams(self):
        # A word's single characters, colocated, Traditional too: in the
        # default mode of a new database, not in ANALYZE_ALL.
        uni = [t for t in libmatch.analyze("綠茶多糖", mode=libmatch.ANALYZE_ALL | libmatch.ANALYZE_UNIGRAMS)]
        self.assertTrue({"绿", "茶", "多", "糖"} <= {t.text for t in uni})
        self.assertTrue(all(t.flags & 1 for t in uni if t.text in ("多", "糖")))
        self.assertIn("茶", [t.text for t in libmatch.analyze("绿茶多糖")])
        self.assertNotIn("茶", [t.text for t in libmatch.analyze("绿茶多糖", mode=libmatch.ANALYZE_ALL)])
        self.assertIn("unigrams", self.db.analyzer_id)
        self.db.set_analyzer_mode(libmatch.ANALYZE_ALL)
        self.db.add({"id": "A9", "kind": "achievement", "title": "绿茶加工工艺"})
        self.assertNotIn("A9", self.db.query("茶多糖提取", to="achievement").ids())
        self.db.set_analyzer_mode(libmatch.ANALYZE_ALL | libmatch.ANALYZE_UNIGRAMS)
        self.assertIn("unigrams", self.db.analyzer_id)
        self.assertIn("A9", self.db.query("茶多糖提取", to="achievement").ids())
        self.db.set_analyzer_mode(libmatch.ANALYZE_ALL)
        self.assertNotIn("unigrams", self.db.analyzer_id)

    def test_database_analyzer_words_and_mode(self):
        self.assertNotIn("秦创原", [t.text for t in self.db.analyze("秦创原总窗口")])
        self.db.add({"id": "A5", "kind": "achievement", "title": "秦创原总窗口孵化平台"})
        self.db.add_word("秦创原")
        self.db.add_word("总窗口", freq=1000)
        self.assertIn("秦创原", [t.text for t in self.db.analyze("秦創原總窗口")])   # traditional too
        self.assertNotIn("秦创原", [t.text for t in libmatch.analyze("秦创原总窗口")])  # not process-wide
        self.assertIn("user=", self.db.analyzer_id)
        self.db.reindex()
        self.assertEqual(self.db.query("秦创原", to="achievement")[0].id, "A5")
        self.db.set_analyzer_mode(libmatch.ANALYZE_WORDS)
        self.assertIn("words", self.db.analyzer_id)
        self.assertNotIn("bigrams", self.db.analyzer_id)
        self.assertEqual(self.db.match(problem="P1", to="achievement")[0].id, "A2")
        self.db.set_analyzer_mode(libmatch.ANALYZE_ALL)

    def test_synonyms(self):
        self.db.add({"id": "A6", "kind": "achievement", "title": "3D打印钛合金构件"})
        self.assertNotIn("A6", self.db.query("增材制造", to="achievement").ids())
        self.db.add_synonym("增材制造", "3D打印")
        self.assertEqual(self.db.query("增材制造", to="achievement")[0].id, "A6")
        self.db.add({"id": "A8", "kind": "achievement", "title": "无人驾驶航空器巡检"})
        self.db.add_synonym("无人机", "无人驾驶航空器")
        self.assertEqual(self.db.query("无人机", to="achievement")[0].id, "A8")
        self.db.add({"id": "A7", "kind": "achievement", "title": "SiC MOSFET 驱动"})
        path = self.write("syn.tsv", "# 注释\n碳化硅\tSiC\n锂电池\t锂离子电池\t锂电\n")
        n = self.db.load_synonyms(path)
        self.assertGreaterEqual(n, 2)
        self.assertIn("A7", self.db.query("碳化硅", to="achievement").ids())
        self.assertGreaterEqual(self.db.stats()["synonyms"], n)
        self.assertEqual(self.db.load_synonyms(self.write("one.tsv", "光伏\t太阳能电池\n")), 1)


if __name__ == "__main__":
    unittest.main()
