"""libmatch -- Python binding (ctypes) of the libmatch C library.

Matches technology supply and demand: problems (问题库), achievements (成果库)
and experts (人才库), stored in one SQLite file, ranked with BM25 over a
Chinese+English analyzer, with an explanation of every score.

    >>> import libmatch
    >>> with libmatch.open("match.db") as db:
    ...     db.load_jsonl("problems.jsonl")
    ...     for m in db.match(problem="P-001", to="achievement", k=5):
    ...         print(m.id, m.label, round(m.score, 3), m.terms)

No compiled code of its own.  The shared library is taken from
$LIBMATCH_LIBRARY if set (and only from there); else, for a package
installed by `make install`, from the LIBDIR it was installed with; else,
run from the source tree, from the repository's build/; else from the
system (the dynamic loader, then /usr/local/lib and /usr/lib).  Match
options come from the library's option registry: see libmatch.options().

Layout: _native (library loading, the table of ctypes declarations,
conversions), errors (exceptions), registry (the option registry), types
(result values), database (the API).
"""
from ._native import (ANALYZE_ALL, ANALYZE_BIGRAMS, ANALYZE_SUBWORDS, ANALYZE_UNIGRAMS, ANALYZE_WORDS,
                      BINDING_MAJOR, KINDS, LM_MIN_BATCH_MEMORY, LibraryNotFound, library_path, lib as _lib)
from .errors import (Busy, DatabaseError, DictionaryError, Error, InvalidArgument, InvalidRecord, InvalidUTF8,
                     Mismatch, Misuse, NotADatabase, NotFound, OutOfMemory, TooBig)
from .registry import Option, options
from .types import Allocation, LearnReport, LoadReport, Match, MatchList, Token
from .database import Database, Progress, analyze, open, set_dictionary  # noqa: A004

__version__ = "1.0.0"

__all__ = [
    "open", "Database", "analyze", "set_dictionary", "options", "Option", "Progress",
    "library_version", "library_version_number", "library_path",
    "Match", "MatchList", "LoadReport", "LearnReport", "Token", "Allocation", "KINDS", "BINDING_MAJOR",
    "LM_MIN_BATCH_MEMORY",
    "ANALYZE_WORDS", "ANALYZE_SUBWORDS", "ANALYZE_BIGRAMS", "ANALYZE_UNIGRAMS", "ANALYZE_ALL",
    "Error", "InvalidRecord", "InvalidUTF8", "TooBig", "NotFound", "DatabaseError", "Busy", "NotADatabase",
    "Mismatch", "DictionaryError", "InvalidArgument", "OutOfMemory", "Misuse", "LibraryNotFound",
]


def library_version() -> str:
    """Version of the loaded C library, e.g. "1.0.0"."""
    v: bytes = _lib.lm_version()
    return v.decode()


def library_version_number() -> int:
    """The same as MAJOR*10000 + MINOR*100 + PATCH."""
    n: int = _lib.lm_version_number()
    return n

# Public classes print as libmatch.X (in reprs and tracebacks); pickling
# finds them here too.
for _cls in (Database, Match, MatchList, LoadReport, Token, Allocation, Option, Error, InvalidRecord,
             InvalidUTF8, TooBig, NotFound, DatabaseError, Busy, NotADatabase, Mismatch, DictionaryError,
             InvalidArgument, OutOfMemory, Misuse, LibraryNotFound):
    _cls.__module__ = __name__
del _cls
