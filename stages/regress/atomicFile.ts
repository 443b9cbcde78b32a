// Replaces a file atomically (sibling temp file, then rename): a reader or a crash sees the old
// content or the new, never half of it. Parent directories are created.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileAtomic(absPath: string, data: string): Promise<void> {
  await mkdir(dirname(absPath), { recursive: true });
  const tmp = `${absPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, absPath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
