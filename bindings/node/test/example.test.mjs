// examples/node/match_report.mjs prints the demo's matches for P-001.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './helpers.mjs';

const SCRIPT = path.join(ROOT, 'examples', 'node', 'match_report.mjs');
const run = (...args) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });

test('match_report.mjs: P-001 -> A-001 first, experts E-022 and E-001 with their evidence', () => {
  const r = run('-k', '3');
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^问题 P-001：碳化硅功率模块封装散热难题/);
  assert.match(out, /推荐成果（前 3）：\n 1\. A-001 低熱阻碳化矽功率模組銀燒結封裝技術/);
  assert.match(out, /推荐专家（前 3）：\n 1\. E-022 林志明/);
  assert.match(out, / 2\. E-001 李建国/);
  assert.match(out, /支撑成果：A-001 低熱阻碳化矽功率模組銀燒結封裝技術 \(0\.\d\d\)/);
  assert.match(out, /匹配度 \d{1,3}\.\d%（文本 0\.\d\d · 领域 1\.00/);
});

test('match_report.mjs: an unknown problem is one line on stderr and status 1', () => {
  const r = run('--problem', 'P-999');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "match_report: no problem with id 'P-999'\n");
});
