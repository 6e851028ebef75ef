// Batch matching in the built-in semantic space (lm_batch_match): every
// record of one kind against every record of another, in the library's
// order; within a memory bound (lm_set_batch_memory) the same hits and
// scores; progress and errors; the pool forwards it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as lm from '../index.mjs';
import { loadSample, sampleDb } from './helpers.mjs';

const { open } = lm;

/** The ids of the stored records of `kind`, in storage order. */
function ids(db, kind) {
  const out = [];
  db.scan(kind, (r) => { out.push(r.id); });
  return out;
}

/** Every source has k hits, frozen, best first, float cosines. */
function checkBatch(batch, k, what) {
  for (const [from, hits] of batch) {
    assert.equal(hits.length, k, `${what}: hits of ${from}`);
    assert.ok(Object.isFrozen(hits), 'frozen hit list');
    hits.forEach((h, i) => {
      assert.ok(Object.isFrozen(h), 'frozen hit');
      assert.deepEqual(Object.keys(h), ['id', 'score']);
      assert.equal(typeof h.id, 'string');
      assert.equal(h.score, Math.fround(h.score), `a float score: ${h.score}`);
      assert.ok(h.score >= -1.0001 && h.score <= 1.0001, `a cosine: ${h.score}`);
      if (i > 0) assert.ok(hits[i - 1].score >= h.score, `${what}: best first`);
    });
  }
}

test('batchMatch on the sample data: StateError before buildVectors, then every source with k hits', () => {
  const db = open(':memory:');
  try {
    loadSample(db, { vectors: false });            // without the loader's semantic space
    assert.throws(() => db.batchMatch('problem', 'achievement', { k: 2 }),
      (e) => e instanceof lm.StateError && e.code === 15 && /no semantic vectors/.test(e.message));
    db.buildVectors(4);
    const batch = db.batchMatch('problem', 'achievement', { k: 2 });
    assert.ok(batch instanceof Map);
    assert.deepEqual([...batch.keys()], ids(db, 'problem'), 'every problem, in the library\'s order');
    checkBatch(batch, 2, 'problem -> achievement k=2');
    const achievements = new Set(ids(db, 'achievement'));
    for (const hits of batch.values()) for (const h of hits) assert.ok(achievements.has(h.id), h.id);
    assert.deepEqual(db.batchMatch('problem', 'achievement', { k: 2 }), batch, 'the same again');
    // k: the registry's default
    const k = lm.describeOptions().find((o) => o.name === 'k').default;
    assert.equal(db.batchMatch('problem', 'achievement').get('P-001').length, k);
    for (const [from, hits] of db.batchMatch('achievement', 'achievement', { k: 3 })) {
      assert.ok(hits.every((h) => h.id !== from), 'same kind: the record itself excluded');
    }
    db.buildVectors(2);
    const b = db.batchMatch('expert', 'achievement', { k: 1 });
    assert.deepEqual([...b.keys()], ids(db, 'expert'), 'every expert');
    checkBatch(b, 1, 'expert -> achievement k=1');
    // wrong arguments
    assert.throws(() => db.batchMatch('problem', 'achievement', { k: 0 }), (e) => e instanceof lm.OutOfRangeError && /k 0/.test(e.message));
    assert.throws(() => db.batchMatch('problem', 'achievement', { k: 2 ** 40 }), lm.OutOfRangeError);
    assert.throws(() => db.batchMatch('problem', 'achievement', { k: 1.5 }), TypeError);
    assert.throws(() => db.batchMatch('problem', 'achievement', { K: 2 }), TypeError);
    assert.throws(() => db.batchMatch('problem', 'achievement', null), TypeError);
    assert.throws(() => db.batchMatch('problem', 'achievement', { onProgress: 1 }), TypeError);
    assert.throws(() => db.batchMatch('patent', 'achievement'), lm.InvalidArgumentError);
  } finally {
    db.close();
  }
  assert.throws(() => db.batchMatch('problem', 'achievement'), lm.StateError);
});

