// Experiment scheduler benchmark (issue 16): a 2×2 matrix (four experiments) of the project's DAG
// with the LLaMA-Factory train double on a pool of two devices, regress asking one API double the
// bench started (regress.endpoint: no server start-up per experiment). The scheduler's overhead per
// experiment is the matrix's wall time minus the double's training time (the time at least one
// trainer ran, from `llamafactory-cli`'s launch to the trainer's end, from its own record), / 4: CLI start-up, evaluation, the shared
// extract/register, the regress requests and all the bookkeeping. The first command in a new
// workspace compiles its pipeline.ts once (shown, not counted: any command pays it there). Also:
// the same matrix again (everything up to date), per experiment.
//
//   node bin/pipeline.js --exec bench/exp-main.ts [--reps 3] [--step-ms 40] [--target-s 0.5]
// Judged on the floor (the best repetition) against --target-s.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { BenchError } from './lib/benchError.js';
import { formatSeconds, renderTable } from './lib/format.js';
import { describeLoad, machineLoad } from './lib/machineLoad.js';
import { median } from './lib/stats.js';
import { expWorkspace, trainings } from '../test/exp/fixtures.js';
import { startFakeApi } from '../test/regress/fakeApi.js';

const optionsSchema = z.object({
  reps: z.coerce.number().int().min(1).max(20).default(3),
  'step-ms': z.coerce.number().int().min(1).max(10_000).default(40),
  'target-s': z.coerce.number().positive().default(0.5),
  help: z.boolean().default(false),
});

const USAGE = `bench/exp: scheduler overhead of a four-experiment matrix on two devices
  --reps N         fresh workspaces, one matrix each; the floor is judged (default 3)
  --step-ms MS     the train double's time per step, 8 steps per training (default 40)
  --target-s S     fail (exit 1) when the floor overhead per experiment exceeds S (default 0.5)`;

const MATRIX = ['exp', 'run', '--set', 'train.lora_rank=4,8', '--set', 'train.learning_rate=1e-4,2e-4', '--json'];

function cli(cwd: string, args: string[], env: Record<string, string>): Promise<{ ms: number; code: number | null; out: string }> {
  const bin = join(process.env.PIPELINE_PACKAGE_ROOT ?? resolve('.'), 'bin', 'pipeline.js');
  return new Promise((res) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => res({ ms: performance.now() - t0, code, out }));
  });
}

/** Time covered by at least one of the intervals. */
function unionMs(intervals: Array<[number, number]>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [s, e] = [-Infinity, -Infinity];
  for (const [a, b] of sorted) {
    if (a > e) {
      if (e > s) total += e - s;
      [s, e] = [a, b];
    } else e = Math.max(e, b);
  }
  if (e > s) total += e - s;
  return total;
}

export async function bench(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { reps: { type: 'string' }, 'step-ms': { type: 'string' }, 'target-s': { type: 'string' }, help: { type: 'boolean' } },
  });
  const o = optionsSchema.parse(values);
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const rows: Array<{ compile: number; wall: number; train: number; overhead: number; again: number }> = [];
  const api = await startFakeApi({});
  for (let i = 0; i < o.reps; i++) {
    const { ws, env } = await expWorkspace(`  endpoint: ${api.baseUrl}\n  model: bench`);
    try {
      const e = { ...env, FAKE_TRAIN_STEP_MS: String(o['step-ms']) };
      const status = await cli(ws, ['status'], e);
      if (status.code !== 0) throw new BenchError(`status exited ${status.code}:\n${status.out.slice(-2000)}`);
      const first = await cli(ws, MATRIX, e);
      if (first.code !== 0) throw new BenchError(`exp run exited ${first.code}:\n${first.out.slice(-2000)}`);
      const runs = await trainings(e);
      if (runs.length !== 4 || runs.some((r) => r.end === undefined)) throw new BenchError(`expected 4 finished trainings, the double recorded ${runs.length}`);
      const train = unionMs(runs.map((r) => [r.launched, r.end!]));
      const again = await cli(ws, MATRIX, e);
      if (again.code !== 0) throw new BenchError(`exp run (again) exited ${again.code}:\n${again.out.slice(-2000)}`);
      if ((await trainings(e)).length !== 4) throw new BenchError('the second matrix trained again');
      rows.push({ compile: status.ms, wall: first.ms, train, overhead: (first.ms - train) / 4, again: again.ms / 4 });
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  }
  await api.stop();
  const load = await machineLoad();
  process.stdout.write(
    `exp bench: 2×2 matrix, pool of 2 devices, 8 training steps × ${o['step-ms']} ms, regress against one API double (${describeLoad(load)})\n`,
  );
  process.stdout.write(
    renderTable(
      ['rep', 'first status (compiles pipeline.ts)', 'matrix wall', 'training (double)', 'overhead / experiment', 'again (all fresh) / experiment'],
      rows.map((r, i) => [
        String(i + 1),
        formatSeconds(r.compile),
        formatSeconds(r.wall),
        formatSeconds(r.train),
        formatSeconds(r.overhead),
        formatSeconds(r.again),
      ]),
      ['right', 'right', 'right', 'right', 'right', 'right'],
    ),
  );
  process.stdout.write('\n');
  const floor = Math.min(...rows.map((r) => r.overhead));
  const figures = {
    bench: 'exp',
    overhead_per_experiment_s_floor: Number((floor / 1000).toFixed(3)),
    overhead_per_experiment_s_median: Number((median(rows.map((r) => r.overhead)) / 1000).toFixed(3)),
    rerun_per_experiment_s_median: Number((median(rows.map((r) => r.again)) / 1000).toFixed(3)),
    target_s: o['target-s'],
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  if (floor / 1000 > o['target-s']) throw new BenchError(`overhead per experiment ${formatSeconds(floor)} is above the target ${o['target-s']} s`);
}
