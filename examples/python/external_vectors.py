#!/usr/bin/env python3
"""Store records and query them with the Python binding, the way an
application that computes its own embeddings would prepare its data.

The bring-your-own-embedding calls (vector put / vector match) are not in the
C API yet; this example shows the record side and the analyzer, and is where
they will be demonstrated.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import libmatch  # noqa: E402

with libmatch.open() as db:
    db.load_jsonl(os.path.join(HERE, "..", "data", "achievements.jsonl"))
    for m in db.query("碳化矽功率器件封裝散熱", to="achievement", k=3):
        print(m.id, round(m.score, 3), m.terms[:6])
    print([t.text for t in db.analyze("基于5G的智能电网PEM燃料电池MOCVD外延") if not t.colocated])
