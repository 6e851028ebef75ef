"""Peer systems run on the same records and queries as libmatch.

Each peer indexes one text per record -- title + body + keywords; an expert's
own text plus the text of the achievements linked to it (both link
directions) -- and answers a query with the OR of its terms:

- xapian: Xapian BM25 (BM25Weight defaults: k1 1, k2 0, k3 1, b 0.5),
  TermGenerator with FLAG_CJK_NGRAM and the English stemmer (default
  strategy STEM_SOME) at index and query time.  The query text is indexed
  into a throwaway Document by the same TermGenerator and the query is the
  OR of every distinct term of its termlist, each once (wqf 1): unstemmed
  words, their Z-prefixed stems, CJK unigrams and bigrams.  This is what
  reproduces the reference figures of shared/bench-data/README.md exactly.
  (Not QueryParser: it raises on some texts, and with FLAG_CJK_NGRAM it
  groups a CJK run's n-grams into a phrase-like subquery.)
- xapian-wqf: the same, each term weighted by its frequency in the query
  (wqf = its wdf in the throwaway document) -- a slightly stronger Xapian.
- fts5-trigram: SQLite FTS5 with its built-in trigram tokenizer
  (case-insensitive) and bm25() (k1 1.2, b 0.75); the query is the OR of the
  quoted distinct trigrams of the lower-cased query text, leaving out the
  trigrams that begin or end with whitespace (those of the spaces joining
  title, body and keywords); '"' is doubled inside the quotes.  Keeping them
  gives csl-topic 0.156 / 0.351 / 0.268 instead of the reference's
  0.150 / 0.352 / 0.235.
- fts5-unicode61: SQLite FTS5 unicode61 and bm25(); OR of the quoted distinct
  \w+ runs of the lower-cased query text (what unicode61 would make of it:
  a run of Han characters is one token, so Chinese barely matches -- a
  floor, not a contender).

Queries that are records use the same text as records do (title + body +
keywords).  Scores are returned as "higher is better" (FTS5's bm25() is
negated).
"""
import re
import sqlite3
import time

BODY = {"problem": ("title", "description"), "achievement": ("title", "abstract"),
        "expert": ("name", "research", "bio")}


def record_text(r):
    parts = [r.get(k) or "" for k in BODY.get(r.get("kind"), ())]
    parts += list(r.get("keywords") or [])
    return " ".join(p for p in parts if p)


def query_text(q):
    if "text" in q:
        return q["text"]
    return record_text(q["record"])


def docs_by_kind(corpus):
    """kind -> [(id, text)], experts with their linked achievements' text."""
    by_id = {(r["kind"], r["id"]): r for r in corpus}
    links = {}
    for r in corpus:
        if r["kind"] == "achievement":
            for e in r.get("experts") or []:
                links.setdefault(e, set()).add(r["id"])
        elif r["kind"] == "expert":
            links.setdefault(r["id"], set()).update(r.get("achievements") or [])
    out = {}
    for r in corpus:
        text = record_text(r)
        if r["kind"] == "expert":
            extra = [record_text(by_id[("achievement", a)]) for a in sorted(links.get(r["id"], ()))
                     if ("achievement", a) in by_id]
            text = " ".join([text] + extra)
        out.setdefault(r["kind"], []).append((r["id"], text))
    return out


class Xapian:
    name = "xapian"

    def __init__(self, use_wqf=False):
        import xapian  # Debian python3-xapian; run with /usr/bin/python3
        self.x = xapian
        self.use_wqf = use_wqf
        if use_wqf:
            self.name = "xapian-wqf"

    def _tg(self):
        x = self.x
        tg = x.TermGenerator()
        tg.set_stemmer(x.Stem("english"))
        tg.set_flags(x.TermGenerator.FLAG_CJK_NGRAM)
        return tg

    def index(self, docs):
        x = self.x
        self.dbs = {}
        for kind, items in docs.items():
            db = x.WritableDatabase("", x.DB_BACKEND_INMEMORY)
            tg = self._tg()
            for did, text in items:
                d = x.Document()
                tg.set_document(d)
                tg.index_text(text)
                d.set_data(did)
                db.add_document(d)
            self.dbs[kind] = db

    def search(self, kind, text, k):
        x = self.x
        if kind not in self.dbs:
            return []
        d = x.Document()
        tg = self._tg()
        tg.set_document(d)
        tg.index_text(text)
        if self.use_wqf:
            terms = [x.Query(t.term, t.wdf) for t in d.termlist()]
        else:
            terms = [t.term for t in d.termlist()]
        if not terms:
            return []
        q = x.Query(x.Query.OP_OR, terms)
        enq = x.Enquire(self.dbs[kind])
        enq.set_query(q)
        enq.set_weighting_scheme(x.BM25Weight())
        return [(m.document.get_data().decode(), m.weight) for m in enq.get_mset(0, k)]


class FTS5:
    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.name = "fts5-" + tokenizer

    def index(self, docs):
        self.db = sqlite3.connect(":memory:")
        for kind, items in docs.items():
            self.db.execute("CREATE VIRTUAL TABLE %s USING fts5(did UNINDEXED, body, tokenize='%s')"
                            % (kind, self.tokenizer))
            self.db.executemany("INSERT INTO %s(did, body) VALUES(?, ?)" % kind, items)

    def terms(self, text):
        if self.tokenizer == "trigram":
            s = text.lower()
            grams = {s[i:i + 3] for i in range(len(s) - 2)}
            return sorted(g for g in grams if g.strip() and len(g.strip()) == 3)
        return sorted(set(re.findall(r"\w+", text.lower())))

    def search(self, kind, text, k):
        terms = self.terms(text)
        if not terms:
            return []
        q = " OR ".join('"%s"' % t.replace('"', '""') for t in terms)
        try:
            rows = self.db.execute("SELECT did, bm25(%s) FROM %s WHERE %s MATCH ? ORDER BY bm25(%s) LIMIT ?"
                                   % (kind, kind, kind, kind), (q, k)).fetchall()
        except sqlite3.OperationalError:
            return []
        return [(d, -s) for d, s in rows]


def run_peer(peer, corpus, queries, k=100, progress=None):
    """Index, run every query; returns (run, index_seconds, queries_per_second).
    progress(n), when given, is called after each query with the number done."""
    docs = docs_by_kind(corpus)
    t0 = time.perf_counter()
    peer.index(docs)
    t1 = time.perf_counter()
    run = {}
    for i, q in enumerate(queries, 1):
        run[q["qid"]] = peer.search(q["to"], query_text(q), k)
        if progress:
            progress(i)
    t2 = time.perf_counter()
    return run, t1 - t0, len(queries) / (t2 - t1) if t2 > t1 else 0.0
