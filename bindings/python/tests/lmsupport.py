"""Shared fixtures of the binding's tests: small Chinese records (simplified
and traditional, mixed terms), a Base test case with a fresh database in a
temporary directory, and helpers to run Python in a fresh interpreter."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import libmatch

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
PKG = os.path.join(ROOT, "bindings", "python")
DATA = os.path.join(ROOT, "examples", "data")
EXAMPLES = os.path.join(ROOT, "examples", "python")
SAMPLE_FILES = ("problems.jsonl", "achievements.jsonl", "experts.jsonl")

PROBLEMS = [
    {"id": "P1", "kind": "problem", "title": "碳化硅功率模块封装散热", "description": "电机控制器碳化硅MOSFET模块热阻过大，需要低热阻封装",
     "keywords": ["碳化硅", "封装"], "fields": ["半导体"], "region": "陕西省西安市", "org": "某电驱公司",
     "meta": {"budget_wan": 80, "tags": ["急", "SiC"], "nested": {"a": [1, 2.5, None, True]}, "note": "原样返回"}},
    {"id": "P2", "kind": "problem", "title": "储能电站锂离子电池热失控预警", "description": "需要早期预警与温度监测",
     "keywords": ["热失控", "储能"], "fields": ["新能源"], "region": "陕西省榆林市"},
]
ACHIEVEMENTS = [
    {"id": "A1", "kind": "achievement", "title": "鋰離子電池熱失控預警系統", "abstract": "氣體傳感與溫度場監測，提前預警。",
     "keywords": ["熱失控"], "fields": ["新能源"], "region": "陕西省西安市", "maturity": 7, "experts": ["E1"]},
    {"id": "A2", "kind": "achievement", "title": "低热阻碳化硅功率模块银烧结封装", "abstract": "银烧结与双面散热",
     "keywords": ["碳化硅", "银烧结"], "fields": ["半导体"], "region": "陕西省宝鸡市", "maturity": 5, "experts": ["E2"]},
    {"id": "A3", "kind": "achievement", "title": "小麦抗旱节水育种", "abstract": "旱作农业新品种",
     "keywords": ["小麦"], "fields": ["现代农业"], "region": "陕西省杨凌示范区", "maturity": 9},
]
EXPERTS = [
    {"id": "E1", "kind": "expert", "name": "李娜", "research": "储能电池安全", "fields": ["新能源"], "achievements": ["A1"]},
    {"id": "E2", "kind": "expert", "name": "张伟", "research": "功率器件封装", "fields": ["半导体"], "achievements": ["A2"]},
]
RECORDS = PROBLEMS + ACHIEVEMENTS + EXPERTS


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def sample_data_missing():
    missing = [f for f in SAMPLE_FILES if not os.path.exists(os.path.join(DATA, f))]
    return "sample data absent (%s not in examples/data)" % ", ".join(missing) if missing else None


def run_python(code, pythonpath=PKG, timeout=120, **env_changes):
    """Run `code` in a fresh interpreter with PYTHONPATH=pythonpath and the
    environment changed by env_changes (a None value unsets a variable)."""
    env = dict(os.environ, PYTHONPATH=pythonpath)
    for k, v in env_changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)


class TempDirCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="lmpy-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        p = os.path.join(self.dir, name)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return p


class Base(TempDirCase):
    """A database t.db holding RECORDS (2 problems, 3 achievements, 2 experts)."""

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.dir, "t.db")
        self.db = libmatch.open(self.path)
        rep = self.db.add_many(RECORDS)
        self.assertEqual((rep.loaded, rep.skipped, rep.errors), (len(RECORDS), 0, []))

    def tearDown(self):
        self.db.close()
        super().tearDown()

    def check(self, exc, fn, *args, contains=None, **kw):
        """fn(*args, **kw) raises `exc`, a libmatch.Error with a code and a
        message (holding `contains`)."""
        with self.assertRaises(exc) as cm:
            fn(*args, **kw)
        e = cm.exception
        self.assertIsInstance(e, libmatch.Error)
        self.assertGreater(e.code, 0)
        self.assertTrue(str(e))
        if contains:
            self.assertIn(contains, str(e))
        return e
