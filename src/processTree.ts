// External programs: started with an argument array (never a shell string), each in its own
// process group so that the whole tree — children and grandchildren — can be ended together.
import { createInterface } from 'node:readline';
import type { ChildHandle, ExecOptions } from './api.js';
import { StageError } from './api.js';

const GRACE_MS = 5000;

// execa is loaded on first use: a no-op run never starts a child and should not pay for it.
let execaFn: typeof import('execa').execa | undefined;
export async function loadExeca(): Promise<void> {
  execaFn ??= (await import('execa')).execa;
}

export interface ChildHooks {
  onStart?(pid: number): void;
  onExit?(pid: number): void;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* group already gone */
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every live child tree started by this process, so SIGINT can end them all. */
export class ChildRegistry {
  private readonly live = new Map<number, () => Promise<void>>();

  constructor(private readonly hooks: ChildHooks = {}) {}

  add(pid: number, stop: () => Promise<void>): void {
    this.live.set(pid, stop);
    this.hooks.onStart?.(pid);
  }

  remove(pid: number): void {
    if (this.live.delete(pid)) this.hooks.onExit?.(pid);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live.values()].map((stop) => stop()));
  }
}

export interface StartOptions extends ExecOptions {
  baseEnv: Readonly<Record<string, string>>;
  registry: ChildRegistry;
  log: (line: string) => void;
  signal?: AbortSignal;
}

type StartedChild = ChildHandle & { spawnError: Promise<Error | undefined> };

/**
 * Starts a program. execa is loaded on first use (most stage runs start none): until it is, the
 * handle's pid is -1 and the program starts as soon as it is loaded; stop() and the abort signal
 * work either way.
 */
export function startChild(file: string, args: readonly string[], opts: StartOptions): StartedChild {
  if (execaFn) return startLoaded(file, args, opts);
  let started: StartedChild | undefined;
  let stopRequested = false;
  const ready = loadExeca().then(() => {
    started = startLoaded(file, args, opts);
    if (stopRequested) void started.stop();
    return started;
  });
  return {
    get pid() {
      return started?.pid ?? -1;
    },
    exited: ready.then((h) => h.exited),
    stop: () => {
      stopRequested = true;
      return ready.then((h) => h.stop());
    },
    spawnError: ready.then((h) => h.spawnError),
  };
}

function startLoaded(file: string, args: readonly string[], opts: StartOptions): StartedChild {
  const env: Record<string, string> = { ...opts.baseEnv };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child = execaFn!(file, [...args], {
    cwd: opts.cwd,
    env,
    extendEnv: false,
    detached: true,
    cleanup: false,
    reject: false,
    buffer: false,
    stdin: opts.input !== undefined ? 'pipe' : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    windowsHide: true,
  });
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  const pid = child.pid ?? -1;
  for (const [stream, name] of [
    [child.stdout, 'stdout'],
    [child.stderr, 'stderr'],
  ] as const) {
    if (!stream) continue;
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (line) => {
      opts.log(line);
      opts.onLine?.(line, name);
    });
  }
  let stopping: Promise<void> | undefined;
  const exited = child.then((r) => {
    // Whatever the leader left behind in its group goes with it.
    if (pid > 0) killGroup(pid, 'SIGKILL');
    if (pid > 0) opts.registry.remove(pid);
    return { exitCode: r.exitCode ?? null, signal: r.signal ?? null, error: r.failed && r.exitCode === undefined && !r.signal ? r : undefined };
  });
  const stop = (): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (pid <= 0) return;
      killGroup(pid, 'SIGTERM');
      const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), GRACE_MS))]);
      if (!done || groupAlive(pid)) killGroup(pid, 'SIGKILL');
      await exited;
    })();
    return stopping;
  };
  if (pid > 0) opts.registry.add(pid, stop);
  if (opts.signal) {
    if (opts.signal.aborted) void stop();
    else opts.signal.addEventListener('abort', () => void stop(), { once: true });
  }
  return {
    pid,
    exited: exited.then(({ exitCode, signal }) => ({ exitCode, signal })),
    stop,
    spawnError: exited.then((r) => (r.error ? new Error(r.error.originalMessage || r.error.shortMessage) : undefined)),
  };
}

/** Runs a program to completion; rejects with a StageError on a non-zero exit (unless allowed). */
export async function runChild(file: string, args: readonly string[], opts: StartOptions & { allowFailure?: boolean }): Promise<{ exitCode: number }> {
  const h = startChild(file, args, opts);
  const [{ exitCode, signal }, spawnError] = await Promise.all([h.exited, h.spawnError]);
  if (spawnError) {
    const notFound = /ENOENT/.test(spawnError.message);
    throw new StageError(notFound ? `cannot run '${file}': command not found (is it installed and on PATH?)` : `cannot run '${file}': ${spawnError.message}`);
  }
  if (opts.signal?.aborted) throw new StageError(`'${file}' was interrupted`);
  if (exitCode !== 0 && !opts.allowFailure) {
    throw new StageError(`'${[file, ...args].join(' ')}' ${signal ? `was killed by ${signal}` : `exited with code ${exitCode}`}`);
  }
  return { exitCode: exitCode ?? -1 };
}
