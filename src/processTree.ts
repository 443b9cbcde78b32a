// External programs, the one way the engine starts and ends them: execa with an argument array
// (never a shell string), each program the leader of its own process group, so that the whole
// tree — children and grandchildren — is ended together by signalling the group:
//  - stop() (abort, a stage's end): SIGTERM to the group, SIGKILL after a grace period;
//  - the leader's exit: what it left in its group is killed after a short grace, even if a
//    leftover still holds the output pipes; reading output never holds up completion.
// Stages get this through StageContext.exec/spawn, commands through CommandContext.exec.
import { createInterface } from 'node:readline';
import type { ResultPromise } from 'execa';
import type { ChildHandle, ExecOptions } from './api.js';
import { StageError } from './api.js';

let execa: typeof import('execa').execa | undefined;

/**
 * Loads execa: before the first program starts (runChild and runAttached do it; the runner before a
 * stage's run, for ctx.spawn). A run with nothing to do never parses its ~180 KB.
 */
export async function loadProcessSupport(): Promise<void> {
  execa ??= (await import('execa')).execa;
}

/** SIGTERM → SIGKILL when a tree is stopped. */
const STOP_GRACE_MS = 5000;
/** After the leader exited: how long its output may keep flowing before the group is ended. */
export const LEFTOVER_GRACE_MS = 1000;
/** After the group was killed: how long to wait for the pipes to close before dropping them. */
const PIPE_DRAIN_MS = 500;

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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

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
  /** Each output line (stage log); absent with `terminal`. */
  log?: (line: string) => void;
  signal?: AbortSignal;
  /**
   * Attached to this terminal: output goes straight to this process's stdout/stderr and this
   * process's stdin is passed on (the program is in its own process group, so it is handed over
   * through a pipe rather than as the terminal itself).
   */
  terminal?: boolean;
}

export type StartedChild = ChildHandle & {
  /** Why the program could not be started (e.g. not found), once known. */
  spawnError: Promise<Error | undefined>;
  /** Sends a signal to the child's whole group (a forwarded Ctrl-C). */
  signal(sig: NodeJS.Signals): void;
};

/** Waits until no process of the group is left, up to `ms`; true when none is. */
async function groupExits(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (groupAlive(pid)) {
    if (Date.now() >= end) return false;
    // A ref'd timer: this wait may be all that keeps the process alive.
    await new Promise<void>((r) => setTimeout(r, 20));
  }
  return true;
}

type Exit = { exitCode: number | null; signal: string | null; error?: Error };

