// Concurrent runs and every broken lock shape: each trial leaves a broken lock behind and starts
// two or three runs at once with --wait; all must succeed one after the other, with the right
// outputs and no lock left.
import { existsSync } from 'node:fs';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { engineWorkspace } from '../test/engine/fixtures.js';
import { contractProblem, result, type Rng, sameSnapshot, snapshot, start, type PartResult } from './harness.js';
import { KILL_DAG, referenceOutputs } from './kill.js';

const base = { startTime: '1', bootId: 'x', host: hostname(), command: 'pipeline run', startedAt: '2026-01-01T00:00:00Z', runId: 'ab', children: [] };
export const BROKEN_LOCKS: Array<[string, string]> = [
  ['{}', '{}'],
  ['[]', '[]'],
  ['"str"', '"str"'],
  ['123', '123'],
  ['empty', ''],
  ['truncated', '{"pid": 12'],
  ['pid 0', JSON.stringify({ ...base, pid: 0 })],
  ['pid -1', JSON.stringify({ ...base, pid: -1 })],
  ['live unrelated pid 1', JSON.stringify({ ...base, pid: 1 })],
  ['dead pid', JSON.stringify({ ...base, pid: 4_000_000 })],
  ['old format', JSON.stringify({ pid: 1, command: 'x', startedAt: 'y', host: hostname(), runId: 'ab', children: [] })],
  ['none', ''],
];

export async function lockTrials(r: Rng, trials: number, refs?: Map<number, Record<string, string>>): Promise<PartResult> {
  const res = result('concurrent runs + broken locks');
  const references = refs ?? (await referenceOutputs());
  const ws = await engineWorkspace(KILL_DAG, { 'in/a.txt': 'alpha\n' });
  for (let t = 0; t < trials; t++) {
    const [shape, content] = BROKEN_LOCKS[t % BROKEN_LOCKS.length]!;
    const lock = join(ws, '.pipeline', 'lock');
    if (shape !== 'none') {
      await mkdir(join(ws, '.pipeline'), { recursive: true });
      await writeFile(lock, content);
      const old = new Date(Date.now() - 5000);
      await utimes(lock, old, old);
    }
    const n = r.int(1, 3);
    const runs = Array.from({ length: r.int(2, 3) }, () => start(ws, ['run', '--json', '--wait', '--wait-timeout', '120', '--set', `a.n=${n}`]));
    const done = await Promise.all(runs.map((x) => x.done));
    let problem = '';
    for (const d of done) problem ||= contractProblem(d) || (d.code !== 0 ? `a concurrent run exited ${d.code}: ${d.stderr.slice(0, 200)}` : '');
    problem ||= sameSnapshot(await snapshot(ws, ['out']), references.get(n)!);
    if (!problem && existsSync(lock)) problem = 'a lock was left behind';
    if (problem) res.fail(`trial ${t} (lock ${shape}, ${runs.length} runs): ${problem}`);
    else res.pass();
  }
  res.notes = `${BROKEN_LOCKS.length} lock shapes`;
  await rm(ws, { recursive: true, force: true });
  return res;
}
