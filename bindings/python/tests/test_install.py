"""Installing the package: `make install PREFIX=... [DESTDIR=...]` (the
fragment bindings/python/python.mk), the installed package loading the
library it was installed with, and `pip install ./bindings/python` offline."""
import os
import shutil
import subprocess
import sys
import unittest

from lmsupport import PKG, ROOT, TempDirCase, run_python

sys.path.insert(0, os.path.join(PKG, "_backend"))
import lm_install  # noqa: E402

LIB = os.environ.get("LIBMATCH_LIBRARY") or os.path.join(ROOT, "build", "libmatch.so")


def build_dir():
    """The build directory (make's B) holding the library under test."""
    d = os.path.dirname(os.path.abspath(LIB))
    rel = os.path.relpath(d, ROOT)
    return "build" if rel.startswith("..") else rel


def make(*args):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", "-s", "-C", ROOT, "B=" + build_dir()] + list(args),
                          env=env, capture_output=True, text=True, timeout=600)


class TestInstallDirectory(unittest.TestCase):
    def test_default_python_directory(self):
        v = "%d.%d" % sys.version_info[:2]
        self.assertEqual(lm_install.default_pythondir("/usr"), "/usr/lib/python3/dist-packages")
        self.assertEqual(lm_install.default_pythondir("/usr/"), "/usr/lib/python3/dist-packages")
        self.assertEqual(lm_install.default_pythondir("/usr/local"), "/usr/local/lib/python%s/dist-packages" % v)
        self.assertEqual(lm_install.default_pythondir("/opt/lm"), "/opt/lm/lib/python3/dist-packages")
        if sys.prefix == "/usr" and "/usr/lib/python3/dist-packages" in sys.path:   # Debian's python3
            self.assertIn(lm_install.default_pythondir("/usr"), sys.path)
            self.assertIn(lm_install.default_pythondir("/usr/local"), sys.path)


class TestMakeInstall(TempDirCase):
    def test_install_into_a_prefix_and_import_from_there(self):
        prefix = os.path.join(self.dir, "usr")
        p = make("install", "PREFIX=" + prefix)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        site = os.path.join(prefix, "lib", "python3", "dist-packages")
        for name in ("__init__.py", "database.py", "registry.py", "py.typed", "_installed.py"):
            self.assertTrue(os.path.exists(os.path.join(site, "libmatch", name)), name)
        code = ("import libmatch, importlib.metadata as md\n"
                "print(libmatch.__file__)\nprint(libmatch.library_path)\nprint(md.version('libmatch'))\n"
                "with libmatch.open() as db:\n"
                "    db.add({'id': 'A1', 'kind': 'achievement', 'title': '低热阻碳化矽功率模組封裝'})\n"
                "    print(db.query('碳化硅封装', to='achievement')[0].id)\n")
        r = run_python(code, pythonpath=site, LIBMATCH_LIBRARY=None)   # no hint: the LIBDIR it was installed with
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.split("\n")
        self.assertEqual(out[0], os.path.join(site, "libmatch", "__init__.py"))
        self.assertEqual(out[1], os.path.realpath(os.path.join(prefix, "lib", "libmatch.so.1")))
        self.assertEqual(out[2:4], ["1.0.0", "A1"])
        p = make("uninstall-python", "PREFIX=" + prefix)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(site, "libmatch")))
        self.assertFalse(os.path.exists(os.path.join(site, "libmatch-1.0.0.dist-info")))

    def test_staged_install_records_the_final_libdir(self):
        stage = os.path.join(self.dir, "stage")
        p = make("install", "PREFIX=/usr", "DESTDIR=" + stage)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        site = os.path.join(stage, "usr", "lib", "python3", "dist-packages")
        with open(os.path.join(site, "libmatch", "_installed.py")) as f:
            text = f.read()
        self.assertIn("LIBDIR = '/usr/lib'", text)                  # where it will be, not the stage
        self.assertNotIn(stage, text)
        with open(os.path.join(site, "libmatch-1.0.0.dist-info", "RECORD")) as f:
            record = f.read()
        self.assertIn("libmatch/_installed.py,sha256=", record)
        self.assertNotIn(stage, record)
        staged_lib = os.path.join(stage, "usr", "lib", "libmatch.so.1")
        self.assertTrue(os.path.exists(staged_lib))
        r = run_python("import libmatch; print(libmatch.__file__); print(len(libmatch.options()) > 0)",
                       pythonpath=site, LIBMATCH_LIBRARY=staged_lib)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), [os.path.join(site, "libmatch", "__init__.py"), "True"])
        p = make("install-python", "PREFIX=/opt/lm", "DESTDIR=" + stage, "PYTHONDIR=/opt/lm/python")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(os.path.join(stage, "opt", "lm", "python", "libmatch", "py.typed")))


class TestPip(TempDirCase):
    def test_pip_install_offline(self):
        if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode:
            self.fail("pip is not available for %s (make test installs python3-pip)" % sys.executable)
        target = os.path.join(self.dir, "site")
        env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONDONTWRITEBYTECODE="1")
        src = os.path.join(self.dir, "src")                         # a clean copy: no build leftovers
        shutil.copytree(PKG, src, ignore=shutil.ignore_patterns("__pycache__", "tests", "_installed.py"))
        p = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--no-deps",
                            "--no-build-isolation", "--quiet", "--target", target, src],
                           env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertTrue(os.path.exists(os.path.join(target, "libmatch", "database.py")))
        self.assertTrue(os.path.exists(os.path.join(target, "libmatch", "py.typed")))
        self.assertFalse(os.path.exists(os.path.join(target, "libmatch", "_installed.py")))
        self.assertTrue(os.path.exists(os.path.join(target, "libmatch-1.0.0.dist-info", "RECORD")))
        code = "import libmatch; print(libmatch.__file__); print(libmatch.open().count())"
        r = run_python(code, pythonpath=target, LIBMATCH_LIBRARY=LIB)   # a pip install: the library is separate
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith(target), r.stdout)
        self.assertEqual(r.stdout.split()[-1], "0")


if __name__ == "__main__":
    unittest.main()
