// Chinese first: text round-trips byte for byte (simplified, traditional,
// full-width punctuation, mixed terms, 4-byte characters), Traditional and
// full-width queries find Simplified records, and invalid UTF-8 given as
// bytes is refused with InvalidUTF8Error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { open, analyze, InvalidUTF8Error, NotFoundError, LibmatchError } from '../index.mjs';

let db;
before(() => { db = open(':memory:'); });
after(() => db.close());

const RECORDS = [
  { id: '问题-001', kind: 'problem', title: '5G基站功放散热难题', description: '需求：5G基站（宏站）功放模块散热，要求“低热阻、高可靠”；预算≤80万元！',
    keywords: ['5G基站', '散热', 'PEM燃料电池'], fields: ['信息技术'], region: '陕西省西安市', org: '西安某通信公司',
    meta: { 联系人: '张工', 预算: '８０万', 备注: '全角ＡＢＣ１２３，。；：？！《》【】' } },
  { id: '成果-臺灣-01', kind: 'achievement', title: '低熱阻碳化矽功率模組銀燒結封裝技術', abstract: '採用銀燒結與雙面散熱結構，熱阻降低30%。',
    keywords: ['碳化矽', '銀燒結'], fields: ['半导体'], region: '江苏省苏州市', maturity: 7 },
  { id: 'E-emoji', kind: 'expert', name: '王🔋', research: '锂离子电池热失控预警 🔥 与 BMS', bio: '𠀀𠀁 Ext-B 字符；émigré café' },
];

test('records round-trip exactly: simplified, traditional, full-width, 4-byte characters, Chinese ids and meta', () => {
  for (const r of RECORDS) db.put(r);
  for (const r of RECORDS) {
    assert.deepEqual(db.get(r.kind, r.id), r);
  }
  const json = db.getJSON('problem', '问题-001');
  assert.ok(json.includes('“低热阻、高可靠”'), 'no \\u escapes of Chinese text');
  assert.equal(db.count(), 3);
  const ids = [];
  db.scan((rec) => ids.push(rec.id));
  assert.deepEqual(ids, RECORDS.map((r) => r.id));
});

test('labels come back as stored (Traditional stays Traditional)', () => {
  const [hit] = db.query('碳化硅功率模块封装', 'achievement', { k: 1 });
  assert.equal(hit.id, '成果-臺灣-01');
  assert.equal(hit.label, '低熱阻碳化矽功率模組銀燒結封裝技術');
  const [e] = db.query('锂电池热失控', 'expert', { k: 1 });
  assert.equal(e.label, '王🔋');
});

test('Traditional and Simplified, full-width and half-width queries meet', () => {
  const ids = (q) => db.query(q, 'achievement', { k: 3 }).map((m) => m.id);
  assert.deepEqual(ids('碳化矽'), ids('碳化硅'));
  assert.deepEqual(ids('銀燒結'), ids('银烧结'));
  assert.deepEqual(ids('碳化硅'), ['成果-臺灣-01']);
  const p = (q) => db.query(q, 'problem', { k: 1 }).map((m) => m.id);
  assert.deepEqual(p('５Ｇ基站'), ['问题-001']);
  assert.deepEqual(p('5G基站'), ['问题-001']);
  assert.deepEqual(p('ＰＥＭ燃料電池'), ['问题-001']);
});

test('matching by a Chinese id, and deleting it', () => {
  const hits = db.match('problem', '问题-001', 'expert', { k: 5 });
  assert.ok(Array.isArray(hits));
  db.put({ id: '临时-１', kind: 'problem', title: '临时' });
  db.delete('problem', '临时-１');
  assert.throws(() => db.get('problem', '临时-１'), (e) => e instanceof NotFoundError && e.message.includes('临时-１'));
});

test('analyzer: mixed terms and offsets around 4-byte characters', () => {
  const text = '🔋基于5G基站的PEM燃料电池，（全角）';
  const tokens = analyze(text);
  const texts = tokens.map((t) => t.text);
  for (const w of ['5g', '基站', 'pem', '燃料电池']) assert.ok(texts.includes(w), w);
  const base = tokens.find((t) => t.text === '基站');
  assert.equal(text.slice(base.start, base.end), '基站');
  assert.equal(Buffer.from(text).subarray(base.byteStart, base.byteEnd).toString(), '基站');
  assert.ok(base.byteStart > base.start, 'byte and UTF-16 offsets differ');
  const bytes = analyze(Buffer.from(text));
  assert.deepEqual(bytes.map((t) => [t.text, t.start]), tokens.map((t) => [t.text, t.byteStart]));
  // Traditional is analyzed as Simplified
  assert.deepEqual(analyze('鋰離子電池').map((t) => t.text), analyze('锂离子电池').map((t) => t.text));
});

