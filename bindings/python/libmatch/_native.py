"""Loading the C library and the one table of ctypes declarations.

Everything that touches ctypes directly lives here: where the shared library
is looked for, the version check, the argtypes/restype of every C function
the binding calls (``_DECLS``), the C constants, and the conversions between
Python values and C buffers (UTF-8 text, paths, strings returned through
``char **out``, float vectors).

To wrap a new C function: add one line to ``_DECLS`` (mark it optional when it
is newer than 1.0.0 so that an older 1.x library still loads), then call it as
``lib.lm_name``; ``require("lm_name")`` gives a clear error when the loaded
library lacks it.
"""
from __future__ import annotations

import array
import bisect
import ctypes
import ctypes.util
import os

BINDING_MAJOR = 1

# ---- C constants (libmatch.h) ------------------------------------------------

LM_OK, LM_ERROR, LM_ENOMEM, LM_EINVAL, LM_EJSON, LM_ERECORD, LM_EINVAL_UTF8, LM_ETOOBIG, \
    LM_ENOTFOUND, LM_EIO, LM_EDB, LM_EBUSY, LM_EMISMATCH, LM_EDICT, LM_ERANGE, LM_ESTATE = range(16)

LM_MAX_ID_BYTES = 512
LM_MAX_K = 10000
LM_MAX_DIM = 4096

KINDS = {"problem": 1, "achievement": 2, "expert": 3}
KIND_NAMES = {v: k for k, v in KINDS.items()}

LM_OPEN_READONLY, LM_OPEN_REINDEX = 0x01, 0x02
LM_LOAD_ATOMIC, LM_LOAD_SKIP_BAD = 0, 1

ANALYZE_WORDS, ANALYZE_SUBWORDS, ANALYZE_BIGRAMS, ANALYZE_ALL = 0x01, 0x02, 0x04, 0x07
TOKEN_COLOCATED = 0x01

# Match options by their Python name.  Integers: lm_opts_set_int.
INT_OPTIONS = {
    "k": 1, "offset": 2, "min_maturity": 3, "max_terms": 4, "candidates": 5,
    "evidence_mode": 6, "evidence_m": 7, "evidence_candidates": 8,
    "prf_docs": 9, "prf_terms": 10, "topic_docs": 11, "dense_candidates": 12,
}
EVIDENCE_MODES = {"max": 1, "sum": 2, "topm": 3}
LM_OPT_REGION, LM_OPT_FIELD = 20, 21
# Weights (doubles): lm_opts_set_double.
WEIGHTS = {
    "title": 40, "body": 41, "keywords": 42, "extra": 43, "bm25_k1": 44, "bm25_b": 45,
    "bm25": 60, "fields": 61, "region": 62, "maturity": 63, "evidence": 64, "prf": 65,
    "topic": 66, "cosine": 67,
}

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

# name: (restype, argtypes[, "optional"]).  Handles are c_void_p; borrowed
# strings (const char *) are c_char_p; owned strings come through c_char_pp.
_DECLS = {
    # version, errors, memory
    "lm_version": (c_char_p, []),
    "lm_version_number": (c_int, []),
    "lm_errstr": (c_char_p, [c_int]),
    "lm_errmsg": (c_char_p, [c_void_p]),
    "lm_errcode": (c_int, [c_void_p]),
    "lm_free": (None, [c_void_p]),
    "lm_set_dictionary": (c_int, [c_char_p]),
    # database and records
    "lm_open": (c_int, [handle_p, c_char_p, c_int]),
    "lm_close": (c_int, [c_void_p]),
    "lm_put": (c_int, [c_void_p, c_char_p, c_size_t]),
    "lm_delete": (c_int, [c_void_p, c_int, c_char_p]),
    "lm_get": (c_int, [c_void_p, c_int, c_char_p, c_char_pp]),
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
    # options
    "lm_opts_new": (c_int, [handle_p]),
    "lm_opts_free": (None, [c_void_p]),
    "lm_opts_set_int": (c_int, [c_void_p, c_int, c_int64]),
    "lm_opts_set_double": (c_int, [c_void_p, c_int, c_double]),
    "lm_opts_set_str": (c_int, [c_void_p, c_int, c_char_p]),
    # matching (results are read as one JSON document: lm_results_json)
    "lm_match": (c_int, [c_void_p, c_int, c_char_p, c_int, c_void_p, handle_p]),
    "lm_match_text": (c_int, [c_void_p, c_char_p, c_size_t, c_int, c_void_p, handle_p]),
    "lm_match_record": (c_int, [c_void_p, c_char_p, c_size_t, c_int, c_void_p, handle_p]),
    "lm_results_json": (c_int, [c_void_p, c_char_pp]),
    "lm_results_free": (None, [c_void_p]),
    # semantic vectors: built-in space, bring-your-own embeddings, batch
    "lm_vectors_build": (c_int, [c_void_p, c_int], "optional"),
    "lm_vector_put": (c_int, [c_void_p, c_int, c_char_p, c_char_p, P(c_float), c_int], "optional"),
    "lm_match_vector": (c_int, [c_void_p, c_char_p, P(c_float), c_int, c_int, c_void_p, handle_p], "optional"),
    "lm_batch_match": (c_int, [c_void_p, c_int, c_int, c_int, BATCH_FN, c_void_p], "optional"),
    # allocation
    "lm_allocate": (c_int, [c_void_p, P(c_char_p), c_int, c_int, P(c_char_p), c_int, P(c_int),
                            c_int, c_int, c_double, c_void_p, handle_p]),
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
}

