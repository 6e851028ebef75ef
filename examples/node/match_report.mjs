#!/usr/bin/env node
// Match report: load the sample libraries and print, for one problem, the
// best achievements and experts with their scores, score components, the
// terms that matched, and for experts the achievements that support them.
//
//   node examples/node/match_report.mjs                    # P-001, temporary DB
//   node examples/node/match_report.mjs --problem P-011 -k 3
//   node examples/node/match_report.mjs report.db          # keep the database
//
// Uses the binding from the source tree and the library built by `make`
// (build/libmatch.so.1; LIBMATCH_LIBRARY selects another one).  Installed,
// import from 'libmatch' instead.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { open, NotFoundError } from '../../bindings/node/index.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const COMPONENTS = {
  bm25: '文本', fields: '领域', region: '地域', maturity: '成熟度',
  evidence: '成果佐证', topic: '主题', cosine: '语义', cosine_ext: '向量',
};

const { values: opts, positionals } = parseArgs({
  options: {
    problem: { type: 'string', default: 'P-001' },
    k: { type: 'string', short: 'k', default: '5' },
    data: { type: 'string', default: path.resolve(HERE, '..', 'data') },
    help: { type: 'boolean', short: 'h' },
  },
  allowPositionals: true,
});
if (opts.help) {
  console.log('usage: match_report.mjs [DB] [--problem ID] [-k N] [--data DIR]');
  process.exit(0);
}
const k = Number(opts.k);

/** User words, synonyms, then the three libraries (each in one transaction). */
function load(db, dir) {
  const userdict = path.join(dir, 'userdict.txt');
  if (fs.existsSync(userdict)) {
    for (const line of fs.readFileSync(userdict, 'utf8').split('\n')) {
      const [word, freq] = line.split('#')[0].trim().split(/\s+/);
      if (word) db.addWord(word, /^\d+$/.test(freq ?? '') ? Number(freq) : 0);
    }
  }
  const synonyms = path.join(dir, 'synonyms.tsv');
  if (fs.existsSync(synonyms)) db.loadSynonyms(synonyms);
  for (const name of ['problems', 'achievements', 'experts']) {
    db.loadFile(path.join(dir, `${name}.jsonl`));
  }
}

/** The non-zero components in Chinese (absolute: 文本 is the share of the query matched): 文本 0.28 · 领域 1.00 · ... */
function why(m) {
  return Object.entries(m.components)
    .filter(([name, v]) => v && name in COMPONENTS)
    .map(([name, v]) => `${COMPONENTS[name]} ${v.toFixed(2)}`)
    .join(' · ');
}

function report(db, problemId) {
  const p = db.get('problem', problemId);
  console.log(`问题 ${p.id}：${p.title ?? ''}`);
  console.log(`  ${p.org ?? '—'} · ${p.region ?? '—'} · 领域：${(p.fields ?? []).join('、') || '—'}`);
  const achievements = db.match('problem', problemId, 'achievement', { k });
  console.log(`  查询词：${achievements.queryTerms.join(' ')}`);

  console.log(`\n推荐成果（前 ${k}）：`);
  achievements.forEach((m, i) => {
    const a = db.get('achievement', m.id);
    console.log(`${String(i + 1).padStart(2)}. ${m.id} ${m.label}  [成熟度 TRL ${a.maturity ?? '?'}，${a.region ?? '—'}]`);
    console.log(`    匹配度 ${(m.probability * 100).toFixed(1)}%（${why(m)}）`);
    console.log(`    命中词：${m.terms.join(' ') || '—'}`);
  });

  console.log(`\n推荐专家（前 ${k}）：`);
  db.match('problem', problemId, 'expert', { k }).forEach((m, i) => {
    const e = db.get('expert', m.id);
    console.log(`${String(i + 1).padStart(2)}. ${m.id} ${m.label}（${e.org ?? '—'}）  研究方向：${e.research ?? '—'}`);
    console.log(`    匹配度 ${(m.probability * 100).toFixed(1)}%（${why(m)}）`);
    console.log(`    命中词：${m.terms.join(' ') || '—'}`);
    if (m.evidence.length) {
      const support = m.evidence.map((ev) => `${ev.id} ${db.get('achievement', ev.id).title ?? ''} (${ev.score.toFixed(2)})`);
      console.log(`    支撑成果：${support.join('；')}`);
    }
  });
}

if (!fs.existsSync(path.join(opts.data, 'problems.jsonl'))) {
  console.error(`match_report: sample data not found in ${opts.data}`);
  process.exit(1);
}
const tmp = positionals[0] ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'libmatch-report-'));
const db = open(positionals[0] ?? path.join(tmp, 'report.db'));
try {
  load(db, opts.data);
  report(db, opts.problem);
} catch (e) {
  if (!(e instanceof NotFoundError)) throw e;
  console.error(`match_report: ${e.message}`);
  process.exitCode = 1;
} finally {
  db.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}
