"""Batch matching on a Dask cluster, with libmatch as the kernel on every worker.

    from distributed import Client, LocalCluster
    from libmatch.dask import DaskMatcher

    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
        with DaskMatcher(client, "match.db") as m:
            best = m.batch_match("problem", to="achievement", k=10)   # {problem id: [(id, cosine), ...]}
            hits = m.match_many("problem", to="expert", k=5)           # {problem id: MatchList}

Results are those of one process running libmatch on the same database,
ids, scores and order.  How (see README.md, "Dask"):

- Record and text queries (``match_many``, ``match_records``,
  ``query_many``) run as Elasticsearch's DFS query-then-fetch
  (libmatch.dfs): the candidates' kind is cut into shards on the client
  (each keeps a block of it in storage order, nothing else but, for
  experts, every achievement), each shipped once, compressed, to two workers; the shards'
  statistics are summed and given to every shard (BM25 with the
  collection's counts, lengths and document frequencies); each query runs a
  probe on every shard, a context task makes its global context (where the
  collection's candidate lists end, the topic vote of its best hits), each
  shard answers its part, and a merge task ranks the parts as one database
  does: the library's own results to the bit.
- Batch matching (``lm_batch_match``, cosines in the built-in semantic
  space) is sharded by candidates too, and no worker receives the whole
  database: the client cuts shard j from its snapshot (SQLite's online
  backup) with lm_dfs_cut -- a copy keeping block j of the candidates'
  kind in storage order and every query record, nothing of the third
  kind, vacuumed; every stored vector stays, so cosines are the library's
  own -- and ships it once, compressed, to two workers (or writes it to
  ``shared_dir=``).  Every shard answers top-k for every query and a tree
  of merge tasks keeps the k best.  Equal float32 scores across shards
  whose order only the exact double cosine decides are flagged and
  recomputed by the library on the client, on its snapshot cut to the
  block of those queries and the block of their shards' hits: exact.
  ``split="queries"`` cuts the query side instead (each shard keeps every
  candidate; nothing to merge); a batch of one kind against itself runs
  on one file holding that kind only.
- Failures: every task is retried (``retries=``) and Dask re-runs the tasks
  of a worker that died; any task can run on any worker (Dask moves a
  shard's data; each shard is held by two workers).
- Progress: tasks are named ``libmatch-batch-shard``,
  ``libmatch-batch-qshard``, ``libmatch-batch-whole``, ``libmatch-merge``,
  ``libmatch-rows``, ``libmatch-dfs-stats``, ``libmatch-dfs-probe``,
  ``libmatch-dfs-context``, ``libmatch-dfs-part``, ``libmatch-dfs-merge``
  in Dask's dashboard; ``progress=True`` shows distributed's progress bar.

Needs the ``dask``, ``distributed`` and ``numpy`` packages (Debian:
python3-dask, python3-distributed, python3-numpy) on the client and on
every worker, with this package and the C library installed there.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
import zlib
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np

import distributed

from . import _native as N
from . import dfs
from ._native import lib
from .database import Database, Record, _check_memory, kind_code
from .errors import InvalidArgument
from .registry import REGISTRY, MatchOptions
from .types import MatchList

__all__ = ["DaskMatcher", "BatchResult"]

KIND_NAMES = {v: k for k, v in N.KINDS.items()}
_CHUNK = 1 << 20                 # bytes per read/write when copying or (de)compressing

#: Test hook: a task that finds this file removes it and kills its worker
#: process (once), so that tests can check that Dask re-runs its work.
CRASH_ENV = "LIBMATCH_DASK_TEST_CRASH"


# ---- sources: how the snapshot reaches the workers -------------------------------------


class _Payload:
    """The snapshot itself, zlib-compressed: scattered to every worker."""

    def __init__(self, data: bytes, size: int, sha256: str) -> None:
        self.data, self.size, self.sha256 = data, size, sha256


class _SharedFile:
    """The snapshot as a file at a path every worker can read."""

    def __init__(self, path: str, size: int, sha256: str) -> None:
        self.path, self.size, self.sha256 = path, size, sha256


def _sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _compress_file(path: str, level: int) -> bytes:
    z = zlib.compressobj(level)
    parts = []
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            parts.append(z.compress(block))
    parts.append(z.flush())
    return b"".join(parts)


def _snapshot(src: str, dest: str) -> None:
    """A consistent copy of the database at src (SQLite's online backup,
    read-only: committed data only, even while another process writes)."""
    uri = "file:%s?mode=ro" % _uri_path(src)
    s = sqlite3.connect(uri, uri=True)
    try:
        d = sqlite3.connect(dest)
        try:
            s.backup(d)
            # rollback-journal mode: a read-only open of the copy makes no
            # -wal/-shm beside it (libmatch turns WAL on where it writes)
            d.execute("PRAGMA journal_mode=DELETE")
        finally:
            d.close()
    finally:
        s.close()


def _uri_path(p: str) -> str:
    from urllib.parse import quote
    return quote(os.path.abspath(p))


# ---- worker side ----------------------------------------------------------------------
#
# State of this process for each DaskMatcher (token): a directory with the
# shards it was given (cut on the client), and the read-only handles opened
# on them.  Built lazily by whichever task needs it first, so that a task can
# run on any worker (a retry, a worker that replaced a dead one).


class _Local:
    def __init__(self, root: str) -> None:
        self.root = root
        self.files: Dict[Any, Tuple[str, Any]] = {}     # key -> (path, extra)
        self.dbs: Dict[str, Database] = {}


_STATE: Dict[str, _Local] = {}
_STATE_LOCK = threading.Lock()
_KEY_LOCKS: Dict[Any, threading.Lock] = {}


def _key_lock(key: Any) -> threading.Lock:
    with _STATE_LOCK:
        lk = _KEY_LOCKS.get(key)
        if lk is None:
            lk = _KEY_LOCKS[key] = threading.Lock()
        return lk


def _workdir() -> str:
    try:
        return str(distributed.get_worker().local_directory)
    except ValueError:                               # not in a worker (tests, a local run)
        return tempfile.gettempdir()


def _local(token: str) -> _Local:
    with _STATE_LOCK:
        st = _STATE.get(token)
        if st is None or not os.path.isdir(st.root):
            st = _STATE[token] = _Local(tempfile.mkdtemp(prefix="libmatch-%s-" % token[:12], dir=_workdir()))
        return st


def _maybe_crash() -> None:
    arm = os.environ.get(CRASH_ENV)
    if arm:
        try:
            os.remove(arm)                           # exactly one task wins
        except OSError:
            return
        os._exit(70)


def _shard_path(token: str, src: Any, what: str) -> str:
    """The path of this worker's copy of a shard cut on the client (written
    on first use from the scattered payload or the shared file, its sha256
    checked)."""
    st = _local(token)
    name = ("shard", src.sha256)
    with _key_lock((token, name)):
        got = st.files.get(name)
        if got and os.path.exists(got[0]):
            return got[0]
        path = os.path.join(st.root, "shard-%s.db" % src.sha256[:24])
        part = path + ".part"
        h = hashlib.sha256()
        with open(part, "wb") as out:
            if isinstance(src, _Payload):
                z = zlib.decompressobj()
                view = memoryview(src.data)
                for i in range(0, len(view), _CHUNK):
                    block = z.decompress(view[i:i + _CHUNK])
                    h.update(block)
                    out.write(block)
                block = z.flush()
                h.update(block)
                out.write(block)
            elif isinstance(src, _SharedFile):
                with open(src.path, "rb") as f:
                    for block in iter(lambda: f.read(_CHUNK), b""):
                        h.update(block)
                        out.write(block)
            else:
                raise TypeError("libmatch.dask: unknown source %r" % type(src).__name__)
        if h.hexdigest() != src.sha256:
            os.remove(part)
            where = src.path if isinstance(src, _SharedFile) else "the scattered payload"
            raise IOError("libmatch.dask: the copy of %s (%s) on this worker differs from the client's "
                          "(sha256 %s, expected %s)" % (what, where, h.hexdigest(), src.sha256))
        os.replace(part, path)
        st.files[name] = (path, None)
        return path


def _open_ro(token: str, path: str) -> Database:
    st = _local(token)
    with _key_lock((token, "db", path)):
        db = st.dbs.get(path)
        if db is None or db.closed:
            db = st.dbs[path] = Database(path, readonly=True)
        return db


def _ids(db: Database, kind: int) -> List[bytes]:
    """The ids of `kind` in storage order (lm_scan order), without parsing
    the records."""
    fn = N.require("lm_scan")
    out: List[bytes] = []
    with db._calling() as (h, failure):
        def each(_ctx: Any, _kind: int, rid: bytes, _js: Any, _n: int) -> int:
            out.append(rid)
            return 0
        cb = N.RECORD_FN(each)
        rc = fn(h, kind, cb, None)
        db._reraise(failure, rc)
    return out


def _remove_db(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.remove(path + suffix)


def _batch_arrays(db: Database, frm: int, to: int, k: int, gmap: Mapping[bytes, int], width: int,
                  rows: Optional[set] = None) -> Tuple[List[bytes], np.ndarray, np.ndarray]:
    """lm_batch_match(frm, to, k) on db: the query ids in the library's
    order and two arrays (queries x width): the cosines (float32, -inf
    where there is no hit) and the hits' storage positions (-1 where none).
    With rows, only the rows of those query numbers are filled."""
    fn = N.require("lm_batch_match")
    qids: List[bytes] = []
    S: List[Any] = []
    G: List[Any] = []
    pad_s, pad_g = [float("-inf")] * width, [-1] * width
    with db._calling() as (h, failure):
        def collect(_ctx: Any, from_id: bytes, n: int, ids: Any, scores: Any) -> int:
            try:
                r = len(qids)
                qids.append(from_id)
                if rows is None or r in rows:
                    S.append(scores[:n] + pad_s[n:])
                    G.append([gmap[i] for i in ids[:n]] + pad_g[n:])
                return 0
            except BaseException as e:              # never let an exception cross C
                failure.append(e)
                return N.LM_ERROR
        cb = N.BATCH_FN(collect)
        rc = fn(h, frm, to, k, cb, None)
        db._reraise(failure, rc)
    s = np.array(S, dtype=np.float32).reshape(len(S), width)
    g = np.array(G, dtype=np.int64).reshape(len(G), width)
    return qids, s, g


def _qsig(qids: Sequence[bytes]) -> str:
    return hashlib.sha256(b"\0".join(qids)).hexdigest()


def _check_queries(qids: Sequence[bytes], nfrom: int, qsig: str, frm: int) -> None:
    if len(qids) != nfrom or _qsig(qids) != qsig:
        raise RuntimeError("libmatch.dask: the shard answered %d queries of kind %s, not the client's %d in "
                           "storage order" % (len(qids), KIND_NAMES[frm], nfrom))


def _check_kind(ids: Sequence[bytes], n: int, sig: str, kind: int, what: str) -> None:
    if len(ids) != n or _qsig(ids) != sig:
        raise RuntimeError("libmatch.dask: %s holds %d records of kind %s, not the client's %d in storage order"
                           % (what, len(ids), KIND_NAMES[kind], n))


def _task_batch_shard(token: str, src: Any, frm: int, to: int, k: int, lo: int, hi: int, csig: str,
                      nfrom: int, qsig: str, memory: int = 0) -> Dict[str, Any]:
    """One candidate shard (cut on the client: the candidates [lo, hi) of
    the storage order and every query): every query against them."""
    _maybe_crash()
    t0 = time.perf_counter()
    path = _shard_path(token, src, "candidate shard [%d, %d) of kind %s" % (lo, hi, KIND_NAMES[to]))
    t1 = time.perf_counter()
    db = _open_ro(token, path)
    db.batch_memory = memory                 # the bound of this worker's batch (0: none)
    ids = _ids(db, to)
    _check_kind(ids, hi - lo, csig, to, "the candidate shard [%d, %d)" % (lo, hi))
    gmap = {i: lo + p for p, i in enumerate(ids)}
    qids, s, g = _batch_arrays(db, frm, to, k, gmap, min(k, hi - lo))
    _check_queries(qids, nfrom, qsig, frm)
    t2 = time.perf_counter()
    return {"S": s, "G": g, "flag": np.zeros(len(qids), dtype=bool),
            "t": [{"lo": lo, "hi": hi, "load_s": t1 - t0, "match_s": t2 - t1, "worker": _worker_address(),
                   "memory": memory}]}


def _task_batch_qshard(token: str, src: Any, frm: int, to: int, k: int, lo: int, hi: int, qsig: str,
                       nto: int, csig: str, memory: int = 0) -> Dict[str, Any]:
    """One query shard (cut on the client: the queries [lo, hi) of the
    storage order and every candidate): the library's own answer for each,
    nothing to merge."""
    _maybe_crash()
    t0 = time.perf_counter()
    path = _shard_path(token, src, "query shard [%d, %d) of kind %s" % (lo, hi, KIND_NAMES[frm]))
    t1 = time.perf_counter()
    db = _open_ro(token, path)
    db.batch_memory = memory                 # the bound of this worker's batch (0: none)
    ids = _ids(db, to)
    _check_kind(ids, nto, csig, to, "the query shard [%d, %d)" % (lo, hi))
    qids, s, g = _batch_arrays(db, frm, to, k, {i: p for p, i in enumerate(ids)}, min(k, nto))
    _check_queries(qids, hi - lo, qsig, frm)
    t2 = time.perf_counter()
    return {"S": s, "G": g, "t": [{"lo": lo, "hi": hi, "load_s": t1 - t0, "match_s": t2 - t1,
                                   "worker": _worker_address(), "memory": memory}]}


def _worker_address() -> str:
    try:
        return str(distributed.get_worker().address)
    except ValueError:
        return "local"


def _task_merge(a: Dict[str, Any], b: Dict[str, Any], k: int) -> Dict[str, Any]:
    """The k best of two partial results over disjoint candidate sets, each
    in the library's order.  Equal scores keep a before b and each input's
    order; a query where a run of equal scores starting in the top k holds
    hits of both inputs is flagged (its true order needs the exact cosines)."""
    S = np.concatenate([a["S"], b["S"]], axis=1)
    G = np.concatenate([a["G"], b["G"]], axis=1)
    q, width = S.shape
    if width == 0:
        return {"S": S, "G": G, "flag": a["flag"] | b["flag"], "t": a["t"] + b["t"]}
    ka = a["S"].shape[1]
    order = np.argsort(-S, axis=1, kind="stable")
    Ss = np.take_along_axis(S, order, axis=1)
    Gs = np.take_along_axis(G, order, axis=1)
    src = order >= ka
    keep = min(k, width)
    valid = Gs >= 0
    eq = (Ss[:, 1:] == Ss[:, :-1]) & valid[:, 1:] & valid[:, :-1]
    cross = eq & (src[:, 1:] != src[:, :-1])
    pos = np.broadcast_to(np.arange(1, width), eq.shape)
    starts = np.concatenate([np.zeros((q, 1), dtype=np.int64), np.where(eq, 0, pos)], axis=1)
    run_start = np.maximum.accumulate(starts, axis=1)
    amb = (cross & (run_start[:, 1:] < keep)).any(axis=1)
    return {"S": np.ascontiguousarray(Ss[:, :keep]), "G": np.ascontiguousarray(Gs[:, :keep]),
            "flag": a["flag"] | b["flag"] | amb, "t": a["t"] + b["t"]}


def _task_rows(part: Dict[str, Any], rows: np.ndarray) -> np.ndarray:
    return part["G"][rows]


def _task_batch_whole(token: str, src: Any, kind: int, k: int, n: int, sig: str,
                      memory: int = 0) -> Dict[str, Any]:
    """A batch of one kind against itself, unsharded, on a file holding
    that kind only (cut on the client)."""
    _maybe_crash()
    t0 = time.perf_counter()
    path = _shard_path(token, src, "the records of kind %s" % KIND_NAMES[kind])
    t1 = time.perf_counter()
    db = _open_ro(token, path)
    db.batch_memory = memory                 # the bound of this worker's batch (0: none)
    ids = _ids(db, kind)
    _check_kind(ids, n, sig, kind, "the file of one kind")
    gmap = {i: p for p, i in enumerate(ids)}
    qids, s, g = _batch_arrays(db, kind, kind, k, gmap, min(k, max(n - 1, 0)))
    _check_queries(qids, n, sig, kind)
    return {"S": s, "G": g, "flag": np.zeros(len(qids), dtype=bool),
            "t": [{"lo": 0, "hi": n, "load_s": t1 - t0, "match_s": time.perf_counter() - t1,
                   "worker": _worker_address(), "memory": memory}]}


# ---- distributed queries (DFS query-then-fetch, libmatch.dfs) ------------------------------
#
# A shard of the candidates' kind is cut on the client once, compressed and
# scattered to one worker (Dask moves it if a task runs elsewhere); the
# worker writes it to its directory and opens it read-only.  Each query
# runs in two phases on every shard (dfs.probe, dfs.part) with a context
# made from all probes between them (dfs.context), and the parts are merged
# (dfs.merge).


class _BatchShards:
    """The client's view of the files of one batch: block j of the kind
    `split` in each; their sources (futures of the scattered payloads, or
    shared files), sizes (bytes of each file, and compressed as shipped)
    and the seconds it took to cut each here."""

    def __init__(self, split: int, bounds: List[int], srcs: List[Any], sizes: List[int], shipped: List[int],
                 cut_s: List[float]) -> None:
        self.split, self.bounds, self.srcs, self.sizes, self.shipped, self.cut_s = (
            split, bounds, srcs, sizes, shipped, cut_s)


class _DfsShards:
    """The client's view of the shards of one candidate kind."""

    def __init__(self, to: int, bounds: List[int], payloads: List[Any], stats: Any, sizes: List[int]) -> None:
        self.to, self.bounds, self.payloads, self.stats, self.sizes = to, bounds, payloads, stats, sizes


