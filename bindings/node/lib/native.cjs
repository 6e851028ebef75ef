'use strict';
// Loading libmatch and the one table of koffi declarations.
//
// Everything that touches koffi lives here: where the shared library is
// looked for, the version check, the prototype of every C function the
// binding calls, and the conversions between JS values and C memory (UTF-8
// byte buffers with explicit lengths, NUL-terminated strings, strings
// returned through `char **out` and freed with lm_free).

const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');

const BINDING_MAJOR = 1;

// Places tried, in order.  $LIBMATCH_LIBRARY, when set, is the only one.
function candidates() {
  const env = process.env.LIBMATCH_LIBRARY;
  if (env) return [env];
  const here = path.resolve(__dirname, '..');
  const list = [path.join(here, 'libmatch.so.1')];         // a copy next to the package
  const root = path.resolve(here, '..', '..');
  if (fs.existsSync(path.join(root, 'libmatch', 'include', 'libmatch.h'))) {
    list.push(path.join(root, 'build', 'libmatch.so.1'));  // the source tree's build
  }
  // the dynamic linker's search (LD_LIBRARY_PATH, ld.so.cache, /usr/lib...),
  // then `make install`'s default prefix in case ldconfig was not run
  list.push('libmatch.so.1', '/usr/local/lib/libmatch.so.1');
  return list;
}

class LibraryNotFoundError extends Error {
  constructor(tried) {
    super('libmatch: cannot load the shared library; tried:\n' +
          tried.map(([p, why]) => `  ${p}: ${why}`).join('\n') +
          '\nset LIBMATCH_LIBRARY to the path of libmatch.so.1');
    this.name = 'LibraryNotFoundError';
    this.tried = tried;
  }
}

function loadLibrary() {
  const tried = [];
  for (const p of candidates()) {
    if (p.includes('/') && !fs.existsSync(p)) { tried.push([p, 'no such file']); continue; }
    let lib;
    try {
      lib = koffi.load(p);
    } catch (e) {
      tried.push([p, e.message]);
      continue;
    }
    let major;
    try {
      major = Math.floor(lib.func('int lm_version_number(void)')() / 10000);
    } catch (e) {
      tried.push([p, 'not libmatch: ' + e.message]);
      continue;
    }
    if (major !== BINDING_MAJOR) {
      tried.push([p, `libmatch major version ${major}, this binding needs ${BINDING_MAJOR}`]);
      continue;
    }
    return { lib, path: p };
  }
  throw new LibraryNotFoundError(tried);
}

const { lib, path: libraryPath } = loadLibrary();

koffi.opaque('lm_db');
koffi.opaque('lm_opts');
koffi.opaque('lm_results');
koffi.opaque('lm_report');
koffi.opaque('lm_allocation');
koffi.opaque('lm_tokens');
koffi.proto('int lm_record_fn(void *ctx, int kind, const char *id, const char *json, size_t len)');
koffi.proto('int lm_progress_fn(void *ctx, const char *stage, int64_t done, int64_t total)');
// ids and scores arrive as pointers (decoded by the caller for n hits).
koffi.proto('int lm_batch_fn(void *ctx, const char *from_id, int n, const void *ids, const void *scores)');

