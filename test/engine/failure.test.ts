// A failing stage: exit 1, `failed` in the summary, its log file kept and its tail printed, no
// stack trace for an expected failure, downstream blocked, independent stages still complete.
import { join } from 'node:path';
import { dagSource, engineWorkspace, exists, read, removeWorkspaces, runJson, cli, STACK_LINE, statusJson } from './fixtures.js';

afterAll(removeWorkspaces);

/**
 * `check` logs, runs a child that prints to stdout and stderr, then fails in the way the
 * `mode` param says: a StageError, a child exiting non-zero, or an unexpected exception.
 */
const FAIL_DAG = dagSource(
  `z.object({ mode: z.enum(['stage-error', 'child-exit', 'crash', 'ok']).default('stage-error') }).strict()`,
  `
    defineStage({ name: 'check', deps: ['in'], outs: ['out/check.txt'], params: ['mode'],
      async run(ctx) {
        ctx.log('checking ' + ctx.deps.length + ' input file(s)');
        await sh(ctx, 'echo "child: reading in/a.txt"; echo "child: warning on line 2" >&2');
        const mode = ctx.param('mode');
        await writeFile(ctx.out('out/check.txt'), 'half');
        if (mode === 'stage-error') throw new StageError('in/a.txt: line 2: expected a number, got "abc"');
        if (mode === 'child-exit') await sh(ctx, 'echo "child: giving up" >&2; exit 3');
        if (mode === 'crash') { const o: any = undefined; o.boom(); }
        await writeFile(ctx.out('out/check.txt'), 'ok');
      } }),
    defineStage({ name: 'report', deps: ['out/check.txt'], outs: ['out/report.txt'],
      async run(ctx) { await writeFile(ctx.out('out/report.txt'), 'report'); } }),
    defineStage({ name: 'other', deps: ['in'], outs: ['out/other.txt'],
      async run(ctx) { await writeFile(ctx.out('out/other.txt'), 'other'); } }),`,
);

function failWorkspace(): Promise<string> {
  return engineWorkspace(FAIL_DAG, { 'in/a.txt': '1\nabc\n' });
}

test('a StageError: exit 1, failed / blocked, log file kept, its tail printed, no stack trace (plain)', async () => {
  const ws = await failWorkspace();
  const r = await cli(ws, ['run']);
  expect(r.code).toBe(1);
  const out = r.stdout + r.stderr;
  expect(out).toMatch(/^check: failed\b.*in\/a\.txt: line 2: expected a number, got "abc"/m);
  expect(out).toMatch(/^report: blocked\b.*check/m);
  expect(out).toMatch(/^other: ran\b/m);
  expect(out).toMatch(/^FAILED: /m);
  expect(out).not.toMatch(STACK_LINE);

  const log = await read(ws, 'artifacts/logs/check.log');
  expect(log).toContain('checking 1 input file(s)');
  expect(log).toContain('child: reading in/a.txt');
  expect(log).toContain('child: warning on line 2');
  expect(log).toContain('expected a number');
  // The tail of the log is printed, with where the log is.
  expect(out).toContain(join(ws, 'artifacts/logs/check.log'));
  expect(out).toMatch(/^\s+child: warning on line 2$/m);

  // Nothing half-written looks fresh; the independent stage's out is in place.
  expect(exists(ws, 'out/check.txt')).toBe(false);
  expect(await read(ws, 'out/other.txt')).toBe('other');
  const st = await statusJson(ws);
  expect(st.check?.state).toBe('stale');
  expect(st.other?.state).toBe('fresh');
});

test("a child exiting non-zero fails the stage naming the exit code; the child's stderr is in the log tail", async () => {
  const ws = await failWorkspace();
  const r = await runJson(ws, ['--set', 'mode=child-exit']);
  expect(r.code).toBe(1);
  expect(r.summary.ok).toBe(false);
  expect(r.statuses).toEqual({ check: 'failed', report: 'blocked', other: 'ran' });
  expect(r.stage('check').reason).toMatch(/exited with code 3/);
  const end = r.events.find((e) => e.event === 'end' && e.stage === 'check');
  expect(end).toMatchObject({ status: 'failed', log: join(ws, 'artifacts/logs/check.log') });
  expect(await read(ws, 'artifacts/logs/check.log')).toContain('child: giving up');
  expect(r.stderr).not.toMatch(STACK_LINE);

  // Fixing the cause (here: the mode) lets it run, and the blocked stage follows.
  const ok = await runJson(ws, ['--set', 'mode=ok']);
  expect(ok.statuses).toEqual({ check: 'ran', report: 'ran', other: 'fresh' });
});

test('an unexpected exception is reported as an internal error; its stack goes to the log, not the screen', async () => {
  const ws = await failWorkspace();
  const r = await cli(ws, ['run', '--set', 'mode=crash']);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^check: failed\b.*internal error/m);
  expect(await read(ws, 'artifacts/logs/check.log')).toMatch(STACK_LINE);
});

const OUTS_DAG = dagSource(
  `z.object({}).strict()`,
  `
    defineStage({ name: 'forgets', deps: ['in'], outs: ['out/forgets.txt', 'out/also.txt'],
      async run(ctx) { await writeFile(ctx.out('out/forgets.txt'), 'only one of two'); } }),
    defineStage({ name: 'strays', deps: ['in'], outs: ['out/strays.txt'],
      async run(ctx) { await writeFile(ctx.out('out/elsewhere.txt'), 'not declared'); } }),`,
);

test('a stage that does not write a declared out, or writes an undeclared one, fails naming the path', async () => {
  const ws = await engineWorkspace(OUTS_DAG, { 'in/a.txt': 'a\n' });
  const r = await runJson(ws);
  expect(r.code).toBe(1);
  expect(r.statuses).toEqual({ forgets: 'failed', strays: 'failed' });
  expect(r.stage('forgets').reason).toContain('out/also.txt');
  expect(r.stage('forgets').reason).not.toMatch(/internal error/);
  expect(r.stage('strays').reason).toContain('out/elsewhere.txt');
  // Neither promoted anything.
  expect(exists(ws, 'out/forgets.txt')).toBe(false);
  expect(exists(ws, 'out/elsewhere.txt')).toBe(false);
  expect(r.stderr).not.toMatch(STACK_LINE);
});
