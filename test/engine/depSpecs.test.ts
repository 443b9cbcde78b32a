// Dep specs other than a plain directory: globs (only matching files count) and absolute paths
// outside the workspace (e.g. a base model directory), named without machine paths.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dagSource, engineWorkspace, read, removeWorkspaces, runJson, statusJson } from './fixtures.js';
import { makeTempDir } from '../helpers/tempDirs.js';

let external: string | undefined;
afterAll(async () => {
  if (external) await rm(external, { recursive: true, force: true });
  await removeWorkspaces();
});

test('a glob dep: only matching files make the stage stale, and they are named', async () => {
  const ws = await engineWorkspace(
    dagSource(
      `z.object({}).strict()`,
      `
    defineStage({ name: 'texts', deps: ['in/**/*.txt'], outs: ['out/texts.txt'],
      async run(ctx) { await writeFile(ctx.out('out/texts.txt'), ctx.deps.map((d) => d.path).join('\\n')); } }),`,
    ),
    { 'in/a.txt': 'a\n', 'in/notes.md': 'not matched\n' },
  );
  expect((await runJson(ws)).statuses).toEqual({ texts: 'ran' });

  await writeFile(join(ws, 'in/notes.md'), 'still not matched, now changed\n');
  await writeFile(join(ws, 'in/other.md'), 'new, not matched\n');
  expect((await statusJson(ws)).texts).toEqual({ state: 'fresh', reasons: [] });

  await mkdir(join(ws, 'in/sub'));
  await writeFile(join(ws, 'in/sub/c.txt'), 'c\n');
  expect((await statusJson(ws)).texts).toEqual({ state: 'stale', reasons: ['deps added: in/sub/c.txt'] });
  const r = await runJson(ws);
  expect(r.stage('texts').status).toBe('ran');
});

test('an absolute dep outside the workspace is hashed and named relative to itself', async () => {
  external = await makeTempDir('pl-engine-model-');
  const model = join(external, 'base-model');
  await mkdir(model);
  await writeFile(join(model, 'config.json'), '{"layers": 2}\n');
  await writeFile(join(model, 'weights.bin'), 'weights v1\n');
  const ws = await engineWorkspace(
    dagSource(
      `z.object({}).strict()`,
      `
    defineStage({ name: 'train', deps: [${JSON.stringify(model)}], outs: ['out/adapter.txt'],
      async run(ctx) { await writeFile(ctx.out('out/adapter.txt'), ctx.deps.map((d) => d.hash.slice(0, 8)).join(',')); } }),`,
    ),
  );
  expect((await runJson(ws)).statuses).toEqual({ train: 'ran' });
  expect((await statusJson(ws)).train?.state).toBe('fresh');

  await writeFile(join(model, 'weights.bin'), 'weights v2\n');
  const st = await statusJson(ws);
  expect(st.train?.state).toBe('stale');
  expect(st.train?.reasons).toHaveLength(1);
  expect(st.train?.reasons[0]).toMatch(/^deps modified: .*base-model\/weights\.bin$/);
  // Records carry no machine path (so the cache can move between machines).
  expect(st.train?.reasons[0]).not.toContain(external);
  expect((await runJson(ws)).stage('train').status).toBe('ran');
});

test('a brace glob dep: {a,b} alternatives count, others do not, and an out it names makes its producer upstream', async () => {
  const ws = await engineWorkspace(
    dagSource(
      `z.object({}).strict()`,
      `
    defineStage({ name: 'gen', deps: ['in/a.txt'], outs: ['gen/made.txt'],
      async run(ctx) { await writeFile(ctx.out('gen/made.txt'), 'made from ' + (await readFile(join(ctx.workspace, 'in/a.txt'), 'utf8'))); } }),
    defineStage({ name: 'pick', deps: ['in/{a,b}.txt', 'gen/{made,other}.txt'], outs: ['out/pick.txt'],
      async run(ctx) {
        const parts = [];
        for (const d of ctx.deps) parts.push(d.path + ': ' + (await readFile(join(ctx.workspace, d.path), 'utf8')).trim());
        await writeFile(ctx.out('out/pick.txt'), parts.join('\\n') + '\\n');
      } }),`,
    ),
    { 'in/a.txt': 'a\n', 'in/b.txt': 'b\n', 'in/c.txt': 'c\n', 'in/.b.txt': 'hidden\n' },
  );
  expect((await runJson(ws)).statuses).toEqual({ gen: 'ran', pick: 'ran' });
  expect(await read(ws, 'out/pick.txt')).toBe('gen/made.txt: made from a\nin/a.txt: a\nin/b.txt: b\n');

  await writeFile(join(ws, 'in/c.txt'), 'c changed, not matched\n');
  expect((await statusJson(ws)).pick).toEqual({ state: 'fresh', reasons: [] });
  await writeFile(join(ws, 'in/b.txt'), 'b2\n');
  expect((await statusJson(ws)).pick).toEqual({ state: 'stale', reasons: ['deps modified: in/b.txt'] });
  // gen runs first because pick's brace glob names its out.
  await writeFile(join(ws, 'in/a.txt'), 'a2\n');
  expect((await runJson(ws)).statuses).toEqual({ gen: 'ran', pick: 'ran' });
  expect(await read(ws, 'out/pick.txt')).toBe('gen/made.txt: made from a2\nin/a.txt: a2\nin/b.txt: b2\n');
});
