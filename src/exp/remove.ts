// `pipeline exp rm NAME…` and `pipeline exp gc`: forgetting experiments and deleting their
// workspaces (links to the user's inputs are removed as links, never followed).
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../api.js';
import { containedPath } from '../atomicWrite.js';
import { experimentDir, expRoot, ExperimentQueue } from './queue.js';

async function removeDir(workspace: string, dir: string): Promise<void> {
  await rm(containedPath(workspace, dir, 'experiment folder'), { recursive: true, force: true });
}

export async function removeExperiments(workspace: string, names: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const queue = new ExperimentQueue(workspace).load();
  const unknown = names.filter((n) => !queue.get(n));
  if (unknown.length > 0) throw new UsageError(`exp rm: no experiment ${unknown.map((n) => `'${n}'`).join(', ')} (see \`pipeline exp show\`)`);
  for (const n of names) {
    queue.remove(n);
    await queue.save();
    await removeDir(workspace, experimentDir(workspace, n));
    out.write(`removed ${n}\n`);
  }
  return 0;
}

/** Deletes the workspaces no queue entry names, and the kept attempts (checkpoints) of finished experiments. */
export async function gcExperiments(workspace: string, out: NodeJS.WritableStream): Promise<number> {
  const queue = new ExperimentQueue(workspace).load();
  const runs = join(expRoot(workspace), 'runs');
  let removed = 0;
  let staging = 0;
  for (const name of await readdir(runs).catch(() => [] as string[])) {
    const e = queue.get(name);
    if (!e) {
      await removeDir(workspace, join(runs, name));
      removed++;
    } else if (e.status === 'done') {
      const dir = join(runs, name, '.pipeline', 'staging');
      if ((await readdir(dir).catch(() => [])).length > 0) {
        await removeDir(workspace, dir);
        staging++;
      }
    }
  }
  out.write(`exp gc: removed ${removed} workspace(s) of forgotten experiments, the leftover attempts of ${staging} finished one(s)\n`);
  return 0;
}