const BAD = {
  'a lone continuation byte': Buffer.from([0x80]),
  'a truncated sequence': Buffer.from([0xe7, 0xa2]),
  'an overlong encoding': Buffer.from([0xc0, 0xaf]),
  'an encoded surrogate': Buffer.from([0xed, 0xa0, 0x80]),
  'byte 0xFF': Buffer.from([0xff]),
  'a NUL byte': Buffer.from([0x00]),
};
const inJSON = (bad) => Buffer.concat([Buffer.from('{"id":"P-bad","kind":"problem","title":"碳化硅'), bad, Buffer.from('"}')]);

test('invalid UTF-8 in bytes is refused everywhere text enters: put, load, query, matchRecord, analyze', () => {
  for (const [what, bad] of Object.entries(BAD)) {
    const rec = inJSON(bad);
    assert.throws(() => db.put(rec), (e) => e instanceof InvalidUTF8Error && e.code === 6 && /UTF-8|NUL/.test(e.message), `put: ${what}`);
    assert.throws(() => db.matchRecord(rec, 'achievement'), InvalidUTF8Error, `matchRecord: ${what}`);
    const text = Buffer.concat([Buffer.from('碳化硅'), bad]);
    assert.throws(() => db.query(text, 'achievement'), InvalidUTF8Error, `query: ${what}`);
    assert.throws(() => analyze(text), InvalidUTF8Error, `analyze: ${what}`);
  }
  assert.equal(db.count(), 3);
});

test('a bulk load names the line with invalid UTF-8; atomic loads store nothing', () => {
  const good = Buffer.from('{"id":"P-ok","kind":"problem","title":"秸秆还田"}\n');
  const data = Buffer.concat([good, inJSON(Buffer.from([0xff])), Buffer.from('\n')]);
  assert.throws(() => db.loadBuffer(data), (e) => {
    assert.ok(e instanceof InvalidUTF8Error);
    assert.equal(e.report.errors[0].line, 2);
    assert.match(e.message, /line 2/);
    return true;
  });
  assert.equal(db.count(), 3);
  const rep = db.loadBuffer(data, { skipBad: true });
  assert.equal(rep.loaded, 1);
  assert.equal(rep.skipped, 1);
  assert.equal(rep.errors[0].line, 2);
  assert.match(rep.errors[0].reason, /UTF-8/);
  db.delete('problem', 'P-ok');
});

test('JS strings that cannot be UTF-8, and NUL in NUL-terminated arguments, are refused before C', () => {
  assert.throws(() => db.put('{"id":"P-x","kind":"problem","title":"bad \ud800 surrogate"}'), InvalidUTF8Error);
  // JSON.stringify escapes a lone surrogate as \ud800, which the library's JSON parser refuses
  assert.throws(() => db.put({ id: 'P-x', kind: 'problem', title: 'bad \ud800 surrogate' }), LibmatchError);
  assert.throws(() => db.query('碳化硅\udc00', 'achievement'), InvalidUTF8Error);
  assert.throws(() => db.get('problem', '问题-001\u0000x'), (e) => e instanceof InvalidUTF8Error && /NUL/.test(e.message));
  assert.throws(() => db.match('problem', '问题\ud800', 'achievement'), InvalidUTF8Error);
  assert.throws(() => db.match('problem', 'P', 'achievement', { region: '陕西\u0000省' }), InvalidUTF8Error);
  // an escaped NUL inside JSON reaches the library, which refuses it
  assert.throws(() => db.put('{"id":"P-n","kind":"problem","title":"a\\u0000b"}'), LibmatchError);
  assert.equal(db.count(), 3);
});

test('lengths are bytes: a record of multi-byte text is passed whole', () => {
  const title = '碳'.repeat(5000) + '🔋'.repeat(1000);
  db.put({ id: 'P-long', kind: 'problem', title });
  assert.equal(db.get('problem', 'P-long').title, title);
  db.delete('problem', 'P-long');
});
