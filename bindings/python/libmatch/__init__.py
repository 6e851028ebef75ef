"""libmatch -- Python binding (ctypes) of the libmatch C library.

Matches technology supply and demand: problems (问题库), achievements (成果库)
and experts (人才库), stored in one SQLite file.

    >>> import libmatch
    >>> with libmatch.open("match.db") as db:
    ...     db.load_jsonl("problems.jsonl")
    ...     for m in db.match(problem="P-001", to="achievement", k=5):
    ...         print(m.id, round(m.score, 3), m.terms)

No compiled code of its own: the shared library is found through
$LIBMATCH_LIBRARY, the repository's build output, or the system.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import weakref
from dataclasses import dataclass, field, asdict
from typing import Any, Iterable, Mapping

__all__ = [
    "open", "Database", "Match", "MatchList", "LoadReport", "Token", "Allocation", "analyze",
    "Error", "InvalidRecord", "InvalidUTF8", "TooBig", "NotFound", "DatabaseError", "Busy",
    "Mismatch", "DictionaryError", "InvalidArgument", "library_version", "KINDS",
]

BINDING_MAJOR = 1
KINDS = {"problem": 1, "achievement": 2, "expert": 3}
_KIND_NAMES = {v: k for k, v in KINDS.items()}

# ---- status codes and exceptions ------------------------------------------

LM_OK, LM_ERROR, LM_ENOMEM, LM_EINVAL, LM_EJSON, LM_ERECORD, LM_EINVAL_UTF8, LM_ETOOBIG, \
    LM_ENOTFOUND, LM_EIO, LM_EDB, LM_EBUSY, LM_EMISMATCH, LM_EDICT, LM_ERANGE, LM_ESTATE = range(16)


class Error(Exception):
    """A libmatch call failed; .code is the C status, str() the C message."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class InvalidRecord(Error):
    """Malformed JSON or a record that breaks the record format."""


class InvalidUTF8(Error):
    """Text that is not valid UTF-8 or holds a NUL character."""


class TooBig(Error):
    """A documented limit (id length, field size, list length) was exceeded."""


class NotFound(Error):
    """No record with that kind and id."""


class DatabaseError(Error):
    """SQLite or file I/O failed."""


class Busy(Error):
    """The database stayed locked too long."""


class Mismatch(Error):
    """Database built with another analyzer/schema, or a vector space mismatch."""


class DictionaryError(Error):
    """The word dictionary is missing or unreadable."""


class InvalidArgument(Error):
    """An argument the C library refused (bad value, range or state)."""


_EXC = {
    LM_ENOMEM: MemoryError, LM_EINVAL: InvalidArgument, LM_EJSON: InvalidRecord, LM_ERECORD: InvalidRecord,
    LM_EINVAL_UTF8: InvalidUTF8, LM_ETOOBIG: TooBig, LM_ENOTFOUND: NotFound, LM_EIO: DatabaseError,
    LM_EDB: DatabaseError, LM_EBUSY: Busy, LM_EMISMATCH: Mismatch, LM_EDICT: DictionaryError,
    LM_ERANGE: InvalidArgument, LM_ESTATE: InvalidArgument,
}


def _raise(code: int, message: str):
    cls = _EXC.get(code, Error)
    if cls is MemoryError:
        raise MemoryError(message)
    raise cls(code, message)

# ---- loading the library ---------------------------------------------------


def _candidates():
    env = os.environ.get("LIBMATCH_LIBRARY")
    if env:
        yield env
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", "..", ".."))
    yield os.path.join(repo, "build", "libmatch.so.%d" % BINDING_MAJOR)
    found = ctypes.util.find_library("match")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        tried.append(path)
        if os.sep in path and not os.path.exists(path):
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        lib.lm_version_number.restype = ctypes.c_int
        lib.lm_version_number.argtypes = []
        major = lib.lm_version_number() // 10000
        if major != BINDING_MAJOR:
            raise ImportError("libmatch at %s has major version %d; this binding needs %d"
                              % (path, major, BINDING_MAJOR))
        return lib, path
    raise ImportError("libmatch shared library not found; looked in: %s "
                      "(set LIBMATCH_LIBRARY or run `make`)" % ", ".join(tried or ["(nothing)"]))


_lib, library_path = _load()

# ---- declarations: every C function the binding calls ------------------------

c_int, c_double, c_char_p, c_void_p, c_size_t, c_int64 = (
    ctypes.c_int, ctypes.c_double, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int64)
P = ctypes.POINTER
c_char_pp = P(P(ctypes.c_char))      # char **out: freed with lm_free

