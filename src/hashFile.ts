// Content hash of files, through hash-wasm's XXH3-128 (its xxhash128 build alone: the full package
// is 230 KB of JavaScript to parse on every start). A content hash here only has to tell versions of
// a file apart, not resist an attacker. One format, 32 hex digits:
// - a file of up to CHUNK bytes (16 MiB): XXH3-128 of its bytes;
// - a larger file: XXH3-128 of `pipeline-xxh3-chunks-v1 NUL <size> NUL` followed by the 16-byte
//   XXH3-128 digests of its 16 MiB chunks, in order. The value does not depend on which thread
//   hashed which chunk, so a big file (a base model) is hashed by worker threads at once, one
//   contiguous run of chunks each, about twice as fast on two cores.
// Reads are 128 KiB: the buffer stays in the core's cache between the read and the hash (larger
// reads measured 3× slower here). A sequential hash yields to the event loop every 8 MiB.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { IHasher } from 'hash-wasm';

const require = createRequire(import.meta.url);
const WASM_MODULE = require.resolve('hash-wasm/dist/xxhash128.umd.min.js');
const { createXXHash128 } = require(WASM_MODULE) as typeof import('hash-wasm');

/** Files up to this size hash as their plain XXH3-128; larger ones as a list of chunk digests. */
export const CHUNK = 16 << 20;
const TREE_TAG = 'pipeline-xxh3-chunks-v1';
const READ = 128 << 10;
const SMALL = 1 << 20;
const YIELD_EVERY = 8 << 20;
/** From this size on, a file is hashed by worker threads (each costs ~20 ms to start). */
const PARALLEL_MIN = 64 << 20;
const MAX_THREADS = 4;

/** For synchronous use only (never held across an await): small files, chunk-list roots. */
const small: IHasher = await createXXHash128();
/** For synchronous use only: writeHashing. */
const forWrites: IHasher = await createXXHash128();

function rootOf(h: IHasher, size: number, digests: Uint8Array): string {
  return h.init().update(`${TREE_TAG}\0${size}\0`).update(digests).digest('hex');
}

/** The content hash of bytes fed in any pieces: `update` as often as needed, then `digest` once. */
export class ContentHasher {
  private inChunk = 0;
  private size = 0;
  private readonly digests: Uint8Array[] = [];

  constructor(private readonly h: IHasher) {
    h.init();
  }

  update(data: Uint8Array): this {
    for (let off = 0; off < data.length;) {
      const take = Math.min(CHUNK - this.inChunk, data.length - off);
      this.h.update(take === data.length ? data : data.subarray(off, off + take));
      this.inChunk += take;
      this.size += take;
      off += take;
      if (this.inChunk === CHUNK) {
        this.digests.push(this.h.digest('binary'));
        this.h.init();
        this.inChunk = 0;
      }
    }
    return this;
  }

  digest(): string {
    if (this.size > CHUNK) {
      if (this.inChunk > 0) this.digests.push(this.h.digest('binary'));
      return rootOf(this.h, this.size, Buffer.concat(this.digests));
    }
    // Exactly one full chunk was digested already; anything less is still in the hasher.
    return this.digests.length === 1 ? Buffer.from(this.digests[0]!).toString('hex') : this.h.digest('hex');
  }
}

/** A hasher started afresh, for a synchronous loop (never held across an await). */
export function syncWriteHasher(): ContentHasher {
  return new ContentHasher(forWrites);
}

/** Content hash of bytes in memory. */
export function hashBytes(data: Uint8Array): string {
  return data.length <= CHUNK ? small.init().update(data).digest('hex') : new ContentHasher(small).update(data).digest();
}

/**
 * Content hash of a file; `size`, when known, saves a stat. `signal` stops a long hash (it then
 * rejects).
 */
export async function hashFile(path: string, size?: number, signal?: AbortSignal): Promise<string> {
  const bytes = size ?? statSync(path).size;
  if (bytes <= SMALL) return hashBytes(readFileSync(path));
  const threads = Math.min(MAX_THREADS, availableParallelism(), Math.ceil(bytes / CHUNK));
  if (bytes >= PARALLEL_MIN && threads > 1) return hashInParallel(path, bytes, threads, signal);
  return hashSequentially(path, signal);
}

async function hashSequentially(path: string, signal?: AbortSignal): Promise<string> {
  const h = new ContentHasher(await createXXHash128());
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ);
    let sinceYield = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, READ, null);
      if (n === 0) break;
      h.update(n === READ ? buf : buf.subarray(0, n));
      sinceYield += n;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((r) => setImmediate(r));
        signal?.throwIfAborted();
      }
    }
    return h.digest();
  } finally {
    closeSync(fd);
  }
}

/** The digests of chunks [first, end) of a file, in a worker thread (plain CommonJS, no bundling needed). */
const WORKER = `
const { parentPort, workerData: w } = require('node:worker_threads');
const fs = require('node:fs');
require(w.module).createXXHash128().then((h) => {
  const buf = Buffer.allocUnsafe(w.read);
  const out = new Uint8Array((w.end - w.first) * 16);
  const fd = fs.openSync(w.path, 'r');
  try {
    for (let c = w.first; c < w.end; c++) {
      h.init();
      let pos = c * w.chunk;
      const stop = Math.min(w.size, pos + w.chunk);
      while (pos < stop) {
        const n = fs.readSync(fd, buf, 0, Math.min(w.read, stop - pos), pos);
        if (n === 0) throw new Error('the file got shorter while it was hashed');
        h.update(n === w.read ? buf : buf.subarray(0, n));
        pos += n;
      }
      out.set(h.digest('binary'), (c - w.first) * 16);
    }
  } finally {
    fs.closeSync(fd);
  }
  parentPort.postMessage({ digests: out }, [out.buffer]);
}).catch((e) => parentPort.postMessage({ error: String((e && e.message) || e) }));
`;

async function chunkDigests(path: string, size: number, first: number, end: number, signal?: AbortSignal): Promise<Uint8Array> {
  // Loaded here: most runs hash no big file.
  const { Worker } = await import('node:worker_threads');
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { module: WASM_MODULE, path, size, first, end, chunk: CHUNK, read: READ } });
    const onAbort = () => {
      void worker.terminate();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('hashing stopped'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal?.removeEventListener('abort', onAbort);
    worker.once('message', (m: { digests?: Uint8Array; error?: string }) => {
      settle();
      void worker.terminate();
      if (m.digests) resolve(m.digests);
      else reject(new Error(`cannot hash ${path}: ${m.error ?? 'unknown error'}`));
    });
    worker.once('error', (e) => {
      settle();
      reject(e);
    });
    worker.once('exit', (code) => {
      settle();
      reject(new Error(`cannot hash ${path}: its hashing thread exited (${code})`));
    });
  });
}

async function hashInParallel(path: string, size: number, threads: number, signal?: AbortSignal): Promise<string> {
  signal?.throwIfAborted();
  const chunks = Math.ceil(size / CHUNK);
  const per = Math.ceil(chunks / threads);
  const runs: Array<Promise<Uint8Array>> = [];
  for (let first = 0; first < chunks; first += per) runs.push(chunkDigests(path, size, first, Math.min(chunks, first + per), signal));
  const digests = await Promise.all(runs);
  return rootOf(small, size, Buffer.concat(digests));
}
