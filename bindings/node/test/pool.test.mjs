// openPool: matches on worker threads (one lm_db each) return Promises of
// the same frozen results as Database; matching goes on while records are
// loaded; errors cross the thread boundary as the same classes; close()
// finishes the calls already made and stops every worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as lm from '../index.mjs';
import { sampleDb, fdCount } from './helpers.mjs';

let file;
let db;
before(() => {
  file = sampleDb();
  db = lm.open(file, { readonly: true });
});
after(() => db.close());

test('pool matches equal the synchronous ones, frozen, with queryTerms', async () => {
  const pool = await lm.openPool(file, { workers: 3 });
  try {
    assert.equal(pool.size, 3);
    const problems = ['P-001', 'P-002', 'P-005', 'P-011', 'P-020', 'P-021'];
    const got = await Promise.all(problems.flatMap((p) => [
      pool.match('problem', p, 'achievement', { k: 5 }),
      pool.match('problem', p, 'expert', { k: 3, region: '陕西省' }),
    ]));
    problems.forEach((p, i) => {
      assert.deepEqual(got[2 * i], db.match('problem', p, 'achievement', { k: 5 }));
      assert.deepEqual(got[2 * i].queryTerms, db.match('problem', p, 'achievement', { k: 5 }).queryTerms);
      assert.deepEqual(got[2 * i + 1], db.match('problem', p, 'expert', { k: 3, region: '陕西省' }));
    });
    assert.ok(Object.isFrozen(got[0]) && Object.isFrozen(got[0][0]) && Object.isFrozen(got[0][0].components));
    assert.equal((await pool.query('鋰離子電池熱失控預警', 'achievement', { k: 1 }))[0].id, 'A-011');
    assert.equal((await pool.matchRecord({ kind: 'problem', title: '无人机巡检光伏电站' }, 'achievement', { k: 1 }))[0].id, 'A-014');
    assert.equal(await pool.count(), 117);
    assert.equal((await pool.get('problem', 'P-001')).title, db.get('problem', 'P-001').title);
    assert.deepEqual(await pool.analyze('5G基站'), lm.analyze('5G基站'));
    assert.deepEqual(await pool.allocate('expert', { problems: ['P-001', 'P-011'] }),
      db.allocate('expert', { problems: ['P-001', 'P-011'] }));
  } finally {
    await pool.close();
  }
});

test('errors from a worker are the same classes with the same messages', async () => {
  const pool = await lm.openPool(file, { workers: 2 });
  try {
    await assert.rejects(pool.get('expert', 'E-999'), (e) => e instanceof lm.NotFoundError && e.code === 8 &&
      e.message === "no expert with id 'E-999'");
    await assert.rejects(pool.match('problem', 'P-001', 'achievement', { k: 0 }),
      (e) => e instanceof lm.OutOfRangeError && /option 'k'/.test(e.message) && e.option === 'k');
    await assert.rejects(pool.match('problem', 'P-001', 'patent'), lm.InvalidArgumentError);
    await assert.rejects(pool.put('{"id":'), lm.InvalidJSONError);
    await assert.rejects(pool.match('problem', 'P-001', 'achievement', 5), TypeError);
    const e = await pool.loadBuffer('{"id":"P-n1","kind":"problem"}\n{"id":"P-n2","kind":"problem","keywords":1}\n').catch((x) => x);
    assert.ok(e instanceof lm.InvalidRecordError);
    assert.equal(e.report.errors[0].line, 2);
    assert.ok(Object.isFrozen(e.report));
    assert.throws(() => pool.load(Buffer.from(''), { onProgress: () => {} }), TypeError);
    await assert.rejects(pool.match('problem', 'P-001', 'achievement', { k: () => 5 }), /cannot be sent to a worker/);
    // the pool still works after errors
    assert.equal((await pool.match('problem', 'P-001', 'achievement', { k: 1 }))[0].id, 'A-001');
  } finally {
    await pool.close();
  }
});

test('matching goes on concurrently while records are loaded', async () => {
  const target = sampleDb();
  const pool = await lm.openPool(target, { workers: 3 });
  try {
    const records = [];
    for (let i = 0; i < 600; i++) {
      records.push({ id: `A-N${i}`, kind: 'achievement', title: `第${i}号成果：秸秆还田机械化与玉米收获`, fields: ['现代农业'], region: '陕西省杨凌示范区', maturity: 1 + (i % 9) });
    }
    records.push({ id: 'A-NEW', kind: 'achievement', title: '碳化硅功率模块银烧结双面散热封装', abstract: '新一代低热阻碳化硅功率模块封装。', fields: ['半导体'], maturity: 6 });
    const started = [];
    const loading = pool.load(records);
    for (let i = 0; i < 40; i++) {
      started.push(pool.match('problem', `P-0${10 + (i % 30)}`, i % 2 ? 'expert' : 'achievement', { k: 5 }));
    }
    const [report, ...hits] = await Promise.all([loading, ...started]);
    assert.deepEqual(report, { loaded: 601, skipped: 0, errors: [] });
    for (const h of hits) {
      assert.ok(h.length > 0 && h.length <= 5);
      for (let i = 1; i < h.length; i++) assert.ok(h[i - 1].score >= h[i].score);
    }
    // every worker sees the new records once the load has committed
    const after = await Promise.all([0, 1, 2, 3, 4, 5].map(() => pool.count('achievement')));
    assert.deepEqual(after, [646, 646, 646, 646, 646, 646]);
    const found = await Promise.all([0, 1, 2].map(() => pool.match('problem', 'P-001', 'achievement', { k: 5 })));
    for (const f of found) assert.ok(f.some((m) => m.id === 'A-NEW'), f.map((m) => m.id).join(','));
  } finally {
    await pool.close();
  }
});

test('close finishes the calls already made, then rejects new ones; the workers stop', async () => {
  const fds = fdCount();
  const pool = await lm.openPool(file, { workers: 2 });
  assert.ok(fdCount() > fds, 'each worker holds the database open');
  const inflight = [];
  for (let i = 0; i < 12; i++) inflight.push(pool.match('problem', 'P-001', 'expert', { k: 3 }));
  const closing = pool.close();
  assert.equal(pool.close(), closing, 'idempotent');
  const done = await Promise.all(inflight);
  assert.equal(done.length, 12);
  assert.ok(done.every((h) => h[0].id === done[0][0].id));
  await closing;
  assert.ok(pool.closed);
  assert.equal(pool.size, 0);
  await assert.rejects(pool.match('problem', 'P-001', 'expert'), lm.StateError);
  assert.equal(fdCount(), fds, 'every worker closed its handle');
});

test('openPool refuses :memory: and rejects with the open error', async () => {
  await assert.rejects(lm.openPool(':memory:'), lm.InvalidArgumentError);
  await assert.rejects(lm.openPool('/nonexistent/dir/x.db', { workers: 2 }), (e) => e instanceof lm.IOError && /x\.db/.test(e.message));
  await assert.rejects(lm.openPool(file, { workers: 0 }), RangeError);
  const pool = await lm.openPool(file, { workers: 1, readonly: true });
  await assert.rejects(pool.put({ id: 'P-1', kind: 'problem' }), lm.StateError);
  await pool[Symbol.asyncDispose]();
  assert.ok(pool.closed);
});
