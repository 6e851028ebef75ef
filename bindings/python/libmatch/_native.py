"""Loading the C library and the one table of ctypes declarations.

Everything that touches ctypes directly lives here: where the shared library
is looked for, the version check, the argtypes/restype of every C function
the binding calls (``_DECLS``), the C constants of the ABI (status codes,
flags), and the conversions between Python values and C buffers (UTF-8 text,
paths, strings returned through ``char **out``, float vectors).

Match options are not here: their names, types, bounds and defaults come
from the library's option registry at import time (see ``registry.py``).

To wrap a new C function: add one line to ``_DECLS`` (mark it optional when
an older 1.x library may lack it, so that such a library still loads), then
call it as ``lib.lm_name``; ``require("lm_name")`` gives a clear error when
the loaded library lacks it.
"""
from __future__ import annotations

import array
import bisect
import ctypes
import ctypes.util
import os
import platform
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union

BINDING_MAJOR = 1
SONAME = "libmatch.so.%d" % BINDING_MAJOR

# ---- C constants of the ABI (libmatch.h) --------------------------------------

(LM_OK, LM_ERROR, LM_ENOMEM, LM_EINVAL, LM_EJSON, LM_ERECORD, LM_EINVAL_UTF8, LM_ETOOBIG,
 LM_ENOTFOUND, LM_EIO, LM_EDB, LM_EBUSY, LM_EMISMATCH, LM_EDICT, LM_ERANGE, LM_ESTATE,
 LM_ENOTDB, LM_EMISUSE) = range(18)

LM_MAX_ID_BYTES = 512
LM_MAX_K = 10000
LM_MAX_DIM = 4096
LM_BUSY_TIMEOUT_MS = 10000
LM_MAX_BUSY_TIMEOUT_MS = 3600000
LM_MIN_BATCH_MEMORY = 65536

LM_OPEN_READONLY, LM_OPEN_REINDEX, LM_OPEN_NO_MMAP = 0x01, 0x02, 0x04
LM_LOAD_ATOMIC, LM_LOAD_SKIP_BAD, LM_LOAD_NO_VECTORS = 0, 1, 0x10

LM_OPT_TYPE_INT, LM_OPT_TYPE_DOUBLE, LM_OPT_TYPE_STRING, LM_OPT_TYPE_LIST = 1, 2, 3, 4

ANALYZE_WORDS, ANALYZE_SUBWORDS, ANALYZE_BIGRAMS, ANALYZE_UNIGRAMS = 0x01, 0x02, 0x04, 0x08
ANALYZE_ALL = 0x07                 # the default; ANALYZE_ALL | ANALYZE_UNIGRAMS adds single characters
TOKEN_COLOCATED = 0x01

# ---- the declarations: every C function the binding calls ---------------------

c_int, c_double, c_char_p, c_void_p, c_size_t, c_int64, c_float = (
    ctypes.c_int, ctypes.c_double, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t,
    ctypes.c_int64, ctypes.c_float)
P = ctypes.POINTER
c_char_ptr = P(ctypes.c_char)        # a char* we must free: keeps the address
c_char_pp = P(c_char_ptr)            # char **out, freed with lm_free
handle_p = P(c_void_p)               # lm_xxx **out
# typedef int (*lm_batch_fn)(void *ctx, const char *from_id, int n,
#                            const char *const *ids, const float *scores);
BATCH_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_char_p, c_int, P(c_char_p), P(c_float))
# typedef int (*lm_record_fn)(void *ctx, int kind, const char *id,
#                             const char *json, size_t len);
RECORD_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_char_p, c_void_p, c_size_t)
# typedef int (*lm_progress_fn)(void *ctx, const char *stage, int64_t done,
#                               int64_t total);
PROGRESS_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_char_p, c_int64, c_int64)

