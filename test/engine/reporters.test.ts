// What each reporter shows: warnings from ctx.warn (TTY, plain, --json), the stages' closing
// summary lines under the TTY task list, and every line once (no skip or failure printed twice, no
// repeated wait line).
import { execFile } from 'node:child_process';
import { BIN, cli, dagSource, engineWorkspace, removeWorkspaces, runJson } from './fixtures.js';

afterAll(removeWorkspaces);

const DAG = dagSource(
  `z.object({}).strict()`,
  `
    defineStage({ name: 'w', outs: ['out/w.txt'],
      async run(ctx) {
        ctx.progress({ message: 'waiting for the server (0 s)' });
        ctx.progress({ message: 'waiting for the server (0 s)' });
        ctx.progress({ message: 'waiting for the server (1 s)' });
        ctx.warn('skipped in/x.bin: binary');
        ctx.progress({ message: 'kept 3, dropped 1', summary: true });
        await writeFile(ctx.out('out/w.txt'), 'w');
      } }),
    defineStage({ name: 'bad', outs: ['out/bad.txt'],
      async run(ctx) { ctx.log('step one'); ctx.log('step two'); throw new StageError('the tool said no'); } }),
    defineStage({ name: 'down', deps: ['out/bad.txt'], outs: ['out/down.txt'],
      async run(ctx) { await writeFile(ctx.out('out/down.txt'), 'd'); } }),
    defineStage({ name: 'gpu', gpus: 1, outs: ['out/gpu.txt'],
      async run(ctx) { await writeFile(ctx.out('out/gpu.txt'), 'g'); } }),`,
);

const count = (text: string, needle: string) => text.split(needle).length - 1;

test('--json: a warning is an event of its own; summary lines are progress events marked summary', async () => {
  const ws = await engineWorkspace(DAG);
  const r = await runJson(ws, ['--cpu-only']);
  expect(r.code).toBe(1);
  expect(r.events).toContainEqual({ event: 'warning', stage: 'w', message: 'skipped in/x.bin: binary' });
  expect(r.events).toContainEqual({ event: 'progress', stage: 'w', message: 'kept 3, dropped 1', summary: true });
  expect(r.statuses).toEqual({ w: 'ran', bad: 'failed', down: 'blocked', gpu: 'skipped' });
});

test('plain output: the warning once, a repeated wait line once, the failure message once', async () => {
  const ws = await engineWorkspace(DAG);
  const r = await cli(ws, ['run', '--cpu-only']);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('w: warning: skipped in/x.bin: binary\n');
  expect(count(r.stdout, 'waiting for the server (0 s)')).toBe(1);
  expect(count(r.stdout, 'waiting for the server (1 s)')).toBe(1);
  // Once in the stage's line; the log tail (indented) shows the log's own record of it.
  const own = r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('    '))
    .join('\n');
  expect(count(own, 'the tool said no')).toBe(1);
  const lines = r.stdout.split('\n').filter(Boolean);
  expect(lines.filter((l, i) => lines.indexOf(l) !== i)).toEqual([]);
  expect(r.stdout).toMatch(/\nFAILED: /);
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function onTty(cwd: string, args: string[]): Promise<{ code: number; text: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'CI' && k !== 'NO_COLOR') env[k] = v;
  env.TERM = 'xterm';
  const cmd = `stty cols 200; exec ${[process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')}`;
  return new Promise((resolve) => {
    execFile('script', ['-qec', cmd, '/dev/null'], { cwd, env, timeout: 60_000 }, (err, stdout) => {
      const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
      // The last frame of the live list and what follows it, without colours and cursor moves.
      const raw = String(stdout);
      const last = raw.slice(raw.lastIndexOf('\x1b[?25l'));
      // eslint-disable-next-line no-control-regex -- ANSI escapes are what it strips
      resolve({ code, text: last.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '') });
    });
  });
}

test('TTY: each stage once (skips and failures are not repeated), then the summary lines and warnings under the list', async () => {
  const ws = await engineWorkspace(DAG);
  const r = await onTty(ws, ['run', '--cpu-only']);
  expect(r.code).toBe(1);
  const lines = r.text.split('\n').filter((l) => l.trim());
  const titles = lines.filter((l) => /^[✔✖↓⚠] \S+ — /.test(l));
  expect(titles.map((l) => l.split(' — ')[0])).toEqual(['✔ w', '✖ bad', '↓ down', '↓ gpu']);
  const own = lines.filter((l) => !l.startsWith('    ')).join('\n');
  expect(count(own, 'the tool said no')).toBe(1);
  expect(count(r.text, "upstream 'bad' failed")).toBe(1);
  expect(count(r.text, '--cpu-only')).toBe(1);
  // Under the list: w's summary line, its warning, bad's log tail, then the closing line.
  const after = lines.slice(lines.indexOf(titles.at(-1)!) + 1);
  expect(after).toEqual([
    'w: kept 3, dropped 1',
    '⚠ w: skipped in/x.bin: binary',
    expect.stringMatching(/^bad: last lines of .*bad\.log:$/),
    expect.stringMatching(/^ {4}# bad .* key [0-9a-f]{12}$/),
    expect.stringMatching(/step one/),
    expect.stringMatching(/step two/),
    expect.stringMatching(/failed: the tool said no/),
    'FAILED: 1 ran, 1 failed, 1 blocked, 1 skipped',
  ]);
});
