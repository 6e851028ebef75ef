// The Database surface on the sample data: records, loads, scan/export,
// matching in every direction, options by registry name, allocation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as lm from '../index.mjs';
import { DATA, tmpdir, loadSample } from './helpers.mjs';

const { open, describeOptions } = lm;
let db;
let reports;
before(() => {
  db = open(path.join(tmpdir(), 'api.db'));
  reports = loadSample(db);
});
after(() => db.close());

const option = (name) => describeOptions().find((o) => o.name === name);

test('the loaded library is 1.x, found where $LIBMATCH_LIBRARY says', () => {
  assert.match(lm.libraryVersion(), /^1\.\d+\.\d+$/);
  if (process.env.LIBMATCH_LIBRARY) assert.equal(lm.libraryPath, process.env.LIBMATCH_LIBRARY);
});

test('ESM import, CommonJS require and the package name give the same objects', async () => {
  const require = createRequire(import.meta.url);
  const cjs = require('../index.cjs');
  assert.equal(cjs.Database, lm.Database);
  assert.equal(lm.default, cjs);
  assert.equal(cjs.default, cjs);
  // "exports" of package.json: import → index.mjs, require → index.cjs
  const byName = await import('libmatch');
  assert.equal(byName.Database, lm.Database);
  assert.equal(require('libmatch').NotFoundError, lm.NotFoundError);
  assert.equal(require.resolve('libmatch'), path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'index.cjs'));
});

