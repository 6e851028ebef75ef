'use strict';
// One error family: LibmatchError carries the C status code, its name and
// the library's message (lm_errmsg / lm_opts_errmsg); one subclass per
// status code of libmatch.h.

class LibmatchError extends Error {
  constructor(message, code = 1, options) {
    super(message, options);
    // `code` is the C status code (a number), as libmatch.h defines it.
    Object.defineProperty(this, 'code', { value: code, enumerable: true });
  }
  get name() { return this.constructor.name; }
  get codeName() { return CODE_NAMES[this.code] || `LM_E${this.code}`; }
}

// Status codes of libmatch.h (a stable ABI: they never change meaning).
const CODES = [
  // [code, C name, class name]
  [1, 'LM_ERROR', null],
  [2, 'LM_ENOMEM', 'OutOfMemoryError'],
  [3, 'LM_EINVAL', 'InvalidArgumentError'],
  [4, 'LM_EJSON', 'InvalidJSONError'],
  [5, 'LM_ERECORD', 'InvalidRecordError'],
  [6, 'LM_EINVAL_UTF8', 'InvalidUTF8Error'],
  [7, 'LM_ETOOBIG', 'TooBigError'],
  [8, 'LM_ENOTFOUND', 'NotFoundError'],
  [9, 'LM_EIO', 'IOError'],
  [10, 'LM_EDB', 'DatabaseError'],
  [11, 'LM_EBUSY', 'BusyError'],
  [12, 'LM_EMISMATCH', 'MismatchError'],
  [13, 'LM_EDICT', 'DictionaryError'],
  [14, 'LM_ERANGE', 'OutOfRangeError'],
  [15, 'LM_ESTATE', 'StateError'],
  [16, 'LM_ENOTDB', 'NotADatabaseError'],
  [17, 'LM_EMISUSE', 'MisuseError'],
];

const CODE_NAMES = { 0: 'LM_OK' };
const BY_CODE = { 1: LibmatchError };
const classes = { LibmatchError };
for (const [code, cname, cls] of CODES) {
  CODE_NAMES[code] = cname;
  if (!cls) continue;
  // A named class per code: `new NotFoundError(message)` has code 8.
  const C = ({ [cls]: class extends LibmatchError {
    constructor(message, options) { super(message, code, options); }
  } })[cls];
  Object.defineProperty(C, 'code', { value: code });
  BY_CODE[code] = C;
  classes[cls] = C;
}

/** The error for status `code` with `message` (plus extra own properties). */
function makeError(code, message, extra) {
  const C = BY_CODE[code];
  const e = C && C !== LibmatchError ? new C(message) : new LibmatchError(message, code);
  if (extra) Object.assign(e, extra);
  return e;
}

module.exports = { ...classes, makeError, CODE_NAMES };
