"""Finding the shared library: $LIBMATCH_LIBRARY, the repository build, the
system; clear errors listing where it looked; the major-version check.
Each case imports libmatch in a fresh interpreter."""
import ctypes.util
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import libmatch
from libmatch import _native

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
PKG = os.path.join(ROOT, "bindings", "python")
CC = shutil.which("cc") or shutil.which("gcc")


def run_import(code="import libmatch; print(libmatch.library_path)", pythonpath=PKG, **env_changes):
    env = dict(os.environ, PYTHONPATH=pythonpath)
    env.pop("LIBMATCH_LIBRARY", None)
    env.update(env_changes)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


class TestLoading(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="lmpy-load-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def fake_library(self, name, source):
        if not CC:
            self.skipTest("no C compiler to build a fake library")
        c = os.path.join(self.dir, name + ".c")
        so = os.path.join(self.dir, name + ".so")
        with open(c, "w") as f:
            f.write(source)
        p = subprocess.run([CC, "-shared", "-fPIC", "-o", so, c], capture_output=True, text=True)
        if p.returncode:
            self.skipTest("cannot build a shared library: " + p.stderr)
        return so

    def test_explicit_path_missing(self):
        missing = os.path.join(self.dir, "none.so")
        p = run_import(LIBMATCH_LIBRARY=missing)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("LibraryNotFound", p.stderr)
        self.assertIn("libmatch shared library not found", p.stderr)
        self.assertIn(missing, p.stderr)
        self.assertIn("$LIBMATCH_LIBRARY", p.stderr)
        self.assertIn("no such file", p.stderr)
        # explicit means only there: no silent fallback to the repository build
        self.assertNotIn(os.path.join("build", "libmatch.so.1"), p.stderr)

    def test_not_a_shared_library(self):
        bogus = os.path.join(self.dir, "bogus.so")
        with open(bogus, "w") as f:
            f.write("not an ELF file")
        p = run_import(LIBMATCH_LIBRARY=bogus)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(bogus, p.stderr)
        self.assertIn("not found", p.stderr)

    def test_nothing_anywhere_lists_every_place(self):
        if ctypes.util.find_library("match"):
            self.skipTest("a libmatch is installed system-wide")
        pkg = os.path.join(self.dir, "a", "b", "c")            # no build/ three levels up
        shutil.copytree(os.path.join(PKG, "libmatch"), os.path.join(pkg, "libmatch"))
        p = run_import(pythonpath=pkg)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("repository build", p.stderr)
        self.assertIn(os.path.join(self.dir, "a", "build", "libmatch.so.1"), p.stderr)
        self.assertIn("find_library('match')", p.stderr)
        self.assertIn("set LIBMATCH_LIBRARY", p.stderr)
        self.assertIn("libmatch.LibraryNotFound: libmatch shared library not found", p.stderr)

    def test_error_is_an_import_error(self):
        code = ("try:\n    import libmatch\nexcept ImportError as e:\n"
                "    print(type(e).__name__, isinstance(e, ImportError))\n")
        p = run_import(code, LIBMATCH_LIBRARY=os.path.join(self.dir, "none.so"))
        self.assertEqual(p.stdout.strip(), "LibraryNotFound True")

    def test_repository_build_is_the_default(self):
        built = os.path.join(ROOT, "build", "libmatch.so.1")
        if not os.path.exists(built):
            self.skipTest("no repository build")
        p = run_import()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(os.path.realpath(p.stdout.strip()), os.path.realpath(built))

    def test_other_major_version_is_refused(self):
        so = self.fake_library("v2", "int lm_version_number(void) { return 20103; }\n")
        p = run_import(LIBMATCH_LIBRARY=so)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("version 2.1.3", p.stderr)
        self.assertIn("needs major version 1", p.stderr)

    def test_not_libmatch(self):
        so = self.fake_library("other", "int something_else(void) { return 1; }\n")
        p = run_import(LIBMATCH_LIBRARY=so)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not a libmatch library", p.stderr)

    def test_required_functions_missing(self):
        so = self.fake_library("v1", "int lm_version_number(void) { return 10000; }\n")
        p = run_import(LIBMATCH_LIBRARY=so)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("lacks required functions", p.stderr)
        self.assertIn("lm_open", p.stderr)

    def test_optional_function_absent(self):
        _native._absent.add("lm_vectors_build")
        try:
            with libmatch.open() as db:
                with self.assertRaises(NotImplementedError) as cm:
                    db.build_vectors()
            self.assertIn("lm_vectors_build", str(cm.exception))
        finally:
            _native._absent.discard("lm_vectors_build")

    def test_every_declared_function_has_types(self):
        for name, decl in _native._DECLS.items():
            if name in _native._absent:
                continue
            f = getattr(_native.lib, name)
            self.assertEqual(f.argtypes, decl[1], name)
            self.assertIs(f.restype, decl[0], name)


if __name__ == "__main__":
    unittest.main()
