// One run at a time per workspace. The lock file names its holder — PID, the process's start time
// (field 22 of /proc/<pid>/stat) and the boot id, so a reused PID or a reboot cannot pass for it —
// plus its command and the process groups of the children it started. A lock whose holder does not
// match all three is stale and is recovered (the dead holder's orphaned children are ended, so no
// trainer keeps a GPU busy); a lock file that does not parse is stale after a short grace.
import { existsSync, linkSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { z } from 'zod';
import { UsageError, UserError } from './api.js';
import { writeFileAtomicSync } from './atomicWrite.js';
import { warnState } from './runRecord.js';

const lockSchema = z.object({
  pid: z.number().int().positive(),
  /** Clock ticks since boot when the process started; '' where there is no /proc. */
  startTime: z.string(),
  bootId: z.string(),
  host: z.string(),
  command: z.string(),
  startedAt: z.string(),
  runId: z.string().regex(/^[0-9a-f]{1,64}$/),
  children: z.array(z.number().int().positive()),
});

export type LockInfo = z.infer<typeof lockSchema>;

/** How long a lock file that does not parse is given to become valid (its writer's window). */
const GRACE_MS = 2000;
/** How often `--wait` says whom it is waiting for. */
export const WAIT_REPORT_MS = 30_000;

/** Field 22 of /proc/<pid>/stat (after the parenthesized command, which may hold spaces). */
export function processStartTime(pid: number): string | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the process that wrote `info` still runs: same host, boot, PID and start time. */
export function holderAlive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true; // cannot tell: another machine's run
  const boot = bootId();
  if (info.bootId !== boot) return false;
  if (boot === '') return pidAlive(info.pid); // no /proc: the PID is all there is
  const start = processStartTime(info.pid);
  return start !== undefined && start === info.startTime;
}

/** True when process `pid` carries PIPELINE_RUN_ID=runId in its environment (Linux /proc). */
function belongsToRun(pid: number, runId: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`PIPELINE_RUN_ID=${runId}`);
  } catch {
    return false;
  }
}

export function describeHolder(info: LockInfo): string {
  return `pid ${info.pid} on ${info.host} (\`${info.command}\`, started ${info.startedAt})`;
}