_DECLS = {
    "lm_version": (c_char_p, []),
    "lm_version_number": (c_int, []),
    "lm_errstr": (c_char_p, [c_int]),
    "lm_errmsg": (c_char_p, [c_void_p]),
    "lm_free": (None, [c_void_p]),
    "lm_set_dictionary": (c_int, [c_char_p]),
    "lm_open": (c_int, [P(c_void_p), c_char_p, c_int]),
    "lm_close": (c_int, [c_void_p]),
    "lm_put": (c_int, [c_void_p, c_char_p, c_size_t]),
    "lm_delete": (c_int, [c_void_p, c_int, c_char_p]),
    "lm_get": (c_int, [c_void_p, c_int, c_char_p, c_char_pp]),
    "lm_count": (c_int, [c_void_p, c_int, P(c_int64)]),
    "lm_stats_json": (c_int, [c_void_p, c_char_pp]),
    "lm_load_jsonl": (c_int, [c_void_p, c_char_p, c_int, P(c_void_p)]),
    "lm_load_jsonl_buffer": (c_int, [c_void_p, c_char_p, c_size_t, c_int, P(c_void_p)]),
    "lm_report_json": (c_int, [c_void_p, c_char_pp]),
    "lm_report_free": (None, [c_void_p]),
    "lm_opts_new": (c_int, [P(c_void_p)]),
    "lm_opts_free": (None, [c_void_p]),
    "lm_opts_set_int": (c_int, [c_void_p, c_int, c_int64]),
    "lm_opts_set_double": (c_int, [c_void_p, c_int, c_double]),
    "lm_opts_set_str": (c_int, [c_void_p, c_int, c_char_p]),
    "lm_match": (c_int, [c_void_p, c_int, c_char_p, c_int, c_void_p, P(c_void_p)]),
    "lm_match_text": (c_int, [c_void_p, c_char_p, c_size_t, c_int, c_void_p, P(c_void_p)]),
    "lm_match_record": (c_int, [c_void_p, c_char_p, c_size_t, c_int, c_void_p, P(c_void_p)]),
    "lm_results_json": (c_int, [c_void_p, c_char_pp]),
    "lm_results_free": (None, [c_void_p]),
    "lm_analyze": (c_int, [c_void_p, c_char_p, c_size_t, c_int, P(c_void_p)]),
    "lm_tokens_count": (c_int, [c_void_p]),
    "lm_token_text": (c_char_p, [c_void_p, c_int]),
    "lm_token_start": (c_int, [c_void_p, c_int]),
    "lm_token_end": (c_int, [c_void_p, c_int]),
    "lm_token_flags": (c_int, [c_void_p, c_int]),
    "lm_tokens_free": (None, [c_void_p]),
    "lm_analyzer_id": (c_char_p, [c_void_p]),
    "lm_set_analyzer_mode": (c_int, [c_void_p, c_int]),
    "lm_dict_add": (c_int, [c_void_p, c_char_p, c_int64]),
    "lm_reindex": (c_int, [c_void_p]),
    "lm_synonym_add": (c_int, [c_void_p, c_char_p, c_char_p]),
    "lm_synonyms_load_tsv": (c_int, [c_void_p, c_char_p, P(c_int64)]),
    "lm_allocate": (c_int, [c_void_p, P(c_char_p), c_int, c_int, P(c_char_p), c_int, P(c_int), c_int, c_int,
                            c_double, c_void_p, P(c_void_p)]),
    "lm_allocation_json": (c_int, [c_void_p, c_char_pp]),
    "lm_allocation_free": (None, [c_void_p]),
}
for _name, (_res, _args) in _DECLS.items():
    _f = getattr(_lib, _name)
    _f.restype = _res
    _f.argtypes = _args


def library_version() -> str:
    """Version of the loaded C library, e.g. "1.0.0"."""
    return _lib.lm_version().decode()


def _b(s: str) -> bytes:
    if not isinstance(s, str):
        raise TypeError("expected str, got %s" % type(s).__name__)
    return s.encode("utf-8", "surrogatepass")


def _take_string(p) -> str:
    """Copy a char* returned through char **out and free it with lm_free."""
    try:
        return ctypes.string_at(p).decode("utf-8")
    finally:
        _lib.lm_free(ctypes.cast(p, c_void_p))


def _kind(name: str) -> int:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError("unknown kind %r (problem, achievement, expert)" % (name,)) from None

