// Small file helpers of the extract stage: atomic replacement and listing an input directory.
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { writeFileAtomicSync } from '../../src/atomicWrite.js';

/** Writes a sibling temp file, fsyncs it (unless told not to) and renames it over `path` (src/atomicWrite.ts). */
export async function writeAtomic(path: string, data: string | Uint8Array, o: { fsync?: boolean } = {}): Promise<void> {
  writeFileAtomicSync(path, data, { fsync: o.fsync !== false });
}

/** Every regular file below `dir`, as POSIX paths relative to `dir`, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}
