#!/usr/bin/env python3
"""Load the sample libraries and print a match report for one problem:
the best achievements and experts, with scores, components and why.

    python3 examples/python/match_report.py [--problem P-011] [--db report.db]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import libmatch  # noqa: E402

DATA = os.path.join(HERE, "..", "data")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problem", default="P-011")
    ap.add_argument("--db", default=":memory:")
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()
    with libmatch.open(args.db) as db:
        with open(os.path.join(DATA, "userdict.txt"), encoding="utf-8") as f:
            for line in f:
                word = line.split("#")[0].strip()
                if word:
                    db.add_word(word.split()[0])
        db.load_synonyms(os.path.join(DATA, "synonyms.tsv"))
        for name in ("problems", "achievements", "experts"):
            db.load_jsonl(os.path.join(DATA, name + ".jsonl"))
        p = db.get("problem", args.problem)
        print("问题 %s：%s（%s，%s）" % (p["id"], p["title"], p.get("org", ""), p.get("region", "")))
        print("\n推荐成果：")
        for i, m in enumerate(db.match(problem=args.problem, to="achievement", k=args.k), 1):
            a = db.get("achievement", m.id)
            why = "，".join("%s=%.2f" % kv for kv in m.components.items() if kv[1] and kv[0] != "bm25_raw")
            print("%d. %s %s  得分 %.3f  [%s]\n   命中词：%s" % (i, m.id, a["title"], m.score, why, " ".join(m.terms[:10])))
        print("\n推荐专家：")
        for i, m in enumerate(db.match(problem=args.problem, to="expert", k=3), 1):
            e = db.get("expert", m.id)
            ev = "；".join("%s(%.2f)" % x for x in m.evidence) or "无"
            print("%d. %s %s（%s）得分 %.3f  支撑成果：%s" % (i, m.id, e["name"], e.get("org", ""), m.score, ev))


if __name__ == "__main__":
    main()
