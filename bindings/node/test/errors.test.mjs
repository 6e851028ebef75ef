// Every failure becomes the LibmatchError subclass of its status code, with
// the library's message naming what was wrong.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as lm from '../index.mjs';
import { tmpdir } from './helpers.mjs';

let db;
before(() => {
  db = lm.open(':memory:');
  db.load([
    { id: 'P-001', kind: 'problem', title: '碳化硅功率模块封装散热难题', fields: ['半导体'] },
    { id: 'A-001', kind: 'achievement', title: '低熱阻碳化矽功率模組銀燒結封裝技術', maturity: 7 },
  ]);
});
after(() => db.close());

/** assert.throws with the class, the code and a message pattern. */
function throwsLm(fn, Class, pattern) {
  let caught;
  assert.throws(fn, (e) => { caught = e; return true; });
  assert.ok(caught instanceof Class, `expected ${Class.name}, got ${caught && caught.name}: ${caught && caught.message}`);
  assert.ok(caught instanceof lm.LibmatchError && caught instanceof Error);
  if (Class !== lm.LibmatchError) {
    assert.equal(caught.code, Class.code);
    assert.equal(caught.name, Class.name);
  }
  assert.match(caught.codeName, /^LM_E/);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

test('one class per status code, each a LibmatchError with code and codeName', () => {
  const expected = {
    OutOfMemoryError: [2, 'LM_ENOMEM'], InvalidArgumentError: [3, 'LM_EINVAL'], InvalidJSONError: [4, 'LM_EJSON'],
    InvalidRecordError: [5, 'LM_ERECORD'], InvalidUTF8Error: [6, 'LM_EINVAL_UTF8'], TooBigError: [7, 'LM_ETOOBIG'],
    NotFoundError: [8, 'LM_ENOTFOUND'], IOError: [9, 'LM_EIO'], DatabaseError: [10, 'LM_EDB'], BusyError: [11, 'LM_EBUSY'],
    MismatchError: [12, 'LM_EMISMATCH'], DictionaryError: [13, 'LM_EDICT'], OutOfRangeError: [14, 'LM_ERANGE'],
    StateError: [15, 'LM_ESTATE'], NotADatabaseError: [16, 'LM_ENOTDB'], MisuseError: [17, 'LM_EMISUSE'],
  };
  for (const [name, [code, codeName]] of Object.entries(expected)) {
    const C = lm[name];
    assert.equal(C.code, code, name);
    const e = new C('message');
    assert.ok(e instanceof lm.LibmatchError && e instanceof Error);
    assert.equal(e.code, code);
    assert.equal(e.codeName, codeName);
    assert.equal(e.name, name);
    assert.equal(e.message, 'message');
    assert.match(e.stack, new RegExp(`^${name}: message`));
  }
  const g = new lm.LibmatchError('generic', 1);
  assert.equal(g.codeName, 'LM_ERROR');
});

test('malformed JSON: InvalidJSONError with the byte offset', () => {
  throwsLm(() => db.put('{"id":"P-2","kind":'), lm.InvalidJSONError, /malformed JSON near byte offset \d+/);
  throwsLm(() => db.put(''), lm.InvalidJSONError, /malformed JSON/);
  throwsLm(() => db.matchRecord('{not json', 'achievement'), lm.InvalidJSONError);
});

test('a bad record: InvalidRecordError naming the record and the field', () => {
  throwsLm(() => db.put({ id: 'P-X', kind: 'problem', keywords: '碳化硅' }), lm.InvalidRecordError, /record 'P-X': field 'keywords'/);
  throwsLm(() => db.put({ id: 'P-X', kind: 'problem', colour: '红' }), lm.InvalidRecordError, /field 'colour'/);
  throwsLm(() => db.put({ id: 'A-X', kind: 'achievement', maturity: 12 }), lm.InvalidRecordError, /field 'maturity'/);
  throwsLm(() => db.put({ id: 'X', kind: 'patent' }), lm.InvalidRecordError, /field 'kind'.*'patent'/);
  throwsLm(() => db.put('[1, 2]'), lm.InvalidRecordError, /JSON object/);
});

test('a missing id or kind: InvalidRecordError naming the field', () => {
  throwsLm(() => db.put({ kind: 'problem', title: '无编号' }), lm.InvalidRecordError, /field 'id': missing/);
  throwsLm(() => db.put({ id: 'P-9' }), lm.InvalidRecordError, /record 'P-9': field 'kind': missing/);
  throwsLm(() => db.put({ id: 'x'.repeat(513), kind: 'problem' }), lm.TooBigError, /field 'id'.*512 bytes/);
  assert.equal(db.count(), 2, 'nothing stored');
});

test('a bad option value: the error of its code with the registry\'s message and bounds', () => {
  const k = lm.describeOptions().find((o) => o.name === 'k');
  let e = throwsLm(() => db.match('problem', 'P-001', 'achievement', { k: 0 }), lm.OutOfRangeError);
  assert.equal(e.message, `option 'k': 0 is not in ${k.min}..${k.max}`);
  assert.equal(e.option, 'k');
  const mm = lm.describeOptions().find((o) => o.name === 'min_maturity');
  e = throwsLm(() => db.query('碳化硅', 'achievement', { min_maturity: mm.max + 1 }), lm.OutOfRangeError);
  assert.equal(e.message, `option 'min_maturity': ${mm.max + 1} is not in ${mm.min}..${mm.max}`);
  throwsLm(() => db.query('碳化硅', 'achievement', { k: 2.5 }), lm.InvalidArgumentError, /option 'k': '2.5' is not a whole number/);
  throwsLm(() => db.query('碳化硅', 'achievement', { w_topic: 'abc' }), lm.InvalidArgumentError, /option 'w_topic': 'abc' is not a number/);
  throwsLm(() => db.query('碳化硅', 'achievement', { w_topic: -1 }), lm.OutOfRangeError, /option 'w_topic': -1 is not in/);
  throwsLm(() => db.query('碳化硅', 'achievement', { w_topic: NaN }), lm.InvalidArgumentError, /w_topic/);
  throwsLm(() => db.query('碳化硅', 'achievement', { k: null }), lm.InvalidArgumentError, /option 'k'/);
  const fusion = lm.describeOptions().find((o) => o.name === 'fusion');
  throwsLm(() => db.query('碳化硅', 'achievement', { fusion: 'average' }), lm.InvalidArgumentError,
    new RegExp(`option 'fusion': 'average' is not one of ${fusion.choices.join('\\|')}`));
  throwsLm(() => db.query('碳化硅', 'achievement', { region: '陕'.repeat(400) }), lm.TooBigError, /option 'region'/);
});

test('an unknown option: the library says so, naming it', () => {
  const e = throwsLm(() => db.match('problem', 'P-001', 'achievement', { kk: 5 }), lm.NotFoundError, /unknown option 'kk'/);
  assert.equal(e.option, 'kk');
  throwsLm(() => db.allocate('expert', { capacty: 2 }), lm.NotFoundError, /unknown option 'capacty'/);
});

test('wrong JS types are TypeErrors before any C call', () => {
  assert.throws(() => db.match('problem', 'P-001', 'achievement', 5), TypeError);
  assert.throws(() => db.match('problem', 'P-001', 'achievement', new Map([['k', 5]])), TypeError);
  assert.throws(() => db.match('problem', 'P-001', 'achievement', { k: {} }), TypeError);
  assert.throws(() => db.match('problem', 'P-001', 'achievement', { k: [1, 2] }), TypeError);
  assert.throws(() => db.match('problem', 'P-001', 'achievement', { field: 5 }), TypeError);
  assert.throws(() => db.match('problem', 'P-001', 'achievement', { field: ['a', 5] }), TypeError);
  assert.throws(() => db.put(42), TypeError);
  assert.throws(() => db.query(42, 'achievement'), TypeError);
  assert.throws(() => db.get(1, 'P-001'), TypeError);
  assert.throws(() => db.scan('problem'), TypeError);
  assert.throws(() => new lm.Database(42), TypeError);
});

test('unknown kinds: InvalidArgumentError naming the argument', () => {
  throwsLm(() => db.match('problem', 'P-001', 'patent'), lm.InvalidArgumentError, /to: unknown kind 'patent'/);
  throwsLm(() => db.match('需求', 'P-001', 'achievement'), lm.InvalidArgumentError, /from: unknown kind '需求'/);
  throwsLm(() => db.count('experts'), lm.InvalidArgumentError, /kind: unknown kind 'experts'/);
});

test('not found: NotFoundError naming kind and id', () => {
  throwsLm(() => db.get('expert', 'E-999'), lm.NotFoundError, /no expert with id 'E-999'/);
  throwsLm(() => db.match('problem', 'P-404', 'achievement'), lm.NotFoundError, /P-404/);
  throwsLm(() => db.delete('achievement', 'A-404'), lm.NotFoundError, /A-404/);
});

test('an atomic load that fails names the line, stores nothing and carries the report', () => {
  const data = '{"id":"P-10","kind":"problem","title":"好"}\n{"id":"P-11","kind":"problem","keywords":"坏"}\n';
  const e = throwsLm(() => db.loadBuffer(data), lm.InvalidRecordError, /line 2/);
  assert.deepEqual(e.report, { loaded: 0, skipped: 1, errors: [{ line: 2, id: 'P-11', reason: e.report.errors[0].reason }] });
  assert.match(e.report.errors[0].reason, /field 'keywords'/);
  assert.equal(db.count(), 2);
});

test('files: IOError naming the path', () => {
  throwsLm(() => db.loadFile('/nonexistent/问题.jsonl'), lm.IOError, /\/nonexistent\/问题\.jsonl/);
  throwsLm(() => db.loadSynonyms('/nonexistent/synonyms.tsv'), lm.IOError, /synonyms\.tsv/);
  const e = throwsLm(() => lm.open('/nonexistent/dir/x.db'), lm.IOError, /\/nonexistent\/dir\/x\.db/);
  assert.equal(e.path, '/nonexistent/dir/x.db');
});

test('state: closed handles, read-only writes, vectors over too few records', () => {
  const file = path.join(tmpdir(), 'state.db');
  lm.open(file).close();
  const ro = lm.open(file, { readonly: true });
  throwsLm(() => ro.put({ id: 'P-1', kind: 'problem' }), lm.StateError, /read-only/);
  ro.close();
  throwsLm(() => ro.get('problem', 'P-1'), lm.StateError, /closed/);
  throwsLm(() => db.buildVectors(), lm.StateError, /too few records/);
});

test('a file that is not a database: an error naming it, the file left untouched', () => {
  const file = path.join(tmpdir(), 'garbage.db');
  const bytes = Buffer.from('这不是数据库，只是一段文字。\n'.repeat(200));
  fs.writeFileSync(file, bytes);
  const e = throwsLm(() => lm.open(file), lm.NotADatabaseError, /garbage\.db' is not a libmatch database/);
  assert.equal(e.code, 16);
  assert.ok(fs.readFileSync(file).equals(bytes));
});

test('4 KiB of one letter: NotADatabaseError', () => {
  const file = path.join(tmpdir(), 'garbage2.db');
  fs.writeFileSync(file, Buffer.alloc(4096, 0x41));
  throwsLm(() => lm.open(file), lm.NotADatabaseError, /not a libmatch database/);
});
