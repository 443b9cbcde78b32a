// Loading pipeline.ts: bundled as CommonJS and compiled with V8's code cache beside it; a cache V8
// rejects is rewritten; a DAG with top-level await falls back to an ES module bundle; a package a
// stage loads with import() stays out of the bundle and is loaded when the stage runs.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDag } from '../../src/dagLoader.js';
import { dagSource, engineWorkspace, read, removeWorkspaces, runJson } from './fixtures.js';

afterAll(removeWorkspaces);

const STAGES = `
    defineStage({ name: 'one', deps: ['in'], outs: ['out/one.txt'],
      async run(ctx) {
        // Loaded when the stage runs, from node_modules (not bundled).
        const { default: pLimit } = await import('p-limit');
        const limit = pLimit(1);
        const n = await limit(async () => ctx.deps.length);
        await writeFile(ctx.out('out/one.txt'), 'files=' + n + ' ' + TAG + '\\n');
      } }),`;

const dagFiles = async (ws: string) => (await readdir(join(ws, '.pipeline', 'dag'))).sort();

test('the DAG is a CommonJS bundle with a V8 code cache; a rejected cache is rewritten, nothing else changes', async () => {
  const ws = await engineWorkspace(dagSource('z.object({}).strict()', STAGES, "const TAG = 'cjs';"), { 'in/a.txt': 'a\n' });
  const r1 = await runJson(ws);
  expect(r1.stage('one').status).toBe('ran');
  expect(r1.stderr).toBe('');
  expect(await read(ws, 'out/one.txt')).toBe('files=1 cjs\n');
  const files = await dagFiles(ws);
  const bundle = files.find((f) => /^pipeline-[0-9a-f]+\.cjs$/.test(f));
  const cache = files.find((f) => f.endsWith('.v8cache'));
  expect(bundle).toBeDefined();
  expect(cache).toBe(`${bundle}.${process.version}.v8cache`);

  // Garbage where the cache was: V8 rejects it, the DAG still loads and the cache is written anew.
  await writeFile(join(ws, '.pipeline', 'dag', cache!), 'not a code cache');
  await writeFile(join(ws, 'in', 'b.txt'), 'b\n');
  const r2 = await runJson(ws);
  expect(r2.stage('one').status).toBe('ran');
  expect(await read(ws, 'out/one.txt')).toBe('files=2 cjs\n');
  const written = await readFile(join(ws, '.pipeline', 'dag', cache!));
  expect(written.toString('latin1')).not.toBe('not a code cache');

  // Compiled from that cache, the stage's import() still works, and nothing warns on stderr.
  await writeFile(join(ws, 'in', 'c.txt'), 'c\n');
  const r3 = await runJson(ws);
  expect(r3.stage('one').status).toBe('ran');
  expect(await read(ws, 'out/one.txt')).toBe('files=3 cjs\n');
  expect(r3.stderr).toBe('');
  expect((await readFile(join(ws, '.pipeline', 'dag', cache!))).equals(written)).toBe(true);
});

test('a pipeline.ts with top-level await is loaded as an ES module bundle', async () => {
  const ws = await engineWorkspace(dagSource('z.object({}).strict()', STAGES, "const TAG = await Promise.resolve('esm');"), { 'in/a.txt': 'a\n' });
  const r = await runJson(ws);
  expect(r.code).toBe(0);
  expect(r.stage('one').status).toBe('ran');
  expect(await read(ws, 'out/one.txt')).toBe('files=1 esm\n');
  expect((await dagFiles(ws)).some((f) => /^pipeline-[0-9a-f]+\.mjs$/.test(f))).toBe(true);
});

test('loading the same DAG again in one process gives the same module (watch keeps its stages\' state)', async () => {
  const ws = await engineWorkspace(dagSource('z.object({}).strict()', STAGES, "const TAG = 'same';"), { 'in/a.txt': 'a\n' });
  const first = await loadDag(ws);
  const again = await loadDag(ws);
  expect(again).toBe(first);
  expect(first.stages.map((s) => s.name)).toEqual(['one']);
});