def _dfs_db(token: str, to: int, j: int, payload: _Payload, stats: Optional[str]) -> Database:
    """This worker's copy of shard j of kind `to` (written on first use),
    opened read-only, scoring with the collection's statistics `stats`."""
    st = _local(token)
    name = ("dfs", to, j, payload.sha256)
    with _key_lock((token, name)):
        got = st.files.get(name)
        if not got or not os.path.exists(got[0]):
            path = os.path.join(st.root, "dfs-%d-%d-%s.db" % (to, j, payload.sha256[:16]))
            part = path + ".part"
            data = zlib.decompress(payload.data)
            if hashlib.sha256(data).hexdigest() != payload.sha256:
                raise IOError("libmatch.dask: shard %d of kind %s arrived damaged (sha256)" % (j, KIND_NAMES[to]))
            with open(part, "wb") as f:
                f.write(data)
            del data
            os.replace(part, path)
            got = st.files[name] = (path, None)
        path = got[0]
    db = _open_ro(token, path)
    if stats is not None:
        digest = hashlib.sha256(stats.encode("utf-8")).hexdigest()
        with _key_lock((token, "stats", path)):
            if getattr(db, "_lm_dfs_stats", None) != digest:
                db.set_global_stats(stats)
                db._lm_dfs_stats = digest            # type: ignore[attr-defined]
    return db