# ---- finding and loading the library -------------------------------------------


class LibraryNotFound(ImportError):
    """The libmatch shared library could not be loaded (or has the wrong major
    version); the message lists every place looked at and why it failed."""
    __module__ = "libmatch"      # raised while libmatch is being imported


def _candidates():
    """Where to look, in order, with a label for the error message."""
    env = os.environ.get("LIBMATCH_LIBRARY")
    if env:                      # explicit: only there
        return [(env, "$LIBMATCH_LIBRARY")]
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", "..", ".."))
    out = [(os.path.join(repo, "build", "libmatch.so.%d" % BINDING_MAJOR), "repository build")]
    found = ctypes.util.find_library("match")
    out.append((found, "system") if found else ("libmatch (ctypes.util.find_library('match'))", None))
    return out


def load_library():
    """Load libmatch and declare its functions; raise LibraryNotFound."""
    tried = []
    for path, label in _candidates():
        if label is None:
            tried.append("%s: not found" % path)
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
            raise LibraryNotFound(
                "libmatch at %s is version %d.%d.%d (major %d); this binding needs major version %d"
                % (path, number // 10000, number // 100 % 100, number % 100, number // 10000, BINDING_MAJOR))
        missing = _declare(lib)
        if missing:
            raise LibraryNotFound("libmatch at %s lacks required functions: %s" % (path, ", ".join(missing)))
        return lib, path
    raise LibraryNotFound("libmatch shared library not found; looked in:\n  " + "\n  ".join(tried)
                          + "\n(set LIBMATCH_LIBRARY to the path of libmatch.so, or run `make` in the repository)")


_absent = set()


def _declare(lib):
    missing = []
    for name, decl in _DECLS.items():
        try:
            f = getattr(lib, name)
        except AttributeError:
            (_absent.add if len(decl) > 2 else missing.append)(name)
            continue
        f.restype, f.argtypes = decl[0], decl[1]
    return missing


lib, library_path = load_library()


def require(name: str):
    """The C function `name`, or NotImplementedError when the loaded library
    (an older 1.x) lacks it."""
    if name in _absent:
        raise NotImplementedError("%s is not in the loaded libmatch %s (%s)"
                                  % (name, lib.lm_version().decode(), library_path))
    return getattr(lib, name)

# ---- conversions ----------------------------------------------------------------


def text_bytes(s, what: str = "text") -> bytes:
    """UTF-8 bytes of a str (lone surrogates pass through, so the C side
    reports them as invalid UTF-8); bytes-like objects are passed unchanged."""
    if isinstance(s, str):
        return s.encode("utf-8", "surrogatepass")
    if isinstance(s, (bytes, bytearray, memoryview)):
        return bytes(s)
    raise TypeError("%s must be str or bytes, not %s" % (what, type(s).__name__))


def id_bytes(s, what: str = "id") -> bytes:
    """A NUL-terminated string argument (id, word, model, region...): str or
    bytes.  A NUL inside would silently cut it short in C, so it is refused
    the way the C library refuses NUL in text (InvalidUTF8)."""
    if not isinstance(s, (str, bytes)):
        raise TypeError("%s must be str, not %s" % (what, type(s).__name__))
    b = text_bytes(s, what)
    if b"\0" in b:
        from .errors import InvalidUTF8
        raise InvalidUTF8(LM_EINVAL_UTF8, "%s %r holds a NUL character" % (what, s))
    return b


def path_bytes(p) -> bytes:
    """A filesystem path (str, bytes or os.PathLike) as the OS sees it."""
    b = os.fsencode(p)
    if b"\0" in b:
        raise ValueError("embedded null byte in path %r" % (p,))
    return b


def take_string(p) -> str:
    """Copy a NUL-terminated string returned through `char **out` and free it
    with lm_free (exactly once, even if decoding fails)."""
    if not p:
        return ""
    try:
        return ctypes.string_at(p).decode("utf-8")
    finally:
        lib.lm_free(ctypes.cast(p, c_void_p))


def borrowed(p) -> str:
    """A borrowed `const char *` (c_char_p result) as str; None stays None."""
    return None if p is None else p.decode("utf-8", "replace")


def char_offsets(text: str, data: bytes):
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


def float_vector(v):
    """A C float array for a vector given as a list/tuple of numbers, an
    array.array('f'), or any buffer of float32 (memoryview, numpy); returns
    (pointer, length, keepalive).  Contiguous writable float32 buffers are
    used in place; anything else is copied.  For the vector calls."""
    if isinstance(v, (str, bytes, bytearray)):
        raise TypeError("a vector is a sequence or buffer of floats, not %s" % type(v).__name__)
    try:
        mv = memoryview(v)
    except TypeError:
        mv = None
    if mv is not None:
        if mv.ndim != 1 or not mv.c_contiguous:
            raise ValueError("a vector must be a one-dimensional contiguous buffer")
        if mv.format in ("f", "<f", "=f") and mv.itemsize == 4:
            n = mv.shape[0]
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
    arr = array.array("f", [float(x) for x in vals])
    return float_vector(arr)
