// The CLI surface: --force, --dry-run, `dag` (and --mermaid), --version, unknown commands/options.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import {
  cli,
  dagSource,
  engineWorkspace,
  exists,
  killIfAlive,
  listFiles,
  ranOnce,
  read,
  removeWorkspaces,
  REPO,
  runJson,
  runsOf,
  STACK_LINE,
  startCli,
  statusJson,
  stdWorkspace,
  waitFor,
} from './fixtures.js';

afterAll(removeWorkspaces);

test('--force reruns fresh stages: bare for all (or the targets), --force=a,b for the named ones', async () => {
  const ws = await ranOnce();
  const all = await runJson(ws, ['--force']);
  expect(all.statuses).toEqual({ one: 'ran', two: 'ran', side: 'ran' });
  expect(all.stage('one').reason).toBe('forced');

  const named = await runJson(ws, ['--force=two,side']);
  expect(named.statuses).toEqual({ one: 'fresh', two: 'ran', side: 'ran' });

  // Bare --force with a target forces the target only, not its fresh upstream.
  const target = await runJson(ws, ['two', '--force']);
  expect(target.statuses).toEqual({ one: 'fresh', two: 'ran' });
  expect([await runsOf(ws, 'one'), await runsOf(ws, 'two'), await runsOf(ws, 'side')]).toEqual([2, 4, 3]);

  const bad = await cli(ws, ['run', '--force=nope']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("'nope'");
});

test('targets select a stage and its upstream only', async () => {
  const ws = await stdWorkspace();
  const r = await runJson(ws, ['two']);
  expect(r.statuses).toEqual({ one: 'ran', two: 'ran' });
  expect(exists(ws, 'out/side.txt')).toBe(false);
  const unknown = await cli(ws, ['run', 'nope']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/unknown stage 'nope'.*one, two, side|unknown stage 'nope'/);
});

test('--dry-run says what would run (downstream included) and writes nothing', async () => {
  const ws = await stdWorkspace();
  const r = await runJson(ws, ['--dry-run']);
  expect(r.code).toBe(0);
  expect(r.summary.dryRun).toBe(true);
  // `two` would run too (its upstream would produce its dep); a dry run must say so.
  expect(r.summary.stages.map((s) => [s.name, s.reason])).toEqual([
    ['one', expect.stringMatching(/would run/)],
    ['two', expect.stringMatching(/would run/)],
    ['side', expect.stringMatching(/would run/)],
  ]);
  expect(await listFiles(join(ws, 'out'))).toEqual([]);
  expect(exists(ws, 'counts')).toBe(false);
  expect(exists(ws, 'cache')).toBe(false);
  expect(exists(ws, 'artifacts')).toBe(false);
  expect(exists(ws, '.pipeline/state')).toBe(false);
  expect(exists(ws, '.pipeline/lock')).toBe(false);
});

test('--dry-run after earlier runs says would restore / would run, and changes nothing', async () => {
  const ws = await ranOnce();
  await runJson(ws, ['--set', 'a.n=2']);
  const outBefore = await read(ws, 'out/one.txt');
  const stateBefore = await readFile(join(ws, '.pipeline/state/one.json'), 'utf8');
  const cacheBefore = await listFiles(join(ws, 'cache'));
  const dry = await runJson(ws, ['--dry-run']);
  expect(dry.stage('one').reason).toMatch(/would restore/);
  expect(dry.stage('side').status).toBe('fresh');
  const dry3 = await runJson(ws, ['--dry-run', '--set', 'a.n=3']);
  expect(dry3.stage('one').reason).toMatch(/would run.*param a\.n: 2 → 3/);
  expect(await read(ws, 'out/one.txt')).toBe(outBefore);
  expect(await readFile(join(ws, '.pipeline/state/one.json'), 'utf8')).toBe(stateBefore);
  expect(await listFiles(join(ws, 'cache'))).toEqual(cacheBefore);
  expect(await runsOf(ws, 'one')).toBe(2);
  expect(await runsOf(ws, 'two')).toBe(2);
  expect((await statusJson(ws)).one?.state).toBe('restorable');
});

test('`pipeline dag` lists stages with deps, outs, params and edges; --mermaid draws a flowchart', async () => {
  const ws = await stdWorkspace();
  const plain = await cli(ws, ['dag']);
  expect(plain.code).toBe(0);
  const blocks = plain.stdout.split(/\n(?=\S)/);
  expect(blocks.map((b) => b.split('\n')[0])).toEqual(['one', 'two  ← one', 'side']);
  expect(blocks[0]).toMatch(/^ +deps: +in$/m);
  expect(blocks[0]).toMatch(/^ +outs: +out\/one\.txt$/m);
  expect(blocks[0]).toMatch(/^ +params: +a\.n$/m);
  expect(blocks[1]).toMatch(/^ +deps: +out\/one\.txt$/m);
  expect(blocks[2]).toMatch(/^ +params: +b\.m$/m);

  const mermaid = await cli(ws, ['dag', '--mermaid']);
  expect(mermaid.code).toBe(0);
  const lines = mermaid.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim());
  expect(lines[0]).toMatch(/^flowchart\b/);
  expect(lines).toContain('one --> two');
  expect(lines.filter((l) => l.includes('-->'))).toEqual(['one --> two']);
  for (const s of ['one', 'two', 'side']) expect(lines.some((l) => l.startsWith(`${s}[`))).toBe(true);
  // Writes nothing into the workspace's state.
  expect(exists(ws, '.pipeline/state')).toBe(false);
});

