// Shared bits of the fault-injection suite: a seeded random source, running the real CLI, the
// checks every trial makes (exit code in the contract, no stack trace, nothing written beside the
// workspace) and the result each part reports.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { BIN } from '../test/helpers/workspace.js';

export { BIN };

/** mulberry32: small, fast, reproducible from one 32-bit seed. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
  };
}
export interface Rng {
  next(): number;
  /** Inclusive bounds. */
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
}

export interface PartResult {
  part: string;
  trials: number;
  ok: number;
  /** Up to a few descriptions of failed trials (with the seed that reproduces them). */
  failures: string[];
  notes: string;
}

export function result(part: string): PartResult & { fail(msg: string): void; pass(): void } {
  const r: PartResult & { fail(msg: string): void; pass(): void } = {
    part,
    trials: 0,
    ok: 0,
    failures: [],
    notes: '',
    fail(msg) {
      this.trials++;
      if (this.failures.length < 5) this.failures.push(msg);
    },
    pass() {
      this.trials++;
      this.ok++;
    },
  };
  return r;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; `kill` ends it (SIGKILL by default); `done` resolves when it exited. */
export function start(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): { pid: number; done: Promise<Run>; kill(sig?: NodeJS.Signals): void; stderr(): string } {
  const full = { ...process.env, CI: 'true', NO_COLOR: '1', ...env } as Record<string, string | undefined>;
  delete full.PIPELINE_CACHE_DIR;
  delete full.CUDA_VISIBLE_DEVICES;
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: full as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<Run>((res) => child.on('close', (code, signal) => res({ code, signal, stdout: out, stderr: err })));
  return { pid: child.pid!, done, kill: (sig = 'SIGKILL') => child.kill(sig), stderr: () => err };
}

export function cli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return start(cwd, args, env).done;
}

export const STACK = /^\s+at .*(:\d+:\d+\)?|<anonymous>\)?)$/m;

/** What is wrong with a finished run's contract: exit code and stack traces ('' when fine). */
export function contractProblem(r: Run): string {
  if (r.signal) return `ended by ${r.signal}`;
  if (![0, 1, 2, 130].includes(r.code ?? -1)) return `exit ${r.code}`;
  if (STACK.test(r.stderr) || STACK.test(r.stdout)) return `stack trace: ${r.stderr.split('\n').slice(0, 3).join(' | ')}`;
  if (/internal error/.test(r.stderr + r.stdout)) return `internal error: ${(r.stderr + r.stdout).match(/internal error.*/)?.[0]}`;
  return '';
}

/** Statuses from the `--json` summary line (undefined when there is none). */
export function statuses(stdout: string): Record<string, string> | undefined {
  const last = stdout.trim().split('\n').at(-1);
  try {
    const s = JSON.parse(last ?? '') as { event?: string; stages?: Array<{ name: string; status: string }> };
    return s.event === 'summary' ? Object.fromEntries((s.stages ?? []).map((x) => [x.name, x.status])) : undefined;
  } catch {
    return undefined;
  }
}

/** path → sha256 of every file below `dir` (skipping `skip` prefixes), for comparing outputs. */
export async function snapshot(dir: string, paths: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (p: string) => {
    const st = await stat(p).catch(() => undefined);
    if (!st) return;
    if (st.isDirectory()) for (const e of (await readdir(p)).sort()) await walk(join(p, e));
    else
      out[relative(dir, p)] = createHash('sha256')
        .update(await readFile(p))
        .digest('hex')
        .slice(0, 16);
  };
  for (const p of paths) await walk(join(dir, p));
  return out;
}

export function sameSnapshot(a: Record<string, string>, b: Record<string, string>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const diff = keys.filter((k) => a[k] !== b[k]);
  return diff.length ? `outputs differ: ${diff.slice(0, 4).join(', ')}` : '';
}

/** A directory beside the workspace holding one file: nothing the pipeline does may change it. */
export async function makeSentinel(ws: string): Promise<string> {
  const dir = join(dirname(ws), `${basename(ws)}-sentinel`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'keep.txt'), 'keep\n');
  return dir;
}

export async function sentinelProblem(dir: string): Promise<string> {
  const names = await readdir(dir).catch(() => ['(gone)']);
  if (names.length !== 1 || names[0] !== 'keep.txt') return `wrote beside the workspace: ${names.join(', ')}`;
  if ((await readFile(join(dir, 'keep.txt'), 'utf8')) !== 'keep\n') return 'changed a file beside the workspace';
  return '';
}

export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
