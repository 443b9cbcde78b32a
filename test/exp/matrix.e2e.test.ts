// `pipeline exp run` on the project's DAG with the LLaMA-Factory doubles and a pool of two devices:
// a 2×2 matrix runs at most two trainings at once, each on its own device; CPU stages run once for
// all; `exp show` lists the four with their pass rates; running the matrix again trains nothing;
// `exp apply` + `run` restores the experiment's adapter without training and edits only its keys.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { runCli } from '../helpers/workspace.js';
import { expectExit } from '../regress/fixtures.js';
import { currentAdapterDir } from '../../stages/train/inference.js';
import { events, expWorkspace, queueOf, trainings } from './fixtures.js';

jest.setTimeout(240_000);

const MATRIX = ['--set', 'train.lora_rank=4,8', '--set', 'train.learning_rate=1e-4,2e-4'];

test('a 2×2 matrix on two devices: disjoint devices, one extract, pass rates, nothing retrained, apply', async () => {
  const { ws, env } = await expWorkspace();
  // (The first two trainings wait for each other, at most 20 s: on a loaded machine a short training
  // may otherwise end before the other starts, and "used at once" would fail for the wrong reason.)
  const first = await runCli(ws, ['exp', 'run', ...MATRIX, '--json'], { env: { ...env, FAKE_TRAIN_MEET: join(ws, 'trainer-meet.txt') }, timeoutMs: 200_000 });
  expectExit(first, 0);
  const ev = events(first.stdout);
  const summary = ev.at(-1)!;
  expect(summary.event).toBe('summary');
  expect((summary.experiments as Array<{ status: string }>).map((e) => e.status)).toEqual(['done', 'done', 'done', 'done']);
  // Every event of a stage carries its experiment.
  expect(ev.filter((e) => e.event === 'end').every((e) => typeof e.experiment === 'string')).toBe(true);
  expect(new Set(ev.filter((e) => e.event === 'end').map((e) => e.experiment)).size).toBe(4);

  // From the double's own record: four trainings, each saw exactly one device, and no two that
  // overlapped in time shared one; never more than two at once.
  const runs = await trainings(env);
  expect(runs).toHaveLength(4);
  for (const r of runs) {
    expect(['0', '1']).toContain(r.devices);
    expect(r.end).toBeDefined();
  }
  const overlapping = (a: (typeof runs)[number], b: (typeof runs)[number]) => b.start < a.end! && a.start < b.end!;
  // The two devices were used at once (the experiments did not simply run one after another).
  expect(runs.some((a) => runs.some((b) => b !== a && overlapping(a, b)))).toBe(true);
  for (const a of runs) {
    const concurrent = runs.filter((b) => overlapping(a, b));
    expect(concurrent.length).toBeLessThanOrEqual(2);
    for (const b of concurrent) if (b !== a) expect(b.devices).not.toBe(a.devices);
  }
  // Each training wrote into its own experiment's workspace, none into the user's.
  expect(new Set(runs.map((r) => r.outputDir.split('/.pipeline/exp/runs/')[1]?.split('/')[0])).size).toBe(4);
  // extract (and register) ran once for all four; the others restored the result.
  const ends = (stage: string, status: string) => ev.filter((e) => e.event === 'end' && e.stage === stage && e.status === status).length;
  expect(ends('extract', 'ran')).toBe(1);
  expect(ends('extract', 'restored')).toBe(3);
  expect(ends('register', 'ran')).toBe(1);
  // Nothing of the user's workspace was written: no adapter, no state.
  await expect(readFile(join(ws, 'artifacts', 'adapters', 'current'), 'utf8')).rejects.toThrow();
  await expect(readFile(join(ws, '.pipeline', 'state', 'train.json'), 'utf8')).rejects.toThrow();

  const show = await runCli(ws, ['exp', 'show', '--json'], { env });
  expectExit(show, 0);
  const rows = (
    JSON.parse(show.stdout) as { experiments: Array<{ name: string; status: string; params: Record<string, unknown>; metrics: Record<string, number | null> }> }
  ).experiments;
  expect(rows.map((r) => r.name).sort()).toEqual(
    ['lora_rank-4+learning_rate-1e-4', 'lora_rank-4+learning_rate-2e-4', 'lora_rank-8+learning_rate-1e-4', 'lora_rank-8+learning_rate-2e-4'].sort(),
  );
  for (const r of rows) {
    expect(r.status).toBe('done');
    expect(typeof r.metrics.pass_rate).toBe('number');
    expect(typeof r.metrics.loss).toBe('number');
    expect(typeof r.metrics['tag:identity']).toBe('number');
  }
  // Only what differs from pipeline.yaml (lora_rank 8 is the workspace's) is listed as a param.
  expect(rows.find((r) => r.name === 'lora_rank-8+learning_rate-1e-4')!.params).toEqual({ 'train.learning_rate': 1e-4 });
  const report = await readFile(join(ws, 'artifacts', 'reports', 'experiments.html'), 'utf8');
  for (const r of rows) expect(report).toContain(r.name);

  // The same matrix again: every experiment is up to date, nothing trains.
  const again = await runCli(ws, ['exp', 'run', ...MATRIX, '--json'], { env, timeoutMs: 120_000 });
  expectExit(again, 0);
  expect(await trainings(env)).toHaveLength(4);
  expect(events(again.stdout).filter((e) => e.event === 'end' && e.status === 'ran')).toEqual([]);

  // apply one: pipeline.yaml changes only in its keys; `run` then trains nothing and `current` is its adapter.
  const name = 'lora_rank-4+learning_rate-2e-4';
  const before = await readFile(join(ws, 'pipeline.yaml'), 'utf8');
  expectExit(await runCli(ws, ['exp', 'apply', name], { env }), 0);
  const after = await readFile(join(ws, 'pipeline.yaml'), 'utf8');
  const [b, a] = [before.split('\n'), after.split('\n')];
  expect(b.filter((l) => !a.includes(l))).toEqual(['  lora_rank: 8']);
  expect(a.filter((l) => !b.includes(l)).sort()).toEqual(['  learning_rate: 0.0002', '  lora_rank: 4'].sort());
  const run = await runCli(ws, ['run', '--json'], { env, timeoutMs: 120_000 });
  expectExit(run, 0);
  const stages = Object.fromEntries((events(run.stdout).at(-1)!.stages as Array<{ name: string; status: string }>).map((s) => [s.name, s.status]));
  expect(stages).toEqual({ extract: 'restored', register: 'restored', train: 'restored', regress: 'restored' });
  expect(await trainings(env)).toHaveLength(4);
  const q = await queueOf(ws);
  const trainKey = q.experiments.find((e) => e.name === name)!.stages.find((s) => s.name === 'train')!.key!;
  expect((await currentAdapterDir(ws)).split('/').at(-1)).toBe(trainKey.slice(0, 12));
});
