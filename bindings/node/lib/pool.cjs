'use strict';
// Pool: matching on worker threads.  Each worker opens its own lm_db on the
// same file (libmatch.h: one handle per thread; SQLite's WAL lets readers go
// on while one writer writes).  Calls return Promises; a call goes to the
// first idle worker, in the order the calls were made.

const path = require('node:path');
const os = require('node:os');
const { Worker } = require('node:worker_threads');
const { fileURLToPath } = require('node:url');
const errors = require('./errors.cjs');
const { toResults } = require('./database.cjs');
const { describe } = require('./native.cjs');

const WORKER = path.join(__dirname, 'worker.cjs');
const BUILTIN = { TypeError, RangeError, SyntaxError, Error };

function rebuildError(s) {
  let e;
  if (typeof s.code === 'number' && s.name && Object.hasOwn(errors, s.name)) {
    e = errors.makeError(s.code, s.message);          // the same class, by code
  } else {
    e = new (BUILTIN[s.name] || Error)(s.message);
  }
  for (const k of ['report', 'option', 'path']) if (s[k] !== undefined) e[k] = deepFreeze(s[k]);
  if (s.stack) e.stack = `${e.stack}\n    --- in pool worker ---\n${s.stack.split('\n').slice(1).join('\n')}`;
  return e;
}

