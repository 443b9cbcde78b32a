// Loading pipeline.ts: one ES module bundle under .pipeline/dag/ (rebuilt when an input changes),
// which imports the engine's API from the CLI build instead of carrying a copy (so a StageError
// thrown by a stage is the CLI's class); a package a stage loads with import() stays out of the
// bundle and loads when the stage runs.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDag } from '../../src/dagLoader.js';
import { cli, dagSource, engineWorkspace, read, removeWorkspaces, REPO, runJson } from './fixtures.js';

afterAll(removeWorkspaces);

const STAGES = `
    defineStage({ name: 'one', deps: ['in'], outs: ['out/one.txt'],
      async run(ctx) {
        // Loaded when the stage runs, from node_modules (not bundled).
        const { default: pLimit } = await import('p-limit');
        const limit = pLimit(1);
        const n = await limit(async () => ctx.deps.length);
        if (n > 2) throw new StageError('too many files: ' + n);
        await writeFile(ctx.out('out/one.txt'), 'files=' + n + ' ' + TAG + '\\n');
      } }),`;

const dagDir = (ws: string) => join(ws, '.pipeline', 'dag');
const bundles = async (ws: string) => (await readdir(dagDir(ws))).filter((f) => /^pipeline-[0-9a-f]+\.mjs$/.test(f));

test("the DAG is one ES module that imports the CLI's API; a StageError from a stage is an expected failure", async () => {
  const ws = await engineWorkspace(dagSource('z.object({}).strict()', STAGES, "const TAG = await Promise.resolve('esm');"), { 'in/a.txt': 'a\n' });
  const r1 = await runJson(ws);
  expect(r1.stage('one').status).toBe('ran');
  expect(r1.stderr).toBe('');
  expect(await read(ws, 'out/one.txt')).toBe('files=1 esm\n');
  const [bundle] = await bundles(ws);
  expect(bundle).toBeDefined();
  const code = await readFile(join(dagDir(ws), bundle!), 'utf8');
  // No copy of the engine's error classes or of the lazily imported package inside.
  expect(code).not.toMatch(/class UserError/);
  expect(code).toMatch(/dist\/cli-[0-9a-f]+\/src\/api\.js/);
  expect(code).not.toMatch(/yocto-queue/);
  // Nor of zod: the DAG's zod is the engine's package, so it is the CLI build's copy; the stage's
  // code still counts it, with its version.
  expect(code).toMatch(/dist\/cli-[0-9a-f]+\/src\/zod\.js/);
  expect(code).not.toMatch(/ZodObject|\$ZodType/);
  const zodVersion = (JSON.parse(await readFile(join(REPO, 'node_modules', 'zod', 'package.json'), 'utf8')) as { version: string }).version;
  expect((await cli(ws, ['dag', '--code'])).stdout).toContain(`zod@${zodVersion}`);

  // An unchanged DAG is not bundled again; the stage's own StageError reads as its message.
  await writeFile(join(ws, 'in', 'b.txt'), 'b\n');
  await writeFile(join(ws, 'in', 'c.txt'), 'c\n');
  const r2 = await runJson(ws);
  expect(r2.stage('one')).toMatchObject({ status: 'failed', error: 'too many files: 3' });
  expect(await bundles(ws)).toEqual([bundle]);

  // An edit of pipeline.ts makes a new bundle and removes the old one.
  await writeFile(join(ws, 'pipeline.ts'), dagSource('z.object({}).strict()', STAGES, "const TAG = 'edited';"));
  await rm(join(ws, 'in', 'c.txt'));
  const r3 = await runJson(ws);
  expect(r3.stage('one').status).toBe('ran');
  expect(await read(ws, 'out/one.txt')).toBe('files=2 edited\n');
  const after = await bundles(ws);
  expect(after).toHaveLength(1);
  expect(after[0]).not.toBe(bundle);
});

test('a damaged manifest means a new bundle, not a crash', async () => {
  const ws = await engineWorkspace(dagSource('z.object({}).strict()', STAGES, "const TAG = 'm';"), { 'in/a.txt': 'a\n' });
  expect((await runJson(ws)).stage('one').status).toBe('ran');
  await writeFile(join(dagDir(ws), 'manifest.json'), '{"v": 5, "out": 12}');
  const r = await runJson(ws);
  expect(r.code).toBe(0);
  expect(r.stage('one').status).toBe('fresh');
  expect(r.stderr).toBe('');
});

test("loading the same DAG again in one process gives the same module (watch keeps its stages' state)", async () => {
  const ws = await engineWorkspace(dagSource('z.object({}).strict()', STAGES, "const TAG = 'same';"), { 'in/a.txt': 'a\n' });
  const first = await loadDag(ws);
  const again = await loadDag(ws);
  expect(again).toBe(first);
  expect(first.stages.map((s) => s.name)).toEqual(['one']);
});
