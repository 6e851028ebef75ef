// Compiled by test/types.test.mjs with tsc --strict --noEmit against
// index.d.ts (never run): uses the whole surface as a TypeScript program
// would, and checks with @ts-expect-error that wrong uses are refused.
import libmatch, {
  open, openPool, analyze, describeOptions, libraryVersion, libraryPath, AnalyzeMode, setDictionary,
  Database, Pool, LibmatchError, NotFoundError, InvalidRecordError, NotADatabaseError, MisuseError,
  type Match, type MatchResults, type LoadReport, type OptionDescription, type Token, type Allocation,
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
  await pool.close();
  await pool[Symbol.asyncDispose]();
  void [h, c, rep];
}
const same: typeof Database = libmatch.Database;

// @ts-expect-error: kinds are checked
db.match('problem', 'P-1', 'patent');
// @ts-expect-error: results are read-only
hits[0].score = 1;
// @ts-expect-error: an option value is a number, string or string list
db.match('problem', 'P-1', 'achievement', { k: { n: 1 } });

void [version, where, words, n, terms, q, r, a, tokens, t2, opts, visited, text, written, count, ctorCode, pooled, same];
