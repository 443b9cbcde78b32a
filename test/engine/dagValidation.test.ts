// DAG validation: outs outside the workspace, cycles and shared outs are usage errors (exit 2);
// a dep nobody produces and that does not exist fails its stage (exit 1), naming the dep.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, dagSource, engineWorkspace, exists, read, removeWorkspaces, runJson, STACK_LINE } from './fixtures.js';

afterAll(removeWorkspaces);

const EMPTY = `z.object({}).strict()`;

function stage(name: string, deps: string[], outs: string[]): string {
  return `
    defineStage({ name: ${JSON.stringify(name)}, deps: ${JSON.stringify(deps)}, outs: ${JSON.stringify(outs)},
      async run(ctx) { await bump(ctx, ${JSON.stringify(name)}); for (const o of ctx.outs) await writeFile(ctx.out(o), ${JSON.stringify(name)}); } }),`;
}

async function expectDagError(commands: string[][], stages: string, ...patterns: Array<string | RegExp>): Promise<void> {
  const ws = await engineWorkspace(dagSource(EMPTY, stages), { 'in/a.txt': 'a\n' });
  for (const args of commands) {
    const r = await cli(ws, args);
    expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
    for (const p of patterns) {
      if (typeof p === 'string') expect(r.stderr).toContain(p);
      else expect(r.stderr).toMatch(p);
    }
    expect(r.stderr).not.toMatch(STACK_LINE);
  }
  // Nothing ran.
  expect(exists(ws, 'counts')).toBe(false);
}

test('an out escaping the workspace with ../ is rejected, naming the stage and the out', async () => {
  await expectDagError(
    [['run'], ['status', '--json'], ['dag']],
    stage('fine', ['in'], ['out/fine.txt']) + stage('escape', ['in'], ['../escaped.txt']),
    "'escape'",
    '../escaped.txt',
    /outside the workspace/,
  );
});

test('an absolute out elsewhere is rejected', async () => {
  const elsewhere = join(tmpdir(), 'pl-engine-elsewhere', 'x.txt');
  await expectDagError([['run']], stage('abs', ['in'], [elsewhere]), "'abs'", elsewhere, /outside the workspace/);
});

test('a cycle is rejected, naming the stages on it', async () => {
  await expectDagError(
    [['run'], ['status']],
    stage('alpha', ['in', 'mid/gamma.txt'], ['mid/alpha.txt']) +
      stage('beta', ['mid/alpha.txt'], ['mid/beta.txt']) +
      stage('gamma', ['mid/beta.txt'], ['mid/gamma.txt']),
    /cycle/,
    'alpha',
    'beta',
    'gamma',
  );
});

test('a stage depending on its own out is a cycle', async () => {
  await expectDagError([['run']], stage('self', ['out'], ['out/self.txt']), /cycle/, "'self'");
});

test('two stages writing the same out are rejected, naming both', async () => {
  await expectDagError(
    [['run']],
    stage('first', ['in'], ['out/shared.txt']) + stage('second', ['in'], ['out/shared.txt']),
    "'first'",
    "'second'",
    'out/shared.txt',
  );
  // An out inside another stage's out directory is the same conflict.
  await expectDagError([['run']], stage('dir', ['in'], ['out']) + stage('file', ['in'], ['out/file.txt']), "'dir'", "'file'");
});

test('a dep nobody produces that does not exist fails that stage naming the dep; independent stages run', async () => {
  const ws = await engineWorkspace(
    dagSource(
      EMPTY,
      stage('reader', ['in', 'data/missing.jsonl'], ['out/reader.txt']) +
        stage('after', ['out/reader.txt'], ['out/after.txt']) +
        stage('other', ['in'], ['out/other.txt']),
    ),
    { 'in/a.txt': 'a\n' },
  );
  const r = await runJson(ws);
  expect(r.code).toBe(1);
  expect(r.statuses).toEqual({ reader: 'failed', after: 'blocked', other: 'ran' });
  expect(r.stage('reader').reason).toContain('data/missing.jsonl');
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(await read(ws, 'out/other.txt')).toBe('other');
  expect(exists(ws, 'counts/reader')).toBe(false);

  // Once the file exists, the stage runs.
  const { writeFile, mkdir } = await import('node:fs/promises');
  await mkdir(join(ws, 'data'));
  await writeFile(join(ws, 'data/missing.jsonl'), '{}\n');
  const ok = await runJson(ws);
  expect(ok.statuses).toEqual({ reader: 'ran', after: 'ran', other: 'fresh' });
});
