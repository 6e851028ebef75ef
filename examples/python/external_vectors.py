#!/usr/bin/env python3
"""Bring your own embeddings: store vectors computed outside libmatch and
match with a query vector.

A real platform would compute the vectors with a Chinese sentence-embedding
model (e.g. a BGE-family model) and pass them as lists or float32 buffers.
To stay self-contained this example uses a tiny stand-in "model": hashed
character bigrams in 64 dimensions.
"""
import array
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import libmatch  # noqa: E402

DIM = 64


def embed(text: str) -> array.array:
    v = array.array("f", [0.0] * DIM)
    for a, b in zip(text, text[1:]):
        h = int.from_bytes(hashlib.blake2b((a + b).encode(), digest_size=4).digest(), "little")
        v[h % DIM] += 1.0 if h & 1 else -1.0
    return v


with libmatch.open() as db:
    report = db.load_jsonl(os.path.join(HERE, "..", "data", "achievements.jsonl"))
    print("loaded", report.loaded, "achievements")
    for rec in db.scan("achievement"):               # every stored achievement
        db.put_vector("achievement", rec["id"], embed(rec.get("title", "") + rec.get("abstract", "")),
                      model="demo-hash-64")
    query = "储能电站锂电池热失控的早期预警"
    for m in db.match_vector(embed(query), model="demo-hash-64", to="achievement", k=3):
        print(m.id, m.label, round(m.components["cosine_ext"], 3))