function deepFreeze(v) {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

class Pool {
  #workers = [];       // {worker, busy: task|null}
  #queue = [];         // tasks waiting for a worker
  #nextId = 1;
  #closing = null;
  #path;

  constructor(token, p, workers) {
    if (token !== kCreate) throw new TypeError('use openPool(path, options) to create a Pool');
    this.#path = p;
    this.#workers = workers;
    for (const w of workers) this.#attach(w);
  }

  get path() { return this.#path; }
  /** Number of live workers. */
  get size() { return this.#workers.length; }
  /** Calls waiting for a worker. */
  get pending() { return this.#queue.length; }
  get closed() { return this.#closing !== null; }

  #attach(w) {
    w.worker.on('message', (msg) => {
      const task = w.busy;
      if (!task || msg.id !== task.id) return;
      w.busy = null;
      if (msg.error) task.reject(rebuildError(msg.error));
      else task.resolve(task.convert ? task.convert(msg.value) : deepFreeze(msg.value));
      this.#dispatch();
    });
    const fail = (err) => {
      const i = this.#workers.indexOf(w);
      if (i < 0) return;
      this.#workers.splice(i, 1);
      if (w.busy) { w.busy.reject(err); w.busy = null; }
      if (this.#workers.length === 0) {
        for (const t of this.#queue.splice(0)) t.reject(new errors.StateError('pool: every worker has stopped'));
      }
      this.#dispatch();
    };
    w.worker.on('error', fail);
    w.worker.on('exit', (code) => fail(new errors.StateError(`pool: a worker exited (status ${code})`)));
  }

  #dispatch() {
    for (const w of this.#workers) {
      while (this.#queue.length > 0 && !w.busy && !w.closing) {
        const task = this.#queue.shift();
        try {
          w.worker.postMessage({ id: task.id, method: task.method, args: task.args });
        } catch (e) {           // e.g. a function among the arguments
          task.reject(new TypeError(`pool.${task.method}: the arguments cannot be sent to a worker: ${e.message}`));
          continue;
        }
        w.busy = task;
      }
    }
    if (this.#closing && this.#queue.length === 0) {
      for (const w of this.#workers) {
        if (!w.busy && !w.closing) { w.closing = true; w.worker.postMessage({ close: true }); }
      }
    }
  }

  #call(method, args, convert) {
    if (this.#closing) return Promise.reject(new errors.StateError(`pool '${this.#path}' is closed`));
    if (this.#workers.length === 0) return Promise.reject(new errors.StateError('pool: every worker has stopped'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, method, args, convert, resolve, reject });
      this.#dispatch();
    });
  }

  match(from, id, to, options) { return this.#call('match', [from, id, to, options], toResults); }
  query(text, to, options) { return this.#call('query', [text, to, options], toResults); }
  matchRecord(record, to, options) { return this.#call('matchRecord', [record, to, options], toResults); }
  allocate(to, options) { return this.#call('allocate', [to, options]); }
  batchMatch(from, to, options = {}) { return this.#call('batchMatch', [from, to, noCallbacks(options)], freezeBatch); }
  analyze(text, options) { return this.#call('analyze', [text, options]); }
  put(record) { return this.#call('put', [record]); }
  get(kind, id) { return this.#call('get', [kind, id]); }
  getJSON(kind, id) { return this.#call('getJSON', [kind, id]); }
  delete(kind, id) { return this.#call('delete', [kind, id]); }
  count(kind) { return this.#call('count', [kind]); }
  stats() { return this.#call('stats', []); }
  load(source, options = {}) { return this.#call('load', [source instanceof URL ? fileURLToPath(source) : source, noCallbacks(options)]); }
  loadFile(p, options = {}) { return this.#call('loadFile', [p instanceof URL ? fileURLToPath(p) : p, noCallbacks(options)]); }
  loadBuffer(data, options = {}) { return this.#call('loadBuffer', [data, noCallbacks(options)]); }
  export(options) { return this.#call('export', [options]); }
  addWord(word, freq) { return this.#call('addWord', [word, freq]); }
  addSynonym(a, b) { return this.#call('addSynonym', [a, b]); }
  loadSynonyms(p) { return this.#call('loadSynonyms', [p instanceof URL ? fileURLToPath(p) : p]); }

  /** Finish every call already made, close each worker's handle and stop
   *  the workers.  Later calls are rejected.  Idempotent. */
  close() {
    if (!this.#closing) {
      this.#closing = Promise.all(this.#workers.map((w) => new Promise((resolve) => {
        if (w.worker.threadId === -1) resolve();
        else w.worker.once('exit', () => resolve());
      }))).then(() => undefined);
      this.#dispatch();
    }
    return this.#closing;
  }

}

if (typeof Symbol.asyncDispose === 'symbol') {
  Object.defineProperty(Pool.prototype, Symbol.asyncDispose, {
    value: function asyncDispose() { return this.close(); }, writable: true, configurable: true,
  });
}

/** A batch's Map as the worker sent it, its hit lists frozen as Database.batchMatch() gives them. */
function freezeBatch(m) {
  for (const hits of m.values()) deepFreeze(hits);
  return m;
}

function noCallbacks(options) {
  if (options && typeof options.onProgress === 'function') {
    throw new TypeError('pool: onProgress is not supported on a pool (functions cannot cross threads)');
  }
  return options;
}

const kCreate = Symbol('Pool.create');

/**
 * Open `workers` worker threads (default: the number of CPUs, at most 4),
 * each with its own handle on the database file at `path`.  options: workers,
 * readonly, reindex, noMmap.  Resolves when every worker has opened the
 * database; rejects with the open error otherwise.
 */
async function openPool(p, options = {}) {
  if (p instanceof URL) p = fileURLToPath(p);
  if (typeof p !== 'string') throw new TypeError(`path: expected a path, got ${describe(p)}`);
  if (p === ':memory:' || p === '') {
    throw new errors.InvalidArgumentError(`openPool: '${p}' would give each worker its own empty database; use a file`);
  }
  const { workers: n = Math.min(4, os.availableParallelism ? os.availableParallelism() : os.cpus().length), ...flags } = options;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`workers: expected a positive integer, got ${n}`);
  const workerData = { path: p, options: { readonly: !!flags.readonly, reindex: !!flags.reindex, noMmap: !!flags.noMmap } };
  const started = [];
  for (let i = 0; i < n; i++) started.push(new Worker(WORKER, { workerData }));
  const ready = await Promise.allSettled(started.map((worker) => new Promise((resolve, reject) => {
    const onError = (e) => reject(e);
    worker.once('error', onError);
    worker.once('message', (msg) => {
      worker.off('error', onError);
      if (msg.ready) resolve(worker);
      else reject(rebuildError(msg.error));
    });
  })));
  const failed = ready.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((w) => w.terminate()));
    throw failed.reason;
  }
  return new Pool(kCreate, p, started.map((worker) => ({ worker, busy: null, closing: false })));
}

module.exports = { Pool, openPool };