# name: (restype, argtypes[, "optional"]).  Handles are c_void_p; borrowed
# strings (const char *) are c_char_p; owned strings come through c_char_pp.
_DECLS: Dict[str, Tuple[Any, ...]] = {
    # version, errors, memory, kinds
    "lm_version": (c_char_p, []),
    "lm_version_number": (c_int, []),
    "lm_errstr": (c_char_p, [c_int]),
    "lm_errmsg": (c_char_p, [c_void_p]),
    "lm_errcode": (c_int, [c_void_p]),
    "lm_free": (None, [c_void_p]),
    "lm_kind_name": (c_char_p, [c_int]),
    "lm_set_dictionary": (c_int, [c_char_p]),
    # database and records
    "lm_open": (c_int, [handle_p, c_char_p, c_int]),
    "lm_close": (c_int, [c_void_p]),
    "lm_set_progress": (c_int, [c_void_p, PROGRESS_FN, c_void_p], "optional"),
    "lm_set_busy_timeout": (c_int, [c_void_p, c_int], "optional"),
    "lm_put": (c_int, [c_void_p, c_char_p, c_size_t]),
    "lm_delete": (c_int, [c_void_p, c_int, c_char_p]),
    "lm_get": (c_int, [c_void_p, c_int, c_char_p, c_char_pp]),
    "lm_scan": (c_int, [c_void_p, c_int, RECORD_FN, c_void_p], "optional"),
    "lm_count": (c_int, [c_void_p, c_int, P(c_int64)]),
    "lm_stats_json": (c_int, [c_void_p, c_char_pp]),
    # bulk loading
    "lm_load_jsonl": (c_int, [c_void_p, c_char_p, c_int, handle_p]),
    "lm_load_jsonl_buffer": (c_int, [c_void_p, c_char_p, c_size_t, c_int, handle_p]),
    "lm_report_loaded": (c_int64, [c_void_p]),
    "lm_report_skipped": (c_int64, [c_void_p]),
    "lm_report_error_count": (c_int, [c_void_p]),
    "lm_report_error_line": (c_int64, [c_void_p, c_int]),
    "lm_report_error_id": (c_char_p, [c_void_p, c_int]),
    "lm_report_error_reason": (c_char_p, [c_void_p, c_int]),
    "lm_report_free": (None, [c_void_p]),
    # options: handles, setting by name, and the registry that names them
    "lm_opts_new": (c_int, [handle_p]),
    "lm_opts_free": (None, [c_void_p]),
    "lm_opts_set": (c_int, [c_void_p, c_char_p, c_char_p]),
    "lm_opts_set_double": (c_int, [c_void_p, c_int, c_double]),
    "lm_opts_errmsg": (c_char_p, [c_void_p]),
    "lm_opt_count": (c_int, []),
    "lm_opt_key": (c_int, [c_int]),
    "lm_opt_find": (c_int, [c_char_p, P(c_int)]),
    "lm_opt_name": (c_char_p, [c_int]),
    "lm_opt_type": (c_int, [c_int]),
    "lm_opt_help": (c_char_p, [c_int]),
    "lm_opt_bounds": (c_int, [c_int, P(c_double), P(c_double), P(c_double)]),
    "lm_opt_choices": (c_char_p, [c_int]),
    # matching (results are read as one JSON document: lm_results_json)
    "lm_match": (c_int, [c_void_p, c_int, c_char_p, c_int, c_void_p, handle_p]),
    "lm_match_text": (c_int, [c_void_p, c_char_p, c_size_t, c_int, c_void_p, handle_p]),
    "lm_match_record": (c_int, [c_void_p, c_char_p, c_size_t, c_int, c_void_p, handle_p]),
    "lm_results_json": (c_int, [c_void_p, c_char_pp]),
    "lm_result_label": (c_char_p, [c_void_p, c_int], "optional"),
    "lm_results_free": (None, [c_void_p]),
    # semantic vectors: built-in space, bring-your-own embeddings, batch
    "lm_vectors_build": (c_int, [c_void_p, c_int], "optional"),
    "lm_vector_put": (c_int, [c_void_p, c_int, c_char_p, c_char_p, P(c_float), c_int], "optional"),
    "lm_match_vector": (c_int, [c_void_p, c_char_p, P(c_float), c_int, c_int, c_void_p, handle_p], "optional"),
    "lm_batch_match": (c_int, [c_void_p, c_int, c_int, c_int, BATCH_FN, c_void_p], "optional"),
    "lm_set_batch_memory": (c_int, [c_void_p, c_int64], "optional"),
    # allocation (its parameters travel in the options handle)
    "lm_allocate_v2": (c_int, [c_void_p, c_int, P(c_char_p), c_int, P(c_char_p), P(c_int), c_int,
                               c_void_p, handle_p], "optional"),
    "lm_allocation_json": (c_int, [c_void_p, c_char_pp]),
    "lm_allocation_free": (None, [c_void_p]),
    # analyzer
    "lm_analyze": (c_int, [c_void_p, c_char_p, c_size_t, c_int, handle_p]),
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
    # learning from outcomes: judged matches, refitting the match model
    "lm_feedback_put": (c_int, [c_void_p, c_int, c_char_p, c_int, c_char_p, c_int], "optional"),
    "lm_learn": (c_int, [c_void_p, c_void_p, handle_p], "optional"),
    "lm_learn_report_json": (c_int, [c_void_p, c_char_pp], "optional"),
    "lm_learn_report_free": (None, [c_void_p], "optional"),
    "lm_model_reset": (c_int, [c_void_p], "optional"),
    "lm_model_json": (c_int, [c_void_p, c_char_pp], "optional"),
    # distributed matching (DFS query-then-fetch: libmatch.dfs)
    "lm_dfs_cut": (c_int, [c_void_p, c_int, c_int64, c_int64], "optional"),
    "lm_stats_export": (c_int, [c_void_p, c_int, c_char_pp], "optional"),
    "lm_stats_merge": (c_int, [c_void_p, P(c_char_p), c_int, c_char_pp], "optional"),
    "lm_set_global_stats": (c_int, [c_void_p, c_char_p], "optional"),
    "lm_opts_set_dfs": (c_int, [c_void_p, c_int, c_char_p], "optional"),
    "lm_results_dfs": (c_char_p, [c_void_p], "optional"),
    "lm_dfs_context": (c_int, [c_void_p, P(c_char_p), c_int, c_char_pp], "optional"),
    "lm_dfs_merge": (c_int, [c_void_p, P(c_char_p), c_int, c_void_p, handle_p], "optional"),
}

