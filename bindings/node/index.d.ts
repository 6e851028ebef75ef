// Type declarations of the libmatch Node.js binding (index.cjs / index.mjs).
// test/types.test.mjs checks that every runtime export is declared here and
// every declaration exists at run time; test/types-check.ts is compiled with
// tsc against this file.

/// <reference types="node" />

/** The three record kinds. */
export type Kind = 'problem' | 'achievement' | 'expert';

/** Text: a JS string (encoded as UTF-8) or UTF-8 bytes passed unchanged. */
export type Text = string | Buffer | Uint8Array | ArrayBuffer;

/** A record to store or match: an object (serialized with JSON.stringify),
 *  JSON text, or the JSON's UTF-8 bytes. */
export type RecordInput = Record<string, unknown> | Text;

/** A stored record as lm_get() returns it (parsed). */
export interface StoredRecord {
  id: string;
  kind: Kind;
  [key: string]: unknown;
}

/**
 * Options of the option registry, by name: numbers (or numeric strings, or
 * a choice name such as 'rrf'), strings, or arrays of strings for list
 * options.  null clears a string/list option; undefined is skipped.  Names
 * and bounds come from the library (see describeOptions()); an unknown name
 * or a bad value throws the library's error.
 */
export interface MatchOptions {
  k?: number;
  offset?: number;
  region?: string | null;
  field?: string | readonly string[] | null;
  min_maturity?: number;
  fusion?: 'weighted' | 'rrf' | number;
  evidence_mode?: 'max' | 'sum' | 'topm' | number;
  [name: string]: number | bigint | string | readonly string[] | null | undefined;
}

export interface OpenOptions {
  /** Open an existing database read-only (LM_OPEN_READONLY). */
  readonly?: boolean;
  /** Re-index instead of failing when the stored analyzer differs (LM_OPEN_REINDEX). */
  reindex?: boolean;
  /** Read the file without a memory map (LM_OPEN_NO_MMAP). */
  noMmap?: boolean;
  /** Milliseconds a call waits for a database another connection has locked (default 10000). */
  timeout?: number;
}

export interface LoadOptions {
  /** Store good lines and report bad ones (default: atomic, the first bad line fails the load). */
  skipBad?: boolean;
  /** Progress (stage 'load', bytes done, total; then 'vectors'); return false to stop the load. */
  onProgress?: (stage: string, done: number, total: number) => boolean | void;
  /**
   * Keep the semantic space of the latent topic (default true): built once the
   * database holds 100 records, rebuilt as it doubles; false leaves it alone
   * (LM_LOAD_NO_VECTORS).
   */
  vectors?: boolean;
}

export interface LoadError {
  readonly line: number;
  readonly id: string;
  readonly reason: string;
}

export interface LoadReport {
  readonly loaded: number;
  readonly skipped: number;
  readonly errors: readonly LoadError[];
}

export interface Evidence {
  readonly id: string;
  readonly score: number;
}

/** One hit, frozen. */
export interface Match {
  readonly id: string;
  readonly kind: Kind;
  /** Title, or an expert's name; '' when the record has none. */
  readonly label: string;
  readonly score: number;
  /** The results JSON's "probability" when the library provides one. */
  readonly probability: number | undefined;
  /** Score components by name (bm25, fields, region, maturity, evidence, topic, ...). */
  readonly components: Readonly<Record<string, number>>;
  /** The query terms that matched in this hit. */
  readonly terms: readonly string[];
  /** Experts: the linked achievements supporting the hit, best first. */
  readonly evidence: readonly Evidence[];
}

/** A frozen array of hits, best first, with the query's terms. */
export interface MatchResults extends ReadonlyArray<Match> {
  readonly queryTerms: readonly string[];
}

/** Allocation: which problems and candidates, and registry options
 *  (capacity, per_problem, min_score and the match options) by name. */