def _task_dfs_stats(token: str, to: int, j: int, payload: _Payload) -> str:
    """A shard's statistics of the candidates' kind."""
    _maybe_crash()
    return _dfs_db(token, to, j, payload, None).export_stats(KIND_NAMES[to])


def _task_dfs_probe(token: str, to: int, j: int, payload: _Payload, stats: str, queries: List[dfs.Query],
                    options: Dict[str, Any]) -> List[str]:
    _maybe_crash()
    db = _dfs_db(token, to, j, payload, stats)
    return [dfs.probe(db, q, to=KIND_NAMES[to], **options) for q in queries]


def _task_dfs_context(*probes: List[str]) -> List[str]:
    return [dfs.context([p[i] for p in probes]) for i in range(len(probes[0]))]


def _task_dfs_part(token: str, to: int, j: int, payload: _Payload, stats: str, queries: List[dfs.Query],
                   contexts: List[str], options: Dict[str, Any]) -> List[str]:
    _maybe_crash()
    db = _dfs_db(token, to, j, payload, stats)
    return [dfs.part(db, q, c, to=KIND_NAMES[to], **options) for q, c in zip(queries, contexts)]


def _task_dfs_merge(options: Dict[str, Any], *parts: List[str]) -> List[MatchList]:
    return [dfs.merge([p[i] for p in parts], **options) for i in range(len(parts[0]))]