function envFor(opts: StartOptions): Record<string, string> {
  const env: Record<string, string> = { ...opts.baseEnv };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts a program in its own process group. */
export function startChild(file: string, args: readonly string[], opts: StartOptions): StartedChild {
  const terminal = opts.terminal === true;
  if (!execa) throw new Error('startChild: loadProcessSupport() was not awaited first');
  const child: ResultPromise = execa(file, [...args], {
    cwd: opts.cwd,
    env: envFor(opts),
    extendEnv: false,
    detached: true,
    cleanup: false,
    reject: false,
    buffer: false,
    stdin: terminal || opts.input !== undefined ? 'pipe' : 'ignore',
    stdout: terminal ? 'inherit' : 'pipe',
    stderr: terminal ? 'inherit' : 'pipe',
    windowsHide: true,
  });
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  else if (terminal && child.stdin) {
    child.stdin.on('error', () => {}); // the program may exit before reading everything
    process.stdin.pipe(child.stdin);
  }
  const pid = child.pid;
  const pipes = [child.stdout, child.stderr].filter((s) => s !== null);
  for (const [stream, name] of [
    [child.stdout, 'stdout'],
    [child.stderr, 'stderr'],
  ] as const) {
    if (!stream) continue;
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (line) => {
      opts.log?.(line);
      opts.onLine?.(line, name);
    });
  }

  // execa's own promise settles only once the pipes close, which a leftover grandchild can hold
  // open forever; the leader's 'exit' event is what completion goes by.
  const leaderExit = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ exitCode: code, signal })));
  const settled = child.then(
    (r): Exit => ({
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? null,
      error: r.failed && r.exitCode === undefined && !r.signal ? new Error(r.originalMessage || r.shortMessage) : undefined,
    }),
    (err: Error): Exit => ({ exitCode: null, signal: null, error: err }),
  );
  const pipesClosed = settled.then(() => undefined);
  let signalled = false;
  const afterLeader = leaderExit.then(async (e) => {
    if (pid === undefined) return e;
    const closed = await Promise.race([pipesClosed.then(() => true), sleep(LEFTOVER_GRACE_MS).then(() => false)]);
    // The group was signalled (a stop, a forwarded Ctrl-C) and the leader went first: the others
    // got the same signal and are given a short grace to finish their handlers (a server's
    // "closing" line) before the SIGKILL.
    if (signalled) await groupExits(pid, LEFTOVER_GRACE_MS);
    // Whatever the leader left behind in its group goes with it.
    killGroup(pid, 'SIGKILL');
    if (!closed) {
      const drained = await Promise.race([pipesClosed.then(() => true), sleep(PIPE_DRAIN_MS).then(() => false)]);
      // Held by a process that left the group (setsid): stop reading rather than wait for it.
      if (!drained) for (const p of pipes) p.destroy();
    }
    return e;
  });
  const exited: Promise<Exit> = Promise.race([afterLeader, settled.then((s) => (s.error ? s : afterLeader))]).then((e) => {
    if (terminal && child.stdin) {
      process.stdin.unpipe(child.stdin);
      process.stdin.pause();
    }
    if (pid !== undefined) opts.registry.remove(pid);
    return e;
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (pid === undefined) return;
      signalled = true;
      killGroup(pid, 'SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
      if (!done || groupAlive(pid)) killGroup(pid, 'SIGKILL');
      await exited;
    })());
  if (pid !== undefined) opts.registry.add(pid, stop);
  if (opts.signal) {
    if (opts.signal.aborted) void stop();
    else opts.signal.addEventListener('abort', () => void stop(), { once: true });
  }
  return {
    pid: pid ?? -1,
    exited: exited.then(({ exitCode, signal }) => ({ exitCode, signal })),
    stop,
    spawnError: exited.then((r) => r.error),
    signal(sig) {
      if (pid === undefined) return;
      signalled = true;
      killGroup(pid, sig);
    },
  };
}

/** Runs a program to completion; rejects with a StageError on a non-zero exit (unless allowed). */
export async function runChild(file: string, args: readonly string[], opts: StartOptions & { allowFailure?: boolean }): Promise<{ exitCode: number }> {
  await loadProcessSupport();
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

/**
 * Runs a program attached to the terminal for a command (`pipeline chat`): SIGINT or SIGTERM to
 * this process is passed to the program's whole process group (a terminal's Ctrl-C reaches only
 * this process, the program being in a group of its own), and nothing of its tree outlives it.
 * Resolves with its exit code, 130 when interrupted.
 */
export async function runAttached(file: string, args: readonly string[], opts: Omit<StartOptions, 'terminal' | 'log' | 'registry'>): Promise<number> {
  await loadProcessSupport();
  const registry = new ChildRegistry();
  const h = startChild(file, args, { ...opts, registry, terminal: true });
  let signalled = false;
  const forward = (sig: NodeJS.Signals) => (): void => {
    signalled = true;
    h.signal(sig);
    // A program that ignores the signal is stopped like any other tree.
    setTimeout(() => void h.stop(), STOP_GRACE_MS).unref();
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const [{ exitCode }, spawnError] = await Promise.all([h.exited, h.spawnError]);
    if (spawnError) throw new StageError(`cannot run '${file}': ${spawnError.message}`);
    return signalled ? 130 : (exitCode ?? 1);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