export interface AllocateOptions {
  /** Problems to assign (default: every stored problem). */
  problems?: readonly string[];
  /** Candidates (default: every stored record of kind `to`). */
  candidates?: readonly string[];
  /** One capacity per candidate (needs `candidates`). */
  capacities?: readonly number[] | Int32Array;
  capacity?: number;
  per_problem?: number;
  min_score?: number;
  [name: string]: number | bigint | string | readonly string[] | readonly number[] | Int32Array | null | undefined;
}

/** Batch matching: Database.batchMatch(from, to, options). */
export interface BatchMatchOptions {
  /** Hits per source record, 1..10000 (default: the option registry's "k"). */
  k?: number;
  /** Bytes this call may hold: 0 for no bound, else at least MIN_BATCH_MEMORY (default: db.batchMemory). */
  memory?: number;
  /** Progress (stage 'batch', done, total); return false to stop the batch (StateError). */
  onProgress?: (stage: string, done: number, total: number) => boolean | void;
}

/** One hit of a batch: a record of the target kind and its cosine with the source record. */
export interface BatchHit {
  readonly id: string;
  readonly score: number;
}

/** Each source record's id, in the library's order, to its hits (frozen, best first). */
export type BatchResults = ReadonlyMap<string, readonly BatchHit[]>;

export interface AllocationPair {
  readonly problem: string;
  readonly candidate: string;
  readonly score: number;
}

export interface Allocation {
  readonly total: number;
  readonly pairs: readonly AllocationPair[];
}

export type AnalyzeModeName = 'words' | 'subwords' | 'bigrams' | 'unigrams' | 'all';

export interface AnalyzeOptions {
  /** Analyzer mode: a name, several names, or LM_ANALYZE_* bits; default: the database's. */
  mode?: AnalyzeModeName | readonly AnalyzeModeName[] | number;
}

export interface Token {
  readonly text: string;
  /** Offsets into the string passed (UTF-16 indices), or byte offsets for bytes input. */
  readonly start: number;
  readonly end: number;
  readonly byteStart: number;
  readonly byteEnd: number;
  /** At the same position as the previous token. */
  readonly colocated: boolean;
}

export interface OptionDescription {
  readonly name: string;
  /** The registry's key for the option. */
  readonly key: number;
  readonly type: 'int' | 'double' | 'string' | 'list';
  readonly help: string;
  /** Number options: default and bounds. */
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
  /** String and list options: the longest value in bytes. */
  readonly maxBytes?: number;
  /** Mode options: the names accepted as values (min..max). */
  readonly choices?: readonly string[];
}

export interface ScanInfo {
  readonly kind: Kind;
  readonly id: string;
  /** The stored JSON text, exactly as get() parses it. */
  readonly json: string;
}

export interface ExportOptions {
  kind?: Kind | 'all';
  /** Write the JSON Lines to this file instead of returning them. */
  path?: string | URL;
}

export declare class Database {
  /** Open (creating if needed) the database at `path` (default ':memory:'). */
  constructor(path?: string | URL, options?: OpenOptions);
  static open(path?: string | URL, options?: OpenOptions): Database;
  readonly path: string;
  readonly flags: Readonly<Required<Omit<OpenOptions, 'timeout'>>>;
  readonly closed: boolean;
  /** Milliseconds a call waits on a locked database before BusyError (0..3600000; lm_set_busy_timeout). */
  timeout: number;
  /** Bytes batchMatch() may hold: 0 (default) for no bound, else at least MIN_BATCH_MEMORY (lm_set_batch_memory). */
  batchMemory: number;
  readonly analyzerId: string;
  close(): void;
  [Symbol.dispose](): void;

  put(record: RecordInput): void;
  get(kind: Kind, id: string): StoredRecord;
  getJSON(kind: Kind, id: string): string;
  delete(kind: Kind, id: string): void;
  count(kind?: Kind | 'all'): number;
  stats(): Record<string, unknown>;
  scan(fn: (record: StoredRecord, info: ScanInfo) => boolean | void): number;
  scan(kind: Kind | 'all' | undefined, fn: (record: StoredRecord, info: ScanInfo) => boolean | void): number;
  export(options?: ExportOptions & { path?: undefined }): string;
  export(options: ExportOptions & { path: string | URL }): number;