test('load reports and counts of the sample libraries', () => {
  assert.deepEqual(reports.problems, { loaded: 43, skipped: 0, errors: [] });
  assert.equal(reports.achievements.loaded, 45);
  assert.equal(reports.experts.loaded, 29);
  assert.ok(Object.isFrozen(reports.problems) && Object.isFrozen(reports.problems.errors));
  assert.equal(db.count(), 117);
  assert.equal(db.count('all'), 117);
  assert.equal(db.count('problem'), 43);
  assert.equal(db.count('achievement'), 45);
  assert.equal(db.count('expert'), 29);
  const stats = db.stats();
  assert.deepEqual(stats.records, { problem: 43, achievement: 45, expert: 29 });
  assert.equal(stats.libmatch, lm.libraryVersion());
  assert.match(db.analyzerId, /^libmatch-zh\//);
});

test('put, get, getJSON and delete round-trip a record exactly', () => {
  const rec = {
    id: 'P-T1', kind: 'problem', title: '秸秆还田机械化', description: '玉米秸秆粉碎还田。',
    keywords: ['秸秆', '还田'], fields: ['现代农业'], region: '陕西省杨凌示范区', org: '杨凌某合作社',
    meta: { budget_wan: 12, nested: [1, { a: '甲' }] },
  };
  db.put(rec);
  assert.deepEqual(db.get('problem', 'P-T1'), rec);
  assert.deepEqual(JSON.parse(db.getJSON('problem', 'P-T1')), rec);
  db.put(JSON.stringify({ ...rec, title: '秸秆还田' }));          // replace, from JSON text
  assert.equal(db.get('problem', 'P-T1').title, '秸秆还田');
  db.put(Buffer.from(JSON.stringify({ ...rec, title: '秸秆' })));  // from bytes
  assert.equal(db.get('problem', 'P-T1').title, '秸秆');
  assert.equal(db.count('problem'), 44);
  db.delete('problem', 'P-T1');
  assert.equal(db.count('problem'), 43);
  assert.throws(() => db.get('problem', 'P-T1'), lm.NotFoundError);
  assert.throws(() => db.delete('problem', 'P-T1'), lm.NotFoundError);
});

test('EXPECTED.tsv: every hand-picked top match, through the binding', () => {
  const rows = fs.readFileSync(path.join(DATA, 'EXPECTED.tsv'), 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
  assert.ok(rows.length > 50);
  for (const [from, id, to, want] of rows) {
    const hits = from === 'text' ? db.query(id, to, { k: 1 }) : db.match(from, id, to, { k: 1 });
    assert.equal(hits[0]?.id, want, `${from} ${id} -> ${to}`);
  }
});

test('match in every direction: right kinds, best first, never the record itself', () => {
  const kinds = ['problem', 'achievement', 'expert'];
  const sample = { problem: 'P-001', achievement: 'A-001', expert: 'E-001' };
  for (const from of kinds) {
    for (const to of kinds) {
      const hits = db.match(from, sample[from], to, { k: 8 });
      assert.ok(hits.length > 0 && hits.length <= 8, `${from} -> ${to}`);
      for (let i = 0; i < hits.length; i++) {
        assert.equal(hits[i].kind, to);
        if (i) assert.ok(hits[i - 1].score >= hits[i].score);
        assert.ok(!(from === to && hits[i].id === sample[from]));
      }
    }
  }
});

test('results are frozen, with label, components, terms, evidence and queryTerms', () => {
  const hits = db.match('problem', 'P-011', 'expert', { k: 3 });
  const top = hits[0];
  assert.equal(top.id, 'E-008');
  assert.equal(top.label, db.get('expert', 'E-008').name);
  assert.equal(top.evidence[0].id, 'A-011');
  // evidence on the absolute scale of bm25 (a share of the query's maximum)
  assert.ok(top.evidence[0].score > 0 && top.evidence[0].score <= 1);
  assert.equal(typeof top.components.bm25, 'number');
  assert.ok(top.terms.length > 0 && hits.queryTerms.length > 0);
  const ach = db.match('problem', 'P-001', 'achievement', { k: 1 });
  assert.ok(ach[0].terms.every((t) => ach.queryTerms.includes(t)));
  assert.deepEqual(ach[0].evidence, []);
  assert.ok(top.probability === undefined || (top.probability >= 0 && top.probability <= 1));
  for (const o of [hits, top, top.components, top.terms, top.evidence, top.evidence[0], hits.queryTerms]) {
    assert.ok(Object.isFrozen(o));
  }
  assert.throws(() => { top.score = 0; }, TypeError);
  assert.throws(() => { hits.push(top); }, TypeError);
  assert.deepEqual(Object.keys(top), ['id', 'kind', 'label', 'score', 'probability', 'components', 'terms', 'evidence']);
});

test('query: Traditional free text and bytes', () => {
  assert.equal(db.query('鋰離子電池熱失控預警', 'achievement', { k: 1 })[0].id, 'A-011');
  assert.equal(db.query(Buffer.from('碳化矽功率器件封裝散熱'), 'achievement', { k: 1 })[0].id, 'A-001');
  assert.deepEqual([...db.query('', 'achievement')], []);
});

test('matchRecord ranks a record that is not stored', () => {
  assert.equal(db.matchRecord({ kind: 'problem', title: '无人机巡检光伏电站' }, 'achievement', { k: 1 })[0].id, 'A-014');
  const stored = db.match('problem', 'P-001', 'achievement', { k: 5 }).map((m) => m.id);
  const asRecord = db.matchRecord(db.getJSON('problem', 'P-001'), 'achievement', { k: 5 }).map((m) => m.id);
  assert.deepEqual(asRecord, stored);
  assert.equal(db.count(), 117, 'nothing stored');
});

test('options by registry name: k, offset, region, field, min_maturity', () => {
  const all = db.match('problem', 'P-001', 'achievement', { k: 10 });
  assert.equal(db.match('problem', 'P-001', 'achievement', { k: 3 }).length, 3);
  assert.equal(db.match('problem', 'P-001', 'achievement').length, option('k').default);
  assert.deepEqual(db.match('problem', 'P-001', 'achievement', { k: 3, offset: 2 }).map((m) => m.id),
    all.slice(2, 5).map((m) => m.id));
  const region = db.match('problem', 'P-001', 'achievement', { k: 50, region: '陕西省西安市' });
  assert.ok(region.length > 0);
  for (const m of region) assert.ok(db.get('achievement', m.id).region.startsWith('陕西省西安市'));
  const fields = db.match('problem', 'P-001', 'achievement', { k: 50, field: ['新能源汽车', '新材料'] });
  assert.ok(fields.length > 0);
  for (const m of fields) {
    assert.ok(db.get('achievement', m.id).fields.some((f) => f === '新能源汽车' || f === '新材料'), m.id);
  }
  const one = db.match('problem', 'P-001', 'achievement', { k: 50, field: '半导体' });
  for (const m of one) assert.ok(db.get('achievement', m.id).fields.includes('半导体'));
  const mature = db.match('problem', 'P-001', 'achievement', { k: 50, min_maturity: 7 });
  for (const m of mature) assert.ok(db.get('achievement', m.id).maturity >= 7);
  // undefined is skipped, null clears a string option
  assert.equal(db.match('problem', 'P-001', 'achievement', { k: 50, region: null, field: undefined }).length,
    db.match('problem', 'P-001', 'achievement', { k: 50 }).length);
});

test('a weight changes the score by weight x component, with the default from the registry', () => {
  // the weighted sum (fusion "weighted"): score = sum of weight x component
  // (the latent topic, which stands in for the tag vote when that counts
  // nothing, off throughout)
  const def = option('w_topic').default;
  const w = { k: 1, fusion: 'weighted', w_latent_topic: 0 };
  const [a] = db.match('problem', 'P-001', 'achievement', w);
  const [b] = db.match('problem', 'P-001', 'achievement', { ...w, w_topic: 0 });
  const [c] = db.match('problem', 'P-001', 'achievement', { ...w, w_topic: '1.5' });
  assert.equal(a.id, b.id);
  assert.ok(Math.abs((a.score - b.score) - def * a.components.topic) < 1e-9);
  assert.ok(Math.abs((c.score - b.score) - 1.5 * c.components.topic) < 1e-9);
  // the match model (the default fusion): the score is the probability, and
  // a weight scales its component's say (0 turns it off)
  const [p] = db.match('problem', 'P-001', 'achievement', { k: 1 });
  const [q] = db.match('problem', 'P-001', 'achievement', { k: 1, w_maturity: 1 });
  assert.equal(p.score, p.probability);
  assert.ok(p.probability > 0 && p.probability < 1);
  assert.equal(p.id, q.id);
  assert.ok(q.probability > p.probability);
});

test('choice names and numbers for mode options', () => {
  const rrf = db.match('problem', 'P-001', 'achievement', { k: 3, fusion: 'rrf' });
  const fusion = option('fusion');
  assert.ok(fusion.choices.includes('rrf'));
  const rrfByNumber = db.match('problem', 'P-001', 'achievement', { k: 3, fusion: fusion.min + fusion.choices.indexOf('rrf') });
  assert.deepEqual(rrfByNumber.map((m) => [m.id, m.score]), rrf.map((m) => [m.id, m.score]));
  assert.ok(rrf[0].score < 1, 'reciprocal rank scores are small');
  for (const mode of option('evidence_mode').choices) {
    assert.ok(db.match('problem', 'P-011', 'expert', { k: 2, evidence_mode: mode }).length > 0);
  }
});

test('describeOptions lists the registry; every option accepts its own default', () => {
  const opts = describeOptions();
  assert.ok(Object.isFrozen(opts) && opts.every(Object.isFrozen));
  assert.equal(new Set(opts.map((o) => o.name)).size, opts.length);
  assert.equal(new Set(opts.map((o) => o.key)).size, opts.length);
  for (const name of ['k', 'offset', 'w_bm25', 'w_topic', 'fusion', 'capacity', 'min_score']) assert.ok(option(name), name);
  assert.equal(option('region').type, 'string');
  assert.equal(option('field').type, 'list');
  assert.ok(option('region').maxBytes > 0);
  for (const o of opts) {
    assert.ok(o.help.length > 0, o.name);
    if (o.type === 'int' || o.type === 'double') {
      assert.ok(o.min <= o.default && o.default <= o.max, o.name);
      db.match('problem', 'P-001', 'achievement', { [o.name]: o.default, k: 1 });
      db.match('problem', 'P-001', 'achievement', { [o.name]: o.max, k: 1 });
    }
  }
});

test('scan visits every record in storage order; false stops it; a throw propagates', () => {
  const seen = [];
  const n = db.scan((rec, info) => { seen.push(info.kind); assert.equal(rec.id, info.id); });
  assert.equal(n, 117);
  assert.deepEqual(seen.slice(0, 1), ['problem']);
  assert.deepEqual(seen.at(-1), 'expert');
  assert.equal(seen.join(',').replace(/(\w+)(,\1)*/g, '$1'), 'problem,achievement,expert');
  const experts = [];
  db.scan('expert', (rec) => { experts.push(rec.id); });
  assert.equal(experts.length, 29);
  assert.equal(experts[0], 'E-001');
  let k = 0;
  assert.equal(db.scan('achievement', () => ++k < 5), 5);
  const boom = new Error('stop here');
  assert.throws(() => db.scan(() => { throw boom; }), (e) => e === boom);
});

test('export writes JSON Lines that load back to the same records', () => {
  const text = db.export();
  assert.equal(text.split('\n').filter(Boolean).length, 117);
  const copy = open(':memory:');
  try {
    assert.equal(copy.load(Buffer.from(text)).loaded, 117);
    assert.equal(copy.export(), text);
    const file = path.join(tmpdir(), 'experts.jsonl');
    assert.equal(db.export({ kind: 'expert', path: file }), 29);
    assert.equal(fs.readFileSync(file, 'utf8'), db.export({ kind: 'expert' }));
  } finally {
    copy.close();
  }
});

test('load takes a path, bytes, a string buffer or an array of records', () => {
  const m = open(':memory:');
  try {
    assert.equal(m.load(path.join(DATA, 'experts.jsonl')).loaded, 29);
    assert.equal(m.load(new URL(`file://${path.join(DATA, 'problems.jsonl')}`)).loaded, 43);
    assert.equal(m.loadBuffer('{"id":"A-X","kind":"achievement","title":"氢燃料电池"}\n\n').loaded, 1);
    assert.equal(m.load([{ id: 'A-Y', kind: 'achievement', title: '甲' }, '{"id":"A-Z","kind":"achievement"}']).loaded, 2);
    assert.equal(m.count(), 29 + 43 + 3);
  } finally {
    m.close();
  }
});

test('load progress: called with the stage; returning false stops and stores nothing', () => {
  const lines = [];
  for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ id: `P-G${i}`, kind: 'problem', title: `第${i}号技术需求：5G基站散热` }));
  const data = Buffer.from(lines.join('\n'));
  const m = open(':memory:');
  try {
    const calls = [];
    assert.throws(() => m.loadBuffer(data, { onProgress: (stage, done, total) => { calls.push([stage, done, total]); return false; } }),
      lm.StateError);
    assert.equal(m.count(), 0);
    assert.equal(calls.length, 1);
    assert.equal(calls[0][0], 'load');
    calls.length = 0;
    assert.equal(m.loadBuffer(data, { onProgress: (...a) => { calls.push(a); } }).loaded, 3000);
    assert.ok(calls.length >= 1);
    // the load, then (3,000 records) the loader's semantic space
    const loads = calls.filter(([stage]) => stage === 'load');
    assert.deepEqual(calls.slice(0, loads.length), loads);
    assert.ok(calls.every(([stage]) => stage === 'load' || stage === 'vectors'));
    assert.ok(loads.every(([, done, total]) => done <= total && total === data.length));
    const boom = new Error('progress callback failed');
    assert.throws(() => m.loadBuffer(data, { onProgress: () => { throw boom; } }), (e) => e === boom);
  } finally {
    m.close();
  }
});

