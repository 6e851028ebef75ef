"""The README transcript runs as written (numbers compared loosely: ranking
weights may be tuned), the Python examples run on the sample data, and the
package installs offline with pip."""
import doctest
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
PKG = os.path.join(ROOT, "bindings", "python")
DATA = os.path.join(ROOT, "examples", "data")
EXAMPLES = os.path.join(ROOT, "examples", "python")
SAMPLE_FILES = ("problems.jsonl", "achievements.jsonl", "experts.jsonl")


def sample_data_missing():
    missing = [f for f in SAMPLE_FILES if not os.path.exists(os.path.join(DATA, f))]
    return "sample data absent (%s not in examples/data)" % ", ".join(missing) if missing else None


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

    def test_external_vectors(self):
        out = self.run_example(os.path.join(EXAMPLES, "external_vectors.py"))
        self.assertRegex(out, r"loaded \d+ achievements")
        self.assertRegex(out, r"\nA-\d+ ")


class TestPackaging(unittest.TestCase):
    def test_pip_install_offline(self):
        if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode:
            self.skipTest("pip is not available")
        tmp = tempfile.mkdtemp(prefix="lmpy-pip-")
        try:
            target = os.path.join(tmp, "site")
            env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
                       PYTHONDONTWRITEBYTECODE="1")
            p = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--quiet",
                                "--target", target, PKG], env=env, capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertTrue(os.path.exists(os.path.join(target, "libmatch", "database.py")))
            self.assertTrue(os.path.exists(os.path.join(target, "libmatch-1.0.0.dist-info", "RECORD")))
            env = dict(os.environ, PYTHONPATH=target)       # LIBMATCH_LIBRARY still points at the build
            env.setdefault("LIBMATCH_LIBRARY", os.path.join(ROOT, "build", "libmatch.so"))
            code = "import libmatch; print(libmatch.__file__); print(libmatch.open().count())"
            p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(p.stdout.startswith(target), p.stdout)
            self.assertEqual(p.stdout.split()[-1], "0")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
