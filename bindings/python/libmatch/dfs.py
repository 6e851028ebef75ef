"""Distributed matching: Elasticsearch's DFS query-then-fetch over shards of
the candidates, with libmatch's own results (ids, scores and probabilities
to the bit).

A shard is a copy of one database that keeps a block of the candidates'
kind (and every record of the other kinds): cut it from a copy with
dfs.cut() (deleting records keeps the others' row ids, which order ties).
Then::

    from libmatch import dfs
    stats = dfs.merge_stats([s.export_stats("achievement") for s in shards])
    for s in shards:
        s.set_global_stats(stats)                    # once
    q = dfs.Query.stored("problem", "P-001")
    ctx = dfs.context([dfs.probe(s, q, to="achievement", k=5) for s in shards])
    hits = dfs.merge([dfs.part(s, q, ctx, to="achievement", k=5) for s in shards], k=5)
    # == Database.match(problem="P-001", to="achievement", k=5) on the whole database

or ``dfs.match(shards, q, to="achievement", k=5)`` in one process.  Every
value that crosses between shards and the coordinator is JSON text (str),
ready for a network.  libmatch.dask runs it on a Dask cluster.

Not distributed (InvalidArgument naming the option): fusion="rrf",
prf_docs > 0 (except to experts), w_cosine_ext on a database with external
vectors.  A stored query of the candidates' kind is sent as its record
(Query.stored does that when given the database to read it from).
"""
from __future__ import annotations

import ctypes
import threading
from typing import Any, List, Optional, Sequence, Union

from . import _native as N
from ._native import c_char_p, c_char_ptr, c_void_p, lib
from .database import Database, Record, _record_bytes, _results_to_list, kind_code
from .errors import error_for, id_bytes
from .registry import MatchOptions
from .types import MatchList

__all__ = ["Query", "cut", "merge_stats", "probe", "part", "context", "merge", "match",
           "DFS_OFF", "DFS_PROBE", "DFS_SHARD"]

DFS_OFF, DFS_PROBE, DFS_SHARD = 0, 1, 2


class Query:
    """One query of a distributed run: a stored record (by kind and id), a
    record given as a dict or JSON, or free text.  A plain value: it pickles,
    so it can be sent to workers."""

    __slots__ = ("how", "kind", "data")

    def __init__(self, how: str, kind: int, data: bytes) -> None:
        self.how, self.kind, self.data = how, kind, data

    @classmethod
    def stored(cls, kind: str, id: str) -> "Query":  # noqa: A002
        """The stored record (kind, id): every shard must hold it, so for
        candidates of another kind (shards cut only the candidates' kind).
        For candidates of its own kind use stored_as_record()."""
        return cls("stored", kind_code(kind), id_bytes(id))

    @classmethod
    def stored_as_record(cls, db: Database, kind: str, id: str) -> "Query":  # noqa: A002
        """A stored record read from `db` and sent as its JSON: every shard
        can run it; the shard holding it leaves it out, as Database.match()
        does."""
        import json
        return cls.record(json.dumps(db.get(kind, id), ensure_ascii=False))

    @classmethod
    def record(cls, record: Record) -> "Query":
        """A record (dict or JSON) ranked as if it were stored."""
        return cls("record", 0, _record_bytes(record))

    @classmethod
    def text(cls, text: Union[str, bytes]) -> "Query":
        """Free text."""
        return cls("text", 0, N.text_bytes(text))

    def __getstate__(self) -> Any:
        return (self.how, self.kind, self.data)

    def __setstate__(self, st: Any) -> None:
        self.how, self.kind, self.data = st

    def __repr__(self) -> str:
        return "Query.%s(%r)" % (self.how, self.data.decode("utf-8", "replace")[:60])

    def _call(self, h: c_void_p, to: int, o: c_void_p, out: Any) -> int:
        if self.how == "stored":
            return lib.lm_match(h, self.kind, self.data, to, o, out)
        if self.how == "record":
            return lib.lm_match_record(h, self.data, len(self.data), to, o, out)
        return lib.lm_match_text(h, self.data, len(self.data), to, o, out)


# ---- a handle for the coordinator's calls (their messages) ------------------------------

_local = threading.local()


def _coordinator() -> Database:
    db = getattr(_local, "db", None)
    if db is None or db.closed:
        db = _local.db = Database(":memory:")
    return db


