// The no-op fast path. After a successful run the engine records the stat (size, mtime, ctime,
// inode) of everything that decided it — config, the DAG's source files, every dep file and
// directory, code files, outs, shared files — plus each stage's outcome. The next `run` with the
// same arguments first stats those paths: if none changed (and none was modified within a second
// of the snapshot: git's racy guard), every stage is still fresh and the run ends there, without
// loading the DAG, parsing the config or reading any file. Anything else takes the full path.
import { readFileSync, statSync } from 'node:fs';
import type { StatLike } from './fileStat.js';
import { join } from 'node:path';
import { writeFileAtomic } from './atomicWrite.js';
import type { StageOutcome } from './events.js';

const VERSION = 2;
const RACY_MARGIN_MS = 1000;

/** [size, mtimeMs, ctimeMs, ino] for files; [-1, mtimeMs, ctimeMs, ino] for directories. */
type Tuple = [number, number, number, number];

interface SnapshotFile {
  v: number;
  argsKey: string;
  savedAtMs: number;
  /** Flat: path, size (-1 for a directory), mtimeMs, ctimeMs, ino, path, … (fastest to parse). */
  paths: Array<string | number>;
  outcomes: Array<Pick<StageOutcome, 'name' | 'status' | 'reason' | 'key'>>;
}

function tuple(st: StatLike): Tuple {
  return [st.isDirectory() ? -1 : st.size, st.mtimeMs, st.ctimeMs, st.ino];
}

export function snapshotFile(workspace: string): string {
  return join(workspace, '.pipeline', 'noop.json');
}

export function argsKey(parts: Record<string, unknown>): string {
  return JSON.stringify(parts);
}

export class SnapshotBuilder {
  private readonly paths: Record<string, Tuple> = Object.create(null) as Record<string, Tuple>;
  private ok = true;

  constructor(private readonly workspace: string) {}

  add(path: string, st: StatLike): void {
    this.paths[path] = tuple(st);
  }

  /** Stats a path now (it must exist); a missing one disables the snapshot. */
  addPath(path: string): void {
    const st = statSync(path.startsWith('/') ? path : `${this.workspace}/${path}`, { throwIfNoEntry: false });
    if (st) this.add(path, st);
    else this.ok = false;
  }

  disable(): void {
    this.ok = false;
  }

  async write(key: string, outcomes: StageOutcome[]): Promise<void> {
    const file = snapshotFile(this.workspace);
    if (!this.ok) {
      await writeFileAtomic(file, '{}');
      return;
    }
    const data: SnapshotFile = {
      v: VERSION,
      argsKey: key,
      savedAtMs: Date.now(),
      // Directories first: a file added or removed changes its directory, and the check stops at
      // the first difference instead of stat'ing thousands of unchanged files before it.
      paths: [...Object.entries(this.paths).filter(([, t]) => t[0] < 0), ...Object.entries(this.paths).filter(([, t]) => t[0] >= 0)].flatMap(([p, t]) => [p, ...t]),
      outcomes: outcomes.map((o) => ({
        name: o.name,
        status: o.status === 'skipped' ? 'skipped' : 'fresh',
        reason: o.status === 'skipped' ? o.reason : 'up to date',
        ...(o.key ? { key: o.key } : {}),
      })),
    };
    await writeFileAtomic(file, JSON.stringify(data));
  }
}

/** The outcomes of the recorded run when nothing it depended on changed; else undefined. */
export function checkSnapshot(workspace: string, key: string): SnapshotFile['outcomes'] | undefined {
  let data: SnapshotFile;
  try {
    data = JSON.parse(readFileSync(snapshotFile(workspace), 'utf8')) as SnapshotFile;
  } catch {
    return undefined;
  }
  if (data.v !== VERSION || data.argsKey !== key) return undefined;
  const limit = data.savedAtMs - RACY_MARGIN_MS;
  const prefix = `${workspace}/`;
  const a = data.paths;
  for (let i = 0; i + 4 < a.length; i += 5) {
    const p = a[i] as string;
    const size = a[i + 1] as number;
    const mtime = a[i + 2] as number;
    // Racy: modified so close to the snapshot that a later change could keep the same mtime.
    if (mtime >= limit) return undefined;
    const st = statSync(p.charCodeAt(0) === 47 ? p : prefix + p, { throwIfNoEntry: false });
    if (!st || st.mtimeMs !== mtime || st.ctimeMs !== a[i + 3] || st.ino !== a[i + 4] || (size >= 0 ? st.size !== size : !st.isDirectory())) {
      return undefined;
    }
  }
  return data.outcomes;
}
