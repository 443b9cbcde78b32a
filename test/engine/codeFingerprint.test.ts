// A stage's implementation fingerprint is exactly the import closure of the module that defines
// it: a file only a command imports never makes a stage stale; a module a stage imports from
// another folder does, and is named; so does a new version of a package it imports (in the
// lockfile); explicit `code:` paths (scripts a stage shells out to) count as well.
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_PIPELINE_TS } from '../helpers/workspace.js';
import { API_IMPORT, cli, engineWorkspace, removeWorkspaces, runJson, statusJson, statusValues } from './fixtures.js';

afterAll(removeWorkspaces);

const lock = (version: string) =>
  `${JSON.stringify({ name: 'ws', lockfileVersion: 3, packages: { '': { name: 'ws' }, 'node_modules/fakepkg': { version } } }, null, 2)}\n`;

/**
 * pipeline.ts → stages/a/index.ts (stage a + a command) and stages/b/stage.ts.
 * a's stage imports stages/shared/mix.ts and the package fakepkg; the command imports cmd.ts →
 * cmdHelper.ts; b imports nothing of the others and runs scripts/b.sh (declared as code).
 */
const FILES: Record<string, string> = {
  'pipeline.ts': `
import { z } from 'zod';
import { definePipeline } from ${API_IMPORT};
import * as a from './stages/a/index.js';
import { stage as b } from './stages/b/stage.js';
export default definePipeline({ schema: z.object({}).strict(), stages: [a.stage, b], commands: a.commands });
`,
  'stages/a/index.ts': `export { stage } from './stage.js';
import { hello } from './cmd.js';
export const commands = { hello };
`,
  'stages/a/stage.ts': `import { writeFile } from 'node:fs/promises';
import { defineStage } from ${API_IMPORT};
import { mix } from '../shared/mix.js';
import { tag } from 'fakepkg';
export const stage = defineStage({ name: 'a', deps: ['in'], outs: ['out/a.txt'],
  async run(ctx) { await writeFile(ctx.out('out/a.txt'), mix(tag) + ' ' + ctx.deps.length + '\\n'); } });
`,
  'stages/a/cmd.ts': `import { greeting } from './cmdHelper.js';
export const hello = { summary: 'say hello', usage: 'pipeline hello', async run(ctx: { stdout: NodeJS.WritableStream }) { ctx.stdout.write(greeting + '\\n'); return 0; } };
`,
  'stages/a/cmdHelper.ts': `export const greeting = 'hello';\n`,
  'stages/shared/mix.ts': `export const mix = (s: string) => 'mix:' + s;\n`,
  'stages/b/stage.ts': `import { writeFile } from 'node:fs/promises';
import { defineStage } from ${API_IMPORT};
export const stage = defineStage({ name: 'b', deps: ['in'], outs: ['out/b.txt'], code: ['scripts/b.sh'],
  async run(ctx) {
    await ctx.exec('sh', ['scripts/b.sh'], { cwd: ctx.workspace });
    await writeFile(ctx.out('out/b.txt'), 'b\\n');
  } });
`,
  'scripts/b.sh': 'true\n',
  'node_modules/fakepkg/package.json': `${JSON.stringify({ name: 'fakepkg', version: '1.0.0', type: 'module', main: 'index.js' })}\n`,
  'node_modules/fakepkg/index.js': "export const tag = 'fake';\n",
  'package-lock.json': lock('1.0.0'),
  'in/x.txt': 'x\n',
};

async function ranBoth(): Promise<string> {
  const ws = await engineWorkspace(FILES['pipeline.ts']!, FILES);
  const r = await runJson(ws);
  expect(r.statuses).toEqual({ a: 'ran', b: 'ran' });
  return ws;
}

test('editing files only a command imports leaves every stage fresh', async () => {
  const ws = await ranBoth();
  await appendFile(join(ws, 'stages/a/cmd.ts'), '// the command changed\n');
  await writeFile(join(ws, 'stages/a/cmdHelper.ts'), "export const greeting = 'hello again';\n");
  expect(await statusJson(ws)).toEqual({ a: { state: 'fresh', reasons: [] }, b: { state: 'fresh', reasons: [] } });
  expect((await cli(ws, ['hello'])).stdout).toBe('hello again\n');
  expect((await runJson(ws)).statuses).toEqual({ a: 'fresh', b: 'fresh' });
});

test('editing a module a stage imports from another folder makes that stage stale, naming the file', async () => {
  const ws = await ranBoth();
  await writeFile(join(ws, 'stages/shared/mix.ts'), "export const mix = (s: string) => 'MIX:' + s;\n");
  const st = await statusValues(ws);
  expect(st.a).toMatchObject({
    state: 'stale',
    reason: 'code changed: stages/shared/mix.ts',
    reasons: [{ kind: 'code', files: ['stages/shared/mix.ts'], packages: [] }],
  });
  expect(st.b).toMatchObject({ state: 'fresh' });
  const human = await cli(ws, ['status']);
  expect(human.stdout).toMatch(/^a\s+stale\n\s+- code changed: stages\/shared\/mix\.ts$/m);
  const r = await runJson(ws);
  expect(r.statuses).toEqual({ a: 'ran', b: 'fresh' });
  expect(await readFile(join(ws, 'out/a.txt'), 'utf8')).toBe('MIX:fake 1\n');
});

