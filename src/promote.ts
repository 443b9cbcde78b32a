// Moving outs from a stage's staging area into the workspace, atomically per out, and bringing
// cached outs back from the object store.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StageError } from './api.js';
import { expand } from './depFiles.js';
import { hashFile } from './hashFile.js';
import { isUnder } from './pathSpec.js';
import { containedPath } from './atomicWrite.js';
import type { OutFile, RunCache, RunRecord } from './runCache.js';
import type { StatCache } from './statCache.js';
import type { WorkspaceDirs } from './workspaceState.js';

/** Hashes every file of the staged outs (unless `known` has it) and stores it in the object store. */
export async function collectStagedOuts(
  outsRoot: string,
  outs: readonly string[],
  runCache: RunCache,
  known: ReadonlyMap<string, { hash: string; size: number; mtimeMs: number }> = new Map(),
): Promise<OutFile[]> {
  const files: OutFile[] = [];
  for (const out of outs) {
    const abs = join(outsRoot, out);
    const st = await stat(abs).catch(() => undefined);
    if (!st) throw new StageError(`the stage finished without writing its out '${out}'`);
    const { files: found } = await expand(outsRoot, [out]);
    for (const f of found) {
      // A hash computed while the stage wrote the file holds while its size and mtime are the
      // ones it had then (a stage that wrote to it again afterwards gets it hashed here).
      const k = known.get(f.abs);
      const hash = k && k.size === f.st.size && k.mtimeMs === f.st.mtimeMs ? k.hash : await hashFile(f.abs, f.st.size);
      await runCache.storeObject(f.abs, hash, f.st.size);
      const exec = (f.st.mode & 0o111) !== 0;
      files.push({ path: f.path, hash, size: f.st.size, ...(exec ? { exec } : {}) });
    }
  }
  return files;
}

/**
 * Replaces each workspace out with its staged version: rename aside, rename in, delete aside. An out
 * whose place leaves the workspace (`..`, a symlinked parent directory) is refused; a symlink at
 * the out's own place is moved aside like any file, never followed.
 */
export async function promote(workspace: string, outsRoot: string, outs: readonly string[], dirs: WorkspaceDirs): Promise<void> {
  const targets = outs.map((out) => containedPath(workspace, out, `out ${out}`));
  await mkdir(dirs.trashRoot, { recursive: true });
  const trash: string[] = [];
  for (const [i, out] of outs.entries()) {
    const target = targets[i]!;
    await mkdir(dirname(target), { recursive: true });
    containedPath(workspace, target, `out ${out}`);
    if (
      await stat(target).then(
        () => true,
        () => false,
      )
    ) {
      const aside = join(dirs.trashRoot, `${randomBytes(6).toString('hex')}`);
      await rename(target, aside);
      trash.push(aside);
    }
    await rename(join(outsRoot, out), target);
  }
  await Promise.all(trash.map((t) => rm(t, { recursive: true, force: true })));
}

/** Seeds the stat cache with the hashes just computed, so the next run does not re-read outs. */
export async function rememberOuts(workspace: string, outs: readonly OutFile[], statCache: StatCache): Promise<void> {
  for (const o of outs) statCache.remember(join(workspace, o.path), o.hash);
}

/**
 * Brings a cached run's outs back. `rec` comes from RunCache.get, which checked it names exactly
 * the stage's outs; every path is checked once more here (it must stay inside `outsRoot` and the
 * workspace). Outs already identical in the workspace are left alone; the others are rebuilt in
 * `outsRoot` from objects verified as they are copied, and promoted. Returns false when an object
 * is missing or corrupted (it is deleted; the caller evicts the record and reruns).
 */
export async function restoreOuts(
  workspace: string,
  rec: RunRecord,
  outsRoot: string,
  runCache: RunCache,
  statCache: StatCache,
  dirs: WorkspaceDirs,
): Promise<boolean> {
  const toPromote: string[] = [];
  for (const declared of rec.declaredOuts) {
    const files = rec.outs.filter((o) => isUnder(o.path, declared));
    let same = true;
    const { files: present } = await expand(workspace, [declared]);
    const presentMap = new Map(present.map((f) => [f.path, f]));
    if (present.length !== files.length) same = false;
    for (const o of files) {
      const f = presentMap.get(o.path);
      if (!f || f.st.size !== o.size || (await statCache.hash(f.abs, f.st)) !== o.hash) {
        same = false;
        break;
      }
    }
    if (same && files.length > 0) continue;
    for (const o of files) {
      const ok = await runCache.restoreObject(o, containedPath(outsRoot, o.path));
      if (!ok) return false;
    }
    if (files.length === 0) await mkdir(containedPath(outsRoot, declared), { recursive: true });
    toPromote.push(declared);
  }
  await promote(workspace, outsRoot, toPromote, dirs);
  return true;
}
