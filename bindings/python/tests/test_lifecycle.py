"""Handle lifetimes, progress callbacks (and exceptions raised in them),
vectors given as buffers, threads, and leaks."""
import array
import ctypes
import gc
import json
import os
import threading
import unittest

import libmatch
from libmatch import _native
from lmsupport import RECORDS, Base, rss_bytes


class TestLifecycle(Base):
    def test_close_is_idempotent_and_final(self):
        db = libmatch.open(self.path)
        self.assertIn("t.db", repr(db))
        db.close()
        db.close()
        self.assertTrue(db.closed)
        self.assertIn("closed", repr(db))
        self.assertFalse(db._finalizer.alive)
        for call in (lambda: db.count(), lambda: db.get("problem", "P1"), lambda: db.analyzer_id,
                     lambda: db.query("x", to="problem"), lambda: db.add(RECORDS[0]), lambda: db.scan(),
                     lambda: db.export(os.path.join(self.dir, "x.jsonl"))):
            with self.assertRaises(libmatch.InvalidArgument) as cm:
                call()
            self.assertEqual(cm.exception.code, _native.LM_ESTATE)

    def test_context_manager_and_finalizer(self):
        with libmatch.open(self.path) as db:
            self.assertEqual(db.count(), 7)
            fin = db._finalizer
        self.assertFalse(fin.alive)
        db = libmatch.open(self.path)
        fin = db._finalizer
        del db
        gc.collect()
        self.assertFalse(fin.alive)          # the safety net closed it
        with self.assertRaises(ZeroDivisionError):
            with libmatch.open(self.path) as db:
                1 / 0
        self.assertTrue(db.closed)

    def test_float_vector_conversion(self):
        # list, array('f'), memoryview, read-only buffer, doubles: all become float32 C arrays
        for v in ([1, 2.5, 3], (1.0, 2.5, 3.0), array.array("f", [1, 2.5, 3]),
                  memoryview(array.array("f", [1, 2.5, 3])), bytes(array.array("f", [1, 2.5, 3])),
                  array.array("d", [1, 2.5, 3])):
            if isinstance(v, bytes):
                v = memoryview(v).cast("f")
            arr, n, _keep = _native.float_vector(v)
            self.assertEqual((n, list(arr)), (3, [1.0, 2.5, 3.0]))
        src = array.array("f", [0.0, 1.0])
        arr, n, _keep = _native.float_vector(src)      # writable float32: used in place, no copy
        self.assertEqual(ctypes.addressof(arr), src.buffer_info()[0])
        self.assertEqual(_native.float_vector([])[1], 0)
        with self.assertRaises(TypeError):
            _native.float_vector(b"abcd")
        with self.assertRaises(ValueError):
            _native.float_vector(memoryview(array.array("f", [1, 2, 3, 4])).cast("B").cast("f", (2, 2)))


class Stop(Exception):
    pass


def raising(exc):
    """A progress callback that raises `exc`."""
    def progress(stage, done, total):
        raise exc
    return progress


