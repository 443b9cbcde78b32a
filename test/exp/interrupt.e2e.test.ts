// Ctrl-C during `pipeline exp run`: every trainer's process tree ends, the run exits 130 and keeps
// the queue; `pipeline exp run` again finishes every experiment, the interrupted trainings resuming
// from their checkpoints. A failing experiment leaves the others done and its log readable.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { runCli } from '../helpers/workspace.js';
import { alive, expectExit, startCli, waitFor } from '../regress/fixtures.js';
import { readRecords } from '../train/fixtures.js';
import { events, expWorkspace, queueOf, trainings } from './fixtures.js';

jest.setTimeout(240_000);

/** experiment → highest complete checkpoint its kept training attempt holds. */
async function checkpoints(ws: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const runs = join(ws, '.pipeline', 'exp', 'runs');
  for (const name of await readdir(runs).catch(() => [] as string[])) {
    const staging = join(runs, name, '.pipeline', 'staging');
    for (const d of await readdir(staging).catch(() => [] as string[])) {
      for (const c of await readdir(join(staging, d, 'trainer-output')).catch(() => [] as string[])) {
        const m = /^checkpoint-(\d+)$/.exec(c);
        // Complete ones only: one the trainer was killed while saving is dropped, not resumed from.
        const complete = await stat(join(staging, d, 'trainer-output', c, 'trainer_state.json')).then(
          (st) => st.isFile(),
          () => false,
        );
        if (m && complete) out.set(name, Math.max(out.get(name) ?? 0, Number(m[1])));
      }
    }
  }
  return out;
}

test('Ctrl-C stops every trainer and keeps the queue; exp run again resumes from the checkpoints', async () => {
  const { ws, env } = await expWorkspace();
  const slow = { ...env, FAKE_TRAIN_STEP_MS: '250' };
  const run = startCli(ws, ['exp', 'run', '--set', 'train.lora_rank=4,16,32'], slow);
  try {
    await waitFor(async () => (await checkpoints(ws)).size > 0, 120_000, 'a training to write a checkpoint');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
  // No trainer outlived the run.
  for (const r of await readRecords(env.FAKE_TRAIN_RECORD!)) expect(await alive(r.pid)).toBe(false);
  const q = await queueOf(ws);
  expect(q.experiments.map((e) => e.status)).toEqual(['interrupted', 'interrupted', 'interrupted']);
  const kept = await checkpoints(ws);
  const before = (await trainings(env)).length;
  expect(before).toBeLessThanOrEqual(2);

  const again = await runCli(ws, ['exp', 'run', '--json'], { env, timeoutMs: 200_000 });
  expectExit(again, 0);
  expect((events(again.stdout).at(-1)!.experiments as Array<{ status: string }>).map((e) => e.status)).toEqual(['done', 'done', 'done']);
  const resumed = (await trainings(env)).slice(before);
  expect(resumed).toHaveLength(3);
  for (const [name, ck] of kept) {
    const t = resumed.find((r) => r.outputDir.includes(`/.pipeline/exp/runs/${name}/`));
    expect(t?.resumedFrom).toBe(`checkpoint-${ck}`);
  }
  // The one that never started starts from step 1.
  expect(resumed.filter((r) => r.resumedFrom === null)).toHaveLength(3 - kept.size);
});

test('a failing experiment leaves the other three done; its log is readable from exp show', async () => {
  const { ws, env } = await expWorkspace(
    [
      'experiments:',
      '  rank4: { train.lora_rank: 4 }',
      '  rank16: { train.lora_rank: 16 }',
      '  broken: { train.extra: { max_steps: 8, not_a_trainer_key: 1 } }',
      '  lr2: { train.learning_rate: 2.0e-4 }',
    ].join('\n'),
  );
  const r = await runCli(ws, ['exp', 'run', '--json'], { env, timeoutMs: 200_000 });
  expectExit(r, 1);
  const summary = events(r.stdout).at(-1)!;
  expect(Object.fromEntries((summary.experiments as Array<{ name: string; status: string }>).map((e) => [e.name, e.status]))).toEqual({
    rank4: 'done',
    rank16: 'done',
    broken: 'failed',
    lr2: 'done',
  });
  const show = await runCli(ws, ['exp', 'show'], { env });
  expectExit(show, 0);
  expect(show.stdout).toContain('broken failed at train');
  // The trainer's own error, from the experiment's train log.
  expect(show.stdout).toContain('not_a_trainer_key');
  const json = JSON.parse((await runCli(ws, ['exp', 'show', '--json'], { env })).stdout) as {
    experiments: Array<{ name: string; log: string; log_tail: string[] }>;
  };
  const broken = json.experiments.find((e) => e.name === 'broken')!;
  expect(broken.log).toBe('.pipeline/exp/runs/broken/artifacts/logs/train.log');
  expect(broken.log_tail.join('\n')).toContain('not_a_trainer_key');
});

test('--fail-fast stops the other experiments when one fails; exp resume finishes them', async () => {
  const { ws, env } = await expWorkspace(
    ['experiments:', '  broken: { train.extra: { max_steps: 8, not_a_trainer_key: 1 } }', '  rank4: { train.lora_rank: 4 }'].join('\n'),
  );
  const slow = { ...env, FAKE_TRAIN_STEP_MS: '400' };
  const r = await runCli(ws, ['exp', 'run', '--fail-fast', '--json'], { env: slow, timeoutMs: 200_000 });
  expectExit(r, 1);
  const status = Object.fromEntries((events(r.stdout).at(-1)!.experiments as Array<{ name: string; status: string }>).map((e) => [e.name, e.status]));
  expect(status).toEqual({ broken: 'failed', rank4: 'interrupted' });
  // The stopped training is no longer running.
  for (const t of await readRecords(env.FAKE_TRAIN_RECORD!)) expect(await alive(t.pid)).toBe(false);
  const resumed = await runCli(ws, ['exp', 'resume', '--json'], { env, timeoutMs: 200_000 });
  expectExit(resumed, 0);
  expect((events(resumed.stdout).at(-1)!.experiments as Array<{ name: string; status: string }>).map((e) => [e.name, e.status])).toEqual([['rank4', 'done']]);
  expect((await queueOf(ws)).experiments.map((e) => [e.name, e.status])).toEqual([
    ['broken', 'failed'],
    ['rank4', 'done'],
  ]);
});
