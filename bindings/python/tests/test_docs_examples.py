"""The README transcript runs as written (numbers compared loosely: ranking
weights may be tuned), and the Python examples run on the sample data."""
import doctest
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from lmsupport import EXAMPLES, PKG, ROOT, sample_data_missing


class LooseNumbers(doctest.OutputChecker):
    """Compare outputs with every number replaced by a placeholder: scores
    move when the ranking is tuned and counts when the sample data grows,
    while ids (A-001), names and structure must stay as written."""
    NUM = re.compile(r"(?<![\w-])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w-])")

    def check_output(self, want, got, optionflags):
        return super().check_output(self.NUM.sub("<n>", want), self.NUM.sub("<n>", got), optionflags)


def env_with_library():
    env = dict(os.environ)
    env["PYTHONPATH"] = PKG + os.pathsep + env.get("PYTHONPATH", "")
    return env


class TestReadme(unittest.TestCase):
    def test_transcript(self):
        why = sample_data_missing()
        if why:
            self.skipTest(why)
        with open(os.path.join(PKG, "README.md"), encoding="utf-8") as f:
            text = f.read()
        blocks = re.findall(r"```python\n(.*?)```", text, re.S)
        self.assertTrue(blocks, "no ```python block in the README")
        cwd = os.getcwd()
        tmp = tempfile.mkdtemp(prefix="lmpy-readme-")
        try:
            os.symlink(os.path.join(ROOT, "examples"), os.path.join(tmp, "examples"))
            os.chdir(tmp)
            parser = doctest.DocTestParser()
            runner = doctest.DocTestRunner(checker=LooseNumbers(), optionflags=doctest.ELLIPSIS)
            for i, block in enumerate(blocks):
                test = parser.get_doctest(block, {}, "README.md[%d]" % i, "README.md", 0)
                out = []
                runner.run(test, out=out.append)
                self.assertEqual(runner.failures, 0, "".join(out))
        finally:
            os.chdir(cwd)
            shutil.rmtree(tmp, ignore_errors=True)


class TestExamples(unittest.TestCase):
    def run_example(self, *args):
        why = sample_data_missing()
        if why:
            self.skipTest(why)
        p = subprocess.run([sys.executable] + list(args), env=env_with_library(), capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_match_report_default_is_first_problem(self):
        out = self.run_example(os.path.join(EXAMPLES, "match_report.py"), "-k", "3")
        self.assertTrue(out.startswith("问题 P-001："), out[:200])
        self.assertIn("推荐成果", out)
        self.assertIn("推荐专家", out)
        self.assertIn(" 1. A-001 ", out)                  # EXPECTED.tsv: P-001 -> A-001
        self.assertIn("得分", out)
        self.assertRegex(out, r"匹配度 \d{1,3}\.\d%（文本 0\.\d\d")
        self.assertIn("命中词：", out)

    def test_match_report_problem_and_db_path(self):
        tmp = tempfile.mkdtemp(prefix="lmpy-report-")
        try:
            path = os.path.join(tmp, "r.db")
            out = self.run_example(os.path.join(EXAMPLES, "match_report.py"), path, "--problem", "P-011", "-k", "2")
            self.assertIn("问题 P-011", out)
            experts = out.split("推荐专家")[1]
            self.assertIn(" 1. E-008 ", experts)            # found through its achievements
            self.assertIn("支撑成果：A-011", experts)
            self.assertTrue(os.path.exists(path))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_match_report_unknown_problem(self):
        if sample_data_missing():
            self.skipTest(sample_data_missing())
        p = subprocess.run([sys.executable, os.path.join(EXAMPLES, "match_report.py"), "--problem", "P-NOPE"],
                           env=env_with_library(), capture_output=True, text=True, timeout=120)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("P-NOPE", p.stderr)

    def test_match_report_registry_options(self):
        base = self.run_example(os.path.join(EXAMPLES, "match_report.py"), "--problem", "P-001", "-k", "3")
        rrf = self.run_example(os.path.join(EXAMPLES, "match_report.py"), "--problem", "P-001",
                               "-o", "fusion=rrf", "-o", "k=3", "-o", "evidence_mode=topm")
        self.assertIn(" 1. A-001 ", rrf)
        self.assertNotEqual(base, rrf)                                # the scores changed
        self.assertEqual(rrf.count("\n 3. "), 2)                    # -o k=3: three of each
        self.assertNotIn("\n 4. ", rrf)
        for bad, why in (("-o", "colour=red"), ("-o", "k=多")):
            p = subprocess.run([sys.executable, os.path.join(EXAMPLES, "match_report.py"), bad, why],
                               env=env_with_library(), capture_output=True, text=True, timeout=120)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(why, p.stderr)

    def test_options_table(self):
        import json
        import libmatch
        out = self.run_example(os.path.join(EXAMPLES, "options_table.py"))
        for name, o in libmatch.options().items():
            self.assertRegex(out, r"\n%s +%s " % (name, o.type))
        self.assertIn("max|sum|topm", out)
        rows = json.loads(self.run_example(os.path.join(EXAMPLES, "options_table.py"), "--json"))
        self.assertEqual([r["name"] for r in rows], list(libmatch.options()))

    def test_external_vectors(self):
        out = self.run_example(os.path.join(EXAMPLES, "external_vectors.py"))
        self.assertRegex(out, r"loaded \d+ achievements")
        self.assertRegex(out, r"\nA-\d+ ")
        self.assertIn("loaded 45 achievements", out)
        self.assertIn("A-011 锂离子电池热失控早期预警系统", out)        # labels, from the results


if __name__ == "__main__":
    unittest.main()
