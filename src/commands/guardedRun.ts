// What every command that runs stages shares: the workspace lock, one registry of the children it
// starts, and Ctrl-C handling (the first stops every child and lets the command end with 130; a
// second, or 10 s without an end, releases the lock and exits at once).
import { randomBytes } from 'node:crypto';
import { describeHolder, WorkspaceLock } from '../lock.js';
import { ChildRegistry } from '../processTree.js';

export interface Guard {
  signal: AbortSignal;
  registry: ChildRegistry;
  runId: string;
}

export interface GuardOptions {
  /** The lock holder's description (`pipeline run train`). */
  holder: string;
  /** Wait for a held lock instead of failing at once. */
  wait: boolean;
  waitTimeoutMs?: number;
  /** A dry run takes no lock. */
  noLock?: boolean;
  /** What the first Ctrl-C prints (after a newline). */
  onInterrupt: string;
}

export async function guardedRun<T>(workspace: string, o: GuardOptions, fn: (g: Guard) => Promise<T>): Promise<T> {
  const runId = randomBytes(8).toString('hex');
  const controller = new AbortController();
  const lock = new WorkspaceLock(`${workspace}/.pipeline/lock`);
  const registry = new ChildRegistry({ onStart: (pid) => lock.addChild(pid), onExit: (pid) => lock.removeChild(pid) });
  let interrupted = 0;
  const onSignal = () => {
    interrupted++;
    controller.abort();
    void registry.stopAll();
    if (interrupted > 1) {
      void lock.release().finally(() => process.exit(130));
    } else {
      process.stderr.write(`\n${o.onInterrupt}\n`);
      // In-process stages cannot be cancelled; do not wait for them forever.
      setTimeout(() => void lock.release().finally(() => process.exit(130)), 10_000).unref();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (!o.noLock) {
      await lock.acquire(o.holder, runId, {
        wait: o.wait,
        timeoutMs: o.waitTimeoutMs,
        signal: controller.signal,
        onWait: (h, ms) =>
          process.stderr.write(`${ms ? `still waiting (${Math.round(ms / 1000)}s)` : 'waiting'} for the workspace lock held by ${describeHolder(h)}\n`),
      });
    }
    return await fn({ signal: controller.signal, registry, runId });
  } finally {
    await registry.stopAll();
    await lock.release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
