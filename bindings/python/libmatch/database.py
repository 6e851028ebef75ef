"""The Database class, match options, and the module-level analyzer."""
from __future__ import annotations

import ctypes
import json
import os
import threading
import weakref
from typing import Iterable, Mapping

from . import _native as N
from ._native import lib, c_void_p, c_char_p, c_char_ptr, c_int, c_int64
from .errors import InvalidArgument, error_for, errstr
from .types import Allocation, LoadReport, Match, MatchList, Token


def kind_code(name) -> int:
    """The C kind for "problem", "achievement" or "expert" (ValueError else)."""
    try:
        return N.KINDS[name]
    except (KeyError, TypeError):
        raise ValueError("unknown kind %r (expected one of: problem, achievement, expert)" % (name,)) from None


def _record_bytes(record) -> bytes:
    """A record as JSON bytes: a dict (serialized), or a JSON str/bytes."""
    if isinstance(record, Mapping):
        return json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if isinstance(record, (str, bytes, bytearray, memoryview)):
        return N.text_bytes(record, "record")
    raise TypeError("a record is a dict or a JSON string, not %s" % type(record).__name__)


def _check_int(name, v):
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("%s must be an int, not %s" % (name, type(v).__name__))
    if not -(1 << 63) <= v < (1 << 63):
        raise ValueError("%s=%d does not fit in 64 bits" % (name, v))
    return v

# ---- match options ---------------------------------------------------------------


class _Options:
    """Validated match options, turned into an lm_opts handle by open()."""

    def __init__(self, k=10, offset=0, region=None, fields=None, min_maturity=None, weights=None, **more):
        self.ints = [("k", _check_int("k", k)), ("offset", _check_int("offset", offset))]
        if min_maturity is not None:
            self.ints.append(("min_maturity", _check_int("min_maturity", min_maturity)))
        for name, v in more.items():
            if name not in N.INT_OPTIONS:
                raise TypeError("unknown match option %r (known: %s)"
                                % (name, ", ".join(sorted(set(N.INT_OPTIONS) | {"region", "fields", "weights"}))))
            if v is None:
                continue
            if name == "evidence_mode" and isinstance(v, str):
                if v not in N.EVIDENCE_MODES:
                    raise ValueError("evidence_mode must be one of %s" % ", ".join(sorted(N.EVIDENCE_MODES)))
                v = N.EVIDENCE_MODES[v]
            self.ints.append((name, _check_int(name, v)))
        if region is not None and not isinstance(region, str):
            raise TypeError("region must be a str")
        self.region = N.id_bytes(region, "region") if region else None
        if fields is None:
            fields = []
        elif isinstance(fields, str):
            fields = [fields]
        self.fields = []
        for f in fields:
            if not isinstance(f, str):
                raise TypeError("fields must be a str or an iterable of str")
            self.fields.append(N.id_bytes(f, "field"))
        self.weights = []
        if weights is not None:
            if not isinstance(weights, Mapping):
                raise TypeError("weights must be a dict {name: weight}")
            for name, w in weights.items():
                if name not in N.WEIGHTS:
                    raise ValueError("unknown weight %r (known: %s)" % (name, ", ".join(sorted(N.WEIGHTS))))
                if isinstance(w, bool) or not isinstance(w, (int, float)):
                    raise TypeError("weight %s must be a number, not %s" % (name, type(w).__name__))
                self.weights.append((name, float(w)))

    def new_handle(self):
        """A new lm_opts (the caller frees it with lm_opts_free)."""
        h = c_void_p()
        rc = lib.lm_opts_new(ctypes.byref(h))
        if rc:
            raise error_for(rc, "lm_opts_new: " + errstr(rc))
        try:
            for name, v in self.ints:
                self._check(lib.lm_opts_set_int(h, N.INT_OPTIONS[name], v), "%s=%d" % (name, v))
            if self.region:
                self._check(lib.lm_opts_set_str(h, N.LM_OPT_REGION, self.region), "region")
            for f in self.fields:
                self._check(lib.lm_opts_set_str(h, N.LM_OPT_FIELD, f), "fields")
            for name, w in self.weights:
                self._check(lib.lm_opts_set_double(h, N.WEIGHTS[name], w), "weight %s=%r" % (name, w))
        except BaseException:
            lib.lm_opts_free(h)
            raise
        return h

    @staticmethod
    def _check(rc, what):
        if rc:
            raise error_for(rc, "match option %s: %s" % (what, errstr(rc)))

