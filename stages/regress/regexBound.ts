// Time-bounded regex evaluation: patterns come from the user's cases, and a catastrophic one
// (e.g. `^(a+)+$` on a long non-match) would block the event loop for minutes. Each test runs in a
// worker thread; when it exceeds the bound the worker is terminated (V8 interrupts the regex) and
// the next test gets a fresh worker.
import { Worker } from 'node:worker_threads';

// Plain script source (eval'd), so it works the same from the esbuild output and under jest.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  let hit = false, error = null;
  try { hit = new RegExp(m.pattern, m.flags).test(m.text); } catch (e) { error = String(e && e.message || e); }
  parentPort.postMessage({ id: m.id, hit, error });
});
`;

export type RegexOutcome = { kind: 'match' } | { kind: 'no-match' } | { kind: 'timeout' } | { kind: 'error'; message: string };

interface Reply {
  id: number;
  hit: boolean;
  error: string | null;
}

export class BoundedRegex {
  private worker: Worker | undefined;
  private online: Promise<void> = Promise.resolve();
  private nextId = 1;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly timeoutMs: number,
    private readonly flags = 'u',
  ) {}

  /** Starts the worker now, so the first check does not wait for it. */
  warm(): this {
    this.getWorker();
    return this;
  }

  /** Tests `pattern` (JavaScript source) against `text`; calls are serialized on one worker. */
  test(pattern: string, text: string, flags = this.flags): Promise<RegexOutcome> {
    const run = this.chain.then(() => this.runOne(pattern, text, flags));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private getWorker(): Worker {
    if (!this.worker) {
      // Unref'd while idle, so an idle worker never keeps the process alive; runOne refs it for the
      // whole of each test, start-up included (awaiting 'online' on an unref'd worker with nothing
      // else pending lets the event loop drain: Node then exits 13 mid-run).
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      // The bound covers the regex, not the worker's start-up.
      this.online = new Promise<void>((resolve) => {
        w.once('online', () => resolve());
        w.once('error', () => resolve());
        w.once('exit', () => resolve());
      });
      this.worker = w;
    }
    return this.worker;
  }

  private async runOne(pattern: string, text: string, flags: string): Promise<RegexOutcome> {
    const worker = this.getWorker();
    worker.ref();
    try {
      await this.online;
    } finally {
      worker.unref();
    }
    const id = this.nextId++;
    return new Promise<RegexOutcome>((resolve) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (m: Reply): void => {
        if (m.id !== id) return;
        cleanup();
        resolve(m.error !== null ? { kind: 'error', message: m.error } : { kind: m.hit ? 'match' : 'no-match' });
      };
      const onError = (err: Error): void => {
        cleanup();
        this.worker = undefined;
        resolve({ kind: 'error', message: err.message });
      };
      const onExit = (): void => {
        cleanup();
        this.worker = undefined;
        resolve({ kind: 'error', message: 'regex worker exited' });
      };
      const timer = setTimeout(() => {
        cleanup();
        this.worker = undefined;
        void worker.terminate();
        resolve({ kind: 'timeout' });
      }, this.timeoutMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.ref();
      worker.postMessage({ id, pattern, flags, text });
    }).finally(() => {
      this.worker?.unref();
    });
  }

  async close(): Promise<void> {
    await this.chain;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
