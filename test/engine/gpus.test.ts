// GPU pinning: each GPU stage's children see exactly its own devices in CUDA_VISIBLE_DEVICES,
// CPU stages see it empty; a stage asking for more than the pool fails with a fix; --cpu-only.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GpuPool } from '../../src/gpuPool.js';
import { cli, dagSource, engineWorkspace, read, removeWorkspaces, runJson } from './fixtures.js';

afterAll(removeWorkspaces);

/**
 * g1 and g2 (1 GPU each) write ctx.gpus and what a child sees in CUDA_VISIBLE_DEVICES; each waits
 * until the other has started, so they must hold their devices at the same time. cpu writes what
 * its child sees ("unset" when the variable is absent). after depends on g1.
 */
const GPU_DAG = dagSource(
  `z.object({}).strict()`,
  ['g1', 'g2']
    .map(
      (name, i) => `
    defineStage({ name: '${name}', gpus: 1, deps: ['in'], outs: ['out/${name}.json'],
      async run(ctx) {
        await mkdir(join(ctx.workspace, 'barrier'), { recursive: true });
        await writeFile(join(ctx.workspace, 'barrier', '${name}'), '');
        await waitForFile(join(ctx.workspace, 'barrier', '${i === 0 ? 'g2' : 'g1'}'), 'the other GPU stage to start: GPU stages did not run concurrently');
        const seen: string[] = [];
        await ctx.exec('sh', ['-c', 'printf "%s\\\\n" "\${CUDA_VISIBLE_DEVICES-unset}"'], { onLine: (l) => seen.push(l) });
        await writeFile(ctx.out('out/${name}.json'), JSON.stringify({ gpus: ctx.gpus, env: ctx.env.CUDA_VISIBLE_DEVICES, child: seen[0] }));
      } }),`,
    )
    .join('') +
    `
    defineStage({ name: 'cpu', deps: ['in'], outs: ['out/cpu.json'],
      async run(ctx) {
        const seen: string[] = [];
        await ctx.exec('sh', ['-c', 'printf "%s\\\\n" "\${CUDA_VISIBLE_DEVICES-unset}"'], { onLine: (l) => seen.push(l) });
        await writeFile(ctx.out('out/cpu.json'), JSON.stringify({ gpus: ctx.gpus, env: ctx.env.CUDA_VISIBLE_DEVICES, child: seen[0] }));
      } }),
    defineStage({ name: 'after', deps: ['out/g1.json'], outs: ['out/after.txt'],
      async run(ctx) { await writeFile(ctx.out('out/after.txt'), 'ok'); } }),`,
);

interface Seen {
  gpus: string[];
  env: string;
  child: string;
}

async function seen(ws: string, name: string): Promise<Seen> {
  return JSON.parse(await read(ws, join('out', `${name}.json`))) as Seen;
}

async function expectDistinctSingleDevices(ws: string, pool: string[]): Promise<void> {
  const a = await seen(ws, 'g1');
  const b = await seen(ws, 'g2');
  for (const s of [a, b]) {
    expect(s.gpus).toHaveLength(1);
    expect(pool).toContain(s.gpus[0]);
    expect(s.env).toBe(s.gpus[0]);
    expect(s.child).toBe(s.gpus[0]);
  }
  expect(a.child).not.toBe(b.child);
  const cpu = await seen(ws, 'cpu');
  expect(cpu).toEqual({ gpus: [], env: '', child: '' });
}

test('a pool of 2 from pipeline.yaml: two 1-GPU stages each see one distinct device; a CPU stage sees ""', async () => {
  // The runner's own environment says otherwise: the config wins, and children never inherit it.
  const ws = await engineWorkspace(GPU_DAG, { 'in/a.txt': 'a\n', 'pipeline.yaml': 'gpus: [0, 1]\n' });
  const r = await runJson(ws, ['--jobs', '4'], { CUDA_VISIBLE_DEVICES: '7' });
  expect(r.code).toBe(0);
  expect(r.statuses).toEqual({ g1: 'ran', g2: 'ran', cpu: 'ran', after: 'ran' });
  await expectDistinctSingleDevices(ws, ['0', '1']);
});

test('--gpus gives the pool (over gpus: in pipeline.yaml)', async () => {
  const ws = await engineWorkspace(GPU_DAG, { 'in/a.txt': 'a\n', 'pipeline.yaml': 'gpus: [0]\n' });
  const r = await runJson(ws, ['--jobs', '4', '--gpus', '2,3']);
  expect(r.code).toBe(0);
  expect(r.statuses).toEqual({ g1: 'ran', g2: 'ran', cpu: 'ran', after: 'ran' });
  await expectDistinctSingleDevices(ws, ['2', '3']);
});

const BIG_DAG = dagSource(
  `z.object({}).strict()`,
  `
    defineStage({ name: 'big', gpus: 2, deps: ['in'], outs: ['out/big.txt'],
      async run(ctx) { await bump(ctx, 'big'); await writeFile(ctx.out('out/big.txt'), ctx.gpus.join(',')); } }),
    defineStage({ name: 'eval', gpus: 0, deps: ['out/big.txt'], outs: ['out/eval.txt'],
      async run(ctx) { await writeFile(ctx.out('out/eval.txt'), 'ok'); } }),
    defineStage({ name: 'prep', deps: ['in'], outs: ['out/prep.txt'],
      async run(ctx) { await writeFile(ctx.out('out/prep.txt'), 'ok'); } }),`,
);