test('allocate: capacities respected, total is the sum of the pairs', () => {
  const problems = ['P-001', 'P-002', 'P-005', 'P-011'];
  const a = db.allocate('expert', { problems, capacity: 1, per_problem: 2 });
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.pairs));
  assert.ok(a.pairs.length > 0);
  const per = {};
  const load = {};
  for (const p of a.pairs) {
    assert.ok(problems.includes(p.problem));
    per[p.problem] = (per[p.problem] || 0) + 1;
    load[p.candidate] = (load[p.candidate] || 0) + 1;
  }
  assert.ok(Object.values(per).every((n) => n <= 2));
  assert.ok(Object.values(load).every((n) => n <= 1));
  assert.ok(Math.abs(a.total - a.pairs.reduce((s, p) => s + p.score, 0)) < 1e-9);
  const few = db.allocate('expert', { problems, candidates: ['E-001', 'E-008'], capacities: [2, 0], per_problem: 1 });
  assert.ok(few.pairs.every((p) => p.candidate === 'E-001'));
  assert.ok(few.pairs.length <= 2);
  const high = db.allocate('expert', { problems, min_score: 1e6 });
  assert.equal(high.pairs.length, 0);
  assert.equal(high.total, 0);
  assert.throws(() => db.allocate('expert', { problems: ['P-404'] }), lm.NotFoundError);
  assert.throws(() => db.allocate('expert', { capacities: [1] }), lm.InvalidArgumentError);
});

