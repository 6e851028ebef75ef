'use strict';
// Database: one lm_db handle, used synchronously from the thread that opened
// it (libmatch.h: one lm_db per thread).  For parallel matching see pool.cjs.

const fs = require('node:fs');
const { fileURLToPath } = require('node:url');
const { koffi, C, withLength, cstr, takeString, describe, decodeStrings, decodeFloats } = require('./native.cjs');
const { makeError, StateError, InvalidArgumentError, OutOfRangeError } = require('./errors.cjs');
const { makeOpts, describeOptions } = require('./options.cjs');

// Flags and policies of libmatch.h (stable ABI constants).
const LM_OPEN_READONLY = 0x01;
const LM_OPEN_REINDEX = 0x02;
const LM_OPEN_NO_MMAP = 0x04;
const LM_BUSY_TIMEOUT_MS = 10000;
const LM_LOAD_ATOMIC = 0;
const LM_LOAD_SKIP_BAD = 1;
const LM_LOAD_NO_VECTORS = 0x10;
/** The smallest memory bound of batch matching other than 0 (LM_MIN_BATCH_MEMORY). */
const LM_MIN_BATCH_MEMORY = 65536;

/** Analyzer modes (LM_ANALYZE_* of libmatch.h). */
const AnalyzeMode = Object.freeze({ words: 0x01, subwords: 0x02, bigrams: 0x04, unigrams: 0x08, all: 0x07 });
const TOKEN_COLOCATED = 0x01;

// ---- kinds, through the library's own names --------------------------------

const kindCache = new Map();
function kindOf(name, what = 'kind') {
  if (typeof name !== 'string') {
    throw new TypeError(`${what}: expected 'problem', 'achievement' or 'expert', got ${describe(name)}`);
  }
  let k = kindCache.get(name);
  if (k === undefined) {
    k = name.includes('\0') ? 0 : C.lm_kind_from_name(name);
    if (k === 0) {
      throw new InvalidArgumentError(`${what}: unknown kind '${name}' (problem, achievement or expert)`);
    }
    kindCache.set(name, k);
  }
  return k;
}
function kindOrAll(name, what = 'kind') {
  return name == null || name === 'all' ? 0 : kindOf(name, what);
}

function filePath(p, what) {
  if (p instanceof URL) return fileURLToPath(p);
  if (typeof p !== 'string') throw new TypeError(`${what}: expected a path, got ${describe(p)}`);
  return p;
}

function recordBytes(record, what = 'record') {
  if (typeof record === 'string' || record instanceof Uint8Array || record instanceof ArrayBuffer) {
    return withLength(record, what);
  }
  if (record !== null && typeof record === 'object' && !Array.isArray(record)) {
    return withLength(JSON.stringify(record), what);
  }
  throw new TypeError(`${what}: expected an object, a JSON string or a Buffer, got ${describe(record)}`);
}

// ---- results -----------------------------------------------------------------

function freezeMatch(h) {
  const comps = {};
  for (const [name, v] of Object.entries(h.components || {})) comps[name] = v;
  return Object.freeze({
    id: h.id,
    kind: h.kind,
    label: typeof h.label === 'string' ? h.label : '',
    score: h.score,
    probability: typeof h.probability === 'number' ? h.probability : undefined,
    components: Object.freeze(comps),
    terms: Object.freeze((h.terms || []).slice()),
    evidence: Object.freeze((h.evidence || []).map((e) => Object.freeze({ id: e.id, score: e.score }))),
  });
}

/** Frozen results from lm_results_json()'s text: an array of matches with
 *  a non-enumerable `queryTerms`.  Unknown keys of the JSON are ignored. */
function toResults(json) {
  const o = JSON.parse(json);
  const hits = (o.results || []).map(freezeMatch);
  Object.defineProperty(hits, 'queryTerms', { value: Object.freeze((o.query_terms || []).slice()) });
  return Object.freeze(hits);
}

