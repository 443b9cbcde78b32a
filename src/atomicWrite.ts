// Atomic file replacement: write a sibling temp file, rename it over the target. Readers see the
// old content or the new, never a mix. No fsync: every file the engine writes this way is either
// rebuildable (caches) or checked when read (a record that is empty after a power cut parses as
// missing, and its stage simply reruns), and an fsync per write costs more than a no-op run.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Synchronous inside: the files written this way are records, caches and snapshots of at most a
 * few MB, written in a millisecond or two, and three trips to the thread pool (mkdir, write,
 * rename) cost more than that on a busy machine.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, data);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
