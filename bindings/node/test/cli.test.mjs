// The binding returns exactly what the C command-line tool prints with
// --json, on the same database file: ids, kinds, labels, scores,
// components, matched terms, evidence and the query terms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { open } from '../index.mjs';
import { CLI, sampleDb } from './helpers.mjs';

let file;
let db;
before(() => {
  assert.ok(fs.existsSync(CLI), `the C tool ${CLI} (build it with make, or set LMATCH_CLI)`);
  file = sampleDb();
  db = open(file, { readonly: true });
});
after(() => db.close());

const cli = (...args) => JSON.parse(execFileSync(CLI, args, { encoding: 'utf8' }));

/** The binding's results in the JSON's shape: unknown keys are additive. */
function same(results, json, what) {
  assert.deepEqual([...results.queryTerms], json.query_terms, `${what}: query terms`);
  assert.equal(results.length, json.results.length, `${what}: number of hits`);
  json.results.forEach((want, i) => {
    const got = results[i];
    assert.equal(got.id, want.id, `${what} #${i + 1}`);
    assert.equal(got.kind, want.kind);
    assert.equal(got.label, want.label);
    assert.equal(got.score, want.score, `${what} ${want.id}: score`);
    assert.equal(got.probability, want.probability);
    assert.deepEqual({ ...got.components }, want.components);
    assert.deepEqual([...got.terms], want.terms);
    assert.deepEqual(got.evidence.map((e) => ({ ...e })), want.evidence ?? []);
  });
}

test('P-001 -> achievements equals `lmatch match --json`', () => {
  const json = cli('match', file, '--problem', 'P-001', '--to', 'achievement', '--json');
  assert.equal(json.results[0].id, 'A-001');
  same(db.match('problem', 'P-001', 'achievement'), json, 'P-001 -> achievement');
});

test('P-001 -> experts equals `lmatch match --json`, evidence included', () => {
  const json = cli('match', file, '--problem', 'P-001', '--to', 'expert', '-k', '5', '--json');
  assert.ok(json.results.some((r) => (r.evidence ?? []).length > 0));
  same(db.match('problem', 'P-001', 'expert', { k: 5 }), json, 'P-001 -> expert');
});

test('options by name give what the CLI flags give', () => {
  const json = cli('match', file, '--problem', 'P-011', '--to', 'achievement', '-k', '4', '--region', '陕西省',
    '--field', '新能源', '--json');
  same(db.match('problem', 'P-011', 'achievement', { k: 4, region: '陕西省', field: ['新能源'] }), json, 'P-011 filtered');
});

test('a Traditional free-text query equals `lmatch query --json`', () => {
  const json = cli('query', file, '鋰離子電池熱失控預警', '--to', 'achievement', '-k', '3', '--json');
  same(db.query('鋰離子電池熱失控預警', 'achievement', { k: 3 }), json, 'query');
});

test('a stored record equals `lmatch get`', () => {
  const text = execFileSync(CLI, ['get', file, 'expert', 'E-022'], { encoding: 'utf8' });
  assert.equal(db.getJSON('expert', 'E-022'), text.trimEnd());
});