# ---- conversions of C result handles (each freed by the caller) --------------------


def _results_to_list(res) -> MatchList:
    out = c_char_ptr()
    rc = lib.lm_results_json(res, ctypes.byref(out))
    if rc:
        raise error_for(rc, "lm_results_json: " + errstr(rc))
    d = json.loads(N.take_string(out))
    hits = []
    for r in d["results"]:
        hits.append(Match(
            r["id"], r["kind"], float(r["score"]),
            {k: float(v) for k, v in r["components"].items()},
            list(r["terms"]),
            [(e["id"], float(e["score"])) for e in r.get("evidence", ())]))
    return MatchList(hits, d["query_terms"])


def _report_to_value(rep) -> LoadReport | None:
    if not rep:
        return None
    errors = []
    for i in range(lib.lm_report_error_count(rep)):
        errors.append((lib.lm_report_error_line(rep, i),
                       N.borrowed(lib.lm_report_error_id(rep, i)) or "",
                       N.borrowed(lib.lm_report_error_reason(rep, i)) or ""))
    return LoadReport(lib.lm_report_loaded(rep), lib.lm_report_skipped(rep), errors)


def _tokens(h, text, mode) -> list:
    """Analyze with handle h (None: the built-in analyzer)."""
    if mode is None:
        mode = 0
    _check_int("mode", mode)
    data = N.text_bytes(text)
    to_index = N.char_offsets(text, data) if isinstance(text, str) else (lambda b: b)
    t = c_void_p()
    rc = lib.lm_analyze(h, data, len(data), mode, ctypes.byref(t))
    try:
        if rc:
            raise error_for(rc, N.borrowed(lib.lm_errmsg(h)) if h else None)
        toks = []
        for i in range(lib.lm_tokens_count(t)):
            toks.append(Token(N.borrowed(lib.lm_token_text(t, i)), to_index(lib.lm_token_start(t, i)),
                              to_index(lib.lm_token_end(t, i)), lib.lm_token_flags(t, i)))
        return toks
    finally:
        lib.lm_tokens_free(t)


def analyze(text, mode: int | None = None) -> list:
    """Tokens of `text` (str, or UTF-8 bytes) as libmatch indexes it, with the
    built-in analyzer (no user dictionary).  mode: ANALYZE_* bits, None for
    the default."""
    return _tokens(None, text, mode)


def set_dictionary(path) -> None:
    """Use the word dictionary at `path` (jieba dict.txt format).  Only
    before the first open()/analyze() in this process (else InvalidArgument)."""
    rc = lib.lm_set_dictionary(N.path_bytes(path))
    if rc:
        raise error_for(rc, "set_dictionary(%r): %s" % (os.fspath(path), errstr(rc)))

# ---- the database ------------------------------------------------------------------