test('--version prints the package version; unknown commands and options exit 2', async () => {
  const ws = await stdWorkspace();
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
  const v = await cli(ws, ['--version']);
  expect(v).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });

  const unknown = await cli(ws, ['frobnicate']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("'frobnicate'");
  expect(unknown.stderr).not.toMatch(STACK_LINE);

  const opt = await cli(ws, ['run', '--frobnicate']);
  expect(opt.code).toBe(2);
  expect(opt.stderr).toContain('--frobnicate');
  expect(exists(ws, 'counts')).toBe(false);

  const noDag = await cli(join(ws, 'in'), ['run']);
  expect(noDag.code).toBe(2);
  expect(noDag.stderr).toMatch(/pipeline\.ts/);
  expect(noDag.stderr).not.toMatch(STACK_LINE);
});

const ONE_GPU_DAG = dagSource(
  `z.object({}).strict()`,
  `
    defineStage({ name: 'g', gpus: 1, outs: ['out/g.txt'],
      async run(ctx) { await bump(ctx, 'g'); await writeFile(ctx.out('out/g.txt'), ctx.env.CUDA_VISIBLE_DEVICES); } }),`,
);

test('--gpus and gpus: take device indexes or UUIDs as nvidia-smi -L prints them; anything else is a usage error', async () => {
  const ws = await engineWorkspace(ONE_GPU_DAG);
  for (const bad of ['abc', '0,abc', '0,0', 'GPU-123', '-1', ',']) {
    const r = await cli(ws, ['run', '--gpus', bad]);
    expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
    expect(r.stderr).toMatch(/^pipeline: --gpus: /);
    expect(r.stderr).not.toMatch(STACK_LINE);
  }
  // Also when GPU stages are skipped: a wrong flag is wrong in any run.
  expect((await cli(ws, ['run', '--cpu-only', '--gpus', 'abc'])).code).toBe(2);
  expect(await runsOf(ws, 'g')).toBe(0);
  const uuid = 'GPU-8f3c2a1b-4d5e-6f70-8192-a3b4c5d6e7f8';
  const r = await runJson(ws, ['--gpus', uuid]);
  expect(r.statuses).toEqual({ g: 'ran' });
  expect(await read(ws, 'out/g.txt')).toBe(uuid);
  const mig = 'MIG-0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9';
  expect((await runJson(ws, ['--gpus', mig, '--force'])).statuses).toEqual({ g: 'ran' });
  expect(await read(ws, 'out/g.txt')).toBe(mig);

  const inFile = await engineWorkspace(ONE_GPU_DAG, { 'pipeline.yaml': '# pool\ngpus: [0, cuda1]\n' });
  const f = await cli(inFile, ['run']);
  expect(f.code).toBe(2);
  expect(f.stderr).toContain("pipeline.yaml:2:1: gpus: 'cuda1' is not a device id");
  expect(await runsOf(inFile, 'g')).toBe(0);
});

const GATED_DAG = dagSource(
  `z.object({}).strict()`,
  `
    defineStage({ name: 'gated', outs: ['out/gated.txt'],
      async run(ctx) {
        await waitForFile(join(ctx.workspace, 'go'), 'the test to close the pipe');
        for (let i = 0; i < 50; i++) ctx.progress({ message: 'line ' + i });
        await bump(ctx, 'gated');
        await writeFile(ctx.out('out/gated.txt'), 'done');
      } }),
    defineStage({ name: 'after', deps: ['out/gated.txt'], outs: ['out/after.txt'],
      async run(ctx) { await bump(ctx, 'after'); await writeFile(ctx.out('out/after.txt'), 'ok'); } }),`,
);

test.each([[['run']], [['run', '--json']]])(
  'a reader that closes stdout early (%j | head -1) ends the output quietly; the run finishes and releases the lock',
  async (args) => {
    const ws = await engineWorkspace(GATED_DAG);
    const bg = startCli(ws, args);
    try {
      await waitFor(() => bg.stdout().includes('\n'), 'the first line of output');
      // What `head -1` does after its line: close the pipe, then the run goes on writing.
      bg.child.stdout!.destroy();
      await writeFile(join(ws, 'go'), '');
      const done = await bg.done;
      expect({ code: done.code, signal: done.signal }).toEqual({ code: 0, signal: null });
      expect(done.stderr).not.toMatch(/EPIPE|Unhandled|internal error/);
      expect(done.stderr).not.toMatch(STACK_LINE);
      expect([await runsOf(ws, 'gated'), await runsOf(ws, 'after')]).toEqual([1, 1]);
      expect(exists(ws, '.pipeline/lock')).toBe(false);
      // Recorded: the next run finds both stages fresh.
      expect((await runJson(ws)).statuses).toEqual({ gated: 'fresh', after: 'fresh' });
    } finally {
      killIfAlive(bg.pid);
    }
  },
);
