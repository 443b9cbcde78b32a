// Per-workspace bookkeeping under .pipeline/: the last successful run record of each stage
// (what "fresh" is measured against), the stat cache, staging, trash and the lock.
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomicWrite.js';
import { formatRecord, readRecordFile, type RunRecord } from './runRecord.js';

export class WorkspaceDirs {
  readonly root: string;
  constructor(readonly workspace: string) {
    this.root = join(workspace, '.pipeline');
  }
  get statCacheFile(): string {
    return join(this.root, 'statcache.json');
  }
  get lockFile(): string {
    return join(this.root, 'lock');
  }
  get stagingRoot(): string {
    return join(this.root, 'staging');
  }
  get trashRoot(): string {
    return join(this.root, 'trash');
  }
  stateFile(stage: string): string {
    return join(this.root, 'state', `${stage}.json`);
  }

  /** The last run's record; undefined (with one warning) when it is damaged or not this stage's. */
  async readState(stage: string): Promise<RunRecord | undefined> {
    return readRecordFile(this.stateFile(stage), stage);
  }

  /** The deps of the last successful run, kept apart: only needed to explain a stale stage. */
  async readStateDeps(stage: string): Promise<RecordedDeps | undefined> {
    for (const file of [this.depsFile(stage), this.legacyDepsFile(stage)]) {
      try {
        return RecordedDeps.parse(await readFile(file, 'utf8'));
      } catch {
        /* missing or damaged: try the next */
      }
    }
    return undefined;
  }

  private depsFile(stage: string): string {
    return this.stateFile(stage).replace(/\.json$/, '.deps');
  }

  /** Where earlier versions kept them (JSON). */
  private legacyDepsFile(stage: string): string {
    return this.stateFile(stage).replace(/\.json$/, '.deps.json');
  }

  async writeState(rec: RunRecord, deps: Array<[string, string]>): Promise<void> {
    await writeFileAtomic(this.depsFile(rec.stage), RecordedDeps.format(deps), { root: this.workspace });
    rmSync(this.legacyDepsFile(rec.stage), { force: true });
    await writeFileAtomic(this.stateFile(rec.stage), formatRecord(rec), { root: this.workspace });
  }
}

/**
 * A run's deps as written to `.pipeline/state/<stage>.deps`, in a form that is cheap to read back
 * for thousands of files: a header line, every hash back to back on one line (fixed width), then
 * one path per line. Comparing a hash is a substring check, not a string per entry. (Paths with a
 * newline, or hashes of another width, are written as JSON instead.)
 */
export class RecordedDeps {
  private constructor(
    private readonly paths: readonly string[],
    private readonly hashes: string,
    private readonly width: number,
    private readonly list?: ReadonlyArray<readonly [string, string]>,
  ) {}

  get length(): number {
    return this.paths.length;
  }

  path(i: number): string {
    return this.paths[i]!;
  }

  hashIs(i: number, hash: string): boolean {
    return this.list ? this.list[i]![1] === hash : hash.length === this.width && this.hashes.startsWith(hash, i * this.width);
  }

  static format(deps: ReadonlyArray<readonly [string, string]>): string {
    const width = deps[0]?.[1].length ?? 64;
    if (deps.some(([p, h]) => p.includes('\n') || h.length !== width)) return JSON.stringify(deps);
    return `${JSON.stringify({ v: 2, n: deps.length, width })}\n${deps.map((d) => d[1]).join('')}\n${deps.map((d) => d[0]).join('\n')}`;
  }

  static parse(text: string): RecordedDeps {
    if (text.startsWith('[')) {
      // JSON: [[path, hash], …] (also what earlier versions wrote).
      const list = JSON.parse(text) as Array<[string, string]>;
      return new RecordedDeps(
        list.map((d) => d[0]),
        '',
        0,
        list,
      );
    }
    const a = text.indexOf('\n');
    const b = text.indexOf('\n', a + 1);
    const head = JSON.parse(text.slice(0, a)) as { v: number; n: number; width: number };
    const paths = head.n === 0 ? [] : text.slice(b + 1).split('\n');
    if (head.v !== 2 || paths.length !== head.n || b - a - 1 !== head.n * head.width) throw new Error('damaged deps record');
    return new RecordedDeps(paths, text.slice(a + 1, b), head.width);
  }
}