class TestProgress(Base):
    N = 2500          # more than 1,000 records: the library reports along the way

    def jsonl(self):
        path = os.path.join(self.dir, "many.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for i in range(self.N):
                f.write(json.dumps({"id": "Q%d" % i, "kind": "problem",
                                    "title": "第%d号技术难题：5G基站PEM燃料电池备用电源" % i}, ensure_ascii=False) + "\n")
        return path

    def test_load_reports_progress(self):
        path = self.jsonl()
        calls = []
        rep = self.db.load_jsonl(path, progress=lambda stage, done, total: calls.append((stage, done, total)))
        self.assertEqual(rep.loaded, self.N)
        self.assertGreaterEqual(len(calls), 3)
        # The load, then the semantic space the loader keeps (2,500 records).
        self.assertEqual([c[0] for c in calls], sorted(c[0] for c in calls))
        self.assertEqual({c[0] for c in calls}, {"load", "vectors"})
        loads = [c for c in calls if c[0] == "load"]
        size = os.path.getsize(path)
        self.assertEqual(loads[-1], ("load", size, size))              # bytes done and total
        dones = [c[1] for c in loads]
        self.assertEqual(dones, sorted(dones))
        self.assertEqual(calls[-1][1], calls[-1][2])                   # the space: done at its total
        calls.clear()
        self.db.add_many([RECORDS[0]], progress=lambda *a: calls.append(a))
        self.assertEqual(calls[-1][0], "load")
        calls.clear()
        self.db.load_jsonl(path)                                        # removed after the call
        self.assertEqual(calls, [])

    def test_loader_keeps_the_semantic_space(self):
        path = self.jsonl()
        self.db.load_jsonl(path)
        v = self.db.stats()["vectors"]
        self.assertEqual((v["built_records"], v["added_since_build"]), (self.db.count(), 0))
        self.assertTrue(0 < v["dim"] <= 128)                           # clipped to what the text holds
        with libmatch.open(os.path.join(self.dir, "novec.db")) as other:
            other.load_jsonl(path, vectors=False)
            other.add_many([{"id": "A%d" % i, "kind": "achievement", "title": "储能电站热失控预警"}
                            for i in range(200)], vectors=False)
            self.assertEqual(other.stats()["vectors"]["dim"], 0)
            other.add_many([{"id": "B1", "kind": "achievement", "title": "锂电池隔膜"}])
            self.assertEqual(other.stats()["vectors"]["built_records"], self.N + 201)

    def test_an_exception_in_progress_interrupts_and_is_raised(self):
        path = self.jsonl()
        seen = []

        def stop_after_first(stage, done, total):
            seen.append(done)
            raise Stop("用户取消了导入")
        with self.assertRaises(Stop) as cm:
            self.db.load_jsonl(path, progress=stop_after_first)
        self.assertEqual(str(cm.exception), "用户取消了导入")
        self.assertEqual(len(seen), 1)                                  # not called again once raised
        self.assertEqual(self.db.count("problem"), 2)                   # the load stored nothing
        with self.assertRaises(KeyboardInterrupt):                      # BaseException too (Ctrl-C)
            self.db.add_many([{"id": "Z%d" % i, "kind": "problem"} for i in range(1500)],
                             progress=raising(KeyboardInterrupt()))
        self.assertEqual(self.db.count("problem"), 2)
        self.assertEqual(self.db.load_jsonl(path).loaded, self.N)       # the handle works on
        self.assertEqual(self.db.count("problem"), 2 + self.N)

    def test_the_database_cannot_be_used_inside_its_callback(self):
        inner = []

        def reenter(stage, done, total):
            try:
                self.db.count()
            except libmatch.Misuse as e:
                inner.append(e)
                raise
        with self.assertRaises(libmatch.Misuse) as cm:
            self.db.add_many([RECORDS[0]], progress=reenter)
        self.assertIs(cm.exception, inner[0])
        self.assertIsInstance(cm.exception, RuntimeError)
        self.assertEqual(cm.exception.code, _native.LM_EMISUSE)
        self.assertIn("callback", str(cm.exception))
        self.assertEqual(self.db.count(), 7)
        with self.assertRaises(TypeError):
            self.db.load_jsonl(self.jsonl(), progress="50%")

    def test_vectors_and_batch_progress(self):
        self.db.load_jsonl(self.jsonl())
        calls = []
        self.db.build_vectors(8, progress=lambda *a: calls.append(a))
        self.assertTrue(calls)
        self.assertEqual({c[0] for c in calls}, {"vectors"})
        self.assertTrue(all(c[2] is None or c[2] >= c[1] for c in calls))   # total None when unknown
        calls.clear()
        out = self.db.batch_match("achievement", to="problem", k=1, progress=lambda *a: calls.append(a))
        self.assertEqual(sorted(out), ["A1", "A2", "A3"])
        self.assertEqual(calls[-1], ("batch", 3, 3))
        with self.assertRaises(Stop):
            self.db.batch_match("problem", to="achievement", k=1, progress=raising(Stop()))
        calls.clear()
        self.db.reindex(progress=lambda *a: calls.append(a))
        self.assertTrue(all(c[0] == "reindex" for c in calls))


class TestThreadsAndLeaks(Base):
    def test_four_threads_one_database_each(self):
        expected = {"P1": self.db.match(problem="P1", to="achievement").to_dict(),
                    "P2": self.db.match(problem="P2", to="expert").to_dict()}
        errors, barrier = [], threading.Barrier(4)

        def work(i):
            try:
                with libmatch.open(self.path) as db:
                    barrier.wait()
                    for j in range(60):
                        if db.match(problem="P1", to="achievement").to_dict() != expected["P1"]:
                            errors.append("P1 changed in thread %d" % i)
                        if db.match(problem="P2", to="expert").to_dict() != expected["P2"]:
                            errors.append("P2 changed in thread %d" % i)
                        if db.count("achievement") != 3:
                            errors.append("count changed in thread %d" % i)
                        if j % 10 == 0:        # every thread writes: problems do not change these ranks
                            db.add({"id": "T%d-%d" % (i, j), "kind": "problem", "title": "线程写入%d" % j})
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.db.count("problem"), 2 + 4 * 6)

    def test_one_database_shared_by_threads_is_serialized(self):
        errors = []

        def work():
            try:
                for _ in range(100):
                    if self.db.query("碳化硅封装", to="achievement")[0].id != "A2":
                        errors.append("wrong")
                    try:
                        self.db.get("problem", "nope")
                    except libmatch.NotFound as e:
                        if "nope" not in str(e):
                            errors.append("message of another call: %s" % e)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])

    def test_no_leak_over_10000_calls(self):
        def cycle(n):
            for i in range(n):
                r = i % 6
                if r == 0:
                    self.db.match(problem="P1", to="expert", k=3)
                elif r == 1:
                    self.db.get("achievement", "A2")
                elif r == 2:
                    self.db.query("锂离子电池热失控", to="achievement", region="陕西省", weights={"title": 3},
                                  fusion="rrf")
                elif r == 3:
                    try:
                        self.db.get("problem", "missing")
                    except libmatch.NotFound:
                        pass
                elif r == 4:
                    try:
                        self.db.query("x", to="achievement", k=0)      # an options error
                    except libmatch.InvalidArgument:
                        pass
                else:
                    self.db.analyze("碳化矽功率模組")
        cycle(1000)                    # warm-up: caches, allocator pools
        gc.collect()
        before = rss_bytes()
        cycle(10000)
        gc.collect()
        grown = rss_bytes() - before
        self.assertLess(grown, 20 << 20, "RSS grew by %d bytes over 10,000 calls" % grown)

    def test_no_leak_in_loads_scans_and_handles(self):
        lines = [json.dumps({"id": "B%d" % i, "kind": "problem", "title": "批量%d" % i}, ensure_ascii=False)
                 for i in range(20)] + ['{"id": "bad"', 42]
        for _ in range(100):
            self.db.add_many(lines, skip_bad=True, progress=lambda *a: None)
            list(self.db.scan("problem"))
        gc.collect()
        before = rss_bytes()
        for _ in range(1000):
            self.db.add_many(lines, skip_bad=True, progress=lambda *a: None)
            list(self.db.scan("problem"))
            with libmatch.open(":memory:") as db:
                db.add(RECORDS[0])
        gc.collect()
        grown = rss_bytes() - before
        self.assertLess(grown, 20 << 20, "RSS grew by %d bytes" % grown)