test('analyze: offsets index the string passed, byte offsets the UTF-8', () => {
  const text = '基于5G基站的PEM燃料电池';
  const tokens = db.analyze(text);
  assert.ok(tokens.some((t) => t.text === '5g'));
  assert.ok(tokens.some((t) => t.text === '燃料电池'));
  for (const t of tokens) {
    assert.equal(Buffer.from(text).subarray(t.byteStart, t.byteEnd).toString(), text.slice(t.start, t.end));
  }
  const fc = tokens.find((t) => t.text === '燃料电池');
  assert.equal(text.slice(fc.start, fc.end), '燃料电池');
  const words = lm.analyze(text, { mode: 'words' }).map((t) => t.text);
  const all = lm.analyze(text, { mode: ['words', 'subwords', 'bigrams'] }).map((t) => t.text);
  assert.ok(all.length >= words.length);
  assert.deepEqual(lm.analyze(text, { mode: lm.AnalyzeMode.all }).map((t) => t.text), all);
  assert.ok(lm.analyze('碳化硅', { mode: 'all' }).some((t) => t.colocated));
  assert.throws(() => lm.analyze(text, { mode: 'letters' }), lm.InvalidArgumentError);
});

test('unigrams: single characters (the default), a soft match between words', () => {
  const toks = lm.analyze('綠茶多糖', { mode: ['all', 'unigrams'] });
  for (const c of ['绿', '茶', '多', '糖']) assert.ok(toks.some((t) => t.text === c), c);
  assert.ok(toks.filter((t) => t.text === '糖').every((t) => t.colocated));
  assert.ok(lm.analyze('绿茶多糖').some((t) => t.text === '茶'));
  assert.ok(!lm.analyze('绿茶多糖', { mode: 'all' }).some((t) => t.text === '茶'));
  const m = open(':memory:');
  try {
    assert.match(m.analyzerId, /unigrams/);
    m.setAnalyzerMode('all');
    m.put({ id: 'A-1', kind: 'achievement', title: '绿茶加工工艺' });
    assert.equal(m.query('茶多糖提取', 'achievement').length, 0);
    m.setAnalyzerMode(['all', 'unigrams']);
    assert.match(m.analyzerId, /unigrams/);
    assert.equal(m.query('茶多糖提取', 'achievement')[0].id, 'A-1');
  } finally {
    m.close();
  }
});

