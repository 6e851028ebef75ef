// Shared by the tests: paths of the source tree and the sample database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { open } from '../index.mjs';

export const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(PKG, '..', '..');
export const DATA = path.join(ROOT, 'examples', 'data');
/** The C command-line tool of the same build ($LMATCH_CLI, else build/lmatch). */
export const CLI = process.env.LMATCH_CLI || path.join(ROOT, 'build', 'lmatch');

/** A fresh temporary directory, removed when the process exits. */
export function tmpdir(prefix = 'libmatch-node-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Load examples/data as demo.sh does: user words, synonyms, the three libraries. */
export function loadSample(db, options = {}) {
  for (const line of fs.readFileSync(path.join(DATA, 'userdict.txt'), 'utf8').split('\n')) {
    const [word, freq] = line.split('#')[0].trim().split(/\s+/);
    if (word) db.addWord(word, /^\d+$/.test(freq ?? '') ? Number(freq) : 0);
  }
  db.loadSynonyms(path.join(DATA, 'synonyms.tsv'));
  const reports = {};
  for (const name of ['problems', 'achievements', 'experts']) {
    reports[name] = db.loadFile(path.join(DATA, `${name}.jsonl`), options);
  }
  return reports;
}

/** A database file holding the sample data; returns its path. */
export function sampleDb(dir = tmpdir()) {
  const file = path.join(dir, 'sample.db');
  const db = open(file);
  try { loadSample(db); } finally { db.close(); }
  return file;
}

/** Open file descriptors of this process. */
export function fdCount() {
  return fs.readdirSync('/proc/self/fd').length;
}
