// Corruption of the regress stage's own state — cached responses and the history file — by a
// flipped byte, truncation, deletion, a swap with another entry, or a symlink pointing outside.
// The next run must succeed with the same results (answers asked again where needed), and nothing
// beside the workspace may change.
import { chmod, copyFile, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { regressWorkspace } from '../test/regress/fixtures.js';
import { cli, contractProblem, makeSentinel, result, type Rng, sentinelProblem, type PartResult } from './harness.js';

const MUTATIONS = ['flip', 'truncate', 'delete', 'swap', 'symlink'] as const;

async function responseFiles(ws: string): Promise<string[]> {
  const root = join(ws, 'cache', 'stage', 'regress', 'responses');
  const out: string[] = [];
  for (const d of await readdir(root).catch(() => [] as string[])) for (const f of await readdir(join(root, d))) out.push(join(root, d, f));
  return out;
}

/** id → [ok, response] of the latest results: what must not change. */
async function results(ws: string): Promise<string> {
  const text = await readFile(join(ws, 'artifacts/regress/latest/results.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const r = JSON.parse(l) as { id: string; ok: boolean; response: string | null };
      return JSON.stringify([r.id, r.ok, r.response]);
    })
    .join('\n');
}

export async function corruptRegressTrials(r: Rng, trials: number): Promise<PartResult> {
  const res = result('regress state corruption');
  const w = await regressWorkspace();
  const sentinel = await makeSentinel(w.ws);
  const first = await cli(w.ws, ['run', '--json'], w.env);
  if (first.code !== 0) throw new Error(`regress reference run failed: ${first.stderr}`);
  const want = await results(w.ws);
  for (let t = 0; t < trials; t++) {
    const history = join(w.ws, 'artifacts/regress/history.jsonl');
    const files = [...(await responseFiles(w.ws)), history];
    const file = r.pick(files);
    const how = r.pick(MUTATIONS);
    await chmod(file, 0o644).catch(() => undefined);
    const bytes = await readFile(file).catch(() => Buffer.alloc(0));
    if (how === 'flip' && bytes.length) {
      const i = r.int(0, bytes.length - 1);
      bytes[i] = bytes[i]! ^ (1 << r.int(0, 7));
      await writeFile(file, bytes);
    } else if (how === 'truncate') await writeFile(file, bytes.subarray(0, r.int(0, Math.max(0, bytes.length - 1))));
    else if (how === 'delete') await rm(file, { force: true });
    else if (how === 'swap') await copyFile(r.pick(files), file).catch(() => undefined);
    else {
      await rm(file, { force: true });
      await symlink(join(sentinel, 'keep.txt'), file);
    }
    // A forced rerun re-applies the checks to the (possibly damaged) cache.
    const run = await cli(w.ws, ['run', '--json', '--force'], w.env);
    let problem = contractProblem(run);
    const symlinkedHistory = how === 'symlink' && file === history;
    if (!problem && symlinkedHistory) {
      // Refused, clearly, without writing through the link; the user replaces the link.
      if (run.code !== 1 || !/symbolic link/.test(run.stdout + run.stderr)) problem = `a symlinked history gave exit ${run.code}`;
      await rm(history, { force: true });
    } else if (!problem && run.code !== 0) problem = `run exited ${run.code}: ${(run.stderr + run.stdout).slice(-300)}`;
    if (!problem && !symlinkedHistory && (await results(w.ws)) !== want) problem = 'results differ from the uncorrupted run';
    problem ||= await sentinelProblem(sentinel);
    if (problem) res.fail(`trial ${t} (${how} ${file.slice(w.ws.length + 1)}): ${problem}`);
    else res.pass();
  }
  res.notes = 'responses + history';
  await rm(w.ws, { recursive: true, force: true });
  await rm(sentinel, { recursive: true, force: true });
  return res;
}