function toReport(r) {
  if (!r) return Object.freeze({ loaded: 0, skipped: 0, errors: Object.freeze([]) });
  const errors = [];
  const n = C.lm_report_error_count(r);
  for (let i = 0; i < n; i++) {
    errors.push(Object.freeze({
      line: Number(C.lm_report_error_line(r, i)),
      id: C.lm_report_error_id(r, i) || '',
      reason: C.lm_report_error_reason(r, i) || '',
    }));
  }
  return Object.freeze({
    loaded: Number(C.lm_report_loaded(r)),
    skipped: Number(C.lm_report_skipped(r)),
    errors: Object.freeze(errors),
  });
}

function modeOf(mode) {
  if (mode == null) return 0;
  if (typeof mode === 'number' && Number.isInteger(mode)) return mode;
  const names = typeof mode === 'string' ? [mode] : mode;
  if (!Array.isArray(names)) throw new TypeError(`mode: expected a name or an array of names, got ${describe(mode)}`);
  let m = 0;
  for (const n of names) {
    if (!Object.hasOwn(AnalyzeMode, n)) {
      throw new InvalidArgumentError(`mode: unknown analyzer mode '${n}' (${Object.keys(AnalyzeMode).join(', ')})`);
    }
    m |= AnalyzeMode[n];
  }
  return m;
}

/** UTF-16 index of every UTF-8 byte offset of `s` (offsets inside a
 *  character map to the character's start). */
function byteToIndex(s) {
  const map = new Uint32Array(Buffer.byteLength(s, 'utf8') + 1);
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i);
    const n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    for (let j = 0; j < n; j++) map[b + j] = i;
    b += n;
    if (c >= 0x10000) i++;
  }
  map[b] = s.length;
  return map;
}

function analyzeWith(handle, text, options = {}) {
  const [buf, len] = withLength(text, 'text');
  const out = [null];
  const rc = C.lm_analyze(handle, buf, len, modeOf(options.mode), out);
  const t = out[0];
  try {
    if (rc !== 0) {
      throw makeError(rc, handle ? C.lm_errmsg(handle) : `analyze: ${C.lm_errstr(rc)}`);
    }
    const index = typeof text === 'string' ? byteToIndex(text) : null;
    const tokens = [];
    const n = C.lm_tokens_count(t);
    for (let i = 0; i < n; i++) {
      const bs = C.lm_token_start(t, i), be = C.lm_token_end(t, i);
      tokens.push(Object.freeze({
        text: C.lm_token_text(t, i),
        start: index ? index[bs] : bs,
        end: index ? index[be] : be,
        byteStart: bs,
        byteEnd: be,
        colocated: (C.lm_token_flags(t, i) & TOKEN_COLOCATED) !== 0,
      }));
    }
    return Object.freeze(tokens);
  } finally {
    C.lm_tokens_free(t);
  }
}

/** Analyze text with the built-in analyzer (no database, no user words). */
function analyze(text, options) {
  return analyzeWith(null, text, options);
}

/** A memory bound in bytes: an integer (its range is the library's to check). */
function memoryOf(bytes, what) {
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes)) {
    throw new TypeError(`${what}: expected an integer number of bytes (0: no bound, else at least ${LM_MIN_BATCH_MEMORY}), got ${describe(bytes)}${typeof bytes === 'number' ? ` ${bytes}` : ''}`);
  }
  return bytes;
}

/** The option "k" of the registry (its default and bounds). */
function kOption() {
  return describeOptions().find((d) => d.name === 'k');
}

const BATCH_OPTIONS = new Set(['k', 'memory', 'onProgress']);

// A forgotten Database closes its handle when it is garbage collected.
const finalizer = new FinalizationRegistry((handle) => { C.lm_close(handle); });

const kResultsJSON = Symbol('libmatch.resultsJSON');

class Database {
  #h = null;
  #path;
  #flags;
  #timeout = LM_BUSY_TIMEOUT_MS;
  #batchMemory = 0;