# ---- finding and loading the library -------------------------------------------


class LibraryNotFound(ImportError):
    """The libmatch shared library could not be loaded (or has the wrong major
    version); the message lists every place looked at and why it failed."""
    __module__ = "libmatch"      # raised while libmatch is being imported


HERE = os.path.dirname(os.path.abspath(__file__))


def installed_libdir() -> Optional[str]:
    """The LIBDIR this package was installed with by `make install` (the
    generated module _installed.py), or None when it was not (source tree,
    pip)."""
    try:
        from . import _installed  # type: ignore[attr-defined]  # generated at install time
    except ImportError:
        return None
    libdir = getattr(_installed, "LIBDIR", None)
    return libdir if isinstance(libdir, str) and libdir else None


def source_tree_root() -> Optional[str]:
    """The repository root when this package runs from the source tree
    (<root>/bindings/python/libmatch), else None."""
    parent = os.path.dirname(HERE)
    if os.path.basename(parent) == "python" and os.path.basename(os.path.dirname(parent)) == "bindings":
        return os.path.dirname(os.path.dirname(parent))
    return None


def system_libdirs() -> List[str]:
    """Directories a library installed by `make install` usually lands in,
    checked explicitly because the dynamic loader's cache only knows a new
    library after `ldconfig`."""
    dirs = ["/usr/local/lib"]
    multiarch = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu"}.get(platform.machine())
    if multiarch:
        dirs += ["/usr/local/lib/" + multiarch, "/usr/lib/" + multiarch]
    return dirs + ["/usr/lib", "/usr/lib64", "/lib"]