if __name__ == "__main__":
    unittest.main()


class TestBusyTimeout(Base):
    """Database.timeout: how long a call waits on a database another
    connection has locked (lm_set_busy_timeout)."""

    NEW = {"kind": "problem", "id": "P-锁", "title": "5G基站散热：PEM燃料电池备用电源", "description": "寻求基站备用电源方案。"}

    def _lock(self):
        import sqlite3
        other = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")          # holds the write lock
        return other

    def test_default_and_validation(self):
        with libmatch.open(self.path) as db:
            self.assertEqual(db.timeout, _native.LM_BUSY_TIMEOUT_MS / 1000)
            db.timeout = 0.25
            self.assertEqual(db.timeout, 0.25)
            for bad in (-1, 3600.5, float("nan"), float("inf")):
                with self.assertRaises(ValueError):
                    db.timeout = bad
            for bad in ("5", None, True):
                with self.assertRaises(TypeError):
                    db.timeout = bad
            self.assertEqual(db.timeout, 0.25)    # unchanged by the refusals
        with self.assertRaises(ValueError):
            libmatch.open(self.path, timeout=-0.5)

    def test_zero_fails_at_once_and_loses_nothing(self):
        other = self._lock()
        # The lock goes after 2 s: a call that waited (the default) would succeed.
        release = threading.Timer(2.0, lambda: (other.execute("ROLLBACK"), other.close()))
        release.start()
        try:
            with libmatch.open(self.path, timeout=0) as db:
                with self.assertRaises(libmatch.Busy):
                    db.add(self.NEW)
        finally:
            release.join()
        with libmatch.open(self.path) as db:
            self.assertEqual(db.count(), 7)
            db.add(self.NEW)
            self.assertEqual(db.get("problem", "P-锁")["title"], self.NEW["title"])

    def test_waits_for_the_lock_to_go(self):
        other = self._lock()
        release = threading.Timer(0.3, lambda: (other.execute("ROLLBACK"), other.close()))
        release.start()
        try:
            with libmatch.open(self.path, timeout=60) as db:
                db.add(self.NEW)                  # waits until the other connection lets go
                self.assertEqual(db.count(), 8)
        finally:
            release.join()
