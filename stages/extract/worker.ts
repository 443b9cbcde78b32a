// An extraction worker thread (pool.ts starts them, workerScript.ts bundles this file): it reads
// each file it is sent and extracts it (extractFile, the same code as on the main thread), and
// answers each batch with one reply per file, in the order asked. A file it cannot read, or an
// exception, is answered as such: the pool names the file.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { FileOptions } from './config.js';
import { extractFile } from './extractFile.js';
import type { WorkerJob, WorkerReply } from './pool.js';

const { opts } = workerData as { opts: FileOptions };
const port = parentPort!;

function extractOne(j: WorkerJob): WorkerReply {
  let bytes: Buffer;
  try {
    bytes = readFileSync(j.abs);
  } catch (err) {
    return { i: j.i, readError: (err as Error).message };
  }
  try {
    return { i: j.i, result: extractFile(bytes, opts, j.encoding) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { i: j.i, error: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  }
}

port.on('message', (jobs: WorkerJob[]) => port.postMessage(jobs.map(extractOne)));