def _candidates() -> List[Tuple[Optional[str], str]]:
    """Where to look, in order: (path or soname, label).  A None path stands
    for ctypes.util.find_library("match") when it found nothing."""
    env = os.environ.get("LIBMATCH_LIBRARY")
    if env:                      # explicit: only there
        return [(env, "$LIBMATCH_LIBRARY")]
    out: List[Tuple[Optional[str], str]] = []
    libdir = installed_libdir()
    if libdir:                   # installed by `make install`: the library installed with it
        out.append((os.path.join(libdir, SONAME), "installed with this package (LIBDIR)"))
    root = source_tree_root()
    if root:                     # run from the source tree: the repository's build first
        out.append((os.path.join(root, "build", SONAME), "repository build"))
    out.append((SONAME, "dynamic loader: LD_LIBRARY_PATH, ld.so.cache, /lib, /usr/lib"))
    for d in system_libdirs():
        p = os.path.join(d, SONAME)
        if not any(p == c[0] for c in out):
            out.append((p, "system"))
    out.append((ctypes.util.find_library("match"), "ctypes.util.find_library('match')"))
    return out


def _loaded_path(lib: ctypes.CDLL, fallback: str) -> str:
    """The file the dynamic loader actually mapped for `lib` (dladdr on one of
    its functions), so that a library found by soname is reported by path."""
    class DlInfo(ctypes.Structure):
        _fields_ = [("dli_fname", c_char_p), ("dli_fbase", c_void_p),
                    ("dli_sname", c_char_p), ("dli_saddr", c_void_p)]
    try:
        dladdr = ctypes.CDLL(None).dladdr
        dladdr.argtypes, dladdr.restype = [c_void_p, P(DlInfo)], c_int
        info = DlInfo()
        if dladdr(ctypes.cast(lib.lm_version_number, c_void_p), ctypes.byref(info)) and info.dli_fname:
            return os.path.realpath(os.fsdecode(info.dli_fname))
    except (AttributeError, OSError):
        pass
    return fallback


