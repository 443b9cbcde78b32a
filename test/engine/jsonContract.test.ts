// The machine-readable contract: with --json every stdout line is a JSON object and the last one
// is {"event":"summary","ok":…,"stages":[{name,status,reason,ms}…]}; `status --json` is one object.
import { cli, dagSource, engineWorkspace, removeWorkspaces, statusJson } from './fixtures.js';

afterAll(removeWorkspaces);

const STATUSES = ['ran', 'fresh', 'restored', 'skipped', 'failed', 'blocked'];

/**
 * `chatty` reports progress and runs a child that prints non-JSON text on stdout and stderr (it
 * must go to the log, never to the JSON stream); `gpu` needs a GPU; `fails` fails when asked.
 */
const CHATTY_DAG = dagSource(
  `z.object({ fail: z.boolean().default(false) }).strict()`,
  `
    defineStage({ name: 'chatty', deps: ['in'], outs: ['out/chatty.txt'],
      async run(ctx) {
        for (let i = 1; i <= 4; i++) ctx.progress({ current: i, total: 4, message: 'step ' + i + '/4' });
        ctx.log('a log line, not for stdout');
        await sh(ctx, 'echo "plain text from a child"; echo "{ half json" ; echo "to stderr" >&2');
        await writeFile(ctx.out('out/chatty.txt'), 'ok');
      } }),
    defineStage({ name: 'gpu', gpus: 1, deps: ['out/chatty.txt'], outs: ['out/gpu.txt'],
      async run(ctx) { await writeFile(ctx.out('out/gpu.txt'), ctx.gpus.join(',')); } }),
    defineStage({ name: 'fails', deps: ['in'], outs: ['out/fails.txt'], params: ['fail'],
      async run(ctx) {
        if (ctx.param('fail')) throw new StageError('asked to fail');
        await writeFile(ctx.out('out/fails.txt'), 'ok');
      } }),
    defineStage({ name: 'after', deps: ['out/fails.txt'], outs: ['out/after.txt'],
      async run(ctx) { await writeFile(ctx.out('out/after.txt'), 'ok'); } }),`,
);

interface SummaryLine {
  event: string;
  ok: boolean;
  stages: Array<{ name: string; status: string; reason: string; ms: number }>;
}

/** Asserts the contract on raw stdout and returns the events. */
function checkContract(stdout: string, stageNames: string[]): { events: Array<Record<string, unknown>>; summary: SummaryLine } {
  expect(stdout.endsWith('\n')).toBe(true);
  const lines = stdout.slice(0, -1).split('\n');
  const events = lines.map((line) => {
    let v: unknown;
    expect(() => (v = JSON.parse(line))).not.toThrow();
    expect(v).toEqual(expect.any(Object));
    expect(Array.isArray(v)).toBe(false);
    return v as Record<string, unknown>;
  });
  for (const e of events.slice(0, -1)) expect(e.event).not.toBe('summary');
  const summary = events.at(-1) as unknown as SummaryLine;
  expect(summary.event).toBe('summary');
  expect(typeof summary.ok).toBe('boolean');
  expect(summary.stages.map((s) => s.name)).toEqual(stageNames);
  for (const s of summary.stages) {
    expect(STATUSES).toContain(s.status);
    expect(typeof s.reason).toBe('string');
    expect(s.reason.length).toBeGreaterThan(0);
    expect(Number.isInteger(s.ms)).toBe(true);
    expect(s.ms).toBeGreaterThanOrEqual(0);
  }
  return { events, summary };
}

test("every stdout line of run --json is JSON, children's output stays out of it, the summary is last", async () => {
  const ws = await engineWorkspace(CHATTY_DAG, { 'in/a.txt': 'a\n', 'pipeline.yaml': 'gpus: [0]\n' });
  const r = await cli(ws, ['run', '--json']);
  expect(r.code).toBe(0);
  const { events, summary } = checkContract(r.stdout, ['chatty', 'gpu', 'fails', 'after']);
  expect(summary.ok).toBe(true);
  expect(summary.stages.map((s) => s.status)).toEqual(['ran', 'ran', 'ran', 'ran']);
  expect(r.stdout).not.toContain('plain text from a child');
  expect(r.stdout).not.toContain('half json');
  expect(r.stdout).not.toContain('a log line');
  // Progress arrives as events of the stage.
  const progress = events.filter((e) => e.event === 'progress' && e.stage === 'chatty');
  expect(progress.length).toBeGreaterThan(0);
  expect(progress.at(-1)).toMatchObject({ current: 4, total: 4, message: 'step 4/4' });

  // Second run: fresh everywhere, still the same shape.
  const again = await cli(ws, ['run', '--json']);
  const second = checkContract(again.stdout, ['chatty', 'gpu', 'fails', 'after']);
  expect(second.summary.stages.map((s) => s.status)).toEqual(['fresh', 'fresh', 'fresh', 'fresh']);
});

test('a failing run still ends with the summary: ok false, failed / blocked / skipped with reasons', async () => {
  const ws = await engineWorkspace(CHATTY_DAG, { 'in/a.txt': 'a\n', 'pipeline.yaml': 'fail: true\n' });
  const r = await cli(ws, ['run', '--json', '--cpu-only']);
  expect(r.code).toBe(1);
  const { summary } = checkContract(r.stdout, ['chatty', 'gpu', 'fails', 'after']);
  expect(summary.ok).toBe(false);
  expect(Object.fromEntries(summary.stages.map((s) => [s.name, s.status]))).toEqual({ chatty: 'ran', gpu: 'skipped', fails: 'failed', after: 'blocked' });
  expect(summary.stages.find((s) => s.name === 'fails')?.reason).toContain('asked to fail');
});

test('targets limit the summary to the selected stages, in order', async () => {
  const ws = await engineWorkspace(CHATTY_DAG, { 'in/a.txt': 'a\n' });
  const r = await cli(ws, ['run', '--json', 'after']);
  expect(r.code).toBe(0);
  checkContract(r.stdout, ['fails', 'after']);
});

test('status --json prints exactly one object with name, state and reasons per stage', async () => {
  const ws = await engineWorkspace(CHATTY_DAG, { 'in/a.txt': 'a\n' });
  const raw = await cli(ws, ['status', '--json']);
  expect(raw.code).toBe(0);
  const lines = raw.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const parsed = JSON.parse(lines[0]!) as { stages: Array<{ name: string; state: string; reasons: string[] }> };
  expect(parsed.stages.map((s) => s.name)).toEqual(['chatty', 'gpu', 'fails', 'after']);
  for (const s of parsed.stages) {
    expect(['fresh', 'stale', 'restorable']).toContain(s.state);
    expect(Array.isArray(s.reasons)).toBe(true);
  }
  expect((await statusJson(ws)).chatty).toEqual({ state: 'stale', reasons: [expect.stringMatching(/never ran/)] });
});