test('a new version of a package a stage imports (in package-lock.json) makes it stale', async () => {
  const ws = await ranBoth();
  await writeFile(join(ws, 'package-lock.json'), lock('1.1.0'));
  const st = await statusValues(ws);
  expect(st.a).toMatchObject({
    state: 'stale',
    reason: 'code changed: package fakepkg 1.0.0 → 1.1.0',
    reasons: [{ kind: 'code', files: [], packages: [{ name: 'fakepkg', from: '1.0.0', to: '1.1.0' }] }],
  });
  expect(st.b).toMatchObject({ state: 'fresh' });
  expect((await runJson(ws)).statuses).toEqual({ a: 'ran', b: 'fresh' });
  expect((await runJson(ws)).statuses).toEqual({ a: 'fresh', b: 'fresh' });
});

test('a script named in code: is part of the fingerprint; `dag --code` lists what each stage is made of', async () => {
  const ws = await ranBoth();
  await writeFile(join(ws, 'scripts/b.sh'), 'true # edited\n');
  const st = await statusValues(ws);
  expect(st.b).toMatchObject({ state: 'stale', reasons: [{ kind: 'code', files: ['scripts/b.sh'], packages: [] }] });
  expect(st.a).toMatchObject({ state: 'fresh' });
  const dag = await cli(ws, ['dag', '--code']);
  expect(dag.code).toBe(0);
  const section = (name: string) => dag.stdout.split(/\n(?=\S)/).find((s) => s.startsWith(name))!;
  expect(section('a')).toMatch(/code: {3}2 files, 1 packages\n {6}stages\/a\/stage\.ts\n {6}stages\/shared\/mix\.ts\n {6}fakepkg@1\.0\.0/);
  expect(section('a')).not.toMatch(/cmd/);
  expect(section('b')).toMatch(/code: {3}1 files, 0 packages\n {6}stages\/b\/stage\.ts\n {6}scripts\/b\.sh \(declared\)/);
});

test('a stage made without defineStage gets the whole DAG as its code: too wide, never too narrow', async () => {
  const files = {
    ...FILES,
    'pipeline.ts': `
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { definePipeline } from ${API_IMPORT};
import { mix } from './stages/shared/mix.js';
const plain = { name: 'plain', deps: ['in'], outs: ['out/plain.txt'], async run(ctx: any) { await writeFile(ctx.out('out/plain.txt'), mix('p')); } };
export default definePipeline({ schema: z.object({}).strict(), stages: [plain] });
`,
  };
  const ws = await engineWorkspace(files['pipeline.ts'], files);
  expect((await runJson(ws)).statuses).toEqual({ plain: 'ran' });
  await mkdir(join(ws, 'stages/shared'), { recursive: true });
  await writeFile(join(ws, 'stages/shared/mix.ts'), "export const mix = (s: string) => 'changed:' + s;\n");
  expect((await statusJson(ws)).plain).toEqual({ state: 'stale', reasons: ['code changed: stages/shared/mix.ts'] });
});

test("this project's stages: commands do not count, modules shared across stage folders do", async () => {
  const ws = await engineWorkspace(PROJECT_PIPELINE_TS);
  const dag = await cli(ws, ['dag', '--code']);
  expect(dag.code).toBe(0);
  const codeOf = (name: string) => {
    const section = dag.stdout.split(/\n(?=\S)/).find((s) => s.startsWith(`${name} `) || s.startsWith(`${name}\n`))!;
    return section
      .slice(section.indexOf('    code:'))
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  };
  const [extract, register, train, regress] = ['extract', 'register', 'train', 'regress'].map(codeOf);
  expect(extract).toContain('pipeline:stages/extract/stage.ts');
  expect(extract).not.toContain('pipeline:stages/extract/command.ts');
  expect(register).toContain('pipeline:stages/register/scanDataset.ts');
  expect(train).toEqual(expect.arrayContaining(['pipeline:stages/train/runTrain.ts', 'pipeline:stages/register/mix.ts']));
  expect(train).not.toContain('pipeline:stages/train/chat.ts');
  // train needs only where register writes, not register's code.
  expect(train).not.toContain('pipeline:stages/register/scanDataset.ts');
  expect(regress).toEqual(expect.arrayContaining(['pipeline:stages/regress/run.ts', 'pipeline:stages/train/inference.ts']));
  expect(regress).not.toContain('pipeline:stages/regress/reportCommand.ts');
  expect(train!.some((l) => /^yaml@\d/.test(l))).toBe(true);
});