test('a stage needing 2 GPUs with a pool of 1 fails saying how to fix it; downstream blocked; others complete', async () => {
  const ws = await engineWorkspace(BIG_DAG, { 'in/a.txt': 'a\n', 'pipeline.yaml': 'gpus: [0]\n' });
  const r = await runJson(ws);
  expect(r.code).toBe(1);
  expect(r.summary.ok).toBe(false);
  expect(r.statuses).toEqual({ big: 'failed', eval: 'blocked', prep: 'ran' });
  const msg = r.stage('big').reason;
  expect(msg).toMatch(/needs 2 GPU/);
  expect(msg).toMatch(/pool has 1/);
  expect(msg).toMatch(/--gpus|gpus:/);
  expect(msg).toMatch(/--cpu-only/);
  expect(r.stage('eval').reason).toMatch(/big/);
  expect(await read(ws, 'out/prep.txt')).toBe('ok');
  expect(r.stderr).not.toMatch(/^\s+at /m);

  // With enough devices it runs on both.
  const ok = await runJson(ws, ['--gpus', '4,5']);
  expect(ok.statuses).toEqual({ big: 'ran', eval: 'ran', prep: 'fresh' });
  expect(await read(ws, 'out/big.txt')).toBe('4,5');
});

test('--cpu-only skips GPU stages (and what needs them), runs the rest, exits 0', async () => {
  const ws = await engineWorkspace(BIG_DAG, { 'in/a.txt': 'a\n', 'pipeline.yaml': 'gpus: [0]\n' });
  const r = await runJson(ws, ['--cpu-only']);
  expect(r.code).toBe(0);
  expect(r.summary.ok).toBe(true);
  expect(r.statuses).toEqual({ big: 'skipped', eval: 'skipped', prep: 'ran' });
  expect(r.stage('big').reason).toMatch(/cpu-only/);
});

// `opt` uses a GPU when one is free (gpusIfFree) and runs without otherwise; it writes what it got
// and what its child saw, and runs again each time (--force) so one workspace shows every case.
const OPT_DAG = dagSource(
  `z.object({}).strict()`,
  `
    defineStage({ name: 'opt', gpusIfFree: 1, deps: ['in'], outs: ['out/opt.json'],
      async run(ctx) {
        const seen: string[] = [];
        await ctx.exec('sh', ['-c', 'printf "%s\\\\n" "\${CUDA_VISIBLE_DEVICES-unset}"'], { onLine: (l) => seen.push(l) });
        await writeFile(ctx.out('out/opt.json'), JSON.stringify({ gpus: ctx.gpus, child: seen[0] }));
      } }),`,
);

test('gpusIfFree: a free device is used; with --cpu-only or an empty pool the stage runs without one', async () => {
  const ws = await engineWorkspace(OPT_DAG, { 'in/a.txt': 'a\n', 'pipeline.yaml': 'gpus: [3]\n' });
  const got = async () => JSON.parse(await read(ws, 'out/opt.json')) as { gpus: string[]; child: string };
  expect((await runJson(ws)).statuses).toEqual({ opt: 'ran' });
  expect(await got()).toEqual({ gpus: ['3'], child: '3' });
  const cpu = await runJson(ws, ['--cpu-only', '--force', 'opt']);
  expect(cpu.code).toBe(0);
  expect(cpu.statuses).toEqual({ opt: 'ran' });
  expect(await got()).toEqual({ gpus: [], child: '' });
  // No gpus: in the config, no CUDA_VISIBLE_DEVICES, no nvidia-smi here: an empty pool.
  await writeFile(join(ws, 'pipeline.yaml'), '{}\n');
  const none = await runJson(ws, ['--force', 'opt']);
  expect(none.code).toBe(0);
  expect(await got()).toEqual({ gpus: [], child: '' });
});

test('gpusIfFree with gpus set is refused; tryAcquire never waits for busy devices', async () => {
  const both = dagSource(`z.object({}).strict()`, `defineStage({ name: 'x', gpus: 1, gpusIfFree: 1, outs: ['o.txt'], async run() {} }),`);
  const ws = await engineWorkspace(both, { 'pipeline.yaml': 'gpus: [0]\n' });
  const r = await cli(ws, ['run']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/stage 'x': gpus and gpusIfFree are both set/);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  const pool = new GpuPool(['0', '1']);
  expect(pool.tryAcquire(1)).toEqual(['0']);
  const waiting = pool.acquire(2);
  // One free, but a stage waits for two: the free one is not taken from under it.
  expect(pool.tryAcquire(1)).toBeUndefined();
  pool.release(['0']);
  await expect(waiting).resolves.toEqual(['0', '1']);
  expect(pool.tryAcquire(1)).toBeUndefined();
});