test('the loader keeps a semantic space from 100 records on, unless told not to', () => {
  const recs = Array.from({ length: 120 }, (_, i) => ({
    id: `A${i}`, kind: 'achievement', title: (i % 2 ? '锂电池热失控预警' : '小麦抗旱育种') + i,
  }));
  const a = open(':memory:');
  const b = open(':memory:');
  try {
    const stages = new Set();
    a.load(recs, { onProgress: (stage) => { stages.add(stage); } });
    assert.equal(a.stats().vectors.built_records, 120);
    assert.ok(stages.has('vectors'));
    b.load(recs, { vectors: false });
    assert.equal(b.stats().vectors.dim, 0);
  } finally {
    a.close();
    b.close();
  }
});

test('user words and synonyms', () => {
  const m = open(':memory:');
  try {
    assert.ok(!m.analyze('秦创原平台').some((t) => t.text === '秦创原'));
    m.addWord('秦创原');
    assert.ok(m.analyze('秦创原平台').some((t) => t.text === '秦创原'));
    m.put({ id: 'A-1', kind: 'achievement', title: 'SiC外延' });
    assert.equal(m.query('碳化硅', 'achievement').length, 0);
    m.addSynonym('碳化硅', 'SiC');
    assert.equal(m.query('碳化硅', 'achievement')[0].id, 'A-1');
  } finally {
    m.close();
  }
});

