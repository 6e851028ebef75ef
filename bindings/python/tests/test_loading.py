"""Finding the shared library: $LIBMATCH_LIBRARY, the LIBDIR of an
installed package, the repository build, the system (dynamic loader,
/usr/local/lib, /usr/lib); clear errors listing where it looked; the
major-version check.  Each case imports libmatch in a fresh interpreter."""
import os
import shutil
import subprocess
import unittest

import libmatch
from libmatch import _native
from lmsupport import PKG, ROOT, TempDirCase, run_python

CC = shutil.which("cc") or shutil.which("gcc")
BUILT = os.environ.get("LIBMATCH_LIBRARY") or os.path.join(ROOT, "build", "libmatch.so")


def run_import(code="import libmatch; print(libmatch.library_path)", pythonpath=PKG, **env):
    env.setdefault("LIBMATCH_LIBRARY", None)
    return run_python(code, pythonpath=pythonpath, timeout=60, **env)


def system_library():
    """A libmatch.so.1 the system would give (then the 'nothing anywhere'
    cases cannot be staged)."""
    p = run_python("import ctypes\ntry:\n    ctypes.CDLL('libmatch.so.1'); print('yes')\nexcept OSError:\n"
                   "    print('no')", pythonpath="", LIBMATCH_LIBRARY=None)
    from libmatch._native import SONAME, system_libdirs
    return p.stdout.strip() == "yes" or any(os.path.exists(os.path.join(d, SONAME)) for d in system_libdirs())


class TestLoading(TempDirCase):
    def fake_library(self, name, source):
        if not CC:
            self.fail("no C compiler to build a fake library (make test installs one)")
        c = os.path.join(self.dir, name + ".c")
        so = os.path.join(self.dir, name + ".so")
        with open(c, "w") as f:
            f.write(source)
        p = subprocess.run([CC, "-shared", "-fPIC", "-o", so, c], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return so

    def copy_package(self, *parts):
        """A copy of the package at self.dir/<parts>/libmatch; returns the
        directory to put on PYTHONPATH."""
        where = os.path.join(self.dir, *parts)
        shutil.copytree(os.path.join(PKG, "libmatch"), os.path.join(where, "libmatch"),
                        ignore=shutil.ignore_patterns("__pycache__", "_installed.py"))
        return where

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
        if system_library():
            self.skipTest("a libmatch is installed system-wide")
        pkg = self.copy_package("repo", "bindings", "python")      # a source tree without a build
        p = run_import(pythonpath=pkg)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("repository build", p.stderr)
        self.assertIn(os.path.join(self.dir, "repo", "build", "libmatch.so.1"), p.stderr)
        self.assertIn("libmatch.so.1 (dynamic loader", p.stderr)
        self.assertIn("/usr/local/lib/libmatch.so.1", p.stderr)
        self.assertIn("/usr/lib/libmatch.so.1", p.stderr)
        self.assertIn("find_library('match')", p.stderr)
        self.assertIn("set LIBMATCH_LIBRARY", p.stderr)
        self.assertIn("libmatch.LibraryNotFound: libmatch shared library not found", p.stderr)
        # a copy outside any source tree does not guess a repository build
        p = run_import(pythonpath=self.copy_package("site"))
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn("repository build", p.stderr)

    def test_source_tree_without_build_finds_a_system_library(self):
        # No repository build: the dynamic loader's search (here
        # LD_LIBRARY_PATH, as for a library installed in a system path).
        libdir = os.path.join(self.dir, "lib")
        os.makedirs(libdir)
        shutil.copyfile(os.path.realpath(BUILT), os.path.join(libdir, "libmatch.so.1"))
        pkg = self.copy_package("repo", "bindings", "python")
        p = run_import(pythonpath=pkg, LD_LIBRARY_PATH=libdir)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), os.path.join(libdir, "libmatch.so.1"))   # reported by real path

    def test_installed_package_uses_its_libdir(self):
        libdir = os.path.join(self.dir, "prefix", "lib")
        os.makedirs(libdir)
        shutil.copyfile(os.path.realpath(BUILT), os.path.join(libdir, "libmatch.so.1"))
        site = self.copy_package("site")
        with open(os.path.join(site, "libmatch", "_installed.py"), "w") as f:
            f.write("LIBDIR = %r\n" % libdir)
        p = run_import(pythonpath=site)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), os.path.join(libdir, "libmatch.so.1"))
        os.remove(os.path.join(libdir, "libmatch.so.1"))            # gone: the error names that LIBDIR first
        if not system_library():
            p = run_import(pythonpath=site)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("%s (installed with this package" % os.path.join(libdir, "libmatch.so.1"), p.stderr)

    def test_error_is_an_import_error(self):
        code = ("try:\n    import libmatch\nexcept ImportError as e:\n"
                "    print(type(e).__name__, isinstance(e, ImportError))\n")
        p = run_import(code, LIBMATCH_LIBRARY=os.path.join(self.dir, "none.so"))
        self.assertEqual(p.stdout.strip(), "LibraryNotFound True")

    def test_repository_build_is_the_default(self):
        built = os.path.join(ROOT, "build", "libmatch.so.1")
        if not os.path.exists(built):
            self.skipTest("no repository build in build/ (B is another directory)")
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
        self.assertIn("lm_opts_set", p.stderr)                     # the option registry is required

    def test_optional_function_absent(self):
        for name, call in (("lm_vectors_build", lambda db: db.build_vectors()),
                           ("lm_scan", lambda db: db.scan()),
                           ("lm_allocate_v2", lambda db: db.allocate()),
                           ("lm_set_progress", lambda db: db.add_many([], progress=print))):
            _native._absent.add(name)
            try:
                with libmatch.open() as db:
                    with self.assertRaises(NotImplementedError) as cm:
                        call(db)
                self.assertIn(name, str(cm.exception))
            finally:
                _native._absent.discard(name)

    def test_every_declared_function_has_types(self):
        for name, decl in _native._DECLS.items():
            if name in _native._absent:
                continue
            f = getattr(_native.lib, name)
            self.assertEqual(f.argtypes, decl[1], name)
            self.assertIs(f.restype, decl[0], name)

    def test_kinds_come_from_the_library(self):
        self.assertEqual(libmatch.KINDS, {"problem": 1, "achievement": 2, "expert": 3})
        for name, code in libmatch.KINDS.items():
            self.assertEqual(_native.lib.lm_kind_name(code).decode(), name)


if __name__ == "__main__":
    unittest.main()
