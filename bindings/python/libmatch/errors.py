"""Exceptions: one class per family of C status codes.

Every exception raised for a failed C call is a ``libmatch.Error`` with
``.code`` (the LM_E* status) and the C library's message (lm_errmsg: it names
the record, field or line).  The classes also derive from the closest
built-in exception, so ordinary Python handlers work too: ``NotFound`` is a
``KeyError``, the invalid-input errors are ``ValueError``s, ``Misuse`` is a
``RuntimeError`` and out of memory is a ``MemoryError``.  A database file
that does not exist where one must (read-only open) is the built-in
``FileNotFoundError``.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple, Type

from . import _native as N
from .types import LoadReport


class Error(Exception):
    """A libmatch call failed.  .code is the C status (LM_E*), .message (and
    str()) the C library's explanation."""

    report: Optional[LoadReport]
    """For a failed atomic bulk load: what the load reported (which line)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.report = None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return "%s(%d, %r)" % (type(self).__name__, self.code, self.message)

    def __reduce__(self) -> Tuple[type, Tuple[int, str]]:
        return (type(self), (self.code, self.message))


class InvalidRecord(Error, ValueError):
    """Malformed JSON (LM_EJSON) or well-formed JSON that is not a valid
    record (LM_ERECORD): missing id or kind, unknown key, wrong type."""


class InvalidUTF8(Error, ValueError):
    """Text that is not valid UTF-8 or holds a NUL character."""


class TooBig(Error, ValueError):
    """A documented limit (id length, field size, list length, depth) was exceeded."""


class NotFound(Error, KeyError):
    """No record with that kind and id."""


class DatabaseError(Error):
    """SQLite reported an error (LM_EDB) or a file could not be read or written (LM_EIO)."""


class Busy(DatabaseError):
    """The database stayed locked longer than the busy timeout."""


class NotADatabase(DatabaseError):
    """The file is not a libmatch database (LM_ENOTDB): a foreign or damaged
    SQLite file, or not SQLite at all.  The file is left untouched."""


class Mismatch(Error):
    """The database was built with another analyzer or schema version
    (reopen with reindex=True), or a vector space mismatch."""


class DictionaryError(Error):
    """The word dictionary is missing or unreadable."""


class InvalidArgument(Error, ValueError):
    """An argument the C library refused: invalid (LM_EINVAL), out of range
    (LM_ERANGE), or not valid in the current state (LM_ESTATE)."""


class OutOfMemory(Error, MemoryError):
    """The C library ran out of memory."""


class Misuse(Error, RuntimeError):
    """The API was used against its rules (LM_EMISUSE), e.g. one database
    handle from two threads at once, or from inside its own callback."""


CODE_TO_CLASS: Dict[int, Type[Error]] = {
    N.LM_ERROR: Error,
    N.LM_ENOMEM: OutOfMemory,
    N.LM_EINVAL: InvalidArgument,
    N.LM_EJSON: InvalidRecord,
    N.LM_ERECORD: InvalidRecord,
    N.LM_EINVAL_UTF8: InvalidUTF8,
    N.LM_ETOOBIG: TooBig,
    N.LM_ENOTFOUND: NotFound,
    N.LM_EIO: DatabaseError,
    N.LM_EDB: DatabaseError,
    N.LM_EBUSY: Busy,
    N.LM_EMISMATCH: Mismatch,
    N.LM_EDICT: DictionaryError,
    N.LM_ERANGE: InvalidArgument,
    N.LM_ESTATE: InvalidArgument,
    N.LM_ENOTDB: NotADatabase,
    N.LM_EMISUSE: Misuse,
}


def error_for(code: int, message: Optional[str] = None) -> Error:
    """The exception for a C status code (message: lm_errstr's when None)."""
    if message is None:
        message = errstr(code)
    return CODE_TO_CLASS.get(code, Error)(code, message)


def errstr(code: int) -> str:
    """The C library's static description of a status code."""
    return N.lib.lm_errstr(code).decode("utf-8", "replace")


def id_bytes(s: object, what: str = "id") -> bytes:
    """A NUL-terminated string argument (id, word, model, region...): str or
    bytes.  A NUL inside would silently cut it short in C, so it is refused
    the way the C library refuses NUL in text (LM_EINVAL_UTF8)."""
    if not isinstance(s, (str, bytes)):
        raise TypeError("%s must be str, not %s" % (what, type(s).__name__))
    b = N.text_bytes(s, what)
    if b"\0" in b:
        raise InvalidUTF8(N.LM_EINVAL_UTF8, "%s %r holds a NUL character" % (what, s))
    return b
