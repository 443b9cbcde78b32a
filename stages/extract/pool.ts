// Files extracted in parallel: a few worker threads (worker.ts), each reading and extracting the
// files it is sent, a small batch at a time, and sending back their results. Files are independent
// (each is decoded, its names discovered and its lines attributed on its own), so the results are
// exactly the ones extractFile gives on the main thread; the caller puts each in its place by
// index, and everything after (name order, dedup, the store) is unchanged. The main thread holds no
// file's bytes; a worker holds the batch it extracts. Every worker is ended before this returns
// or throws: on success, on the first failure (which names the file) and on abort.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { StageError } from '../../src/api.js';
import type { FileOptions } from './config.js';
import type { Encoding } from './decode.js';
import type { FileResult } from './extractFile.js';
import { workerScript } from './workerScript.js';

/** What a worker is sent per file (a batch is a list of them). */
export interface WorkerJob {
  i: number;
  abs: string;
  encoding?: Encoding;
}

/** A worker's answer for one file: its result, or why there is none (a read error, an exception). */
export interface WorkerReply {
  i: number;
  result?: FileResult;
  readError?: string;
  error?: string;
  stack?: string;
}

export interface PoolFile extends WorkerJob {
  /** The name the messages use (relative to the input directory). */
  name: string;
}

/**
 * Less input than this (bytes) is extracted on the main thread: a worker costs its start-up and,
 * above all, its own JIT warm-up (the first few hundred KB a fresh thread extracts run several
 * times slower than the rest), which a small corpus does not pay back.
 */
const MIN_BYTES_PER_WORKER = 8 * 1024 * 1024;
const MAX_WORKERS = 8;
/** Most files in one batch; smaller when there are few files, so every worker gets several batches. */
const MAX_BATCH = 8;
/**
 * Each worker's heap: a young generation of 64 MB (a worker's default is 48). The extractor makes a
 * lot of short-lived strings and arrays; with the default each of 2 workers ran ~97 scavenges on a
 * 38 MB corpus, many of them tens of ms, their parallel helpers busy on the cores the workers need;
 * with 64 MB ~60, with a third of the pause time (docs/internals.md, "Benches"). Larger (128, 256)
 * measured no better, only more memory.
 */
export const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 64 } as const;

/** One extraction worker thread running `script` (given `workerData`), with the pool's heap limits. */
export function startWorker(script: string, workerData: unknown): Worker {
  return new Worker(script, { workerData, resourceLimits: WORKER_RESOURCE_LIMITS });
}

/**
 * How many workers to extract `files` files of `bytes` bytes in all with: `workers` when it is a
 * number (1: none), else one per core up to MAX_WORKERS and one per MIN_BYTES_PER_WORKER of
 * input; 0 (the main thread) when that is fewer than 2.
 */
export function poolSize(files: number, bytes: number, workers: number | 'auto' = 'auto'): number {
  const n = workers === 'auto' ? Math.min(availableParallelism(), MAX_WORKERS, files, Math.floor(bytes / MIN_BYTES_PER_WORKER)) : Math.min(workers, files);
  return n >= 2 ? n : 0;
}

let running = 0;
/** Worker threads of this process alive now (0 whenever no extraction is under way). */
export const runningWorkers = () => running;

const names = (batches: readonly PoolFile[][]) => {
  const all = batches.flat().map((f) => f.name);
  return all.length ? all.join(', ') : '(no file)';
};

/** A file that cannot be read (`EACCES: permission denied, open '/…'`): named as the report names it. */
export function readFailure(name: string, message: string): StageError {
  return new StageError(`extract: cannot read ${name}: ${message.replace(/, \w+ '.*'$/, '')}`);
}

/** The error for a file a worker could not extract. */
function replyError(f: PoolFile, r: WorkerReply): Error {
  if (r.readError !== undefined) return readFailure(f.name, r.readError);
  // An exception in the extractor is a bug: no UserError, so the engine logs the worker's stack.
  const e = new Error(`extract: ${f.name}: ${r.error ?? 'no result'}`);
  if (r.stack) e.stack = `${e.message}\n${r.stack.split('\n').slice(1).join('\n')}`;
  return e;
}

/**
 * Extracts `files` in `size` workers; `onResult(i, result)` for each as it arrives (in no
 * particular order). With `ahead`, a file is sent only while fewer than `ahead` files before it
 * (in `files` order) are unanswered, so a caller that puts results out in that order holds at most
 * about that many. Rejects with the first failure; with `interrupted` when `signal` aborts.
 */
export async function extractInWorkers(
  files: readonly PoolFile[],
  opts: FileOptions,
  size: number,
  o: { signal?: AbortSignal | undefined; ahead?: number; onResult: (i: number, result: FileResult) => void },
): Promise<void> {
  if (files.length === 0) return;
  const script = await workerScript().catch((err: unknown) => {
    throw new StageError(`extract: cannot build the worker threads' script (${(err as Error).message}); extract.workers: 1 extracts without them`);
  });
  const per = Math.max(1, Math.min(MAX_BATCH, Math.floor(files.length / (size * 8))));
  const ahead = Math.max(o.ahead ?? files.length, per);
  const workers: Worker[] = [];
  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let left = files.length;
      let failed = false;
      // Which files (by position in `files`) are answered, and the first one that is not.
      const answered = new Uint8Array(files.length);
      let low = 0;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      onAbort = () => fail(new Error('interrupted'));
      if (o.signal?.aborted) return onAbort();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const idle: Array<() => void> = [];
      /** Sends more to every worker that has fewer than two batches (so none waits), within `ahead`. */
      const pump = () => {
        for (const fill of idle) fill();
      };
      for (let k = 0; k < Math.min(size, files.length); k++) {
        const w = startWorker(script, { opts });
        running++;
        w.once('exit', () => running--);
        workers.push(w);
        // The batches sent to this worker and not answered yet (it answers them in order), with their first position.
        const inFlight: Array<{ at: number; batch: PoolFile[] }> = [];
        const fill = () => {
          while (!failed && inFlight.length < 2 && next < files.length && next < low + ahead) {
            const batch = files.slice(next, next + per);
            inFlight.push({ at: next, batch });
            next += batch.length;
            w.postMessage(batch.map((f): WorkerJob => (f.encoding ? { i: f.i, abs: f.abs, encoding: f.encoding } : { i: f.i, abs: f.abs })));
          }
        };
        idle.push(fill);
        w.on('message', (replies: WorkerReply[]) => {
          if (failed) return;
          const { at, batch } = inFlight.shift() ?? { at: 0, batch: [] };
          try {
            batch.forEach((f, n) => {
              const r = replies[n];
              if (r?.result === undefined) throw replyError(f, r ?? { i: f.i, error: 'no reply' });
              o.onResult(f.i, r.result);
            });
          } catch (err) {
            return fail(err as Error);
          }
          answered.fill(1, at, at + batch.length);
          while (low < files.length && answered[low]) low++;
          left -= batch.length;
          if (left === 0) resolve();
          else pump();
        });
        w.on('error', (err) => fail(new StageError(`extract: a worker thread failed while extracting ${names(inFlight.map((f) => f.batch))}: ${err.message}`)));
        w.on('exit', (code) => {
          if (left > 0) fail(new StageError(`extract: a worker thread stopped (exit code ${code}) while extracting ${names(inFlight.map((f) => f.batch))}`));
        });
        fill();
      }
    });
  } finally {
    if (onAbort) o.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