def load_library() -> Tuple[ctypes.CDLL, str]:
    """Load libmatch and declare its functions; raise LibraryNotFound naming
    every place tried and why each failed."""
    tried = []
    for path, label in _candidates():
        if path is None:
            tried.append("%s: found nothing" % label)
            continue
        if os.sep in path and not os.path.exists(path):
            tried.append("%s (%s): no such file" % (path, label))
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s): %s" % (path, label, e))
            continue
        try:
            fn = lib.lm_version_number
        except AttributeError:
            tried.append("%s (%s): not a libmatch library (no lm_version_number)" % (path, label))
            continue
        fn.restype, fn.argtypes = c_int, []
        number = fn()
        if number // 10000 != BINDING_MAJOR:
            tried.append("%s (%s): libmatch version %d.%d.%d; this binding needs major version %d"
                         % (path, label, number // 10000, number // 100 % 100, number % 100, BINDING_MAJOR))
            continue
        missing = _declare(lib)
        if missing:
            tried.append("%s (%s): libmatch %d.%d.%d lacks required functions: %s"
                         % (path, label, number // 10000, number // 100 % 100, number % 100, ", ".join(missing)))
            continue
        return lib, _loaded_path(lib, path)
    raise LibraryNotFound("libmatch shared library not found (or not usable); tried:\n  " + "\n  ".join(tried)
                          + "\n(set LIBMATCH_LIBRARY to the path of libmatch.so.%d, run `make` in the repository,"
                            " or `make install` it)" % BINDING_MAJOR)


_absent: Set[str] = set()


def _declare(lib: ctypes.CDLL) -> List[str]:
    missing: List[str] = []
    absent: Set[str] = set()
    for name, decl in _DECLS.items():
        try:
            f = getattr(lib, name)
        except AttributeError:
            (absent.add if len(decl) > 2 else missing.append)(name)
            continue
        f.restype, f.argtypes = decl[0], decl[1]
    if not missing:
        _absent.clear()
        _absent.update(absent)
    return missing


lib, library_path = load_library()

KINDS: Dict[str, int] = {}
for _k in (1, 2, 3):
    KINDS[lib.lm_kind_name(_k).decode()] = _k
KIND_NAMES: Dict[int, str] = {v: k for k, v in KINDS.items()}


def require(name: str) -> Any:
    """The C function `name`, or NotImplementedError when the loaded library
    (an older 1.x) lacks it."""
    if name in _absent:
        raise NotImplementedError("%s is not in the loaded libmatch %s (%s)"
                                  % (name, lib.lm_version().decode(), library_path))
    return getattr(lib, name)

# ---- conversions ----------------------------------------------------------------


Text = Union[str, bytes, bytearray, memoryview]


def text_bytes(s: object, what: str = "text") -> bytes:
    """UTF-8 bytes of a str (lone surrogates pass through, so the C side
    reports them as invalid UTF-8); bytes-like objects are passed unchanged
    (a UTF-8 byte order mark included: what to make of it is the library's
    business)."""
    if isinstance(s, str):
        return s.encode("utf-8", "surrogatepass")
    if isinstance(s, (bytes, bytearray, memoryview)):
        return bytes(s)
    raise TypeError("%s must be str or bytes, not %s" % (what, type(s).__name__))


def path_bytes(p: Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]) -> bytes:
    """A filesystem path (str, bytes or os.PathLike) as the OS sees it."""
    b = os.fsencode(p)
    if b"\0" in b:
        raise ValueError("embedded null byte in path %r" % (p,))
    return b


def take_string(p: Any) -> str:
    """Copy a NUL-terminated string returned through `char **out` and free it
    with lm_free (exactly once, even if decoding fails)."""
    if not p:
        return ""
    try:
        return ctypes.string_at(p).decode("utf-8")
    finally:
        lib.lm_free(ctypes.cast(p, c_void_p))


def take_bytes(p: Any) -> bytes:
    """The same as take_string, as bytes (for json.loads, which reads UTF-8
    bytes as JSON text should be read)."""
    if not p:
        return b""
    try:
        return ctypes.string_at(p)
    finally:
        lib.lm_free(ctypes.cast(p, c_void_p))


def borrowed(p: Optional[bytes]) -> Optional[str]:
    """A borrowed `const char *` (c_char_p result) as str; None stays None."""
    return None if p is None else p.decode("utf-8", "replace")


def char_offsets(text: str, data: bytes) -> Callable[[int], int]:
    """A function mapping byte offsets of `data` (= text as UTF-8) to str
    indexes of `text`."""
    if len(data) == len(text):          # ASCII: the same
        return lambda b: b
    starts, pos = [], 0
    for ch in text:
        starts.append(pos)
        o = ord(ch)
        pos += 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
    starts.append(pos)
    return lambda b: bisect.bisect_right(starts, b) - 1


#: A vector: a sequence of numbers (list, tuple, array.array('f')) or any
#: one-dimensional float32 buffer (memoryview, numpy array).  Typed Any: the
#: buffer protocol has no static type before Python 3.12.
Vector = Any


def float_vector(v: Vector) -> Tuple[Any, int, Any]:
    """A C float array for a vector given as a list/tuple of numbers, an
    array.array('f'), or any buffer of float32 (memoryview, numpy); returns
    (pointer, length, keepalive).  Contiguous writable float32 buffers are
    used in place; anything else is copied.  For the vector calls."""
    if isinstance(v, (str, bytes, bytearray)):
        raise TypeError("a vector is a sequence or buffer of floats, not %s" % type(v).__name__)
    try:
        mv: Optional[memoryview] = memoryview(v)
    except TypeError:
        mv = None
    if mv is not None:
        if mv.ndim != 1 or not mv.c_contiguous:
            raise ValueError("a vector must be a one-dimensional contiguous buffer")
        if mv.format in ("f", "<f", "=f") and mv.itemsize == 4:
            n = mv.shape[0] if mv.shape else 0
            if n == 0:
                return (c_float * 0)(), 0, None
            if mv.readonly:
                arr = (c_float * n).from_buffer_copy(mv)
            else:
                arr = (c_float * n).from_buffer(mv)
            return arr, n, (arr, mv)
        if mv.format in ("d", "<d", "=d", "e"):
            vals = mv.tolist()
        else:
            raise TypeError("a vector buffer must hold float32 (format 'f'), not %r" % mv.format)
    else:
        vals = list(v)
    arr2 = array.array("f", [float(x) for x in vals])
    return float_vector(arr2)
