// Content hash of files: XXH3-128 (32 hex digits) through hash-wasm. A content hash here only has
// to tell versions of a file apart, not resist an attacker, and XXH3 runs at memory speed, where
// sha256 is the bottleneck of re-hashing a multi-GB base model.
// Small files are hashed in one go; large ones are read synchronously in 256 KiB chunks (which
// stay in the core's cache between the read and the hash: measured 1.5× less CPU per byte than
// reads on the thread pool here), yielding to the event loop every 8 MiB so that other work of the
// run (in-process stages, other hashes) goes on meanwhile; memory stays constant whatever the size.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createXXHash128, type IHasher } from 'hash-wasm';

const CHUNK = 256 << 10;
const SMALL = 1 << 20;
const YIELD_EVERY = 8 << 20;

/** For synchronous use only (never held across an await): small files. */
const small: IHasher = await createXXHash128();
/** For synchronous use only: writeHashing. */
const forWrites: IHasher = await createXXHash128();

/** A hasher started afresh, for a synchronous loop: `.update(…)` then `.digest('hex')`. */
export function syncWriteHasher(): IHasher {
  return forWrites.init();
}

/** Content hash of bytes in memory. */
export function hashBytes(data: Uint8Array): string {
  return small.init().update(data).digest('hex');
}

/**
 * Content hash of a file; `size`, when known, lets a small file be read in one go. `signal` stops
 * a long hash between two reads (it then rejects).
 */
export async function hashFile(path: string, size?: number, signal?: AbortSignal): Promise<string> {
  if (size !== undefined && size <= SMALL) return hashBytes(readFileSync(path));
  const h = await createXXHash128();
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let sinceYield = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      h.update(n === CHUNK ? buf : buf.subarray(0, n));
      sinceYield += n;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((r) => setImmediate(r));
        signal?.throwIfAborted();
      }
    }
    return h.digest('hex');
  } finally {
    closeSync(fd);
  }
}
