// A real `pipeline watch --json` child process for the watch tests: its stdout parsed into events
// (zod-checked), polling for the next event, and a stop that always leaves no process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { processGone } from '../helpers/processes.js';
import { z } from 'zod';
import { BIN } from '../helpers/workspace.js';

const changeSchema = z.object({ path: z.string(), kind: z.enum(['added', 'changed', 'removed']) }).strict();

const stageSchema = z.looseObject({
  name: z.string(),
  status: z.enum(['ran', 'fresh', 'restored', 'skipped', 'failed', 'blocked']),
  reason: z.string().optional(),
  ms: z.number().optional(),
});

export const watchEventSchema = z.discriminatedUnion('event', [
  z.looseObject({ event: z.literal('watching'), targets: z.array(z.string()), paths: z.array(z.string()) }),
  z.looseObject({
    event: z.literal('build'),
    n: z.number().int().positive(),
    changed: z.array(changeSchema),
    ok: z.boolean(),
    ms: z.number(),
    stages: z.array(stageSchema),
  }),
  z.looseObject({ event: z.literal('config-error'), error: z.string() }),
  z.looseObject({ event: z.literal('error'), error: z.string() }),
  z.looseObject({ event: z.literal('watch-error'), error: z.string() }),
  z.looseObject({ event: z.literal('waiting') }),
]);

export type WatchEvent = z.infer<typeof watchEventSchema>;
export type BuildEvent = Extract<WatchEvent, { event: 'build' }>;
export type ConfigErrorEvent = Extract<WatchEvent, { event: 'config-error' }>;

export interface Watcher {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every event so far, in order. */
  events(): WatchEvent[];
  builds(): BuildEvent[];
  stdout(): string;
  stderr(): string;
  /** Polls until an event at index ≥ `from` matches; returns it. Fails on a non-JSON line or an early exit. */
  waitForEvent<T extends WatchEvent>(match: (e: WatchEvent) => e is T, what: string, opts?: { from?: number; timeoutMs?: number }): Promise<T>;
  waitForEvent(match: (e: WatchEvent) => boolean, what: string, opts?: { from?: number; timeoutMs?: number }): Promise<WatchEvent>;
  /** The build event number `n`. */
  waitForBuild(n: number, timeoutMs?: number): Promise<BuildEvent>;
  /** Resolves with the exit code / signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGINT, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<Watcher>();

/**
 * Starts `pipeline watch --json …args` in `ws` (deterministic env: no inherited cache dir or GPUs).
 * With `json: false` it runs without --json: stdout() holds the text lines, events() stays empty.
 */
export function startWatch(ws: string, args: string[] = [], opts: { env?: Record<string, string | undefined>; json?: boolean } = {}): Watcher {
  const json = opts.json ?? true;
  const full: Record<string, string> = {};
  const merged = { ...process.env, CI: 'true', NO_COLOR: '1', PIPELINE_CACHE_DIR: undefined, CUDA_VISIBLE_DEVICES: undefined, ...opts.env };
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) full[k] = v;
  const child = spawn(process.execPath, [BIN, 'watch', ...(json ? ['--json'] : []), ...args], { cwd: ws, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('could not start pipeline watch');
  let out = '';
  let err = '';
  let buffered = '';
  const events: WatchEvent[] = [];
  const bad: string[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    const text = d.toString();
    out += text;
    buffered += text;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === '' || !json) continue;
      try {
        const parsed = watchEventSchema.safeParse(JSON.parse(line));
        if (parsed.success) events.push(parsed.data);
        else bad.push(`${line}\n  (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
      } catch {
        bad.push(line);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(watcher);
      resolve(exitInfo);
    });
  });
  const context = () => `\n--- stdout ---\n${out}\n--- stderr ---\n${err}`;

  const waitForEvent = async (match: (e: WatchEvent) => boolean, what: string, opts: { from?: number; timeoutMs?: number } = {}) => {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      if (bad.length) throw new Error(`watch printed a line that is not a known JSON event: ${bad[0]}${context()}`);
      const hit = events.slice(opts.from ?? 0).find(match);
      if (hit) return hit;
      if (exitInfo) throw new Error(`watch exited (${exitInfo.code ?? exitInfo.signal}) while waiting for ${what}${context()}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const watcher: Watcher = {
    child,
    pid: child.pid,
    events: () => [...events],
    builds: () => events.filter((e): e is BuildEvent => e.event === 'build'),
    stdout: () => out,
    stderr: () => err,
    waitForEvent: waitForEvent as Watcher['waitForEvent'],
    waitForBuild: (n, timeoutMs) => waitForEvent((e) => e.event === 'build' && e.n === n, `build #${n}`, { timeoutMs }) as Promise<BuildEvent>,
    exited,
    async stop(graceMs = 15_000) {
      if (exitInfo) return exitInfo;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const res = await exited;
      clearTimeout(timer);
      return res;
    },
  };
  live.add(watcher);
  return watcher;
}

/** Kills every watcher still running (call from afterEach): SIGKILL, then waits for the exit. */
export async function killAllWatchers(): Promise<void> {
  const all = [...live];
  for (const w of all) w.child.kill('SIGKILL');
  await Promise.all(all.map((w) => w.exited));
}

/** Polls `cond` every 20 ms; fails with `what` after the timeout. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** name → status of a build event. */
export function statuses(b: BuildEvent): Record<string, string> {
  return Object.fromEntries(b.stages.map((s) => [s.name, s.status]));
}

/** The changes of a build as sorted `kind path` strings. */
export function changeList(b: BuildEvent): string[] {
  return b.changed.map((c) => `${c.kind} ${c.path}`).sort();
}

export { processGone };
