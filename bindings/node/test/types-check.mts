// Compiled by test/types.test.mjs with tsc --strict --noEmit against
// index.d.ts (never run): uses the whole surface as a TypeScript program
// would, and checks with @ts-expect-error that wrong uses are refused.
import libmatch, {
  open, openPool, analyze, describeOptions, libraryVersion, libraryPath, AnalyzeMode, setDictionary,
  Database, Pool, LibmatchError, NotFoundError, InvalidRecordError, NotADatabaseError, MisuseError,
  type Match, type MatchResults, type LoadReport, type OptionDescription, type Token, type Allocation,
  type BatchHit, type BatchResults, MIN_BATCH_MEMORY,
} from 'libmatch';

const version: string = libraryVersion();
const where: string = libraryPath;
const words: number = AnalyzeMode.words;
void setDictionary;

const db: Database = open(':memory:', { readonly: false, noMmap: true });
const report: LoadReport = db.load([{ id: 'P-1', kind: 'problem', title: '碳化硅' }], { skipBad: true });
const n: number = report.loaded + report.skipped + report.errors.length;
db.put({ id: 'A-1', kind: 'achievement', title: '碳化矽' });
db.put(Buffer.from('{"id":"A-2","kind":"achievement"}'));
const hits: MatchResults = db.match('problem', 'P-1', 'achievement', { k: 5, w_topic: 0.5, region: '陕西省', field: ['新材料'], fusion: 'rrf' });
const top: Match | undefined = hits[0];
const terms: readonly string[] = hits.queryTerms;
if (top) {
  const p: number | undefined = top.probability;
  const c: number | undefined = top.components.bm25;
  const ev: string[] = top.evidence.map((e) => e.id);
  void [p, c, ev, top.label, top.terms];
}
const q: MatchResults = db.query(Buffer.from('碳化硅'), 'achievement');
const r: MatchResults = db.matchRecord({ kind: 'problem', title: 'x' }, 'expert');
const a: Allocation = db.allocate('expert', { problems: ['P-1'], capacity: 2, per_problem: 1, min_score: 0 });
db.buildVectors(4);
db.batchMemory = MIN_BATCH_MEMORY;
const bound: number = db.batchMemory;
const batch: BatchResults = db.batchMatch('problem', 'achievement', { k: 2, memory: 0, onProgress: (stage, done, total) => done <= total });
const firstHits: readonly BatchHit[] | undefined = batch.get('P-1');
const cos: number | undefined = firstHits?.[0]?.score;
for (const [fromId, list] of db.batchMatch('expert', 'achievement')) void [fromId.length, list.map((h) => h.id)];
const tokens: readonly Token[] = db.analyze('5G基站', { mode: ['words', 'bigrams'] });
const t2: readonly Token[] = analyze('x', { mode: 'all' });
const opts: readonly OptionDescription[] = describeOptions();
const visited: number = db.scan('problem', (rec, info) => rec.id === info.id);
const text: string = db.export({ kind: 'expert' });
const written: number = db.export({ path: '/tmp/x.jsonl' });
const count: number = db.count() + db.count('expert');
const rec = db.get('problem', 'P-1');
const kind: 'problem' | 'achievement' | 'expert' = rec.kind;
db[Symbol.dispose]();
db.close();

try {
  db.get('problem', 'P-404');
} catch (e) {
  if (e instanceof NotFoundError) { const code: number = e.code; const name: string = e.codeName; void [code, name]; }
  if (e instanceof InvalidRecordError || e instanceof NotADatabaseError || e instanceof MisuseError) void e;
  if (e instanceof LibmatchError && e.report) { const l: LoadReport = e.report; void l; }
}
const ctorCode: number = NotADatabaseError.code;

async function pooled(): Promise<void> {
  const pool: Pool = await openPool('/tmp/x.db', { workers: 2, readonly: true });
  const h: MatchResults = await pool.match('problem', 'P-1', 'achievement', { k: 3 });
  const c: number = await pool.count();
  const rep: LoadReport = await pool.load('/tmp/x.jsonl', { skipBad: true });
  const pb: BatchResults = await pool.batchMatch('problem', 'expert', { k: 1, memory: MIN_BATCH_MEMORY });
  // @ts-expect-error: no progress callback on a pool
  await pool.batchMatch('problem', 'expert', { onProgress: () => false });
  void pb;
  await pool.close();
  await pool[Symbol.asyncDispose]();
  void [h, c, rep];
}
const same: typeof Database = libmatch.Database;

// @ts-expect-error: kinds are checked
db.match('problem', 'P-1', 'patent');
// @ts-expect-error: results are read-only
hits[0].score = 1;
// @ts-expect-error: batch results are read-only
batch.set('P-2', []);
// @ts-expect-error: a batch hit is read-only
if (firstHits?.[0]) firstHits[0].score = 1;
// @ts-expect-error: batch options are k, memory, onProgress
db.batchMatch('problem', 'achievement', { region: '陕西省' });
// @ts-expect-error: an option value is a number, string or string list
db.match('problem', 'P-1', 'achievement', { k: { n: 1 } });

void [bound, cos];
void [version, where, words, n, terms, q, r, a, tokens, t2, opts, visited, text, written, count, ctorCode, pooled, same];
