// No handle leaks: 10,000 open/close cycles (and failed opens, and result
// sets) leave the process's file descriptors and resident memory bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { open, LibmatchError } from '../index.mjs';
import { tmpdir, fdCount, loadSample } from './helpers.mjs';

const rssMiB = () => process.memoryUsage.rss() / (1 << 20);
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

test('10,000 open/close cycles of a database file: fd count and RSS bounded', () => {
  const file = path.join(tmpdir(), 'cycles.db');
  const db = open(file);
  db.put({ id: 'P-1', kind: 'problem', title: '碳化硅功率模块封装' });
  db.close();
  for (let i = 0; i < 200; i++) open(file).close();     // warm up caches and the allocator
  gc();
  const fds = fdCount();
  const rss = rssMiB();
  for (let i = 0; i < 10000; i++) {
    const d = open(file, { readonly: (i & 1) === 1 });
    if (i % 1000 === 0) assert.equal(d.count(), 1);
    d.close();
  }
  gc();
  assert.equal(fdCount(), fds, 'file descriptors after 10,000 cycles');
  const grown = rssMiB() - rss;
  assert.ok(grown < 48, `RSS grew by ${grown.toFixed(1)} MiB over 10,000 cycles`);
});

test('failed opens release their handle', () => {
  const fds = fdCount();
  const rss = rssMiB();
  for (let i = 0; i < 2000; i++) {
    assert.throws(() => open('/nonexistent/dir/x.db'), LibmatchError);
  }
  assert.equal(fdCount(), fds);
  assert.ok(rssMiB() - rss < 32);
});

test('result sets, reports and options are freed: 3,000 matches keep RSS bounded', () => {
  const db = open(':memory:');
  try {
    loadSample(db);
    for (let i = 0; i < 300; i++) db.match('problem', 'P-001', 'expert', { k: 20, region: '陕西省', field: ['半导体'] });
    gc();
    const rss = rssMiB();
    for (let i = 0; i < 3000; i++) {
      db.match('problem', `P-0${10 + (i % 30)}`, i % 2 ? 'expert' : 'achievement', { k: 20, region: '陕西省', field: ['半导体'] });
      if (i % 10 === 0) assert.throws(() => db.match('problem', 'P-001', 'achievement', { k: 0 }), LibmatchError);
    }
    gc();
    const grown = rssMiB() - rss;
    assert.ok(grown < 48, `RSS grew by ${grown.toFixed(1)} MiB over 3,000 matches`);
  } finally {
    db.close();
  }
});

test('a database that is never closed is closed when collected', async () => {
  const file = path.join(tmpdir(), 'forgotten.db');
  open(file).close();
  gc();
  const fds = fdCount();
  (() => { for (let i = 0; i < 50; i++) open(file).count(); })();
  assert.ok(fdCount() >= fds + 50, 'each open handle holds the file open');
  for (let round = 0; round < 20 && fdCount() > fds; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(fdCount(), fds);
});
