// One run at a time per workspace. The lock file names its holder (PID, command, start time) and
// the process groups of the children it started; a lock whose holder is dead is recovered, and the
// dead holder's orphaned children are ended so no trainer keeps a GPU busy.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { UserError } from './api.js';

export interface LockInfo {
  pid: number;
  command: string;
  startedAt: string;
  host: string;
  runId: string;
  children: number[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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

export class WorkspaceLock {
  private info: LockInfo | undefined;

  constructor(readonly file: string) {}

  async acquire(command: string, runId: string, opts: { wait: boolean; onWait?: (holder: LockInfo) => void; signal?: AbortSignal }): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const info: LockInfo = { pid: process.pid, command, startedAt: new Date().toISOString(), host: hostname(), runId, children: [] };
    let announced = false;
    for (;;) {
      try {
        const fh = await open(this.file, 'wx');
        await fh.writeFile(JSON.stringify(info));
        await fh.close();
        this.info = info;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await this.read();
      if (!holder) {
        // Unreadable: just being written by its holder, or garbage left by a crash.
        const age = await stat(this.file).then((s) => Date.now() - s.mtimeMs, () => Infinity);
        if (age < 5000) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        await rm(this.file, { force: true });
        continue;
      }
      if (holder.host === hostname() && !alive(holder.pid)) {
        killOrphans(holder);
        await rm(this.file, { force: true });
        continue;
      }
      if (!opts.wait) {
        throw new UserError(`the workspace is locked by another pipeline run: ${describeHolder(holder)}.\nWait for it to finish, or pass --wait to queue behind it.`);
      }
      if (!announced) {
        opts.onWait?.(holder);
        announced = true;
      }
      if (opts.signal?.aborted) throw new UserError('interrupted while waiting for the workspace lock', 130);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async read(): Promise<LockInfo | undefined> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as LockInfo;
    } catch {
      return undefined;
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
    if (this.info && existsSync(this.file)) writeFileSync(this.file, JSON.stringify(this.info));
  }

  async release(): Promise<void> {
    if (!this.info) return;
    this.info = undefined;
    await rm(this.file, { force: true });
  }
}

/**
 * Ends what a dead run left behind: the process groups it recorded, and — since a child can start
 * before it is recorded — every process whose environment carries the dead run's id.
 */
function killOrphans(holder: LockInfo): void {
  const pids = new Set(holder.children ?? []);
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
