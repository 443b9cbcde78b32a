// Atomic file replacement: write a sibling temp file, rename it over the target. Readers see the
// old content or the new, never a mix. No fsync: every file the engine writes this way is either
// rebuildable (caches) or checked when read (a record that is empty after a power cut parses as
// missing, and its stage simply reruns), and an fsync per write costs more than a no-op run.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data);
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
