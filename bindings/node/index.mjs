// libmatch for Node.js, ESM entry point: the very objects of index.cjs (one
// copy of the library state whichever way the package is imported).
import { createRequire } from 'node:module';

const lib = createRequire(import.meta.url)('./index.cjs');

export const {
  Database,
  open,
  openPool,
  Pool,
  analyze,
  describeOptions,
  setDictionary,
  libraryVersion,
  libraryPath,
  AnalyzeMode,
  MIN_BATCH_MEMORY,
  LibraryNotFoundError,
  LibmatchError,
  OutOfMemoryError,
  InvalidArgumentError,
  InvalidJSONError,
  InvalidRecordError,
  InvalidUTF8Error,
  TooBigError,
  NotFoundError,
  IOError,
  DatabaseError,
  BusyError,
  MismatchError,
  DictionaryError,
  OutOfRangeError,
  StateError,
  NotADatabaseError,
  MisuseError,
} = lib;
export default lib;
