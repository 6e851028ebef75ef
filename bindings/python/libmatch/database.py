"""The Database class and the module-level analyzer."""
from __future__ import annotations

import builtins
import contextlib
import ctypes
import errno
import io
import json
import os
import threading
import warnings
import weakref
from typing import (IO, Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union)

from . import _native as N
from ._native import c_char_p, c_char_ptr, c_int, c_int64, c_void_p, lib
from .errors import Error, InvalidArgument, Misuse, error_for, errstr, id_bytes
from .registry import REGISTRY, MatchOptions
from .types import Allocation, LearnReport, LoadReport, Match, MatchList, Token

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
Record = Union[Mapping[str, Any], str, bytes, bytearray, memoryview]
#: progress(stage, done, total): stage is "load", "reindex", "vectors" or
#: "batch"; total is None when unknown.  Raise to interrupt the call.
Progress = Callable[[str, int, Optional[int]], Any]

_UNSET: Any = object()


def kind_code(name: object) -> int:
    """The C kind for "problem", "achievement" or "expert" (ValueError else)."""
    try:
        return N.KINDS[name]  # type: ignore[index]
    except (KeyError, TypeError):
        raise ValueError("unknown kind %r (expected one of: %s)" % (name, ", ".join(N.KINDS))) from None


def _record_bytes(record: object) -> bytes:
    """A record as JSON bytes: a dict (serialized), or a JSON str/bytes
    (passed unchanged, a UTF-8 byte order mark included)."""
    if isinstance(record, Mapping):
        return json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if isinstance(record, (str, bytes, bytearray, memoryview)):
        return N.text_bytes(record, "record")
    raise TypeError("a record is a dict or a JSON string (str or bytes), not %s" % type(record).__name__)


