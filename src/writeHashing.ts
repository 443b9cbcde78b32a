// Writing a file while hashing it, for outs whose bytes the stage has in hand (ctx.writeOut): the
// engine records the hash instead of reading the file back. Same hash as hashFile().
import { closeSync, openSync, writeSync } from 'node:fs';
import { syncWriteHasher } from './hashFile.js';

/** Writes `data` to `path` (created or truncated), hashing it on the way. */
export function writeHashing(path: string, data: string | Uint8Array | Iterable<Uint8Array>): { hash: string; size: number } {
  const h = syncWriteHasher();
  let size = 0;
  const fd = openSync(path, 'w');
  try {
    const put = (chunk: Uint8Array) => {
      h.update(chunk);
      for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off, chunk.length - off);
      size += chunk.length;
    };
    if (typeof data === 'string') put(Buffer.from(data));
    else if (data instanceof Uint8Array) put(data);
    else for (const chunk of data) put(chunk);
  } finally {
    closeSync(fd);
  }
  return { hash: h.digest(), size };
}
