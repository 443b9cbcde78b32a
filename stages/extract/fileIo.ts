// Small file helpers of the extract stage: atomic replacement, the input files of a directory and
// the encodings extract.encoding forces on some of them.
import { glob } from 'tinyglobby';
import { writeFileAtomicSync } from '../../src/atomicWrite.js';
import type { Encoding } from './decode.js';

/** Writes a sibling temp file, fsyncs it (unless told not to) and renames it over `path` (src/atomicWrite.ts). */
export async function writeAtomic(path: string, data: string | Uint8Array, o: { fsync?: boolean } = {}): Promise<void> {
  writeFileAtomicSync(path, data, { fsync: o.fsync !== false });
}

/** The regular files of `dir` that `pattern` (relative to it) matches, as POSIX paths relative to `dir`, sorted. */
export async function listFiles(dir: string, pattern: string): Promise<string[]> {
  const names = await glob(pattern, { cwd: dir, onlyFiles: true, expandDirectories: false });
  return names.sort();
}

/**
 * File (relative to `dir`) → the encoding `forced` (glob relative to `dir` → encoding) names for
 * it; the first glob that matches a file wins.
 */
export async function forcedEncodings(dir: string, forced: Readonly<Record<string, Encoding>>): Promise<Map<string, Encoding>> {
  const out = new Map<string, Encoding>();
  for (const [pattern, encoding] of Object.entries(forced)) for (const name of await listFiles(dir, pattern)) if (!out.has(name)) out.set(name, encoding);
  return out;
}