def _check_int(name: str, v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("%s must be an int, not %s" % (name, type(v).__name__))
    if not -(1 << 63) <= v < (1 << 63):
        raise ValueError("%s=%d does not fit in 64 bits" % (name, v))
    return v

def _check_memory(nbytes: object) -> int:
    """A batch memory bound: 0 (none) or at least LM_MIN_BATCH_MEMORY bytes."""
    _check_int("memory", nbytes)
    if nbytes != 0 and not N.LM_MIN_BATCH_MEMORY <= nbytes:  # type: ignore[operator]
        raise ValueError("memory must be 0 (no bound) or at least %d bytes, not %d"
                         % (N.LM_MIN_BATCH_MEMORY, nbytes))
    return nbytes  # type: ignore[return-value]

# ---- conversions of C result handles (each freed by the caller) --------------------


def _results_to_list(res: c_void_p) -> MatchList:
    out = c_char_ptr()
    rc = lib.lm_results_json(res, ctypes.byref(out))
    if rc:
        raise error_for(rc, "lm_results_json: " + errstr(rc))
    d = json.loads(N.take_bytes(out))
    hits = []
    for i, r in enumerate(d["results"]):
        label = r.get("label")
        if label is None and "lm_result_label" not in N._absent:
            label = N.borrowed(lib.lm_result_label(res, i))
        prob = r.get("probability")
        hits.append(Match(
            r["id"], r["kind"], float(r["score"]),
            {k: float(v) for k, v in r["components"].items()},
            list(r["terms"]),
            [(e["id"], float(e["score"])) for e in r.get("evidence", ())],
            label or "",
            None if prob is None else float(prob)))
    return MatchList(hits, d["query_terms"])


def _report_to_value(rep: c_void_p) -> Optional[LoadReport]:
    if not rep:
        return None
    errors = []
    for i in range(lib.lm_report_error_count(rep)):
        errors.append((int(lib.lm_report_error_line(rep, i)),
                       N.borrowed(lib.lm_report_error_id(rep, i)) or "",
                       N.borrowed(lib.lm_report_error_reason(rep, i)) or ""))
    return LoadReport(int(lib.lm_report_loaded(rep)), int(lib.lm_report_skipped(rep)), errors)


def _tokens(h: Optional[c_void_p], text: Union[str, bytes], mode: Optional[int]) -> List[Token]:
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
            toks.append(Token(N.borrowed(lib.lm_token_text(t, i)) or "", to_index(lib.lm_token_start(t, i)),
                              to_index(lib.lm_token_end(t, i)), lib.lm_token_flags(t, i)))
        return toks
    finally:
        lib.lm_tokens_free(t)


def analyze(text: Union[str, bytes], mode: Optional[int] = None) -> List[Token]:
    """Tokens of `text` (str, or UTF-8 bytes) as libmatch indexes it, with the
    built-in analyzer (no user dictionary).  mode: ANALYZE_* bits, None for
    the default."""
    return _tokens(None, text, mode)


def set_dictionary(path: PathLike) -> None:
    """Use the word dictionary at `path` (jieba dict.txt format).  Only
    before the first open()/analyze() in this process (else InvalidArgument)."""
    rc = lib.lm_set_dictionary(N.path_bytes(path))
    if rc:
        raise error_for(rc, "set_dictionary(%r): %s" % (os.fspath(path), errstr(rc)))


def _id_array(ids: Optional[Iterable[str]], what: str) -> Tuple[Any, int]:
    if ids is None:
        return None, 0
    if isinstance(ids, (str, bytes)):
        raise TypeError("%s must be a list of ids, not a single string" % what)
    enc = [id_bytes(x, what[:-1] + " id") for x in ids]
    return (c_char_p * max(len(enc), 1))(*enc), len(enc)


def _is_missing_file(path: Union[str, bytes]) -> bool:
    return path not in (":memory:", b":memory:") and not os.path.exists(path)


def _parent_missing(path: Union[str, bytes]) -> bool:
    parent = os.path.dirname(os.path.abspath(path))
    return path not in (":memory:", b":memory:") and not os.path.isdir(parent)

# ---- the database ------------------------------------------------------------------



def _load_policy(skip_bad: bool, vectors: bool) -> int:
    return ((N.LM_LOAD_SKIP_BAD if skip_bad else N.LM_LOAD_ATOMIC)
            | (0 if vectors else N.LM_LOAD_NO_VECTORS))

class Database:
    """An open libmatch database (one SQLite file, or ":memory:").

    Use it as a context manager or call close().  One Database may be shared
    by threads (calls are serialized by a lock), but for concurrency open one
    per thread: several connections to the same file work in parallel.
    """

    path: Union[str, bytes]
    readonly: bool
    mmap: bool

    def __init__(self, path: PathLike = ":memory:", readonly: bool = False, reindex: bool = False,
                 mmap: bool = True, timeout: Optional[float] = None) -> None:
        self.path = os.fspath(path)
        self.readonly = bool(readonly)
        self.mmap = bool(mmap)
        self._lock = threading.RLock()
        self._h: Optional[c_void_p] = None
        self._in_callback = False
        p = N.path_bytes(path)
        if self.readonly and _is_missing_file(self.path):
            raise FileNotFoundError(errno.ENOENT, "no libmatch database at this path (a read-only open does "
                                    "not create one)", self.path)
        flags = ((N.LM_OPEN_READONLY if readonly else 0) | (N.LM_OPEN_REINDEX if reindex else 0)
                 | (0 if mmap else N.LM_OPEN_NO_MMAP))
        h = c_void_p()
        rc = lib.lm_open(ctypes.byref(h), p, flags)
        if rc:
            msg = N.borrowed(lib.lm_errmsg(h)) if h.value else "cannot open %r: %s" % (self.path, errstr(rc))
            lib.lm_close(h)      # set even on failure when a handle was allocated
            if rc == N.LM_EIO and (self.readonly and _is_missing_file(self.path) or _parent_missing(self.path)):
                missing = self.path if self.readonly and _is_missing_file(self.path) \
                    else os.path.dirname(os.path.abspath(self.path))
                raise FileNotFoundError(errno.ENOENT, "%s (no such file or directory)" % msg, missing)
            raise error_for(rc, msg)
        self._h = h
        self._finalizer = weakref.finalize(self, lib.lm_close, h)
        self._timeout = N.LM_BUSY_TIMEOUT_MS / 1000.0
        self._batch_memory = 0
        if timeout is not None:
            try:
                self.timeout = timeout
            except BaseException:
                self.close()
                raise

    # ---- lifecycle ----

    def close(self) -> None:
        """Close the database and free its handle (idempotent)."""
        with self._lock:
            if self._in_callback:
                raise Misuse(N.LM_EMISUSE, "the database %r cannot be closed from inside its own callback"
                             % (self.path,))
            self._finalizer()        # runs lm_close once; later calls do nothing
            self._h = None

    @property
    def closed(self) -> bool:
        return self._h is None

    @property
    def timeout(self) -> float:
        """Seconds a call waits for a database another connection has locked
        (a writer committing) before it raises Busy; 0 raises at once.  Like
        sqlite3.connect(timeout=...); LM_BUSY_TIMEOUT_MS / 1000 by default, at
        most LM_MAX_BUSY_TIMEOUT_MS / 1000 (lm_set_busy_timeout)."""
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError("timeout must be a number of seconds, not %s" % type(seconds).__name__)
        limit = N.LM_MAX_BUSY_TIMEOUT_MS / 1000.0
        if not 0 <= seconds <= limit:     # also refuses NaN
            raise ValueError("timeout must be between 0 and %g seconds, not %r" % (limit, seconds))
        with self._lock:
            self._check(N.require("lm_set_busy_timeout")(self._handle(), int(round(seconds * 1000))))
            self._timeout = float(seconds)

    @property
    def batch_memory(self) -> int:
        """Bytes batch_match() may hold (0: no bound, the default).  Beyond
        the bound the vectors are read in ranges rather than loaded whole:
        the same hits and scores, more passes over the database.  At least
        LM_MIN_BATCH_MEMORY (64 KiB) when not 0 (lm_set_batch_memory)."""
        return self._batch_memory

    @batch_memory.setter
    def batch_memory(self, nbytes: int) -> None:
        _check_memory(nbytes)
        with self._lock:
            self._check(N.require("lm_set_batch_memory")(self._handle(), nbytes))
            self._batch_memory = nbytes

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<libmatch.Database %r%s%s>" % (self.path, " readonly" if self.readonly else "",
                                               " closed" if self.closed else "")

    def _handle(self) -> c_void_p:
        if self._h is None:
            raise InvalidArgument(N.LM_ESTATE, "the database %r is closed" % (self.path,))
        if self._in_callback:
            raise Misuse(N.LM_EMISUSE, "the database %r is in the middle of a call: it cannot be used from "
                         "inside that call's progress callback" % (self.path,))
        return self._h

    def _check(self, rc: int) -> None:
        """Raise the exception for status rc with this handle's message
        (call with the lock held, right after the failing call)."""
        if rc:
            raise error_for(rc, N.borrowed(lib.lm_errmsg(self._h)))

    def _report(self, rc: int, rep: c_void_p) -> LoadReport:
        try:
            report = _report_to_value(rep)
        finally:
            lib.lm_report_free(rep)
        if rc:
            exc = error_for(rc, N.borrowed(lib.lm_errmsg(self._h)))
            exc.report = report
            raise exc
        assert report is not None
        return report

    def _with_report(self, opts: MatchOptions, call: Callable[[c_void_p, c_void_p, Any], int], to_json: str,
                free: str) -> Dict[str, Any]:
        """One C call that fills a report handle (allocation, learning):
        call(handle, options, &out); the report as a dict from its JSON
        (lib.<to_json>), the handle and the options freed (lib.<free>)."""
        with self._lock:
            h = self._handle()
            oh = opts.new_handle()
            out = c_void_p()
            try:
                self._check(call(h, oh, ctypes.byref(out)))
                js = c_char_ptr()
                rc = getattr(lib, to_json)(out, ctypes.byref(js))
                if rc:
                    raise error_for(rc, to_json + ": " + errstr(rc))
                d: Dict[str, Any] = json.loads(N.take_bytes(js))
                return d
            finally:
                getattr(lib, free)(out)
                lib.lm_opts_free(oh)

    @contextlib.contextmanager
    def _calling(self, progress: Optional[Progress] = None) -> Iterator[Tuple[c_void_p, List[BaseException]]]:
        """Hold the lock for one C call that may call back into Python: yields
        the handle and a list that collects an exception raised by a callback
        (the C call is interrupted, and the caller re-raises it with
        _reraise).  With `progress`, installs it for the call (lm_set_progress)
        and removes it after."""
        if progress is not None and not callable(progress):
            raise TypeError("progress must be a callable progress(stage, done, total), not %s"
                            % type(progress).__name__)
        with self._lock:
            h = self._handle()
            failure: List[BaseException] = []
            setp = N.require("lm_set_progress") if progress is not None else None
            cb = None
            if progress is not None:
                def on_progress(_ctx: Any, stage: bytes, done: int, total: int) -> int:
                    if failure:
                        return 1
                    try:
                        progress(stage.decode("utf-8", "replace"), int(done), None if total < 0 else int(total))
                        return 0
                    except BaseException as e:   # never let an exception cross C: interrupt, re-raise after
                        failure.append(e)
                        return 1
                cb = N.PROGRESS_FN(on_progress)
                setp(h, cb, None)
            self._in_callback = True
            try:
                yield h, failure
            finally:
                self._in_callback = False
                if setp is not None:
                    setp(h, N.PROGRESS_FN(), None)   # NULL: progress off
                del cb

    def _reraise(self, failure: List[BaseException], rc: int) -> None:
        """After a C call made under _calling(): re-raise what a callback
        raised (the call was interrupted by it), else check rc."""
        if failure:
            raise failure[0]
        self._check(rc)

    # ---- records ----

    def add(self, record: Record) -> None:
        """Insert or replace one record: a dict, or its JSON (str or bytes)."""
        data = _record_bytes(record)
        with self._lock:
            self._check(lib.lm_put(self._handle(), data, len(data)))

    def add_many(self, records: Iterable[Record], skip_bad: bool = False,
                 progress: Optional[Progress] = None, vectors: bool = True) -> LoadReport:
        """Store many records (dicts or JSON strings) in one transaction.
        skip_bad=False: the first bad record raises (with .report) and nothing
        is stored (an item that is neither a dict nor JSON text raises
        TypeError before anything is stored); skip_bad=True: bad records,
        items of a wrong type included, are skipped and reported, and the
        good ones are stored.  A report's line numbers are 1-based positions
        in `records`.  progress, vectors: see load_jsonl()."""
        if isinstance(records, (str, bytes, Mapping)):
            raise TypeError("add_many takes an iterable of records; use add() for one")
        lines: List[bytes] = []
        not_records: List[Tuple[int, str, str]] = []     # (position, id, reason) found in Python
        for pos, r in enumerate(records, 1):
            try:
                b = _record_bytes(r)
            except TypeError:
                if not skip_bad:
                    raise TypeError("add_many: record %d: expected a dict or JSON text (str or bytes), not %s"
                                    % (pos, type(r).__name__)) from None
                not_records.append((pos, "", "record %d: expected a dict or JSON text (str or bytes), not %s"
                                    % (pos, type(r).__name__)))
                b = b""                        # a blank line: skipped by the library, keeps the numbering
            else:
                if not b.strip():              # the library skips blank lines: report it here
                    reason = "record %d: empty JSON text" % pos
                    if not skip_bad:
                        exc = error_for(N.LM_EJSON, "add_many: " + reason)
                        exc.report = LoadReport(0, 1, [(pos, "", reason)])
                        raise exc
                    not_records.append((pos, "", reason))
                    b = b""
                elif b"\n" in b or b"\r" in b:  # keep one record per line
                    b = b.replace(b"\r", b" ").replace(b"\n", b" ")
            lines.append(b)
        data = b"\n".join(lines)
        rep = c_void_p()
        with self._calling(progress) as (h, failure):
            rc = lib.lm_load_jsonl_buffer(h, data, len(data), _load_policy(skip_bad, vectors), ctypes.byref(rep))
            if failure:
                lib.lm_report_free(rep)
                raise failure[0]
            report = self._report(rc, rep)
        if not_records:
            errors = sorted(report.errors + not_records)
            report = LoadReport(report.loaded, report.skipped + len(not_records), errors)
        return report

    def load_jsonl(self, path: PathLike, skip_bad: bool = False,
                   progress: Optional[Progress] = None, vectors: bool = True) -> LoadReport:
        """Load a JSON Lines file in one transaction (see add_many for
        skip_bad).  progress(stage, done, total) is called now and then
        (stage "load", bytes done and total; "vectors" while the semantic
        space is built); raise in it to interrupt the load, which then
        stores nothing and re-raises your exception.  vectors=True (the
        default): the load keeps the semantic space of the latent topic
        (built once the database holds 100 records, rebuilt as it doubles;
        a space of build_vectors() is left alone); False leaves it as is
        (LM_LOAD_NO_VECTORS)."""
        p = N.path_bytes(path)
        rep = c_void_p()
        with self._calling(progress) as (h, failure):
            rc = lib.lm_load_jsonl(h, p, _load_policy(skip_bad, vectors), ctypes.byref(rep))
            if failure:
                lib.lm_report_free(rep)
                raise failure[0]
            return self._report(rc, rep)

    def get(self, kind: str, id: str) -> Dict[str, Any]:
        """The stored record as a dict ("meta" exactly as given).  NotFound
        (a KeyError) when there is none."""
        k, i = kind_code(kind), id_bytes(id)
        out = c_char_ptr()
        with self._lock:
            self._check(lib.lm_get(self._handle(), k, i, ctypes.byref(out)))
        rec: Dict[str, Any] = json.loads(N.take_bytes(out))
        return rec

    def delete(self, kind: str, id: str) -> None:
        """Delete a record; NotFound when there is none."""
        k, i = kind_code(kind), id_bytes(id)
        with self._lock:
            self._check(lib.lm_delete(self._handle(), k, i))

    def count(self, kind: Optional[str] = None) -> int:
        """Number of records of `kind` (None: all kinds)."""
        k = 0 if kind is None else kind_code(kind)
        n = c_int64()
        with self._lock:
            self._check(lib.lm_count(self._handle(), k, ctypes.byref(n)))
        return n.value

    def stats(self) -> Dict[str, Any]:
        """Counts per kind, links, analyzer, user words, synonyms, schema, vectors."""
        out = c_char_ptr()
        with self._lock:
            self._check(lib.lm_stats_json(self._handle(), ctypes.byref(out)))
        st: Dict[str, Any] = json.loads(N.take_bytes(out))
        return st

    def _scan_raw(self, kind: Optional[str], sink: Callable[[int, bytes], None]) -> None:
        """lm_scan: sink(kind code, stored JSON bytes) for every record."""
        fn = N.require("lm_scan")
        k = 0 if kind is None else kind_code(kind)

        with self._calling() as (h, failure):
            def each(_ctx: Any, kcode: int, _id: bytes, js: int, n: int) -> int:
                try:
                    sink(kcode, ctypes.string_at(js, n))
                    return 0
                except BaseException as e:       # never let an exception cross C
                    failure.append(e)
                    return 1
            cb = N.RECORD_FN(each)
            rc = fn(h, k, cb, None)
            self._reraise(failure, rc)

    def scan(self, kind: Optional[str] = None) -> Iterator[Dict[str, Any]]:
        """Every stored record of `kind` (None: all kinds, problems first,
        then achievements, then experts) as dicts (what get() returns), in
        the order they were first stored.  The records are read from one
        snapshot when scan() is called (the database may be written while
        you iterate); their JSON is held in memory until iterated: for a
        large database, export() writes straight to a file."""
        raw: List[bytes] = []
        self._scan_raw(kind, lambda _k, js: raw.append(js))

        def records() -> Iterator[Dict[str, Any]]:
            for js in raw:
                yield json.loads(js)
        return records()

    def export(self, dest: Union[PathLike, IO[bytes], IO[str]], kind: Optional[str] = None) -> int:
        """Write every stored record of `kind` (None: all) as JSON Lines, the
        format load_jsonl() reads back, to `dest`: a path (created or
        truncated) or an open file (binary or text).  Returns the number of
        records written."""
        count = [0]
        if hasattr(dest, "write"):
            f: Any = dest
            text = isinstance(f, io.TextIOBase)

            def write(_k: int, js: bytes) -> None:
                line = js.replace(b"\r", b" ").replace(b"\n", b" ") + b"\n"
                f.write(line.decode("utf-8") if text else line)
                count[0] += 1
            self._scan_raw(kind, write)
            return count[0]
        with builtins.open(os.fspath(dest), "wb") as out:   # type: ignore[arg-type]
            def write_file(_k: int, js: bytes) -> None:
                out.write(js.replace(b"\r", b" ").replace(b"\n", b" ") + b"\n")
                count[0] += 1
            self._scan_raw(kind, write_file)
        return count[0]

    # ---- matching ----

    def _run(self, call: Callable[[c_void_p, c_void_p, Any], int], options: Dict[str, Any]) -> MatchList:
        opts = MatchOptions(**options)          # Python-side checks before any C call
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

    def match(self, *, problem: Optional[str] = None, achievement: Optional[str] = None,
              expert: Optional[str] = None, to: str, k: Optional[int] = None, offset: Optional[int] = None,
              region: Optional[str] = None, fields: Union[str, Iterable[str], None] = None,
              min_maturity: Optional[int] = None, weights: Optional[Mapping[str, float]] = None,
              **options: Any) -> MatchList:
        """Rank records of kind `to` for a stored record named by exactly one
        of problem=, achievement=, expert=.

        Every option of the library's registry (libmatch.options()) is a
        keyword argument under its name; None keeps the default.  The common
        ones: k, offset (the page of results); region (keep records whose
        region starts with it); fields (any-of domain tags: the repeatable
        option "field"); min_maturity (achievements with TRL >= n); weights
        ({name: number} for the number options, "w_" prefix optional:
        {"bm25": 1, "title": 3, "bm25_k1": 1.2}); evidence_mode
        ("max"/"sum"/"topm"); fusion ("model"/"weighted"/"rrf"); min_probability.
        """
        given = [(n, v) for n, v in (("problem", problem), ("achievement", achievement), ("expert", expert))
                 if v is not None]
        if len(given) != 1:
            raise TypeError("match() needs exactly one of problem=, achievement=, expert= (got %d)" % len(given))
        (from_name, rid), = given
        frm, dst, i = kind_code(from_name), kind_code(to), id_bytes(rid)
        return self._run(lambda h, o, out: lib.lm_match(h, frm, i, dst, o, out),
                         dict(options, k=k, offset=offset, region=region, fields=fields,
                              min_maturity=min_maturity, weights=weights))

    def match_record(self, record: Record, *, to: str, **options: Any) -> MatchList:
        """Rank records of kind `to` for a record (dict or JSON) that is not
        stored, as match() would rank it if it were.  Options as match()."""
        data, dst = _record_bytes(record), kind_code(to)
        return self._run(lambda h, o, out: lib.lm_match_record(h, data, len(data), dst, o, out), options)

    def query(self, text: Union[str, bytes], *, to: str, **options: Any) -> MatchList:
        """Rank records of kind `to` for free text.  Options as match()."""
        data, dst = N.text_bytes(text), kind_code(to)
        return self._run(lambda h, o, out: lib.lm_match_text(h, data, len(data), dst, o, out), options)

    # ---- distributed matching (libmatch.dfs) ----

    def export_stats(self, kind: Optional[str] = None) -> str:
        """This database's collection statistics of `kind` (None: every
        kind) as JSON text: records, index rows, column lengths and every
        term's document frequency, in a form that adds up across shards
        (libmatch.dfs.merge_stats)."""
        k = 0 if kind is None else kind_code(kind)
        fn = N.require("lm_stats_export")
        out = c_char_ptr()
        with self._lock:
            self._check(fn(self._handle(), k, ctypes.byref(out)))
        return N.take_string(out)

    def set_global_stats(self, stats: Optional[str]) -> None:
        """Score with these collection statistics (JSON of export_stats or
        libmatch.dfs.merge_stats) instead of this database's own, for the
        kinds they hold; None goes back to the database's own."""
        fn = N.require("lm_set_global_stats")
        data = None if stats is None else N.text_bytes(stats, "statistics")
        with self._lock:
            self._check(fn(self._handle(), data))

    # ---- semantic vectors ----

    def build_vectors(self, dim: int = 0, progress: Optional[Progress] = None) -> None:
        """Build the built-in semantic space (TF-IDF + truncated SVD) over every
        stored record; dim 0 means the library's default (256).  Enables the
        "cosine" component.  progress: stage "vectors" (see load_jsonl())."""
        fn = N.require("lm_vectors_build")
        _check_int("dim", dim)
        with self._calling(progress) as (h, failure):
            self._reraise(failure, fn(h, dim))

    def put_vector(self, kind: str, id: str, vector: N.Vector, *, model: str) -> None:
        """Store an embedding computed outside libmatch for record (kind, id)
        under `model`.  vector: a list of numbers, an array.array('f'), or any
        float32 buffer (memoryview, numpy).  The first vector fixes the model
        name and dimension (another is Mismatch); stored L2-normalized."""
        fn = N.require("lm_vector_put")
        k, i, m = kind_code(kind), id_bytes(id), id_bytes(model, "model")
        arr, n, _keep = N.float_vector(vector)
        with self._lock:
            self._check(fn(self._handle(), k, i, m, arr, n))

    def match_vector(self, vector: N.Vector, *, model: str, to: str, **options: Any) -> MatchList:
        """Rank records of kind `to` by cosine with a query embedding in the
        space of `model` (component "cosine_ext").  Options as match()."""
        fn = N.require("lm_match_vector")
        m, dst = id_bytes(model, "model"), kind_code(to)
        arr, n, _keep = N.float_vector(vector)
        return self._run(lambda h, o, out: fn(h, m, arr, n, dst, o, out), options)

    def batch_match(self, kind: Optional[str] = None, *, to: str, k: Optional[int] = None,
                    progress: Optional[Progress] = None, memory: Optional[int] = None,
                    frm: Optional[str] = _UNSET) -> Dict[str, List[Tuple[str, float]]]:
        """Every record of kind `kind` (the source kind, as count() and scan()
        take it; match() names it by its keyword) against every record of
        kind `to` in the built-in semantic space (needs build_vectors()):
        {from id: [(id, cosine), ...] best first}, in the library's order;
        k hits each (None: the default of the option "k").
        progress: stage "batch" (see load_jsonl()).  memory: bytes this call
        may hold (None: batch_memory).  `frm=` is the former name of `kind`
        (deprecated)."""
        if frm is not _UNSET:
            warnings.warn("batch_match(frm=...) is deprecated; pass the source kind first: "
                          "batch_match(%r, to=...)" % (frm,), DeprecationWarning, stacklevel=2)
            if kind is not None:
                raise TypeError("batch_match() got the source kind twice (kind and frm=)")
            kind = frm
        if kind is None:
            raise TypeError("batch_match() needs the source kind: batch_match('problem', to='achievement')")
        fn = N.require("lm_batch_match")
        f, dst = kind_code(kind), kind_code(to)
        if k is None:
            k = int(REGISTRY["k"].default or 0)
        _check_int("k", k)
        if memory is not None:
            _check_memory(memory)
        out: Dict[str, List[Tuple[str, float]]] = {}

        with self._calling(progress) as (h, failure):
            def collect(_ctx: Any, from_id: bytes, n: int, ids: Any, scores: Any) -> int:
                try:
                    out[from_id.decode("utf-8")] = [(ids[j].decode("utf-8"), float(scores[j])) for j in range(n)]
                    return 0
                except BaseException as e:       # never let an exception cross C
                    failure.append(e)
                    return N.LM_ERROR
            cb = N.BATCH_FN(collect)
            setmem = N.require("lm_set_batch_memory") if memory is not None else None
            if setmem is not None:
                self._check(setmem(h, memory))
            try:
                rc = fn(h, f, dst, k, cb, None)
                err = None if failure or not rc else error_for(rc, N.borrowed(lib.lm_errmsg(h)))
            finally:
                if setmem is not None:
                    setmem(h, self._batch_memory)   # resets the handle's message: read it before
            if failure:
                raise failure[0]
            if err is not None:
                raise err
        return out

    # ---- allocation ----

    def allocate(self, *, to: str = "expert", problems: Optional[Iterable[str]] = None,
                 candidates: Optional[Iterable[str]] = None, capacities: Optional[Iterable[int]] = None,
                 default_capacity: Optional[int] = None, per_problem: Optional[int] = None,
                 min_score: Optional[float] = None, **options: Any) -> Allocation:
        """Assign candidates of kind `to` to problems maximizing the total
        score: each candidate takes at most its capacity (capacities, aligned
        with candidates, or default_capacity: the option "capacity"), each
        problem at most per_problem candidates, no pair below min_score
        (None: the registry's defaults).  problems/candidates None: every
        stored one.  The scores are match()'s with the other options."""
        fn = N.require("lm_allocate_v2")
        dst = kind_code(to)
        if default_capacity is not None:
            if options.get("capacity") is not None:
                raise TypeError("allocate() got both default_capacity and capacity")
            options["capacity"] = default_capacity
        opts = MatchOptions(**dict(options, per_problem=per_problem, min_score=min_score))
        pa, npr = _id_array(problems, "problems")
        ca, nca = _id_array(candidates, "candidates")
        caps = None
        if capacities is not None:
            capacities = list(capacities)
            if candidates is None or len(capacities) != nca:
                raise ValueError("capacities must come with a candidates list of the same length")
            caps = (c_int * max(nca, 1))(*[_check_int("capacity", c) for c in capacities])
        d = self._with_report(opts, lambda h, oh, out: fn(h, dst, pa, npr, ca, caps, nca, oh, out),
                         "lm_allocation_json", "lm_allocation_free")
        return Allocation(float(d["total"]),
                          [(p["problem"], p["candidate"], float(p["score"])) for p in d["pairs"]])

    # ---- learning from outcomes ----

    GRADES = {"none": 0, "contact": 1, "visit": 2, "contract": 3}

    def feedback(self, *, to: str, grade: Union[int, str], problem: Optional[str] = None,
                 achievement: Optional[str] = None, expert: Optional[str] = None, id: Optional[str] = None,
                 ) -> None:
        """Record how a match turned out: the stored record named by exactly
        one of problem=, achievement=, expert= matched with record `id` of
        kind `to`; grade 0 or "none" (shown, nothing came of it), 1 or
        "contact", 2 or "visit", 3 or "contract"; None deletes the judgment.
        Replaces an earlier judgment of the pair.  Both records must be stored
        (NotFound otherwise).  Example::

            db.feedback(problem="P-001", to="expert", id="E-022", grade="visit")
        """
        fn = N.require("lm_feedback_put")
        given = [(n, v) for n, v in (("problem", problem), ("achievement", achievement), ("expert", expert))
                 if v is not None]
        if len(given) != 1:
            raise TypeError("feedback() needs exactly one of problem=, achievement=, expert= (got %d)" % len(given))
        if id is None:
            raise TypeError("feedback() needs id= (the matched record of kind `to`)")
        (from_name, fid), = given
        if grade is None:
            g = -1
        elif isinstance(grade, str):
            if grade not in self.GRADES:
                raise ValueError("grade %r is not one of %s (or 0-3)" % (grade, ", ".join(self.GRADES)))
            g = self.GRADES[grade]
        elif isinstance(grade, bool) or not isinstance(grade, int):
            raise TypeError("grade must be an int 0..3, a name (%s) or None" % ", ".join(self.GRADES))
        else:
            g = grade
        frm, dst = kind_code(from_name), kind_code(to)
        with self._lock:
            self._check(fn(self._handle(), frm, id_bytes(fid), dst, id_bytes(id), g))

    def learn(self, **options: Any) -> LearnReport:
        """Refit the match model on this database's judged matches (see
        feedback()), pulled toward the default model, and adopt it only when
        cross-validation says it is better (lower log-loss, nDCG@10 not
        lower).  Options are match options (their weights gate the
        components) and learn_min_pairs, learn_prior, learn_folds.  Raises
        InvalidArgument (LM_ESTATE) when there are too few judgments (the
        message gives the counts).  Example::

            report = db.learn()
            print(report.adopted, report.ndcg_before, report.ndcg_after)
        """
        fn = N.require("lm_learn")
        opts = MatchOptions(**options)
        d = self._with_report(opts, lambda h, oh, out: fn(h, oh, out), "lm_learn_report_json",
                              "lm_learn_report_free")
        return LearnReport(bool(d["adopted"]), int(d["pairs"]), int(d["relevant"]), int(d["queries"]),
                           int(d["skipped"]), float(d["ndcg_before"]), float(d["ndcg_after"]),
                           float(d["logloss_before"]), float(d["logloss_after"]), d["reason"], d.get("model") or {})

    def model(self) -> Dict[str, Any]:
        """The match model in use (its JSON form as a dict): "source" is
        "default" or "learned"; "terms" its coefficients."""
        fn = N.require("lm_model_json")
        with self._lock:
            js = c_char_ptr()
            self._check(fn(self._handle(), ctypes.byref(js)))
            return json.loads(N.take_bytes(js))

    def model_reset(self) -> None:
        """Go back to the default match model (judgments stay)."""
        fn = N.require("lm_model_reset")
        with self._lock:
            self._check(fn(self._handle()))

    # ---- analyzer, dictionary, synonyms ----

    def analyze(self, text: Union[str, bytes], mode: Optional[int] = None) -> List[Token]:
        """Tokens of `text` with this database's analyzer (its user words and
        mode).  See libmatch.analyze()."""
        with self._lock:
            return _tokens(self._handle(), text, mode)

    @property
    def analyzer_id(self) -> str:
        """The analyzer's identity, e.g. "libmatch-zh/1 words+subwords+bigrams"."""
        with self._lock:
            return N.borrowed(lib.lm_analyzer_id(self._handle())) or ""

    def set_analyzer_mode(self, mode: int) -> None:
        """Choose the analyzer mode (ANALYZE_* bits) and re-tokenize everything."""
        _check_int("mode", mode)
        with self._lock:
            self._check(lib.lm_set_analyzer_mode(self._handle(), mode))

    def add_word(self, word: str, freq: int = 0) -> None:
        """Add a word to the user dictionary (freq <= 0: wins segmentation).
        Applies to later indexing and queries; reindex() for stored records."""
        w = id_bytes(word, "word")
        _check_int("freq", freq)
        with self._lock:
            self._check(lib.lm_dict_add(self._handle(), w, freq))

    def reindex(self, progress: Optional[Progress] = None) -> None:
        """Re-tokenize every stored record with the current analyzer.
        progress: stage "reindex" (see load_jsonl())."""
        with self._calling(progress) as (h, failure):
            self._reraise(failure, lib.lm_reindex(h))

    def add_synonym(self, a: str, b: str) -> None:
        """Declare two terms synonyms (stored in the database)."""
        ab, bb = id_bytes(a, "synonym"), id_bytes(b, "synonym")
        with self._lock:
            self._check(lib.lm_synonym_add(self._handle(), ab, bb))

    def load_synonyms(self, path: PathLike) -> int:
        """Load synonym groups from a TSV file; returns the pairs added."""
        p = N.path_bytes(path)
        n = c_int64()
        with self._lock:
            self._check(lib.lm_synonyms_load_tsv(self._handle(), p, ctypes.byref(n)))
        return n.value


def open(path: PathLike = ":memory:", readonly: bool = False, reindex: bool = False,  # noqa: A001
         mmap: bool = True, timeout: Optional[float] = None) -> Database:
    """Open (creating if needed) a libmatch database; use it with `with`.
    readonly: open an existing database read-only (FileNotFoundError when
    there is none); reindex: re-tokenize a database built by another
    analyzer version instead of raising Mismatch; mmap=False: read the file
    without a memory map (network file systems, files other programs may
    truncate); timeout: seconds a call waits for a database another
    connection has locked before raising Busy (Database.timeout)."""
    return Database(path, readonly=readonly, reindex=reindex, mmap=mmap, timeout=timeout)