/** `90`, `90s`, `5m`, `2h` → milliseconds (for --wait-timeout). */
export function parseDuration(v: string, flag = '--wait-timeout'): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(v.trim());
  if (!m) throw new UsageError(`${flag} expects a duration such as 90, 90s, 5m or 2h, got '${v}'`);
  return Math.round(Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h']);
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

export interface AcquireOptions {
  wait: boolean;
  /** Give up after this long (ms) when waiting; undefined: wait as long as it takes. */
  timeoutMs?: number;
  /** Called when waiting starts and every WAIT_REPORT_MS after, with the time waited so far. */
  onWait?: (holder: LockInfo, waitedMs: number) => void;
  signal?: AbortSignal;
  /** For tests: the reporting interval. */
  reportEveryMs?: number;
}

export class WorkspaceLock {
  private info: LockInfo | undefined;

  constructor(readonly file: string) {}

  async acquire(command: string, runId: string, opts: AcquireOptions): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const info: LockInfo = {
      pid: process.pid,
      startTime: processStartTime(process.pid) ?? '',
      bootId: bootId(),
      host: hostname(),
      command,
      startedAt: new Date().toISOString(),
      runId,
      children: [],
    };
    const t0 = Date.now();
    let nextReport = 0;
    const every = opts.reportEveryMs ?? WAIT_REPORT_MS;
    for (;;) {
      if (this.tryCreate(info)) {
        this.info = info;
        return;
      }
      const read = this.read();
      if (read === 'missing') continue;
      if (read === 'unparsable' || !holderAlive(read.info)) {
        const age = read === 'unparsable' ? this.ageMs() : Infinity;
        if (age >= GRACE_MS) {
          this.recover(read === 'unparsable' ? undefined : read.info, read === 'unparsable' ? undefined : read.text);
          continue;
        }
      } else {
        const holder = read.info;
        if (!opts.wait) {
          throw new UserError(
            `the workspace is locked by another pipeline run: ${describeHolder(holder)}.\nWait for it to finish, or pass --wait to queue behind it.`,
          );
        }
        const waited = Date.now() - t0;
        if (opts.timeoutMs !== undefined && waited >= opts.timeoutMs) {
          throw new UserError(`gave up waiting for the workspace lock after ${seconds(waited)} (--wait-timeout): it is held by ${describeHolder(holder)}`);
        }
        if (nextReport === 0 || waited >= nextReport) {
          opts.onWait?.(holder, nextReport === 0 ? 0 : waited);
          nextReport = waited + every;
        }
      }
      if (opts.signal?.aborted) throw new UserError('interrupted while waiting for the workspace lock', 130);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Creates the lock with its full content in one step (link of a complete temp file): no empty window. */
  private tryCreate(info: LockInfo): boolean {
    const tmp = `${this.file}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
    writeFileAtomicSync(tmp, JSON.stringify(info));
    try {
      linkSync(tmp, this.file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return false;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  private read(): 'missing' | 'unparsable' | { info: LockInfo; text: string } {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unparsable';
    }
    try {
      const parsed = lockSchema.safeParse(JSON.parse(text));
      return parsed.success ? { info: parsed.data, text } : 'unparsable';
    } catch {
      return 'unparsable';
    }
  }

  private ageMs(): number {
    try {
      return Date.now() - statSync(this.file).mtimeMs;
    } catch {
      return Infinity;
    }
  }

  /**
   * Removes a stale lock. It is first renamed aside, so that of two runs recovering at once only
   * one removes it; when what was moved is no longer the lock judged stale (another run took the
   * lock meanwhile), it is put back.
   */
  private recover(stale: LockInfo | undefined, text: string | undefined): void {
    const aside = `${this.file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(this.file, aside);
    } catch {
      return; // someone else moved it first
    }
    let moved = '';
    try {
      moved = readFileSync(aside, 'utf8');
    } catch {
      /* gone */
    }
    const sameAsJudged = text !== undefined ? moved === text : !this.parses(moved);
    if (!sameAsJudged) {
      try {
        linkSync(aside, this.file);
      } catch {
        /* a newer lock exists: the one moved was stale by then, too */
      }
      rmSync(aside, { force: true });
      return;
    }
    rmSync(aside, { force: true });
    if (stale) {
      killOrphans(stale);
      process.stderr.write(`recovered the workspace lock of a run that is gone (${describeHolder(stale)})\n`);
    } else {
      warnState(this.file, 'the lock file does not parse', 'treated as stale and removed');
    }
  }

  private parses(text: string): boolean {
    try {
      return lockSchema.safeParse(JSON.parse(text)).success;
    } catch {
      return false;
    }
  }

  /** Records a child's process group so a later run can end it if this process dies. */
  addChild(pid: number): void {
    if (!this.info) return;
    this.info.children.push(pid);
    this.flush();
  }

  removeChild(pid: number): void {
    if (!this.info) return;
    this.info.children = this.info.children.filter((p) => p !== pid);
    this.flush();
  }

  private flush(): void {
    if (this.info && existsSync(this.file)) writeFileAtomicSync(this.file, JSON.stringify(this.info));
  }

  async release(): Promise<void> {
    if (!this.info) return;
    const mine = this.info;
    this.info = undefined;
    // Only our own lock: a run that outlived a recovery must not remove its successor's.
    const cur = this.read();
    if (typeof cur === 'object' && cur.info.runId !== mine.runId) return;
    rmSync(this.file, { force: true });
  }
}

/**
 * Ends what a dead run left behind: the process groups it recorded, and — since a child can start
 * before it is recorded — every process whose environment carries the dead run's id.
 */
function killOrphans(holder: LockInfo): void {
  const pids = new Set(holder.children);
  try {
    for (const d of readdirSync('/proc')) if (/^\d+$/.test(d)) pids.add(Number(d));
  } catch {
    /* no /proc: only the recorded groups */
  }
  for (const pid of pids) {
    if (pid === process.pid || !belongsToRun(pid, holder.runId)) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* not a group leader */
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
