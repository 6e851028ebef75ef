'use strict';
// A pool worker: one thread, one lm_db (libmatch.h: one handle per thread).
// Runs one call at a time and answers with plain data; matches are sent as
// the library's JSON text and frozen on the main thread.

const { parentPort, workerData } = require('node:worker_threads');
const { Database, kResultsJSON } = require('./database.cjs');

const MATCHES = new Set(['match', 'query', 'matchRecord']);
const CALLS = new Set(['put', 'get', 'getJSON', 'delete', 'count', 'stats', 'load', 'loadFile',
  'loadBuffer', 'export', 'allocate', 'batchMatch', 'analyze', 'addWord', 'addSynonym', 'loadSynonyms']);

function serializeError(e) {
  return {
    name: e && e.name, message: e && e.message, code: e && e.code,
    report: e && e.report, option: e && e.option, path: e && e.path,
    stack: e && e.stack,
  };
}

let db;
try {
  db = new Database(workerData.path, workerData.options);
} catch (e) {
  parentPort.postMessage({ ready: false, error: serializeError(e) });
  parentPort.close();
  return;
}
parentPort.postMessage({ ready: true });

parentPort.on('message', (msg) => {
  if (msg.close) {
    db.close();
    parentPort.close();
    return;
  }
  const { id, method, args } = msg;
  try {
    let value;
    if (MATCHES.has(method)) value = db[kResultsJSON](method, args);
    else if (CALLS.has(method)) value = db[method](...args);
    else throw new TypeError(`pool: unknown method '${method}'`);
    parentPort.postMessage({ id, value });
  } catch (e) {
    parentPort.postMessage({ id, error: serializeError(e) });
  }
});