  load(source: string | URL | Buffer | Uint8Array | ArrayBuffer | readonly (Record<string, unknown> | string)[],
       options?: LoadOptions): LoadReport;
  loadFile(path: string | URL, options?: LoadOptions): LoadReport;
  loadBuffer(data: Text, options?: LoadOptions): LoadReport;

  match(from: Kind, id: string, to: Kind, options?: MatchOptions): MatchResults;
  query(text: Text, to: Kind, options?: MatchOptions): MatchResults;
  matchRecord(record: RecordInput, to: Kind, options?: MatchOptions): MatchResults;
  allocate(to: Kind, options?: AllocateOptions): Allocation;
  /** Every record of kind `from` against every record of kind `to` in the built-in semantic space (needs buildVectors()). */
  batchMatch(from: Kind, to: Kind, options?: BatchMatchOptions): BatchResults;

  analyze(text: Text, options?: AnalyzeOptions): readonly Token[];
  setAnalyzerMode(mode: AnalyzeModeName | readonly AnalyzeModeName[] | number): void;
  addWord(word: string, freq?: number): void;
  addSynonym(a: string, b: string): void;
  loadSynonyms(path: string | URL): number;
  reindex(): void;
  buildVectors(dim?: number): void;
}

export interface PoolOptions extends OpenOptions {
  /** Worker threads, each with its own handle (default: CPUs, at most 4). */
  workers?: number;
}