def _task_drop(token: str) -> int:
    """Close and remove this worker's files of a DaskMatcher."""
    with _STATE_LOCK:
        st = _STATE.pop(token, None)
    if st is None:
        return 0
    for db in st.dbs.values():
        db.close()
    shutil.rmtree(st.root, ignore_errors=True)
    return 1


# ---- the client ---------------------------------------------------------------------------


class BatchResult(Mapping[str, List[Tuple[str, float]]]):
    """The merged batch: a read-only mapping {query id: [(id, cosine), ...]
    best first}, in storage order of the queries, equal to what
    Database.batch_match() returns for the same database (``dict(result)``
    or ``to_dict()`` compare equal to it).

    scores, positions  numpy arrays (queries x k): float32 cosines (-inf
                       where a query has fewer hits) and the hits' positions
                       in the storage order of the candidate kind (-1: none)
    query_ids          the query ids (storage order)
    resolved           number of queries whose order was decided by the
                       exact tie pass (equal float scores across shards)
    shards             number of candidate shards
    timings            seconds per phase (client wall time: batch_s, and
                       resolve_s for the exact tie pass) and per shard
                       (lo, hi: its block; cut_s: cutting it on the client,
                       0 when an earlier batch made it; bytes and
                       shipped_bytes: its file and what crossed the network,
                       0 with shared_dir; load_s: writing it on the worker,
                       match_s: the batch on it; worker: where it ran)
    """

    def __init__(self, query_ids: List[str], cand_ids: List[str], scores: np.ndarray, positions: np.ndarray,
                 resolved: int, shards: int, timings: Dict[str, Any]) -> None:
        self.query_ids = query_ids
        self._cand = cand_ids
        self.scores = scores
        self.positions = positions
        self.resolved = resolved
        self.shards = shards
        self.timings = timings
        self._row = {q: r for r, q in enumerate(query_ids)}

    def __getitem__(self, qid: str) -> List[Tuple[str, float]]:
        r = self._row[qid]
        c = self._cand
        return [(c[g], s) for g, s in zip(self.positions[r].tolist(), self.scores[r].tolist()) if g >= 0]

    def __iter__(self) -> Iterator[str]:
        return iter(self.query_ids)

    def __len__(self) -> int:
        return len(self.query_ids)

    def to_dict(self) -> Dict[str, List[Tuple[str, float]]]:
        return {q: self[q] for q in self.query_ids}

    def __repr__(self) -> str:
        return "<libmatch.dask.BatchResult %d queries, k=%d, %d shards, %d resolved>" % (
            len(self.query_ids), self.scores.shape[1] if self.scores.ndim == 2 else 0, self.shards, self.resolved)