# ---- value types -------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    flags: int

    @property
    def colocated(self) -> bool:
        return bool(self.flags & 1)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Match:
    """One ranked hit: score, its components, the query terms it matched and,
    for experts, the supporting achievements [(id, score)]."""
    id: str
    kind: str
    score: float
    components: dict = field(default_factory=dict)
    terms: list = field(default_factory=list)
    evidence: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "score": self.score, "components": dict(self.components),
                "terms": list(self.terms), "evidence": [list(e) for e in self.evidence]}


class MatchList(list):
    """A list of Match with the query terms used (.query_terms)."""

    def __init__(self, items=(), query_terms=()):
        super().__init__(items)
        self.query_terms = list(query_terms)

    def to_dict(self) -> dict:
        return {"query_terms": self.query_terms, "results": [m.to_dict() for m in self]}


@dataclass(frozen=True)
class LoadReport:
    loaded: int
    skipped: int
    errors: list   # [(line, id, reason)]

    def to_dict(self) -> dict:
        return {"loaded": self.loaded, "skipped": self.skipped,
                "errors": [{"line": l, "id": i, "reason": r} for l, i, r in self.errors]}


@dataclass(frozen=True)
class Allocation:
    total: float
    pairs: list    # [(problem, candidate, score)]

    def to_dict(self) -> dict:
        return {"total": self.total, "pairs": [list(p) for p in self.pairs]}

# ---- options -------------------------------------------------------------------

_INT_OPTS = {"k": 1, "offset": 2, "min_maturity": 3, "max_terms": 4, "candidates": 5, "evidence_mode": 6,
             "evidence_m": 7, "evidence_candidates": 8, "prf_docs": 9, "prf_terms": 10, "topic_docs": 11}
_WEIGHTS = {"title": 40, "body": 41, "keywords": 42, "extra": 43, "bm25_k1": 44, "bm25_b": 45,
            "bm25": 60, "fields": 61, "region": 62, "maturity": 63, "evidence": 64, "prf": 65, "topic": 66}
_EVIDENCE_MODES = {"max": 1, "sum": 2, "topm": 3}
LM_OPT_REGION, LM_OPT_FIELD = 20, 21


class _Opts:
    def __init__(self, k=10, offset=0, region=None, fields=None, min_maturity=None, weights=None, **ints):
        h = c_void_p()
        rc = _lib.lm_opts_new(ctypes.byref(h))
        if rc:
            raise MemoryError("lm_opts_new failed")
        self.h = h
        self._fin = weakref.finalize(self, _lib.lm_opts_free, h)
        self._int("k", k)
        self._int("offset", offset)
        if min_maturity is not None:
            self._int("min_maturity", min_maturity)
        for name, v in ints.items():
            if name not in _INT_OPTS:
                raise TypeError("unknown option %r" % name)
            if v is not None:
                if name == "evidence_mode" and isinstance(v, str):
                    if v not in _EVIDENCE_MODES:
                        raise ValueError("evidence_mode must be one of %s" % sorted(_EVIDENCE_MODES))
                    v = _EVIDENCE_MODES[v]
                self._int(name, v)
        if region:
            self._check(_lib.lm_opts_set_str(h, LM_OPT_REGION, _b(region)), "region")
        if fields:
            if isinstance(fields, str):
                fields = [fields]
            for f in fields:
                self._check(_lib.lm_opts_set_str(h, LM_OPT_FIELD, _b(f)), "fields")
        for name, w in (weights or {}).items():
            if name not in _WEIGHTS:
                raise ValueError("unknown weight %r (one of %s)" % (name, ", ".join(sorted(_WEIGHTS))))
            self._check(_lib.lm_opts_set_double(h, _WEIGHTS[name], float(w)), "weight %s" % name)

    def _int(self, name, v):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError("%s must be an int" % name)
        self._check(_lib.lm_opts_set_int(self.h, _INT_OPTS[name], v), name)

    @staticmethod
    def _check(rc, what):
        if rc:
            _raise(rc, "option %s: %s" % (what, _lib.lm_errstr(rc).decode()))

    def close(self):
        self._fin()

# ---- the database ------------------------------------------------------------


