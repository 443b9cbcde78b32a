// Per-workspace bookkeeping under .pipeline/: the last successful run record of each stage
// (what "fresh" is measured against), the stat cache, staging, trash and the lock.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomicWrite.js';
import type { RunRecord } from './runCache.js';

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

  async readState(stage: string): Promise<RunRecord | undefined> {
    try {
      const rec = JSON.parse(await readFile(this.stateFile(stage), 'utf8')) as RunRecord;
      return rec.v === 1 ? rec : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The deps of the last successful run, flat (path, hash, path, hash, …), kept apart: only needed
   * to explain a stale stage.
   */
  async readStateDeps(stage: string): Promise<string[] | undefined> {
    try {
      const data = JSON.parse(await readFile(this.stateFile(stage).replace(/\.json$/, '.deps.json'), 'utf8')) as unknown[];
      // Earlier versions wrote [path, hash] pairs.
      return data.length > 0 && Array.isArray(data[0]) ? (data as string[][]).flat() : (data as string[]);
    } catch {
      return undefined;
    }
  }

  async writeState(rec: RunRecord, deps: Array<[string, string]>): Promise<void> {
    await writeFileAtomic(this.stateFile(rec.stage).replace(/\.json$/, '.deps.json'), JSON.stringify(deps.flat()));
    await writeFileAtomic(this.stateFile(rec.stage), `${JSON.stringify(rec, null, 1)}\n`);
  }
}