test('readonly refuses writes; close is idempotent; Symbol.dispose closes', () => {
  const file = path.join(tmpdir(), 'ro.db');
  const w = open(file);
  w.put({ id: 'P-1', kind: 'problem', title: '测试' });
  w.close();
  const r = open(file, { readonly: true, noMmap: true });
  assert.deepEqual(r.flags, { readonly: true, reindex: false, noMmap: true });
  assert.equal(r.get('problem', 'P-1').title, '测试');
  assert.throws(() => r.put({ id: 'P-2', kind: 'problem' }), lm.LibmatchError);
  r.close();
  r.close();
  assert.ok(r.closed);
  assert.throws(() => r.count(), lm.StateError);
  const d = new lm.Database(':memory:');
  d[Symbol.dispose]();
  assert.ok(d.closed);
  assert.equal(typeof lm.Database.open, 'function');
});

test('$LIBMATCH_LIBRARY is the only place tried when set; a wrong library is named', async () => {
  const { spawnSync } = await import('node:child_process');
  const load = (lib) => spawnSync(process.execPath, ['-e', "require('./index.cjs')"],
    { cwd: path.resolve(path.dirname(new URL(import.meta.url).pathname), '..'), encoding: 'utf8', env: { ...process.env, LIBMATCH_LIBRARY: lib } });
  let r = load('/nonexistent/libmatch.so.1');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /LibraryNotFoundError: libmatch: cannot load the shared library; tried:\n {2}\/nonexistent\/libmatch\.so\.1: no such file/);
  r = load('libc.so.6');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /libc\.so\.6: not libmatch/);
});

test('timeout: how long a call waits on a database another connection has locked', async () => {
  const { spawn } = await import('node:child_process');
  const file = path.join(tmpdir(), 'busy.db');
  const w = open(file);
  w.put({ id: 'P-1', kind: 'problem', title: '5G基站散热' });
  assert.equal(w.timeout, 10000);
  assert.throws(() => { w.timeout = 1.5; }, TypeError);
  assert.throws(() => { w.timeout = '100'; }, TypeError);
  assert.throws(() => { w.timeout = -1; }, lm.OutOfRangeError);
  assert.throws(() => { w.timeout = 3600001; }, lm.OutOfRangeError);
  assert.throws(() => open(file, { timeout: -5 }), lm.OutOfRangeError);
  assert.equal(w.timeout, 10000);
  w.close();
  // Another process holds the write lock for 2 s.
  const py = process.env.PY || '/usr/bin/python3';
  const holder = spawn(py, ['-c', `import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(2)
c.execute("ROLLBACK")`, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => holder.on('exit', resolve));
  await new Promise((resolve) => holder.stdout.once('data', resolve));
  const db = open(file, { timeout: 0 });
  try {
    assert.equal(db.timeout, 0);
    // Zero fails at once (a call that waited would succeed after 2 s) and loses nothing.
    assert.throws(() => db.put({ id: 'P-2', kind: 'problem', title: 'PEM燃料电池' }), lm.BusyError);
    db.timeout = 60000;
    db.put({ id: 'P-2', kind: 'problem', title: 'PEM燃料电池' });   // waits for the lock to go
    assert.equal(db.count('problem'), 2);
    assert.equal(db.get('problem', 'P-1').title, '5G基站散热');
  } finally {
    db.close();
    await exited;
  }
});