// Text that has an explicit length is passed as bytes (`const uint8_t *`, a
// Buffer) with its byte length; NUL-terminated text (ids, paths, option
// names) as a Buffer holding the UTF-8 bytes and a final NUL.
const DECLS = [
  'const char *lm_version(void)',
  'int lm_version_number(void)',
  'const char *lm_errstr(int code)',
  'const char *lm_errmsg(const lm_db *db)',
  'int lm_errcode(const lm_db *db)',
  'void lm_free(void *p)',
  'int lm_set_dictionary(const uint8_t *path)',
  'int lm_kind_from_name(const char *name)',
  'const char *lm_kind_name(int kind)',

  'int lm_open(_Out_ lm_db **out, const uint8_t *path, int flags)',
  'int lm_close(lm_db *db)',
  'int lm_put(lm_db *db, const uint8_t *json, size_t len)',
  'int lm_delete(lm_db *db, int kind, const uint8_t *id)',
  'int lm_get(lm_db *db, int kind, const uint8_t *id, _Out_ void **out)',
  'int lm_scan(lm_db *db, int kind, lm_record_fn *cb, void *ctx)',
  'int lm_count(lm_db *db, int kind, _Out_ int64_t *out)',
  'int lm_stats_json(lm_db *db, _Out_ void **out)',
  'int lm_set_progress(lm_db *db, lm_progress_fn *fn, void *ctx)',
  'int lm_set_busy_timeout(lm_db *db, int ms)',

  'int lm_load_jsonl(lm_db *db, const uint8_t *path, int policy, _Out_ lm_report **out)',
  'int lm_load_jsonl_buffer(lm_db *db, const uint8_t *data, size_t len, int policy, _Out_ lm_report **out)',
  'int64_t lm_report_loaded(const lm_report *r)',
  'int64_t lm_report_skipped(const lm_report *r)',
  'int lm_report_error_count(const lm_report *r)',
  'int64_t lm_report_error_line(const lm_report *r, int i)',
  'const char *lm_report_error_id(const lm_report *r, int i)',
  'const char *lm_report_error_reason(const lm_report *r, int i)',
  'void lm_report_free(lm_report *r)',

  'int lm_opts_new(_Out_ lm_opts **out)',
  'void lm_opts_free(lm_opts *o)',
  'int lm_opts_set(lm_opts *o, const uint8_t *name, const uint8_t *value)',
  'const char *lm_opts_errmsg(const lm_opts *o)',
  'int lm_opt_count(void)',
  'int lm_opt_key(int i)',
  'const char *lm_opt_name(int key)',
  'int lm_opt_type(int key)',
  'const char *lm_opt_help(int key)',
  'int lm_opt_bounds(int key, _Out_ double *def, _Out_ double *min, _Out_ double *max)',
  'const char *lm_opt_choices(int key)',

  'int lm_match(lm_db *db, int from, const uint8_t *id, int to, const lm_opts *opts, _Out_ lm_results **out)',
  'int lm_match_text(lm_db *db, const uint8_t *text, size_t len, int to, const lm_opts *opts, _Out_ lm_results **out)',
  'int lm_match_record(lm_db *db, const uint8_t *json, size_t len, int to, const lm_opts *opts, _Out_ lm_results **out)',
  'int lm_results_json(const lm_results *r, _Out_ void **out)',
  'void lm_results_free(lm_results *r)',

  'int lm_vectors_build(lm_db *db, int dim)',
  'int lm_batch_match(lm_db *db, int from, int to, int k, lm_batch_fn *cb, void *ctx)',
  'int lm_set_batch_memory(lm_db *db, int64_t bytes)',

  'int lm_allocate_v2(lm_db *db, int to, const char **problems, int nproblems, ' +
      'const char **candidates, const int *capacities, int ncandidates, ' +
      'const lm_opts *opts, _Out_ lm_allocation **out)',
  'int lm_allocation_count(const lm_allocation *a)',
  'const char *lm_allocation_problem(const lm_allocation *a, int i)',
  'const char *lm_allocation_candidate(const lm_allocation *a, int i)',
  'double lm_allocation_score(const lm_allocation *a, int i)',
  'double lm_allocation_total(const lm_allocation *a)',
  'void lm_allocation_free(lm_allocation *a)',

  'int lm_analyze(lm_db *db, const uint8_t *text, size_t len, int mode, _Out_ lm_tokens **out)',
  'int lm_tokens_count(const lm_tokens *t)',
  'const char *lm_token_text(const lm_tokens *t, int i)',
  'int lm_token_start(const lm_tokens *t, int i)',
  'int lm_token_end(const lm_tokens *t, int i)',
  'int lm_token_flags(const lm_tokens *t, int i)',
  'void lm_tokens_free(lm_tokens *t)',
  'const char *lm_analyzer_id(lm_db *db)',
  'int lm_set_analyzer_mode(lm_db *db, int mode)',
  'int lm_dict_add(lm_db *db, const uint8_t *word, int64_t freq)',
  'int lm_reindex(lm_db *db)',
  'int lm_synonym_add(lm_db *db, const uint8_t *a, const uint8_t *b)',
  'int lm_synonyms_load_tsv(lm_db *db, const uint8_t *path, _Out_ int64_t *count)',
];

const C = {};
for (const decl of DECLS) {
  const name = /([a-z_0-9]+)\(/.exec(decl)[1];
  C[name] = lib.func(decl);
}

// ---- conversions ----------------------------------------------------------

// One byte of backing store so that an empty input is an empty string to the
// library, not a NULL pointer.
const EMPTY = Buffer.alloc(1);

/** UTF-8 bytes of text given as a string, Buffer or Uint8Array. */
function bytes(value, what) {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) {
      const { InvalidUTF8Error } = require('./errors.cjs');
      throw new InvalidUTF8Error(`${what}: the string holds a lone surrogate (not encodable as UTF-8)`);
    }
    return Buffer.from(value, 'utf8');
  }
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  throw new TypeError(`${what}: expected a string or a Buffer, got ${describe(value)}`);
}

/** [buffer, byteLength] for a `const char *, size_t len` pair. */
function withLength(value, what) {
  const b = bytes(value, what);
  return b.length === 0 ? [EMPTY, 0] : [b, b.length];
}

/** A NUL-terminated UTF-8 copy of a string (or bytes); a NUL inside is refused. */
function cstr(value, what) {
  const b = bytes(value, what);
  if (b.includes(0)) {
    const { InvalidUTF8Error } = require('./errors.cjs');
    throw new InvalidUTF8Error(`${what}: holds a NUL character`);
  }
  const out = Buffer.allocUnsafe(b.length + 1);
  b.copy(out);
  out[b.length] = 0;
  return out;
}

/** The string behind a `char **out` pointer, freed with lm_free(). */
function takeString(ptr) {
  if (!ptr) return null;
  try {
    return koffi.decode.string(ptr);
  } finally {
    C.lm_free(ptr);
  }
}

const POINTER_SIZE = koffi.sizeof('void *');

/** The n strings of a C array `const char *const *`, borrowed for a callback. */
function decodeStrings(ptr, n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = koffi.decode(ptr, i * POINTER_SIZE, 'const char *');
  return out;
}

/** The n values of a C array `const float *`, as numbers. */
function decodeFloats(ptr, n) {
  return n > 0 ? Array.from(koffi.decode(ptr, 'float', n)) : [];
}

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? (v.constructor ? v.constructor.name : 'an object') : typeof v;
}

module.exports = {
  koffi, C, libraryPath, LibraryNotFoundError,
  bytes, withLength, cstr, takeString, describe, decodeStrings, decodeFloats,
};