class Database:
    """An open libmatch database (one SQLite file, or ":memory:").

    Use it as a context manager or call close().  One Database may be shared
    by threads (calls are serialized by a lock), but for concurrency open one
    per thread: several connections to the same file work in parallel.
    """

    def __init__(self, path=":memory:", readonly: bool = False, reindex: bool = False):
        self.path = os.fspath(path)
        self.readonly = bool(readonly)
        self._lock = threading.RLock()
        flags = (N.LM_OPEN_READONLY if readonly else 0) | (N.LM_OPEN_REINDEX if reindex else 0)
        h = c_void_p()
        rc = lib.lm_open(ctypes.byref(h), N.path_bytes(path), flags)
        if rc:
            msg = N.borrowed(lib.lm_errmsg(h)) if h.value else "cannot open %r: %s" % (self.path, errstr(rc))
            lib.lm_close(h)      # set even on failure when a handle was allocated
            raise error_for(rc, msg)
        self._h = h
        self._finalizer = weakref.finalize(self, lib.lm_close, h)

    # ---- lifecycle ----

    def close(self) -> None:
        """Close the database and free its handle (idempotent)."""
        with self._lock:
            self._finalizer()        # runs lm_close once; later calls do nothing
            self._h = None

    @property
    def closed(self) -> bool:
        return self._h is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<libmatch.Database %r%s%s>" % (self.path, " readonly" if self.readonly else "",
                                               " closed" if self.closed else "")

    def _handle(self):
        if self._h is None:
            raise InvalidArgument(N.LM_ESTATE, "the database %r is closed" % self.path)
        return self._h

    def _check(self, rc: int) -> None:
        """Raise the exception for status rc with this handle's message
        (call with the lock held, right after the failing call)."""
        if rc:
            raise error_for(rc, N.borrowed(lib.lm_errmsg(self._h)))

    def _report(self, rc, rep) -> LoadReport:
        try:
            report = _report_to_value(rep)
        finally:
            lib.lm_report_free(rep)
        if rc:
            exc = error_for(rc, N.borrowed(lib.lm_errmsg(self._h)))
            exc.report = report
            raise exc
        return report

    # ---- records ----

    def add(self, record) -> None:
        """Insert or replace one record: a dict, or its JSON (str or bytes)."""
        data = _record_bytes(record)
        with self._lock:
            self._check(lib.lm_put(self._handle(), data, len(data)))

    def add_many(self, records: Iterable, skip_bad: bool = False) -> LoadReport:
        """Store many records (dicts or JSON strings) in one transaction.
        skip_bad=False: the first bad record raises (with .report) and nothing
        is stored; skip_bad=True: bad records are skipped and reported.  A
        report's line numbers are 1-based positions in `records`."""
        if isinstance(records, (str, bytes, Mapping)):
            raise TypeError("add_many takes an iterable of records; use add() for one")
        lines = []
        for r in records:
            b = _record_bytes(r)
            if b"\n" in b or b"\r" in b:      # keep one record per line
                b = b.replace(b"\r", b" ").replace(b"\n", b" ")
            lines.append(b)
        data = b"\n".join(lines)
        rep = c_void_p()
        with self._lock:
            rc = lib.lm_load_jsonl_buffer(self._handle(), data, len(data),
                                          N.LM_LOAD_SKIP_BAD if skip_bad else N.LM_LOAD_ATOMIC, ctypes.byref(rep))
            return self._report(rc, rep)

    def load_jsonl(self, path, skip_bad: bool = False) -> LoadReport:
        """Load a JSON Lines file in one transaction (see add_many for skip_bad)."""
        p = N.path_bytes(path)
        rep = c_void_p()
        with self._lock:
            rc = lib.lm_load_jsonl(self._handle(), p, N.LM_LOAD_SKIP_BAD if skip_bad else N.LM_LOAD_ATOMIC,
                                   ctypes.byref(rep))
            return self._report(rc, rep)

    def get(self, kind: str, id: str) -> dict:
        """The stored record as a dict ("meta" exactly as given).  NotFound
        (a KeyError) when there is none."""
        k, i = kind_code(kind), N.id_bytes(id)
        out = c_char_ptr()
        with self._lock:
            self._check(lib.lm_get(self._handle(), k, i, ctypes.byref(out)))
        return json.loads(N.take_string(out))

    def delete(self, kind: str, id: str) -> None:
        """Delete a record; NotFound when there is none."""
        k, i = kind_code(kind), N.id_bytes(id)
        with self._lock:
            self._check(lib.lm_delete(self._handle(), k, i))

    def count(self, kind: str | None = None) -> int:
        """Number of records of `kind` (None: all kinds)."""
        k = 0 if kind is None else kind_code(kind)
        n = c_int64()
        with self._lock:
            self._check(lib.lm_count(self._handle(), k, ctypes.byref(n)))
        return n.value

    def stats(self) -> dict:
        """Counts per kind, links, analyzer, user words, synonyms, schema, vectors."""
        out = c_char_ptr()
        with self._lock:
            self._check(lib.lm_stats_json(self._handle(), ctypes.byref(out)))
        return json.loads(N.take_string(out))

    # ---- matching ----

    def _run(self, call, options) -> MatchList:
        opts = _Options(**options)          # Python-side checks before any C call
        with self._lock:
            h = self._handle()
            oh = opts.new_handle()
            res = c_void_p()
            try:
                self._check(call(h, oh, ctypes.byref(res)))
                return _results_to_list(res)
            finally:
                lib.lm_results_free(res)
                lib.lm_opts_free(oh)

    def match(self, *, problem: str | None = None, achievement: str | None = None, expert: str | None = None,
              to: str, k: int = 10, offset: int = 0, region: str | None = None, fields=None,
              min_maturity: int | None = None, weights: Mapping | None = None, **options) -> MatchList:
        """Rank records of kind `to` for a stored record named by exactly one
        of problem=, achievement=, expert=.

        k, offset: the page of results; region: keep records whose region
        starts with it; fields: any-of domain tags; min_maturity: achievements
        with TRL >= n; weights: {title, body, keywords, extra, bm25, fields,
        region, maturity, evidence, topic, cosine, prf, bm25_k1, bm25_b: float};
        more integer options: max_terms, candidates, evidence_mode
        ("max"/"sum"/"topm"), evidence_m, evidence_candidates, prf_docs,
        prf_terms, topic_docs, dense_candidates.
        """
        given = [(n, v) for n, v in (("problem", problem), ("achievement", achievement), ("expert", expert))
                 if v is not None]
        if len(given) != 1:
            raise TypeError("match() needs exactly one of problem=, achievement=, expert= (got %d)" % len(given))
        (from_name, rid), = given
        frm, dst, i = kind_code(from_name), kind_code(to), N.id_bytes(rid)
        return self._run(lambda h, o, out: lib.lm_match(h, frm, i, dst, o, out),
                         dict(options, k=k, offset=offset, region=region, fields=fields,
                              min_maturity=min_maturity, weights=weights))

    def match_record(self, record, *, to: str, **options) -> MatchList:
        """Rank records of kind `to` for a record (dict or JSON) that is not
        stored, as match() would rank it if it were.  Options as match()."""
        data, dst = _record_bytes(record), kind_code(to)
        return self._run(lambda h, o, out: lib.lm_match_record(h, data, len(data), dst, o, out), options)

    def query(self, text, *, to: str, **options) -> MatchList:
        """Rank records of kind `to` for free text.  Options as match()."""
        data, dst = N.text_bytes(text), kind_code(to)
        return self._run(lambda h, o, out: lib.lm_match_text(h, data, len(data), dst, o, out), options)

    # ---- semantic vectors ----

    def build_vectors(self, dim: int = 0) -> None:
        """Build the built-in semantic space (TF-IDF + truncated SVD) over every
        stored record; dim 0 means 256.  Enables the "cosine" component."""
        fn = N.require("lm_vectors_build")
        _check_int("dim", dim)
        with self._lock:
            self._check(fn(self._handle(), dim))

    def put_vector(self, kind: str, id: str, vector, *, model: str) -> None:
        """Store an embedding computed outside libmatch for record (kind, id)
        under `model`.  vector: a list of numbers, an array.array('f'), or any
        float32 buffer (memoryview, numpy).  The first vector fixes the model
        name and dimension (another is Mismatch); stored L2-normalized."""
        fn = N.require("lm_vector_put")
        k, i, m = kind_code(kind), N.id_bytes(id), N.id_bytes(model, "model")
        arr, n, _keep = N.float_vector(vector)
        with self._lock:
            self._check(fn(self._handle(), k, i, m, arr, n))

    def match_vector(self, vector, *, model: str, to: str, **options) -> MatchList:
        """Rank records of kind `to` by cosine with a query embedding in the
        space of `model` (component "cosine_ext").  Options as match()."""
        fn = N.require("lm_match_vector")
        m, dst = N.id_bytes(model, "model"), kind_code(to)
        arr, n, _keep = N.float_vector(vector)
        return self._run(lambda h, o, out: fn(h, m, arr, n, dst, o, out), options)

    def batch_match(self, *, frm: str, to: str, k: int = 10) -> dict:
        """Every record of kind `frm` against every record of kind `to` in the
        built-in semantic space (needs build_vectors()): {from id: [(id,
        cosine), ...] best first}, in the library's order."""
        fn = N.require("lm_batch_match")
        f, dst = kind_code(frm), kind_code(to)
        _check_int("k", k)
        out, failure = {}, []

        def collect(_ctx, from_id, n, ids, scores):
            try:
                out[from_id.decode("utf-8")] = [(ids[j].decode("utf-8"), float(scores[j])) for j in range(n)]
                return 0
            except BaseException as e:       # never let an exception cross C
                failure.append(e)
                return N.LM_ERROR
        cb = N.BATCH_FN(collect)
        with self._lock:
            rc = fn(self._handle(), f, dst, k, cb, None)
            if failure:
                raise failure[0]
            self._check(rc)
        return out

    # ---- allocation ----

    def allocate(self, *, to: str = "expert", problems=None, candidates=None, capacities=None,
                 default_capacity: int = 1, per_problem: int = 1, min_score: float = 0.0,
                 **options) -> Allocation:
        """Assign candidates of kind `to` to problems maximizing the total
        score: each candidate takes at most its capacity (capacities, aligned
        with candidates, or default_capacity), each problem at most
        per_problem candidates, no pair below min_score.  problems/candidates
        None: every stored one.  Options as match()."""
        dst = kind_code(to)

        def id_array(ids, what):
            if ids is None:
                return None, 0
            if isinstance(ids, (str, bytes)):
                raise TypeError("%s must be a list of ids, not a single string" % what)
            enc = [N.id_bytes(x, what[:-1] + " id") for x in ids]
            return (c_char_p * max(len(enc), 1))(*enc), len(enc)

        pa, npr = id_array(problems, "problems")
        ca, nca = id_array(candidates, "candidates")
        caps = None
        if capacities is not None:
            capacities = list(capacities)
            if candidates is None or len(capacities) != nca:
                raise ValueError("capacities must come with a candidates list of the same length")
            caps = (c_int * max(nca, 1))(*[_check_int("capacity", c) for c in capacities])
        _check_int("default_capacity", default_capacity)
        _check_int("per_problem", per_problem)
        if isinstance(min_score, bool) or not isinstance(min_score, (int, float)):
            raise TypeError("min_score must be a number")
        opts = _Options(**options)
        with self._lock:
            h = self._handle()
            oh = opts.new_handle()
            out = c_void_p()
            try:
                self._check(lib.lm_allocate(h, pa, npr, dst, ca, nca, caps, default_capacity, per_problem,
                                            float(min_score), oh, ctypes.byref(out)))
                js = c_char_ptr()
                rc = lib.lm_allocation_json(out, ctypes.byref(js))
                if rc:
                    raise error_for(rc, "lm_allocation_json: " + errstr(rc))
                d = json.loads(N.take_string(js))
            finally:
                lib.lm_allocation_free(out)
                lib.lm_opts_free(oh)
        return Allocation(float(d["total"]),
                          [(p["problem"], p["candidate"], float(p["score"])) for p in d["pairs"]])

    # ---- analyzer, dictionary, synonyms ----

    def analyze(self, text, mode: int | None = None) -> list:
        """Tokens of `text` with this database's analyzer (its user words and
        mode).  See libmatch.analyze()."""
        with self._lock:
            return _tokens(self._handle(), text, mode)

    @property
    def analyzer_id(self) -> str:
        """The analyzer's identity, e.g. "libmatch-zh/1 words+subwords+bigrams"."""
        with self._lock:
            return N.borrowed(lib.lm_analyzer_id(self._handle()))

    def set_analyzer_mode(self, mode: int) -> None:
        """Choose the analyzer mode (ANALYZE_* bits) and re-tokenize everything."""
        _check_int("mode", mode)
        with self._lock:
            self._check(lib.lm_set_analyzer_mode(self._handle(), mode))

    def add_word(self, word: str, freq: int = 0) -> None:
        """Add a word to the user dictionary (freq <= 0: wins segmentation).
        Applies to later indexing and queries; reindex() for stored records."""
        w = N.id_bytes(word, "word")
        _check_int("freq", freq)
        with self._lock:
            self._check(lib.lm_dict_add(self._handle(), w, freq))

    def reindex(self) -> None:
        """Re-tokenize every stored record with the current analyzer."""
        with self._lock:
            self._check(lib.lm_reindex(self._handle()))

    def add_synonym(self, a: str, b: str) -> None:
        """Declare two terms synonyms (stored in the database)."""
        ab, bb = N.id_bytes(a, "synonym"), N.id_bytes(b, "synonym")
        with self._lock:
            self._check(lib.lm_synonym_add(self._handle(), ab, bb))

    def load_synonyms(self, path) -> int:
        """Load synonym groups from a TSV file; returns the pairs added."""
        p = N.path_bytes(path)
        n = c_int64()
        with self._lock:
            self._check(lib.lm_synonyms_load_tsv(self._handle(), p, ctypes.byref(n)))
        return n.value


def open(path=":memory:", readonly: bool = False, reindex: bool = False) -> Database:  # noqa: A001
    """Open (creating if needed) a libmatch database; use it with `with`.
    readonly: open an existing database read-only; reindex: re-tokenize a
    database built by another analyzer version instead of raising Mismatch."""
    return Database(path, readonly=readonly, reindex=reindex)