test('batchMatch within a memory bound: the same results; batchMemory round-trips and refuses 1000', () => {
  const words = ['锂电池', '储能', '热失控', '猕猴桃', '溃疡病', '小麦', '抗旱', '育种', '5G基站', 'PEM燃料电池',
    '碳化硅', '功率器件', '光伏', '氢能', '果园', '病害', '電站', '新品種', '隧道', '掘进'];
  const db = open(':memory:');
  try {
    let x = 7n;                                      // BigInt: the product exceeds 2^53
    const recs = [];
    for (let i = 0; i < 1100; i++) {
      let title = '';
      for (let j = 0; j < 4; j++) {
        x = (x * 1103515245n + 12345n) % (1n << 31n);
        title += words[Number((x >> 8n) % BigInt(words.length))];
      }
      recs.push({ id: `A${String(i).padStart(4, '0')}`, kind: 'achievement', title });
    }
    assert.equal(db.load(recs).loaded, 1100);
    db.buildVectors(12);
    assert.equal(db.batchMemory, 0, 'no bound by default');
    const whole = db.batchMatch('achievement', 'achievement', { k: 5 });
    assert.equal(whole.size, 1100);
    checkBatch(whole, 5, 'whole');
    const seen = [];
    const part = db.batchMatch('achievement', 'achievement', {
      k: 5, memory: lm.MIN_BATCH_MEMORY, onProgress: (stage, done, total) => { seen.push([stage, done, total]); },
    });
    assert.deepEqual(part, whole, 'the same ids and scores within 64 KiB');
    assert.deepEqual([...part.keys()], [...whole.keys()], 'in the same order');
    assert.ok(seen.length > 2, `blocks and ranges report progress: ${seen.length}`);
    assert.ok(seen.every(([stage]) => stage === 'batch'));
    assert.equal(db.batchMemory, 0, 'memory is for the one call');
    db.batchMemory = 65536;
    assert.equal(db.batchMemory, 65536);
    assert.deepEqual(db.batchMatch('achievement', 'achievement', { k: 5 }), whole, 'the handle\'s bound');
    assert.throws(() => { db.batchMemory = 1000; },
      (e) => e instanceof lm.OutOfRangeError && e.code === 14 && /batch memory 1000 bytes/.test(e.message));
    assert.throws(() => db.batchMatch('achievement', 'achievement', { memory: 1000 }), lm.OutOfRangeError);
    assert.throws(() => { db.batchMemory = 1.5; }, TypeError);
    assert.throws(() => db.batchMatch('achievement', 'achievement', { memory: 1.5 }), TypeError);
    assert.throws(() => { db.batchMemory = '65536'; }, TypeError);
    assert.equal(db.batchMemory, 65536, 'unchanged by the refusals');
    // A failing call with a bound of its own: the batch's message, the handle's bound back.
    assert.throws(() => db.batchMatch('achievement', 'achievement', { k: 0, memory: 2 ** 20 }),
      (e) => e instanceof lm.OutOfRangeError && /k 0/.test(e.message));
    assert.equal(db.batchMemory, 65536, 'restored after a failure');
    db.batchMemory = 2 ** 40;
    assert.equal(db.batchMemory, 2 ** 40);
    db.batchMemory = 0;
    assert.equal(db.batchMemory, 0);
  } finally {
    db.close();
  }
});

test('batchMatch progress: false stops it (StateError), a throw comes back, the bound is restored', () => {
  const db = open(':memory:');
  try {
    loadSample(db);
    db.buildVectors(4);
    assert.throws(() => db.batchMatch('problem', 'achievement', { k: 2, onProgress: () => false }), lm.StateError);
    const boom = new Error('boom');
    assert.throws(() => db.batchMatch('problem', 'achievement', { k: 2, memory: 1 << 16, onProgress: () => { throw boom; } }),
      (e) => e === boom);
    assert.equal(db.batchMemory, 0);
    assert.equal(db.batchMatch('problem', 'achievement', { k: 2 }).size, db.count('problem'), 'usable afterwards');
  } finally {
    db.close();
  }
});

test('the pool forwards batchMatch (frozen hits, the same Map); onProgress is refused', async () => {
  const file = sampleDb();
  const db = open(file);
  let pool;
  try {
    db.buildVectors(4);
    const expected = db.batchMatch('problem', 'achievement', { k: 3 });
    pool = await lm.openPool(file, { workers: 2 });
    const [a, b] = await Promise.all([
      pool.batchMatch('problem', 'achievement', { k: 3 }),
      pool.batchMatch('problem', 'achievement', { k: 3, memory: lm.MIN_BATCH_MEMORY }),
    ]);
    assert.ok(a instanceof Map);
    assert.deepEqual(a, expected);
    assert.deepEqual([...a.keys()], [...expected.keys()]);
    assert.deepEqual(b, expected);
    checkBatch(a, 3, 'pool');
    await assert.rejects(pool.batchMatch('problem', 'achievement', { k: 0 }), lm.OutOfRangeError);
    assert.throws(() => pool.batchMatch('problem', 'achievement', { onProgress: () => {} }), TypeError);
  } finally {
    if (pool) await pool.close();
    db.close();
  }
});
