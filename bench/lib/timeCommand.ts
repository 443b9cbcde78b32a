// Wall time (and, where GNU time is installed, peak RSS) of one child process run.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CommandSpec {
  file: string;
  args: readonly string[];
  cwd: string;
  /** Full environment of the child (not merged with process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface TimedRun {
  /** Wall time from spawn to exit, in milliseconds. */
  ms: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /**
   * Peak resident set size in KiB of the child or any of its descendants (wait4's ru_maxrss, as
   * reported by GNU time); undefined when GNU time is unavailable.
   */
  peakRssKiB?: number;
  /** User + system CPU seconds of the child and its waited-for descendants (GNU time only). */
  cpuSeconds?: number;
}

const GNU_TIME = '/usr/bin/time';

/** Process groups and temp dirs of the runs in flight, so an interrupted benchmark can end them. */
const liveGroups = new Set<number>();
const liveTempDirs = new Set<string>();

/**
 * Sends `signal` to the whole process tree of every run in flight (each runs in its own process
 * group) and removes their temp files. For a SIGINT/SIGTERM handler: synchronous.
 */
export function endRunsInFlight(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      /* already gone */
    }
  }
  for (const dir of liveTempDirs) rmSync(dir, { recursive: true, force: true });
}
let gnuTimeProbe: Promise<boolean> | undefined;

/** Whether /usr/bin/time is GNU time (supports `-f %M -o FILE`). Probed once. */
export function hasGnuTime(): Promise<boolean> {
  gnuTimeProbe ??= new Promise((resolve) => {
    const child = spawn(GNU_TIME, ['-f', '%M', '-o', '/dev/null', 'true'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
  return gnuTimeProbe;
}

function cleanEnv(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Runs `spec` once with stdout/stderr captured (never a TTY) and measures its wall time. With
 * `resources`, the command is wrapped in GNU time when available (peak RSS and CPU time); its own cost (one fork/exec, about
 * a millisecond) is included in the wall time, equally for every tool.
 */
export async function timeCommand(spec: CommandSpec, opts: { resources?: boolean; timeoutMs?: number } = {}): Promise<TimedRun> {
  const useTime = opts.resources === true && (await hasGnuTime());
  const rssDir = useTime ? await mkdtemp(join(tmpdir(), 'bench-rss-')) : undefined;
  if (rssDir) liveTempDirs.add(rssDir);
  const rssFile = rssDir ? join(rssDir, 'rss') : undefined;
  const [file, args] = rssFile ? [GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, spec.file, ...spec.args]] : [spec.file, [...spec.args]];
  try {
    const run = await new Promise<Omit<TimedRun, 'peakRssKiB' | 'cpuSeconds'>>((resolve, reject) => {
      const started = process.hrtime.bigint();
      let ended: bigint | undefined;
      const child = spawn(file, args, {
        cwd: spec.cwd,
        env: cleanEnv(spec.env ?? process.env),
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so the whole tree (make → sh → sha256sum) can be ended at once.
        detached: true,
      });
      const pgid = child.pid;
      if (pgid !== undefined) liveGroups.add(pgid);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      const timer =
        opts.timeoutMs !== undefined
          ? setTimeout(() => {
              if (pgid !== undefined) process.kill(-pgid, 'SIGKILL');
            }, opts.timeoutMs)
          : undefined;
      child.on('error', (e) => {
        if (pgid !== undefined) liveGroups.delete(pgid);
        if (timer) clearTimeout(timer);
        reject(e);
      });
      child.on('exit', () => {
        ended = process.hrtime.bigint();
      });
      child.on('close', (exitCode, signal) => {
        if (pgid !== undefined) liveGroups.delete(pgid);
        if (timer) clearTimeout(timer);
        const stop = ended ?? process.hrtime.bigint();
        resolve({
          ms: Number(stop - started) / 1e6,
          exitCode,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
    });
    if (!rssFile) return run;
    // GNU time writes `Command exited with non-zero status N` (or `…terminated by signal…`) first
    // when applicable; the format line is always last.
    const text = await readFile(rssFile, 'utf8').catch(() => '');
    const [rss, user, sys] = (text.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    const measured: TimedRun = { ...run };
    if (rss !== undefined && Number.isFinite(rss)) measured.peakRssKiB = rss;
    if (user !== undefined && sys !== undefined && Number.isFinite(user) && Number.isFinite(sys)) measured.cpuSeconds = user + sys;
    return measured;
  } finally {
    if (rssDir) {
      liveTempDirs.delete(rssDir);
      await rm(rssDir, { recursive: true, force: true });
    }
  }
}

/** A one-line description of a failed run for an error message: exit status and output tail. */
export function describeFailure(spec: CommandSpec, run: TimedRun, tailLines = 20): string {
  const status = run.signal ? `signal ${run.signal}` : `exit code ${run.exitCode}`;
  const tail = `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-tailLines).join('\n');
  return `\`${[spec.file, ...spec.args].join(' ')}\` (in ${spec.cwd}) ended with ${status}${tail ? `:\n${tail}` : ''}`;
}
