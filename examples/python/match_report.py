#!/usr/bin/env python3
"""Match report: load the sample libraries and print, for one problem, the
best achievements and experts with their scores, score components and the
terms that matched.

    python3 examples/python/match_report.py                 # first problem, temp DB
    python3 examples/python/match_report.py --problem P-011 -k 3
    python3 examples/python/match_report.py report.db       # keep the database
    python3 examples/python/match_report.py -o fusion=rrf -o w_topic=0   # any registry option

Options given with -o NAME=VALUE are the library's own (libmatch.options():
names, types and bounds come from its registry).
"""
import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import libmatch  # noqa: E402

DATA = os.path.normpath(os.path.join(HERE, "..", "data"))
LIBRARIES = ("problems", "achievements", "experts")
COMPONENTS = {"bm25": "文本", "fields": "领域", "region": "地域", "maturity": "成熟度",
              "evidence": "成果佐证", "topic": "主题", "cosine": "语义", "cosine_ext": "向量"}


def first_problem(data_dir):
    with open(os.path.join(data_dir, "problems.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                return json.loads(line)["id"]
    raise SystemExit("no problem in %s/problems.jsonl" % data_dir)


def load(db, data_dir):
    """User words, synonyms, then the three libraries (each in one transaction)."""
    userdict = os.path.join(data_dir, "userdict.txt")
    if os.path.exists(userdict):
        with open(userdict, encoding="utf-8") as f:
            for line in f:
                parts = line.split("#")[0].split()
                if parts:
                    db.add_word(parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0)
    synonyms = os.path.join(data_dir, "synonyms.tsv")
    if os.path.exists(synonyms):
        db.load_synonyms(synonyms)
    for name in LIBRARIES:
        db.load_jsonl(os.path.join(data_dir, name + ".jsonl"))


def why(m):
    """The non-zero components, in Chinese: 文本 1.00 · 领域 1.00 · ..."""
    return " · ".join("%s %.2f" % (COMPONENTS.get(name, name), v)
                      for name, v in m.components.items() if v and name in COMPONENTS)


def parse_options(pairs):
    """-o NAME=VALUE pairs as typed keyword arguments, by the registry."""
    registry = libmatch.options()
    out = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or name not in registry:
            raise SystemExit("-o %s: expected NAME=VALUE with NAME one of: %s" % (pair, ", ".join(registry)))
        try:
            out[name] = registry[name].parse(text)
        except ValueError as e:
            raise SystemExit("-o %s: %s" % (pair, e)) from None
    return out


def report(db, problem_id, k, options):
    p = db.get("problem", problem_id)
    print("问题 %s：%s" % (p["id"], p.get("title", "")))
    print("  %s · %s · 领域：%s" % (p.get("org", "—"), p.get("region", "—"), "、".join(p.get("fields", [])) or "—"))
    achievements = db.match(problem=problem_id, to="achievement", k=k, **options)
    print("  查询词：%s" % " ".join(achievements.query_terms))

    print("\n推荐成果（前 %d）：" % k)
    for rank, m in enumerate(achievements, 1):
        a = db.get("achievement", m.id)
        print("%2d. %s %s  [成熟度 TRL %s，%s]" % (rank, m.id, m.label, a.get("maturity", "?"),
                                              a.get("region", "—")))
        print("    得分 %.3f · 匹配度 %.1f%%（%s）" % (m.score, 100 * m.probability, why(m)))
        print("    命中词：%s" % (" ".join(m.terms) or "—"))

    print("\n推荐专家（前 %d）：" % k)
    for rank, m in enumerate(db.match(problem=problem_id, to="expert", k=k, **options), 1):
        e = db.get("expert", m.id)
        print("%2d. %s %s（%s）  研究方向：%s" % (rank, m.id, m.label, e.get("org", "—"),
                                           e.get("research", "—")))
        print("    得分 %.3f · 匹配度 %.1f%%（%s）" % (m.score, 100 * m.probability, why(m)))
        print("    命中词：%s" % (" ".join(m.terms) or "—"))
        if m.evidence:
            print("    支撑成果：%s" % "；".join("%s %s (%.2f)" % (aid, db.get("achievement", aid).get("title", ""), s)
                                          for aid, s in m.evidence))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Print a match report for one problem of the sample data.")
    ap.add_argument("db", nargs="?", help="database file to load into and keep (default: a temporary one)")
    ap.add_argument("--problem", help="problem id (default: the first in problems.jsonl)")
    ap.add_argument("-k", type=int, default=5, help="results per list (default 5)")
    ap.add_argument("--data", default=DATA, help="directory of the sample JSONL files (default %(default)s)")
    ap.add_argument("-o", "--option", action="append", default=[], metavar="NAME=VALUE",
                    help="a match option of the library's registry, e.g. fusion=rrf, w_topic=0 (repeatable)")
    args = ap.parse_args(argv)
    options = parse_options(args.option)
    k = options.pop("k", args.k)                       # -o k=N is -k N
    if not os.path.exists(os.path.join(args.data, "problems.jsonl")):
        raise SystemExit("sample data not found in %s" % args.data)
    problem_id = args.problem or first_problem(args.data)
    with tempfile.TemporaryDirectory(prefix="libmatch-report-") as tmp:
        path = args.db or os.path.join(tmp, "report.db")
        with libmatch.open(path) as db:
            load(db, args.data)
            try:
                report(db, problem_id, k, options)
            except libmatch.NotFound:
                raise SystemExit("no problem %r in %s" % (problem_id, args.data)) from None


if __name__ == "__main__":
    main()
