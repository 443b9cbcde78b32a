// Large input files for benchmarks, written fast and reused between runs.
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';

export interface LargeFileResult {
  path: string;
  bytes: number;
  /** True when an existing file of the right size was kept. */
  reused: boolean;
  /** Time spent writing (0 when reused). */
  ms: number;
}

/**
 * Ensures `path` is a regular file of exactly `bytes` bytes: reuses an existing one of that size,
 * otherwise writes one `chunkBytes` random buffer over and over (to `path.partial`, renamed at the
 * end, so an interrupted write is never mistaken for a finished file).
 */
export async function ensureLargeFile(path: string, bytes: number, chunkBytes = 1024 * 1024): Promise<LargeFileResult> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isFile() && existing.size === bytes) return { path, bytes, reused: true, ms: 0 };
  const started = performance.now();
  const partial = `${path}.partial`;
  const chunk = randomBytes(chunkBytes);
  const fh = await open(partial, 'w');
  try {
    let written = 0;
    while (written < bytes) {
      const n = Math.min(chunkBytes, bytes - written);
      let off = 0;
      while (off < n) {
        const { bytesWritten } = await fh.write(chunk, off, n - off, written + off);
        off += bytesWritten;
      }
      written += n;
    }
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  }
  await fh.close();
  await rename(partial, path);
  return { path, bytes, reused: false, ms: performance.now() - started };
}