class Database:
    """An open libmatch database.  Use one per thread."""

    def __init__(self, path: str = ":memory:", readonly: bool = False, reindex: bool = False):
        h = c_void_p()
        flags = (1 if readonly else 0) | (2 if reindex else 0)
        rc = _lib.lm_open(ctypes.byref(h), _b(os.fspath(path)), flags)
        if rc:
            msg = _lib.lm_errmsg(h).decode() if h.value else _lib.lm_errstr(rc).decode()
            _lib.lm_close(h)
            _raise(rc, msg)
        self._h = h
        self._fin = weakref.finalize(self, _lib.lm_close, h)
        self.path = path

    # lifecycle
    def close(self) -> None:
        """Close the database (idempotent)."""
        self._fin()
        self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def closed(self) -> bool:
        return self._h is None

    def _handle(self):
        if self._h is None:
            raise InvalidArgument(LM_ESTATE, "database is closed")
        return self._h

    def _check(self, rc):
        if rc:
            _raise(rc, _lib.lm_errmsg(self._h).decode())

    # records
    def add(self, record) -> None:
        """Insert or replace one record (a dict or a JSON string)."""
        data = _b(record if isinstance(record, str) else json.dumps(record, ensure_ascii=False))
        self._check(_lib.lm_put(self._handle(), data, len(data)))

    def add_many(self, records: Iterable, skip_bad: bool = False) -> LoadReport:
        """Store many records in one transaction; returns the load report."""
        lines = []
        for r in records:
            s = r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
            if "\n" in s:
                s = json.dumps(json.loads(s), ensure_ascii=False)
            lines.append(s)
        data = _b("\n".join(lines))
        rep = c_void_p()
        rc = _lib.lm_load_jsonl_buffer(self._handle(), data, len(data), 1 if skip_bad else 0, ctypes.byref(rep))
        return self._report(rc, rep)

    def load_jsonl(self, path: str, skip_bad: bool = False) -> LoadReport:
        """Load a JSON Lines file in one transaction."""
        rep = c_void_p()
        rc = _lib.lm_load_jsonl(self._handle(), _b(os.fspath(path)), 1 if skip_bad else 0, ctypes.byref(rep))
        return self._report(rc, rep)

    def _report(self, rc, rep) -> LoadReport:
        try:
            report = None
            if rep.value:
                out = P(ctypes.c_char)()
                if _lib.lm_report_json(rep, ctypes.byref(out)) == 0:
                    d = json.loads(_take_string(out))
                    report = LoadReport(d["loaded"], d["skipped"],
                                        [(e["line"], e["id"], e["reason"]) for e in d["errors"]])
        finally:
            _lib.lm_report_free(rep)
        if rc:
            err = _EXC.get(rc, Error)
            msg = _lib.lm_errmsg(self._h).decode()
            exc = err(rc, msg) if err is not MemoryError else MemoryError(msg)
            if isinstance(exc, Error):
                exc.report = report
            raise exc
        return report

    def get(self, kind: str, id: str) -> dict:
        """The stored record as a dict (exactly as given)."""
        out = P(ctypes.c_char)()
        self._check(_lib.lm_get(self._handle(), _kind(kind), _b(id), ctypes.byref(out)))
        return json.loads(_take_string(out))

    def delete(self, kind: str, id: str) -> None:
        self._check(_lib.lm_delete(self._handle(), _kind(kind), _b(id)))

    def count(self, kind: str | None = None) -> int:
        n = c_int64()
        self._check(_lib.lm_count(self._handle(), _kind(kind) if kind else 0, ctypes.byref(n)))
        return n.value

    def stats(self) -> dict:
        out = P(ctypes.c_char)()
        self._check(_lib.lm_stats_json(self._handle(), ctypes.byref(out)))
        return json.loads(_take_string(out))

    # matching
    def _results(self, call, opts: _Opts) -> MatchList:
        res = c_void_p()
        try:
            rc = call(opts.h, ctypes.byref(res))
            self._check(rc)
            out = P(ctypes.c_char)()
            self._check(_lib.lm_results_json(res, ctypes.byref(out)))
            d = json.loads(_take_string(out))
        finally:
            _lib.lm_results_free(res)
            opts.close()
        return MatchList((Match(r["id"], r["kind"], r["score"], r["components"], r["terms"],
                                [(e["id"], e["score"]) for e in r.get("evidence", [])]) for r in d["results"]),
                         d["query_terms"])

    def match(self, problem: str | None = None, achievement: str | None = None, expert: str | None = None,
              *, to: str, **options) -> MatchList:
        """Rank records of kind `to` for a stored record: exactly one of
        problem=, achievement=, expert= names it.  Options: k, offset, region,
        fields, min_maturity, weights={name: w}, max_terms, candidates, ..."""
        given = [(k, v) for k, v in (("problem", problem), ("achievement", achievement), ("expert", expert))
                 if v is not None]
        if len(given) != 1:
            raise TypeError("give exactly one of problem=, achievement=, expert=")
        (kind, rid), = given
        to_k, from_k, h = _kind(to), _kind(kind), self._handle()
        return self._results(lambda o, out: _lib.lm_match(h, from_k, _b(rid), to_k, o, out), _Opts(**options))

    def match_record(self, record, *, to: str, **options) -> MatchList:
        """Rank records of kind `to` for an unstored record (dict or JSON)."""
        data = _b(record if isinstance(record, str) else json.dumps(record, ensure_ascii=False))
        to_k, h = _kind(to), self._handle()
        return self._results(lambda o, out: _lib.lm_match_record(h, data, len(data), to_k, o, out), _Opts(**options))

    def query(self, text: str, *, to: str, **options) -> MatchList:
        """Rank records of kind `to` for free text."""
        data = _b(text)
        to_k, h = _kind(to), self._handle()
        return self._results(lambda o, out: _lib.lm_match_text(h, data, len(data), to_k, o, out), _Opts(**options))

    def allocate(self, *, to: str = "expert", problems=None, candidates=None, capacities=None,
                 default_capacity: int = 1, per_problem: int = 1, min_score: float = 0.0, **options) -> Allocation:
        """Optimal assignment of experts/achievements to problems under capacities."""
        h = self._handle()
        pa = (c_char_p * len(problems))(*[_b(p) for p in problems]) if problems is not None else None
        ca = (c_char_p * len(candidates))(*[_b(c) for c in candidates]) if candidates is not None else None
        if capacities is not None:
            if candidates is None or len(capacities) != len(candidates):
                raise ValueError("capacities need a candidates list of the same length")
            caps = (c_int * len(capacities))(*capacities)
        else:
            caps = None
        opts = _Opts(**options)
        out = c_void_p()
        try:
            rc = _lib.lm_allocate(h, pa, len(problems) if problems is not None else 0, _kind(to),
                                  ca, len(candidates) if candidates is not None else 0, caps,
                                  default_capacity, per_problem, float(min_score), opts.h, ctypes.byref(out))
            self._check(rc)
            js = P(ctypes.c_char)()
            self._check(_lib.lm_allocation_json(out, ctypes.byref(js)))
            d = json.loads(_take_string(js))
        finally:
            _lib.lm_allocation_free(out)
            opts.close()
        return Allocation(d["total"], [(p["problem"], p["candidate"], p["score"]) for p in d["pairs"]])

    # analyzer
    def analyze(self, text: str, mode: int = 0) -> list:
        return _analyze(self._handle(), text, mode, self)

    @property
    def analyzer_id(self) -> str:
        return _lib.lm_analyzer_id(self._handle()).decode()

    def set_analyzer_mode(self, mode: int) -> None:
        self._check(_lib.lm_set_analyzer_mode(self._handle(), mode))

    def add_word(self, word: str, freq: int = 0) -> None:
        self._check(_lib.lm_dict_add(self._handle(), _b(word), freq))

    def reindex(self) -> None:
        self._check(_lib.lm_reindex(self._handle()))

    def add_synonym(self, a: str, b: str) -> None:
        self._check(_lib.lm_synonym_add(self._handle(), _b(a), _b(b)))

    def load_synonyms(self, path: str) -> int:
        n = c_int64()
        self._check(_lib.lm_synonyms_load_tsv(self._handle(), _b(os.fspath(path)), ctypes.byref(n)))
        return n.value


ANALYZE_WORDS, ANALYZE_SUBWORDS, ANALYZE_BIGRAMS, ANALYZE_ALL = 1, 2, 4, 7


def _analyze(h, text: str, mode: int, db: Database | None) -> list:
    data = _b(text)
    t = c_void_p()
    rc = _lib.lm_analyze(h, data, len(data), mode, ctypes.byref(t))
    if rc:
        _raise(rc, _lib.lm_errmsg(h).decode() if h else _lib.lm_errstr(rc).decode())
    try:
        return [Token(_lib.lm_token_text(t, i).decode(), _lib.lm_token_start(t, i), _lib.lm_token_end(t, i),
                      _lib.lm_token_flags(t, i)) for i in range(_lib.lm_tokens_count(t))]
    finally:
        _lib.lm_tokens_free(t)


def analyze(text: str, mode: int = 0) -> list:
    """Tokens of `text` with the built-in analyzer (no database)."""
    return _analyze(None, text, mode, None)


def open(path: str = ":memory:", readonly: bool = False, reindex: bool = False) -> Database:  # noqa: A001
    """Open (creating if needed) a libmatch database; use it with `with`."""
    return Database(path, readonly=readonly, reindex=reindex)