class DaskMatcher:
    """libmatch on a Dask cluster: batch matching and record and text
    queries sharded by candidates.  Results equal those of Database on the
    same file.

    client      a distributed.Client (of a LocalCluster or of any cluster),
                or a scheduler address ("tcp://host:8786"): a Client is then
                made here and closed by close()
    path        the libmatch database; a snapshot is taken now (later writes
                to the file are not seen: make a new DaskMatcher).  It
                stays on the client: shards are cut from it here, and the
                exact tie pass of batch matching runs on it.
    shared_dir  a directory every worker can read at the same path (NFS, a
                LocalCluster's machine): the snapshot and the batch shards
                are written there and workers copy a batch shard from
                there.  None (default): each batch shard is sent through
                Dask, compressed, to one worker and copied to a second.
                (The shards of record and text queries always go through
                Dask.)
    retries     how often Dask re-runs a task that raised (a worker that
                died is handled by Dask's own rescheduling as well)
    compress    zlib level of the shards sent (0: none)

    snapshot_bytes is the size of the snapshot; shipped_bytes what has
    been sent through Dask so far (compressed shards, each counted once,
    not its second copy).

    Use it as a context manager, or call close(): it removes the snapshot
    and every worker's files.
    """

    def __init__(self, client: "distributed.Client | str", path: "os.PathLike[str] | str", *,
                 shared_dir: Optional[str] = None, retries: int = 2, compress: int = 1) -> None:
        self._own_client = isinstance(client, str)
        if not self._own_client and not isinstance(client, distributed.Client):
            raise TypeError("client must be a distributed.Client or a scheduler address, not %s"
                            % type(client).__name__)
        self.path = os.fspath(path)
        Database(self.path, readonly=True).close()   # a clear error for a missing or foreign file
        if self._own_client:
            client = distributed.Client(client)
        self.client = client
        self.retries = int(retries)
        self.token = uuid.uuid4().hex
        self._run = itertools.count()
        self._closed = False
        self._ids_cache: Dict[int, List[str]] = {}
        self._raw_ids: Dict[int, List[bytes]] = {}
        t0 = time.perf_counter()
        self._tmp = tempfile.mkdtemp(prefix="libmatch-dask-")
        base = shared_dir if shared_dir is not None else self._tmp
        self._snap = os.path.join(base, "libmatch-snapshot-%s.db" % self.token)
        self._shared = os.path.abspath(shared_dir) if shared_dir is not None else None
        self._src: Any = None                        # no replica of the whole snapshot is ever sent
        self._batch: Dict[Tuple[int, int, int, int], _BatchShards] = {}
        self._dfs: Dict[int, _DfsShards] = {}
        self._compress = max(0, min(int(compress), 9))
        self.shipped_bytes = 0
        try:
            _snapshot(self.path, self._snap)
            self.db = Database(self._snap, readonly=True)   # the client's view: counts, ids, checks, shards, ties
            self.snapshot_bytes = os.path.getsize(self._snap)
        except BaseException:
            self._cleanup_local()
            if self._own_client:
                self.client.close()
            raise
        self.setup_s = time.perf_counter() - t0

    # ---- lifecycle ----

    def close(self) -> None:
        """Remove the snapshot, the shards and every worker's copies (idempotent)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self.client.run(_task_drop, self.token)
        for bs in self._batch.values():
            for f in bs.srcs:
                if isinstance(f, _SharedFile):
                    _remove_db(f.path)
                else:
                    with contextlib.suppress(Exception):
                        f.release()
        self._batch.clear()
        for sh in self._dfs.values():
            for f in sh.payloads + [sh.stats]:
                with contextlib.suppress(Exception):
                    f.release()
        self._dfs.clear()
        self._cleanup_local()
        if self._own_client:
            self.client.close()

    def _cleanup_local(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.remove(self._snap + suffix)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "DaskMatcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<libmatch.dask.DaskMatcher %r%s>" % (self.path, " closed" if self._closed else "")

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidArgument(N.LM_ESTATE, "this DaskMatcher of %r is closed" % (self.path,))

    def _key(self, name: str, *parts: object) -> str:
        return "-".join(["libmatch", name, self.token] + [str(p) for p in parts])

    def _submit(self, fn: Any, *args: Any, key: str) -> "distributed.Future":
        return self.client.submit(fn, *args, key=key, retries=self.retries, pure=False)

    def _cut(self, path: str, keep: Dict[int, Tuple[int, int]], kinds: Sequence[int], vacuum: bool = True) -> None:
        """path: a copy of the snapshot made here, cut to the blocks `keep`
        {kind: (lo, hi)} of the storage order; of the other kinds only those
        in `kinds` stay (whole); VACUUMed (deleted records leave the file,
        row ids stay) and in rollback-journal mode (read-only opens make no
        -wal beside it)."""
        shutil.copyfile(self._snap, path)
        with Database(path) as db:
            for kind, (lo, hi) in keep.items():
                dfs.cut(db, KIND_NAMES[kind], lo, hi)
            for kind in KIND_NAMES:
                if kind not in keep and kind not in kinds:
                    dfs.cut(db, KIND_NAMES[kind], 0, 0)
        if not vacuum:
            return
        c = sqlite3.connect(path)
        try:
            c.execute("VACUUM")
            c.execute("PRAGMA journal_mode=DELETE")
        finally:
            c.close()

    def _batch_shards_for(self, frm: int, to: int, split: int, n: int) -> "_BatchShards":
        """The files of a batch of `frm` against `to`, cut here from the
        snapshot: shard j keeps block j of the kind `split` in storage order
        and every record of the other side (no third kind); compressed and
        scattered to one worker and copied to a second (or, with shared_dir,
        written there).  Made once per (frm, to, split, n)."""
        key = (frm, to, split, n)
        got = self._batch.get(key)
        if got is not None:
            return got
        nrec = len(self._ids_raw(split))
        bounds = [nrec * j // n for j in range(n + 1)]
        srcs: List[Any] = []
        sizes: List[int] = []
        shipped: List[int] = []
        cut_s: List[float] = []
        for j in range(n):
            t0 = time.perf_counter()
            name = "libmatch-batch-%s-%d-%d-%d-%d-%d.db" % (self.token, frm, to, split, n, j)
            path = os.path.join(self._shared or self._tmp, name)
            try:
                self._cut(path, {split: (bounds[j], bounds[j + 1])}, (frm, to))
                sizes.append(os.path.getsize(path))
                sha = _sha256_file(path)
                if self._shared is not None:
                    srcs.append(_SharedFile(path, sizes[-1], sha))
                    shipped.append(0)
                else:
                    payload = _Payload(_compress_file(path, self._compress), sizes[-1], sha)
                    shipped.append(len(payload.data))
                    srcs.append(self.client.scatter(payload, hash=False))
                    del payload
            finally:
                if self._shared is None:
                    _remove_db(path)
            cut_s.append(time.perf_counter() - t0)
        futures = [f for f in srcs if not isinstance(f, _SharedFile)]
        if futures and self.workers() > 1:         # a second copy: a lost worker loses no shard
            self.client.replicate(futures, n=2)
        self.shipped_bytes += sum(shipped)
        got = self._batch[key] = _BatchShards(split, bounds, srcs, sizes, shipped, cut_s)
        return got

    def _ids_raw(self, kind: int) -> List[bytes]:
        if kind not in self._raw_ids:
            self._raw_ids[kind] = _ids(self.db, kind)
        return self._raw_ids[kind]

    def ids(self, kind: str) -> List[str]:
        """The ids of `kind` in the snapshot, in storage order."""
        k = kind_code(kind)
        if k not in self._ids_cache:
            self._ids_cache[k] = [i.decode("utf-8") for i in self._ids_raw(k)]
        return self._ids_cache[k]

    @property
    def dashboard_link(self) -> Optional[str]:
        """The address of the cluster's dashboard (tasks named libmatch-...),
        None when the scheduler runs none."""
        try:
            return self.client.dashboard_link
        except Exception:
            return None

    def workers(self) -> int:
        """Worker processes of the cluster now."""
        return len(self.client.scheduler_info().get("workers", {}))

    # ---- batch matching ----

    def batch_match(self, kind: str, *, to: str, k: Optional[int] = None, shards: Optional[int] = None,
                    split: str = "candidates", progress: bool = False, memory: int = 0) -> BatchResult:
        """Every record of `kind` against every record of kind `to` in the
        built-in semantic space, top k each: what Database.batch_match()
        returns, as a BatchResult mapping.

        split "candidates" (default) cuts the records of kind `to` into
        `shards` blocks of the storage order (None: one per worker), here on
        the client: each shard is a copy of the snapshot keeping block j of
        `to` and every record of `kind` (nothing of the third kind), sent
        once, compressed, to two workers; each worker answers top-k for
        every query on its shard and a tree of merge tasks keeps each
        query's k best.  Queries whose order between shards only the exact
        double cosines decide (equal float scores) are recomputed here by
        the library on the snapshot reduced to their shards' hits.  No
        worker ever holds the whole database or every candidate.
        split "queries" cuts the records of `kind` instead: each shard
        keeps block j of the queries and every candidate of kind `to`
        (every worker holds all the candidate vectors; nothing to merge).
        A batch of one kind against itself runs unsharded, on a file
        holding that kind only (see README).  progress=True shows
        distributed's progress bar.  memory: the bytes each task's batch
        may hold (Database.batch_memory; 0: no bound), the same results."""
        self._check_open()
        frm, dst = kind_code(kind), kind_code(to)
        opt = REGISTRY["k"]
        if k is None:
            k = int(opt.default or 0)
        if isinstance(k, bool) or not isinstance(k, int):
            raise TypeError("k must be an int, not %s" % type(k).__name__)
        if not opt.min <= k <= opt.max:
            raise InvalidArgument(N.LM_ERANGE, "option 'k': %d is not in %d..%d" % (k, opt.min, opt.max))
        if shards is not None and (isinstance(shards, bool) or not isinstance(shards, int) or shards < 1):
            raise ValueError("shards must be a positive int, not %r" % (shards,))
        if split not in ("candidates", "queries"):
            raise ValueError("split must be 'candidates' or 'queries', not %r" % (split,))
        _check_memory(memory)
        if not (self.db.stats().get("vectors") or {}).get("dim"):
            raise InvalidArgument(N.LM_ESTATE, "no semantic vectors in %r: build them first "
                                  "(Database.build_vectors(), lmatch vectors)" % (self.path,))
        t0 = time.perf_counter()
        qraw, craw = self._ids_raw(frm), self._ids_raw(dst)
        nfrom, nto = len(qraw), len(craw)
        qsig = _qsig(qraw)
        run = next(self._run)
        timings: Dict[str, Any] = {}
        if nfrom == 0 or nto == 0:
            return BatchResult(self.ids(kind), self.ids(to), np.zeros((nfrom, 0), np.float32),
                               np.zeros((nfrom, 0), np.int64), 0, 0, timings)
        csig = _qsig(craw)
        if frm != dst and split == "queries":
            nshards = min(shards or max(1, self.workers()), nfrom)
            sh = self._batch_shards_for(frm, dst, frm, nshards)
            bounds = sh.bounds
            futs = [self._submit(_task_batch_qshard, self.token, sh.srcs[j], frm, dst, k, bounds[j], bounds[j + 1],
                                 _qsig(qraw[bounds[j]:bounds[j + 1]]), nto, csig, memory,
                                 key=self._key("batch-qshard", run, j))
                    for j in range(nshards)]
            if progress:
                distributed.progress(futs)
            parts = self.client.gather(futs)
            timings["batch_s"] = time.perf_counter() - t0
            timings["shards"] = [self._shard_timing(p["t"][0], sh, j) for j, p in enumerate(parts)]
            return BatchResult(self.ids(kind), self.ids(to), np.concatenate([p["S"] for p in parts]),
                               np.concatenate([p["G"] for p in parts]), 0, nshards, timings)
        if frm == dst:
            nshards = 1
            sh = self._batch_shards_for(frm, dst, dst, 1)
            leaves = [self._submit(_task_batch_whole, self.token, sh.srcs[0], frm, k, nto, qsig, memory,
                                   key=self._key("batch-whole", run))]
        else:
            nshards = min(shards or max(1, self.workers()), nto)
            sh = self._batch_shards_for(frm, dst, dst, nshards)
            bounds = sh.bounds
            leaves = [self._submit(_task_batch_shard, self.token, sh.srcs[j], frm, dst, k, bounds[j], bounds[j + 1],
                                   _qsig(craw[bounds[j]:bounds[j + 1]]), nfrom, qsig, memory,
                                   key=self._key("batch-shard", run, j))
                      for j in range(nshards)]
        level, tasks, n = leaves, list(leaves), 0
        while len(level) > 1:                         # a tree of merges, on the workers
            nxt = []
            for i in range(0, len(level) - 1, 2):
                f = self._submit(_task_merge, level[i], level[i + 1], k, key=self._key("merge", run, n))
                n += 1
                nxt.append(f)
                tasks.append(f)
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        if progress:
            distributed.progress(tasks)
        final = level[0].result()
        timings["batch_s"] = time.perf_counter() - t0
        timings["shards"] = [self._shard_timing(t, sh, j) for j, t in enumerate(sorted(final["t"], key=lambda d: d["lo"]))]
        S, G, flag = final["S"], final["G"], final["flag"]
        rows = np.nonzero(flag)[0]
        resolved = 0
        if len(rows):
            t1 = time.perf_counter()
            parts = self.client.gather([self._submit(_task_rows, leaf, rows, key=self._key("rows", run, j))
                                        for j, leaf in enumerate(leaves)])
            keep = np.unique(np.concatenate([p.ravel() for p in parts]))
            keep = keep[keep >= 0]
            rs, rg = self._resolve(frm, dst, k, rows, keep)
            width = S.shape[1]
            S = S.copy()
            G = G.copy()
            S[rows, :] = -np.inf
            G[rows, :] = -1
            S[rows, :rs.shape[1]] = rs[:, :width]
            G[rows, :rg.shape[1]] = rg[:, :width]
            resolved = len(rows)
            timings["resolve_s"] = time.perf_counter() - t1
        del leaves, tasks, level
        return BatchResult(self.ids(kind), self.ids(to), S, G, resolved, nshards, timings)

    @staticmethod
    def _shard_timing(t: Dict[str, Any], sh: "_BatchShards", j: int) -> Dict[str, Any]:
        d = dict(t)
        d.update(cut_s=sh.cut_s[j], bytes=sh.sizes[j], shipped_bytes=sh.shipped[j])
        sh.cut_s[j] = 0.0                              # cut once: later batches reuse the shard
        return d

    def _resolve(self, frm: int, to: int, k: int, rows: np.ndarray, keep: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """The flagged queries `rows`, recomputed by the library here on a
        copy of the snapshot cut to the block of queries from the first to
        the last of them and the block of candidates from the first to the
        last of `keep` (the union of their shards' hits, storage positions).
        Exact: every query's true top k is in `keep`, and a candidate in the
        block but not in `keep` is beaten by the k hits of its own shard,
        which are in `keep`; cutting keeps the storage order (row ids)."""
        qraw, craw = self._ids_raw(frm), self._ids_raw(to)
        qlo, qhi = int(rows[0]), int(rows[-1]) + 1
        clo, chi = int(keep[0]), int(keep[-1]) + 1
        path = os.path.join(self._tmp, "resolve-%s.db" % uuid.uuid4().hex)
        try:
            self._cut(path, {frm: (qlo, qhi), to: (clo, chi)}, (), vacuum=False)
            with Database(path, readonly=True) as db:
                gmap = {craw[p]: p for p in range(clo, chi)}
                qids, s, g = _batch_arrays(db, frm, to, k, gmap, min(k, chi - clo), set((rows - qlo).tolist()))
                _check_queries(qids, qhi - qlo, _qsig(qraw[qlo:qhi]), frm)
        finally:
            _remove_db(path)
        return s, g

    # ---- record and text queries ----

    def _shards_for(self, to: int, shards: Optional[int]) -> _DfsShards:
        """The shards of the candidates of kind `to`: cut here from the
        snapshot (each keeps a block of `to` in storage order, and for
        experts every achievement: their evidence), compressed, each
        scattered to one worker (and copied to a second);
        their statistics of `to` gathered, summed and broadcast.  Made once
        per kind and number of shards."""
        ids = self._ids_raw(to)
        n = max(1, min(shards or max(1, self.workers()), len(ids)))
        got = self._dfs.get(to)
        if got is not None and len(got.payloads) == n:
            return got
        if got is not None:
            for f in got.payloads + [got.stats]:
                with contextlib.suppress(Exception):
                    f.release()
        bounds = [len(ids) * j // n for j in range(n + 1)]
        payloads, sizes = [], []
        for j in range(n):
            path = os.path.join(self._tmp, "dfs-%d-%d.db" % (to, j))
            shutil.copyfile(self._snap, path)
            try:
                with Database(path) as db:
                    dfs.cut(db, KIND_NAMES[to], bounds[j], bounds[j + 1])
                    for k in KIND_NAMES:                # the other kinds go, but experts' achievements
                        if k != to and not (to == N.KINDS["expert"] and k == N.KINDS["achievement"]):
                            dfs.cut(db, KIND_NAMES[k], 0, 0)
                c = sqlite3.connect(path)
                try:
                    c.execute("VACUUM")                  # the deleted records leave the file (row ids stay)
                    c.execute("PRAGMA journal_mode=DELETE")
                finally:
                    c.close()
                sizes.append(os.path.getsize(path))
                payload = _Payload(_compress_file(path, self._compress), sizes[-1], _sha256_file(path))
                self.shipped_bytes += len(payload.data)
            finally:
                _remove_db(path)
            payloads.append(self.client.scatter(payload, hash=False))
        if self.workers() > 1:                      # a second copy: a lost worker loses no shard
            self.client.replicate(payloads, n=2)
        run = next(self._run)
        parts = self.client.gather([self._submit(_task_dfs_stats, self.token, to, j, payloads[j],
                                                 key=self._key("dfs-stats", run, j)) for j in range(n)])
        stats = self.client.scatter(dfs.merge_stats(parts), broadcast=True, hash=False)
        got = self._dfs[to] = _DfsShards(to, bounds, payloads, stats, sizes)
        return got

    def _queries(self, to: str, queries: List[dfs.Query], chunk: Optional[int], progress: bool,
                 options: Dict[str, Any], shards: Optional[int]) -> List[MatchList]:
        """DFS query-then-fetch over the shards of kind `to`."""
        self._check_open()
        dst = kind_code(to)
        opts = MatchOptions(**options)              # types and names checked here,
        lib.lm_opts_free(opts.new_handle())         # bounds by the library, before any task
        if shards is not None and (isinstance(shards, bool) or not isinstance(shards, int) or shards < 1):
            raise ValueError("shards must be a positive int, not %r" % (shards,))
        if not queries:
            return []
        if chunk is None:
            chunk = max(1, min(256, -(-len(queries) // (4 * max(1, self.workers())))))
        elif isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise ValueError("chunk must be a positive int, not %r" % (chunk,))
        if not self._ids_raw(dst):                  # no candidates: nothing to shard
            return [dfs.match([self.db], q, to=to, **options) for q in queries]
        sh = self._shards_for(dst, shards)
        run = next(self._run)
        merged, tasks = [], []
        for c, i in enumerate(range(0, len(queries), chunk)):
            qs = queries[i:i + chunk]
            probes = [self._submit(_task_dfs_probe, self.token, dst, j, sh.payloads[j], sh.stats, qs, options,
                                   key=self._key("dfs-probe", run, c, j)) for j in range(len(sh.payloads))]
            ctx = self._submit(_task_dfs_context, *probes, key=self._key("dfs-context", run, c))
            parts = [self._submit(_task_dfs_part, self.token, dst, j, sh.payloads[j], sh.stats, qs, ctx, options,
                                  key=self._key("dfs-part", run, c, j)) for j in range(len(sh.payloads))]
            merged.append(self._submit(_task_dfs_merge, options, *parts, key=self._key("dfs-merge", run, c)))
            tasks += probes + [ctx] + parts
        if progress:
            distributed.progress(tasks + merged)
        out: List[MatchList] = []
        for part in self.client.gather(merged):
            out.extend(part)
        return out

    def match_many(self, kind: str, ids: Optional[Iterable[str]] = None, *, to: str, chunk: Optional[int] = None,
                   progress: bool = False, shards: Optional[int] = None, **options: Any) -> Dict[str, MatchList]:
        """Database.match() for many stored records of `kind` (None: all of
        them, in storage order): {id: MatchList}.  Options as match() takes
        them.  DFS query-then-fetch over `shards` shards of the records of
        kind `to` (None: one per worker), each worker holding only its
        shard of that kind; `chunk` queries per task."""
        kind_code(to)
        idl = self.ids(kind) if ids is None else [str(i) for i in ids]
        # the shards hold only candidates: each query goes as its stored
        # record (the shard holding it, when of the candidates' kind, leaves
        # it out as Database.match() does)
        qs = [dfs.Query.stored_as_record(self.db, kind, i) for i in idl]
        return dict(zip(idl, self._queries(to, qs, chunk, progress, options, shards)))

    def match_records(self, records: Iterable[Record], *, to: str, chunk: Optional[int] = None,
                      progress: bool = False, shards: Optional[int] = None, **options: Any) -> List[MatchList]:
        """Database.match_record() for each record (dicts or JSON text), in
        the given order, as match_many() runs them."""
        return self._queries(to, [dfs.Query.record(r) for r in records], chunk, progress, options, shards)

    def query_many(self, texts: Iterable[str], *, to: str, chunk: Optional[int] = None, progress: bool = False,
                   shards: Optional[int] = None, **options: Any) -> List[MatchList]:
        """Database.query() for each text, in the given order, as
        match_many() runs them."""
        return self._queries(to, [dfs.Query.text(t) for t in texts], chunk, progress, options, shards)