def _strings(parts: Sequence[str], what: str) -> Any:
    parts = list(parts)
    if not parts:
        raise ValueError("no %s to merge" % what)
    arr = (c_char_p * len(parts))()
    for i, p in enumerate(parts):
        if not isinstance(p, str):
            raise TypeError("%s must be str (JSON text), not %s" % (what, type(p).__name__))
        arr[i] = p.encode("utf-8")
    return arr, len(parts)


def cut(db: Database, kind: str, lo: int, hi: int) -> None:
    """Make db (a writable copy of the whole database) a shard: keep the
    records of `kind` at positions lo..hi-1 of the storage order and every
    record of the other kinds, in one transaction (row ids stay)."""
    for name, v in (("lo", lo), ("hi", hi)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError("%s must be an int, not %s" % (name, type(v).__name__))
    k = kind_code(kind)
    with db._lock:
        db._check(N.require("lm_dfs_cut")(db._handle(), k, lo, hi))


def _combine(fn: str, items: Sequence[str], what: str) -> str:
    """fn(handle, strings, n, &out) of the C library (lm_stats_merge,
    lm_dfs_context) on the coordinator handle: the JSON it returns."""
    arr, n = _strings(items, what)
    db = _coordinator()
    out = c_char_ptr()
    with db._lock:
        db._check(N.require(fn)(db._handle(), arr, n, ctypes.byref(out)))
    return N.take_string(out)


def merge_stats(parts: Sequence[str]) -> str:
    """The sum of shards' statistics (Database.export_stats of each)."""
    return _combine("lm_stats_merge", parts, "statistics")


def _phase(db: Database, query: Query, to: str, phase: int, ctx: Optional[str], options: Any) -> str:
    if not isinstance(query, Query):
        raise TypeError("query must be a libmatch.dfs.Query, not %s" % type(query).__name__)
    dst = kind_code(to)
    opts = MatchOptions(**options)
    setdfs = N.require("lm_opts_set_dfs")
    with db._lock:
        h = db._handle()
        oh = opts.new_handle()
        res = c_void_p()
        try:
            rc = setdfs(oh, phase, None if ctx is None else ctx.encode("utf-8"))
            if rc:
                raise error_for(rc, N.borrowed(lib.lm_opts_errmsg(oh)))
            db._check(query._call(h, dst, oh, ctypes.byref(res)))
            return N.borrowed(N.require("lm_results_dfs")(res)) or ""
        finally:
            lib.lm_results_free(res)
            lib.lm_opts_free(oh)


def probe(db: Database, query: Query, *, to: str, **options: Any) -> str:
    """Phase 1 on one shard: what the query's global context is made of
    (its best BM25 rows and nearest records).  Options as Database.match()."""
    return _phase(db, query, to, DFS_PROBE, None, options)


def part(db: Database, query: Query, context: str, *, to: str, **options: Any) -> str:
    """Phase 2 on one shard, with the query's context: the shard's part of
    the result."""
    if not isinstance(context, str):
        raise TypeError("context must be str (JSON text of libmatch.dfs.context), not %s" % type(context).__name__)
    return _phase(db, query, to, DFS_SHARD, context, options)


def context(probes: Sequence[str]) -> str:
    """The query's context from every shard's probe."""
    return _combine("lm_dfs_context", probes, "probes")


def merge(parts: Sequence[str], **options: Any) -> MatchList:
    """The result from every shard's part: what one database holding every
    shard's records returns (k, offset and min_probability as given)."""
    arr, n = _strings(parts, "parts")
    opts = MatchOptions(**options)
    db = _coordinator()
    with db._lock:
        oh = opts.new_handle()
        res = c_void_p()
        try:
            db._check(N.require("lm_dfs_merge")(db._handle(), arr, n, oh, ctypes.byref(res)))
            return _results_to_list(res)
        finally:
            lib.lm_results_free(res)
            lib.lm_opts_free(oh)


def match(shards: Sequence[Database], query: Query, *, to: str, **options: Any) -> MatchList:
    """The two phases on every shard and the merge, in this process."""
    ctx = context([probe(s, query, to=to, **options) for s in shards])
    return merge([part(s, query, ctx, to=to, **options) for s in shards], **options)
