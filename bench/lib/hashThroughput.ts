// Reference throughput: Node's own sha256 over a file read in fixed-size chunks.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export interface HashMeasurement {
  hex: string;
  bytes: number;
  /** Wall time. */
  ms: number;
  /** CPU time (user + system) of this process meanwhile: unlike wall time, barely affected by other load. */
  cpuMs: number;
}

/** sha256 of a file, read sequentially into one reused buffer of `chunkBytes`; timed. */
export async function sha256WithChunkedReads(path: string, chunkBytes = 1024 * 1024): Promise<HashMeasurement> {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(chunkBytes);
  const fh = await open(path, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, chunkBytes, bytes);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      bytes += bytesRead;
    }
  } finally {
    await fh.close();
  }
  const hex = hash.digest('hex');
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  return { hex, bytes, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}