/** Worker threads, one lm_db each, on one database file; every call returns a Promise. */
export declare class Pool {
  private constructor();
  readonly path: string;
  readonly size: number;
  readonly pending: number;
  readonly closed: boolean;
  match(from: Kind, id: string, to: Kind, options?: MatchOptions): Promise<MatchResults>;
  query(text: Text, to: Kind, options?: MatchOptions): Promise<MatchResults>;
  matchRecord(record: RecordInput, to: Kind, options?: MatchOptions): Promise<MatchResults>;
  allocate(to: Kind, options?: AllocateOptions): Promise<Allocation>;
  batchMatch(from: Kind, to: Kind, options?: Omit<BatchMatchOptions, 'onProgress'>): Promise<BatchResults>;
  analyze(text: Text, options?: AnalyzeOptions): Promise<readonly Token[]>;
  put(record: RecordInput): Promise<void>;
  get(kind: Kind, id: string): Promise<StoredRecord>;
  getJSON(kind: Kind, id: string): Promise<string>;
  delete(kind: Kind, id: string): Promise<void>;
  count(kind?: Kind | 'all'): Promise<number>;
  stats(): Promise<Record<string, unknown>>;
  load(source: string | URL | Buffer | Uint8Array | readonly (Record<string, unknown> | string)[],
       options?: Omit<LoadOptions, 'onProgress'>): Promise<LoadReport>;
  loadFile(path: string | URL, options?: Omit<LoadOptions, 'onProgress'>): Promise<LoadReport>;
  loadBuffer(data: Text, options?: Omit<LoadOptions, 'onProgress'>): Promise<LoadReport>;
  export(options?: ExportOptions): Promise<string | number>;
  addWord(word: string, freq?: number): Promise<void>;
  addSynonym(a: string, b: string): Promise<void>;
  loadSynonyms(path: string | URL): Promise<number>;
  /** Finish the calls already made, close every handle, stop the workers. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export declare function open(path?: string | URL, options?: OpenOptions): Database;
export declare function openPool(path: string | URL, options?: PoolOptions): Promise<Pool>;
/** Analyze text with the built-in analyzer (no database). */
export declare function analyze(text: Text, options?: AnalyzeOptions): readonly Token[];
/** The option registry of the loaded library. */
export declare function describeOptions(): readonly OptionDescription[];
/** Set the word dictionary before the first open() or analyze(). */
export declare function setDictionary(path: string | URL): void;
/** The version of the loaded C library, e.g. "1.0.0". */
export declare function libraryVersion(): string;
/** The path (or soname) the C library was loaded from. */
export declare const libraryPath: string;
export declare const AnalyzeMode: Readonly<{ words: number; subwords: number; bigrams: number; unigrams: number; all: number }>;
/** The smallest memory bound of batch matching other than 0: 65536 bytes (LM_MIN_BATCH_MEMORY). */
export declare const MIN_BATCH_MEMORY: number;

/** The shared library could not be loaded (thrown when the package is loaded). */
export declare class LibraryNotFoundError extends Error {
  readonly tried: readonly [string, string][];
}

/** Every error the library reports: `code` is the C status code. */
export declare class LibmatchError extends Error {
  constructor(message: string, code?: number, options?: { cause?: unknown });
  readonly code: number;
  /** The C name of the code, e.g. 'LM_ENOTFOUND'. */
  readonly codeName: string;
  /** Load errors: the report of the failed atomic load. */
  report?: LoadReport;
  /** Option errors: the option's name. */
  option?: string;
  /** Open errors: the path. */
  path?: string;
}
declare class LibmatchCodeError extends LibmatchError {
  constructor(message: string, options?: { cause?: unknown });
  static readonly code: number;
}
/** LM_ENOMEM (2) */
export declare class OutOfMemoryError extends LibmatchCodeError {}
/** LM_EINVAL (3) */
export declare class InvalidArgumentError extends LibmatchCodeError {}
/** LM_EJSON (4) */
export declare class InvalidJSONError extends LibmatchCodeError {}
/** LM_ERECORD (5) */
export declare class InvalidRecordError extends LibmatchCodeError {}
/** LM_EINVAL_UTF8 (6) */
export declare class InvalidUTF8Error extends LibmatchCodeError {}
/** LM_ETOOBIG (7) */
export declare class TooBigError extends LibmatchCodeError {}
/** LM_ENOTFOUND (8) */
export declare class NotFoundError extends LibmatchCodeError {}
/** LM_EIO (9) */
export declare class IOError extends LibmatchCodeError {}
/** LM_EDB (10) */
export declare class DatabaseError extends LibmatchCodeError {}
/** LM_EBUSY (11) */
export declare class BusyError extends LibmatchCodeError {}
/** LM_EMISMATCH (12) */
export declare class MismatchError extends LibmatchCodeError {}
/** LM_EDICT (13) */
export declare class DictionaryError extends LibmatchCodeError {}
/** LM_ERANGE (14) */
export declare class OutOfRangeError extends LibmatchCodeError {}
/** LM_ESTATE (15) */
export declare class StateError extends LibmatchCodeError {}
/** LM_ENOTDB (16) */
export declare class NotADatabaseError extends LibmatchCodeError {}
/** LM_EMISUSE (17) */
export declare class MisuseError extends LibmatchCodeError {}

declare const libmatch: {
  Database: typeof Database;
  open: typeof open;
  openPool: typeof openPool;
  Pool: typeof Pool;
  analyze: typeof analyze;
  describeOptions: typeof describeOptions;
  setDictionary: typeof setDictionary;
  libraryVersion: typeof libraryVersion;
  libraryPath: typeof libraryPath;
  AnalyzeMode: typeof AnalyzeMode;
  MIN_BATCH_MEMORY: typeof MIN_BATCH_MEMORY;
  LibraryNotFoundError: typeof LibraryNotFoundError;
  LibmatchError: typeof LibmatchError;
  OutOfMemoryError: typeof OutOfMemoryError;
  InvalidArgumentError: typeof InvalidArgumentError;
  InvalidJSONError: typeof InvalidJSONError;
  InvalidRecordError: typeof InvalidRecordError;
  InvalidUTF8Error: typeof InvalidUTF8Error;
  TooBigError: typeof TooBigError;
  NotFoundError: typeof NotFoundError;
  IOError: typeof IOError;
  DatabaseError: typeof DatabaseError;
  BusyError: typeof BusyError;
  MismatchError: typeof MismatchError;
  DictionaryError: typeof DictionaryError;
  OutOfRangeError: typeof OutOfRangeError;
  StateError: typeof StateError;
  NotADatabaseError: typeof NotADatabaseError;
  MisuseError: typeof MisuseError;
};
export default libmatch;
