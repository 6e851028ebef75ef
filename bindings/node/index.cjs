'use strict';
// libmatch for Node.js: a thin binding of libmatch's C ABI through koffi.
// CommonJS entry point; index.mjs re-exports the same objects for ESM.

const native = require('./lib/native.cjs');
const errors = require('./lib/errors.cjs');
const { describeOptions } = require('./lib/options.cjs');
const { Database, open, analyze, setDictionary, AnalyzeMode, MIN_BATCH_MEMORY } = require('./lib/database.cjs');
const { Pool, openPool } = require('./lib/pool.cjs');

/** The version of the loaded C library, e.g. "1.0.0". */
function libraryVersion() { return native.C.lm_version(); }

module.exports = {
  Database,
  open,
  openPool,
  Pool,
  analyze,
  describeOptions,
  setDictionary,
  libraryVersion,
  libraryPath: native.libraryPath,
  AnalyzeMode,
  MIN_BATCH_MEMORY,
  LibraryNotFoundError: native.LibraryNotFoundError,
  LibmatchError: errors.LibmatchError,
  OutOfMemoryError: errors.OutOfMemoryError,
  InvalidArgumentError: errors.InvalidArgumentError,
  InvalidJSONError: errors.InvalidJSONError,
  InvalidRecordError: errors.InvalidRecordError,
  InvalidUTF8Error: errors.InvalidUTF8Error,
  TooBigError: errors.TooBigError,
  NotFoundError: errors.NotFoundError,
  IOError: errors.IOError,
  DatabaseError: errors.DatabaseError,
  BusyError: errors.BusyError,
  MismatchError: errors.MismatchError,
  DictionaryError: errors.DictionaryError,
  OutOfRangeError: errors.OutOfRangeError,
  StateError: errors.StateError,
  NotADatabaseError: errors.NotADatabaseError,
  MisuseError: errors.MisuseError,
};
// `import libmatch from 'libmatch'` in TypeScript compiled to CommonJS.
Object.defineProperty(module.exports, 'default', { value: module.exports });
