// index.d.ts matches the real surface: every runtime export is declared and
// every declared value exists; methods of Database and Pool likewise; and a
// TypeScript program using the whole surface (types-check.mts/.cts)
// compiles with tsc --strict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as lm from '../index.mjs';
import { PKG } from './helpers.mjs';

const dts = fs.readFileSync(path.join(PKG, 'index.d.ts'), 'utf8');

/** Member names declared in the body of `declare class NAME`. */
function declaredMembers(name) {
  const start = dts.indexOf(`export declare class ${name} `);
  assert.ok(start >= 0, name);
  const body = dts.slice(dts.indexOf('{', start) + 1, dts.indexOf('\n}', start));
  const names = new Set();
  for (const m of body.matchAll(/^\s{2}(?:static\s+|readonly\s+|private\s+)*(\[Symbol\.\w+\]|[A-Za-z_]\w*)\s*[(:?]/gm)) {
    names.add(m[1]);
  }
  return names;
}

/** Public members of a class at run time (prototype, getters included). */
function runtimeMembers(C) {
  const names = new Set();
  for (const key of Reflect.ownKeys(C.prototype)) {
    if (key === 'constructor') continue;
    if (typeof key === 'symbol') {
      if (key === Symbol.dispose) names.add('[Symbol.dispose]');
      if (key === Symbol.asyncDispose) names.add('[Symbol.asyncDispose]');
      continue;
    }
    names.add(key);
  }
  return names;
}

test('every runtime export is declared, and every declared value exists', () => {
  const declared = new Set([...dts.matchAll(/^export declare (?:class|function|const) (\w+)/gm)].map((m) => m[1]));
  const runtime = new Set(Object.keys(lm).filter((k) => k !== 'default'));
  assert.deepEqual([...runtime].sort(), [...declared].sort());
  // the default export's declared shape lists the same names
  const def = dts.slice(dts.indexOf('declare const libmatch: {'), dts.indexOf('export default libmatch'));
  const defNames = new Set([...def.matchAll(/^\s{2}(\w+): typeof/gm)].map((m) => m[1]));
  assert.deepEqual([...defNames].sort(), [...runtime].sort());
  const cjs = createRequire(import.meta.url)('../index.cjs');
  assert.deepEqual(Object.keys(cjs).sort(), [...runtime].sort());
});

test('Database and Pool members match their declarations', () => {
  for (const C of [lm.Database, lm.Pool]) {
    const declared = declaredMembers(C.name);
    declared.delete('constructor');
    const statics = new Set(Object.getOwnPropertyNames(C).filter((k) => !['length', 'name', 'prototype'].includes(k)));
    for (const s of statics) declared.delete(s);
    assert.deepEqual([...runtimeMembers(C)].sort(), [...declared].sort(), C.name);
  }
});

test('a TypeScript program using the surface compiles with tsc --strict', () => {
  const tsc = path.join(PKG, 'node_modules', 'typescript', 'bin', 'tsc');
  assert.ok(fs.existsSync(tsc), 'typescript is a devDependency: run npm ci in bindings/node');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(PKG, 'test', 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});