  /**
   * Open (creating if needed) the database at `path` (or ':memory:').
   * options: readonly, reindex, noMmap (booleans); timeout: milliseconds a
   * call waits for a database another connection has locked before it
   * throws BusyError (default 10000, as `db.timeout`).
   */
  constructor(path = ':memory:', options = {}) {
    path = filePath(path, 'path');
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options: expected an object, got ${describe(options)}`);
    }
    const flags = (options.readonly ? LM_OPEN_READONLY : 0) |
                  (options.reindex ? LM_OPEN_REINDEX : 0) |
                  (options.noMmap ? LM_OPEN_NO_MMAP : 0);
    const out = [null];
    const rc = C.lm_open(out, cstr(path, 'path'), flags);
    if (rc !== 0) {
      const msg = out[0] ? C.lm_errmsg(out[0]) : C.lm_errstr(rc);
      C.lm_close(out[0]);
      throw makeError(rc, msg, { path });
    }
    this.#h = out[0];
    this.#path = path;
    this.#flags = Object.freeze({ readonly: !!options.readonly, reindex: !!options.reindex, noMmap: !!options.noMmap });
    finalizer.register(this, this.#h, this);
    if (options.timeout !== undefined) {
      try {
        this.timeout = options.timeout;
      } catch (e) {
        this.close();
        throw e;
      }
    }
  }

  /** Same as `new Database(path, options)`. */
  static open(path, options) { return new Database(path, options); }

  get path() { return this.#path; }
  get flags() { return this.#flags; }
  get closed() { return this.#h === null; }

  /**
   * Milliseconds a call waits for a database another connection has locked
   * (a writer committing) before it throws BusyError; 0 throws at once
   * (lm_set_busy_timeout).  An integer from 0 to 3600000.
   */
  get timeout() { return this.#timeout; }
  set timeout(ms) {
    if (typeof ms !== 'number' || !Number.isInteger(ms)) {
      throw new TypeError(`timeout: expected an integer number of milliseconds, got ${describe(ms)}`);
    }
    const h = this.#live();
    // Out of 0..LM_MAX_BUSY_TIMEOUT_MS: the library's OutOfRangeError.
    this.#check(C.lm_set_busy_timeout(h, Math.abs(ms) > 2 ** 31 - 1 ? -1 : ms));
    this.#timeout = ms;
  }

  /**
   * Bytes batchMatch() may hold on this handle: 0 (the default) for no
   * bound, else at least 65536 (LM_MIN_BATCH_MEMORY; OutOfRangeError
   * otherwise, the bound in use stays).  Beyond the bound the vectors are
   * read in ranges rather than loaded whole: the same hits and scores
   * (lm_set_batch_memory).
   */
  get batchMemory() { return this.#batchMemory; }
  set batchMemory(bytes) {
    memoryOf(bytes, 'batchMemory');
    const h = this.#live();
    this.#check(C.lm_set_batch_memory(h, bytes));
    this.#batchMemory = bytes;
  }

  /** Close the handle; later calls throw StateError.  Idempotent. */
  close() {
    if (this.#h === null) return;
    finalizer.unregister(this);
    const h = this.#h;
    this.#h = null;
    C.lm_close(h);
  }

  #live() {
    if (this.#h === null) throw new StateError(`database '${this.#path}' is closed`);
    return this.#h;
  }

  #check(rc, extra) {
    if (rc !== 0) throw makeError(rc, C.lm_errmsg(this.#h), extra);
  }

  // ---- records ----

  /** Insert or replace one record (object, JSON text or UTF-8 bytes). */
  put(record) {
    const h = this.#live();
    const [buf, len] = recordBytes(record);
    this.#check(C.lm_put(h, buf, len));
  }

  /** The stored record's JSON text, exactly as lm_get() returns it. */
  getJSON(kind, id) {
    const h = this.#live();
    const k = kindOf(kind);
    const out = [null];
    const rc = C.lm_get(h, k, cstr(id, 'id'), out);
    const s = takeString(out[0]);
    this.#check(rc);
    return s;
  }

  /** The stored record as an object.  NotFoundError if there is none. */
  get(kind, id) { return JSON.parse(this.getJSON(kind, id)); }

  /** Delete a record.  NotFoundError if there is none. */
  delete(kind, id) {
    const h = this.#live();
    this.#check(C.lm_delete(h, kindOf(kind), cstr(id, 'id')));
  }

  /** Number of records of `kind` (all kinds when omitted). */
  count(kind) {
    const h = this.#live();
    const out = [0];
    this.#check(C.lm_count(h, kindOrAll(kind), out));
    return Number(out[0]);
  }

  /** Database statistics (lm_stats_json) as an object. */
  stats() {
    const h = this.#live();
    const out = [null];
    const rc = C.lm_stats_json(h, out);
    const s = takeString(out[0]);
    this.#check(rc);
    return JSON.parse(s);
  }

  /**
   * Call `fn(record, {kind, id, json})` for every stored record of `kind`
   * (all kinds when omitted), in storage order.  `fn` returning false stops
   * the scan.  Returns the number of records visited.  `fn` must not write
   * to this database.
   */
  scan(kind, fn) {
    if (typeof kind === 'function') { fn = kind; kind = undefined; }
    if (typeof fn !== 'function') throw new TypeError(`scan: expected a callback, got ${describe(fn)}`);
    return this.#scanRaw(kindOrAll(kind), (k, id, json) => fn(JSON.parse(json), { kind: k, id, json }));
  }

  #scanRaw(kind, each) {
    const h = this.#live();
    let visited = 0, stopped = false, thrown = null;
    const names = {};
    const rc = C.lm_scan(h, kind, (ctx, k, id, json) => {
      try {
        visited++;
        const name = names[k] || (names[k] = C.lm_kind_name(k));
        if (each(name, id, json) === false) { stopped = true; return 1; }
        return 0;
      } catch (e) {
        thrown = e;
        return 1;
      }
    }, null);
    if (thrown) throw thrown;
    if (rc !== 0 && !stopped) this.#check(rc);
    return visited;
  }

  /**
   * Every stored record of `kind` (all when omitted) as JSON Lines, the
   * format load() reads back: returned as a string, or written to `path`
   * (then the number of records is returned).
   */
  export(options = {}) {
    const kind = kindOrAll(options.kind);
    if (options.path == null) {
      const lines = [];
      this.#scanRaw(kind, (k, id, json) => { lines.push(json, '\n'); });
      return lines.join('');
    }
    const fd = fs.openSync(filePath(options.path, 'path'), 'w');
    try {
      return this.#scanRaw(kind, (k, id, json) => { fs.writeSync(fd, json + '\n'); });
    } finally {
      fs.closeSync(fd);
    }
  }

  // ---- bulk loads ----

  /**
   * Load JSON Lines: `source` is a file path (string or URL), JSONL bytes
   * (Buffer, Uint8Array) or an array of records (objects or JSON strings).
   * options: skipBad (store good lines, report bad ones; default false:
   * atomic), onProgress(stage, done, total) (return false to stop),
   * vectors (default true: the load keeps the semantic space of the latent
   * topic -- built once the database holds 100 records, rebuilt as it
   * doubles, stage 'vectors'; false leaves it alone).
   * Returns the load report {loaded, skipped, errors: [{line, id, reason}]};
   * an atomic load that fails throws with the report in `error.report`.
   */
  load(source, options = {}) {
    if (typeof source === 'string' || source instanceof URL) return this.loadFile(source, options);
    if (Array.isArray(source)) {
      const lines = source.map((r, i) => {
        if (typeof r === 'string') return r;
        if (Buffer.isBuffer(r)) return r.toString('utf8');
        if (r !== null && typeof r === 'object') return JSON.stringify(r);
        throw new TypeError(`record ${i + 1}: expected an object or a JSON string, got ${describe(r)}`);
      });
      return this.loadBuffer(lines.join('\n'), options);
    }
    return this.loadBuffer(source, options);
  }

  /** Load a JSON Lines file (see load()). */
  loadFile(path, options = {}) {
    const p = cstr(filePath(path, 'path'), 'path');
    return this.#load(options, (h, policy, out) => C.lm_load_jsonl(h, p, policy, out));
  }

  /** Load JSON Lines held in memory: a string or bytes (see load()). */
  loadBuffer(data, options = {}) {
    const [buf, len] = withLength(data, 'data');
    return this.#load(options, (h, policy, out) => C.lm_load_jsonl_buffer(h, buf, len, policy, out));
  }

  /**
   * Run call(h) with onProgress (when a function) installed as the handle's
   * progress callback for the call (lm_set_progress), removed after.
   * Returns [rc, what onProgress threw or null].
   */
  #withProgress(h, onProgress, call) {
    let rc, thrown = null, cb = null;
    if (typeof onProgress === 'function') {
      cb = koffi.register((ctx, stage, done, total) => {
        try {
          return onProgress(stage, Number(done), Number(total)) === false ? 1 : 0;
        } catch (e) {
          thrown = thrown || e;
          return 1;
        }
      }, koffi.pointer('lm_progress_fn'));
      C.lm_set_progress(h, cb, null);
    }
    try {
      rc = call(h);
    } finally {
      if (cb) { C.lm_set_progress(h, null, null); koffi.unregister(cb); }
    }
    return [rc, thrown];
  }

  #load(options, call) {
    const h = this.#live();
    const policy = (options.skipBad ? LM_LOAD_SKIP_BAD : LM_LOAD_ATOMIC) |
                   (options.vectors === false ? LM_LOAD_NO_VECTORS : 0);
    const out = [null];
    const [rc, thrown] = this.#withProgress(h, options.onProgress, () => call(h, policy, out));
    let report;
    try {
      report = toReport(out[0]);
    } finally {
      C.lm_report_free(out[0]);
    }
    if (thrown) throw thrown;
    if (rc !== 0) throw makeError(rc, C.lm_errmsg(h), { report });
    return report;
  }

  // ---- matching ----

  [kResultsJSON](method, args) {
    const h = this.#live();
    const out = [null];
    let rc;
    if (method === 'match') {
      const [from, id, to, options] = args;
      const f = kindOf(from, 'from'), t = kindOf(to, 'to');
      const idc = cstr(id, 'id');
      const o = makeOpts(options);
      try { rc = C.lm_match(h, f, idc, t, o, out); } finally { C.lm_opts_free(o); }
    } else if (method === 'query') {
      const [text, to, options] = args;
      const [buf, len] = withLength(text, 'text');
      const t = kindOf(to, 'to');
      const o = makeOpts(options);
      try { rc = C.lm_match_text(h, buf, len, t, o, out); } finally { C.lm_opts_free(o); }
    } else if (method === 'matchRecord') {
      const [record, to, options] = args;
      const [buf, len] = recordBytes(record);
      const t = kindOf(to, 'to');
      const o = makeOpts(options);
      try { rc = C.lm_match_record(h, buf, len, t, o, out); } finally { C.lm_opts_free(o); }
    } else {
      throw new TypeError(`unknown match method '${method}'`);
    }
    const r = out[0];
    try {
      this.#check(rc);
      const j = [null];
      const rc2 = C.lm_results_json(r, j);
      const s = takeString(j[0]);
      if (rc2 !== 0) throw makeError(rc2, `lm_results_json: ${C.lm_errstr(rc2)}`);
      return s;
    } finally {
      C.lm_results_free(r);
    }
  }

  /**
   * Rank records of kind `to` for the stored record (`from`, `id`), in any
   * direction.  `options` are registry options by name ({k: 5, region:
   * '陕西省', field: ['新材料'], w_topic: 0.5, fusion: 'rrf', ...}).
   */
  match(from, id, to, options) { return toResults(this[kResultsJSON]('match', [from, id, to, options])); }

  /** Rank records of kind `to` for free text (a string or UTF-8 bytes). */
  query(text, to, options) { return toResults(this[kResultsJSON]('query', [text, to, options])); }

  /** Rank records of kind `to` for a record that is not stored. */
  matchRecord(record, to, options) {
    return toResults(this[kResultsJSON]('matchRecord', [record, to, options]));
  }

  /**
   * Assign candidates of kind `to` to problems maximizing the total score
   * (lm_allocate_v2).  options: problems, candidates (arrays of ids; default
   * every stored one), capacities (one per candidate), and registry options
   * (capacity, per_problem, min_score and the match options).
   */
  allocate(to, options = {}) {
    const h = this.#live();
    const t = kindOf(to, 'to');
    const { problems, candidates, capacities, ...rest } = options || {};
    const ids = (list, what) => {
      if (list == null) return null;
      if (!Array.isArray(list)) throw new TypeError(`${what}: expected an array of ids, got ${describe(list)}`);
      list.forEach((id, i) => {
        if (typeof id !== 'string') throw new TypeError(`${what}[${i}]: expected a string, got ${describe(id)}`);
        cstr(id, `${what}[${i}]`);
      });
      return list;
    };
    const p = ids(problems, 'problems');
    const c = ids(candidates, 'candidates');
    let caps = null;
    if (capacities != null) {
      if (!c) throw new InvalidArgumentError('capacities: need candidates (one capacity per candidate)');
      if (!Array.isArray(capacities) && !(capacities instanceof Int32Array)) {
        throw new TypeError(`capacities: expected an array of integers, got ${describe(capacities)}`);
      }
      if (capacities.length !== c.length) {
        throw new InvalidArgumentError(`capacities: ${capacities.length} values for ${c.length} candidates`);
      }
      caps = Int32Array.from(capacities);
      capacities.forEach((v, i) => {
        if (!Number.isInteger(v) || v !== caps[i]) throw new TypeError(`capacities[${i}]: expected an integer, got ${v}`);
      });
    }
    const o = makeOpts(rest);
    const out = [null];
    let rc;
    try {
      rc = C.lm_allocate_v2(h, t, p, p ? p.length : 0, c, caps, c ? c.length : 0, o, out);
    } finally {
      C.lm_opts_free(o);
    }
    const a = out[0];
    try {
      this.#check(rc);
      const pairs = [];
      const n = C.lm_allocation_count(a);
      for (let i = 0; i < n; i++) {
        pairs.push(Object.freeze({
          problem: C.lm_allocation_problem(a, i),
          candidate: C.lm_allocation_candidate(a, i),
          score: C.lm_allocation_score(a, i),
        }));
      }
      return Object.freeze({ total: C.lm_allocation_total(a), pairs: Object.freeze(pairs) });
    } finally {
      C.lm_allocation_free(a);
    }
  }

  /**
   * Batch matching in the built-in semantic space (needs buildVectors()):
   * every record of kind `from` against every record of kind `to`, the k
   * best of each by cosine (same kind: the record itself excluded).  Returns
   * a Map from each source id, in the library's order, to its hits
   * [{id, score}] (frozen, best first).  options: k (default: the option
   * registry's "k"), memory (bytes this call may hold, as `batchMemory`, for
   * this call only), onProgress(stage 'batch', done, total) (return false
   * to stop: StateError).  StateError before buildVectors().
   */
  batchMatch(from, to, options = {}) {
    const h = this.#live();
    const f = kindOf(from, 'from'), t = kindOf(to, 'to');
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options: expected an object, got ${describe(options)}`);
    }
    for (const name of Object.keys(options)) {
      if (!BATCH_OPTIONS.has(name)) {
        throw new TypeError(`batchMatch: unknown option '${name}' (${[...BATCH_OPTIONS].join(', ')})`);
      }
    }
    const k = options.k === undefined ? kOption().default : options.k;
    if (typeof k !== 'number' || !Number.isInteger(k)) throw new TypeError(`k: expected an integer, got ${describe(k)}`);
    if (Math.abs(k) > 2 ** 31 - 1) {         // not a C int; the library checks the others
      throw new OutOfRangeError(`k ${k} is not in ${kOption().min}..${kOption().max}`);
    }
    const memory = options.memory === undefined ? undefined : memoryOf(options.memory, 'memory');
    const onProgress = options.onProgress;
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw new TypeError(`onProgress: expected a function, got ${describe(onProgress)}`);
    }

    const result = new Map();
    let thrown = null;
    const each = (ctx, fromId, n, ids, scores) => {
      try {
        const hitIds = decodeStrings(ids, n), sc = decodeFloats(scores, n);
        const hits = new Array(n);
        for (let i = 0; i < n; i++) hits[i] = Object.freeze({ id: hitIds[i], score: sc[i] });
        result.set(fromId, Object.freeze(hits));
        return 0;
      } catch (e) {                 // never let an exception cross C
        thrown = thrown || e;
        return 1;
      }
    };
    if (memory !== undefined) this.#check(C.lm_set_batch_memory(h, memory));
    let rc, failed, message = null;
    try {
      [rc, failed] = this.#withProgress(h, onProgress, () => C.lm_batch_match(h, f, t, k, each, null));
      if (rc !== 0) message = C.lm_errmsg(h);      // before the next call replaces it
    } finally {
      if (memory !== undefined) C.lm_set_batch_memory(h, this.#batchMemory);
    }
    if (thrown || failed) throw thrown || failed;
    if (rc !== 0) throw makeError(rc, message);
    return result;
  }

  // ---- analyzer and vocabulary ----

  /** Tokens of `text` as this database indexes it (its user words apply).
   *  options.mode: 'words' | 'subwords' | 'bigrams' | 'all' or an array. */
  analyze(text, options) { return analyzeWith(this.#live(), text, options); }

  /** The analyzer's identity, e.g. "libmatch-zh/1 words+subwords+bigrams". */
  get analyzerId() { return C.lm_analyzer_id(this.#live()); }

  /** Choose the analyzer mode and re-tokenize what is stored. */
  setAnalyzerMode(mode) { const h = this.#live(); this.#check(C.lm_set_analyzer_mode(h, modeOf(mode))); }

  /** Add a word to the user dictionary (freq <= 0: a default that wins). */
  addWord(word, freq = 0) {
    const h = this.#live();
    if (!Number.isInteger(freq)) throw new TypeError(`freq: expected an integer, got ${describe(freq)}`);
    this.#check(C.lm_dict_add(h, cstr(word, 'word'), freq));
  }

  /** Declare two terms synonyms. */
  addSynonym(a, b) {
    const h = this.#live();
    this.#check(C.lm_synonym_add(h, cstr(a, 'a'), cstr(b, 'b')));
  }

  /** Load synonym groups from a TSV file; returns the number of pairs added. */
  loadSynonyms(path) {
    const h = this.#live();
    const out = [0];
    this.#check(C.lm_synonyms_load_tsv(h, cstr(filePath(path, 'path'), 'path'), out));
    return Number(out[0]);
  }

  /** Re-tokenize every stored record with the current analyzer. */
  reindex() { const h = this.#live(); this.#check(C.lm_reindex(h)); }

  /** Build the built-in semantic space (dim 0: the default). */
  buildVectors(dim = 0) {
    const h = this.#live();
    if (!Number.isInteger(dim)) throw new TypeError(`dim: expected an integer, got ${describe(dim)}`);
    this.#check(C.lm_vectors_build(h, dim));
  }
}

// `using db = open(...)` where the runtime has explicit resource management.
if (typeof Symbol.dispose === 'symbol') {
  Object.defineProperty(Database.prototype, Symbol.dispose, {
    value: function dispose() { this.close(); }, writable: true, configurable: true,
  });
}

/** Open a database: `open(path, {readonly, reindex, noMmap})`. */
function open(path, options) { return new Database(path, options); }

/** Set the word dictionary before the first open() or analyze(). */
function setDictionary(path) {
  const rc = C.lm_set_dictionary(cstr(filePath(path, 'path'), 'path'));
  if (rc !== 0) throw makeError(rc, `setDictionary('${path}'): ${C.lm_errstr(rc)}`);
}

module.exports = {
  Database, open, analyze, setDictionary, AnalyzeMode, toResults, kResultsJSON,
  MIN_BATCH_MEMORY: LM_MIN_BATCH_MEMORY,
};
