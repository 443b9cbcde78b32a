// The run cache: a record of every successful run under its stage key, plus a content-addressed
// object store holding the files of its outs. Nothing in it is machine-specific: paths are
// workspace-relative, so the directory can move between machines (PIPELINE_CACHE_DIR) — which makes
// everything in it untrusted input: records are checked on the way in (runRecord.ts), an object is
// checked against its name as it is copied out, and nothing is written outside the cache dir.
import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { containedPath, writeFileAtomic } from './atomicWrite.js';
import { hashFile } from './hashFile.js';
import { formatRecord, HASH, parseRecord, readRecordFile, recordProblem, warnState, type OutFile, type RunRecord } from './runRecord.js';

export type { OutFile, RunRecord };

export class RunCache {
  constructor(readonly dir: string) {}

  private recordPath(stage: string, key: string): string {
    return join(this.dir, 'runs', stage, `${key}.json`);
  }

  objectPath(hash: string): string {
    if (!HASH.test(hash)) throw new Error(`not an object hash: ${JSON.stringify(hash)}`);
    return join(this.dir, 'objects', hash.slice(0, 2), hash.slice(2));
  }

  /**
   * The record of `stage` under `key`, when it is intact (schema, checksum) and names exactly
   * `outs` (the stage's declared outs for that key); otherwise undefined, with one warning.
   */
  async get(stage: string, key: string, outs?: readonly string[]): Promise<RunRecord | undefined> {
    const file = this.recordPath(stage, key);
    const rec = readRecordFile(file, stage, key);
    if (!rec || !outs) return rec;
    const problem = recordProblem(rec, stage, key, outs);
    if (problem) {
      warnState(file, `unusable run record (${problem})`, 'ignored, the stage runs instead of being restored');
      return undefined;
    }
    return rec;
  }

  /** Marks a record and its objects as recently used (for gc's LRU order). */
  async touch(rec: RunRecord): Promise<void> {
    const now = new Date();
    await utimes(this.recordPath(rec.stage, rec.key), now, now).catch(() => undefined);
    await Promise.all(rec.outs.map((o) => utimes(this.objectPath(o.hash), now, now).catch(() => undefined)));
  }

  async put(rec: RunRecord): Promise<void> {
    await writeFileAtomic(this.recordPath(rec.stage, rec.key), formatRecord(rec), { root: this.dir });
  }

  async evict(stage: string, key: string): Promise<void> {
    await rm(containedPath(this.dir, this.recordPath(stage, key)), { force: true });
  }

  /** Copies a file into the store under its hash (no-op when an object of that size is there). */
  async storeObject(src: string, hash: string, size?: number): Promise<void> {
    const dest = containedPath(this.dir, this.objectPath(hash));
    const present = await stat(dest).catch(() => undefined);
    if (present && (size === undefined || present.size === size)) return;
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await copyFile(src, tmp, constants.COPYFILE_FICLONE);
    await chmod(tmp, 0o444);
    await rename(tmp, dest);
  }

  /**
   * Copies an object to `dest` (a new file in the staging area) and checks the copy against the
   * object's name. Returns false (and evicts the object) when it is missing or its content does
   * not match its hash.
   */
  async restoreObject(o: OutFile, dest: string): Promise<boolean> {
    const src = containedPath(this.dir, this.objectPath(o.hash));
    await mkdir(dirname(dest), { recursive: true });
    let ok = false;
    try {
      await copyFile(src, dest, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
      const st = await stat(dest);
      ok = st.size === o.size && (await hashFile(dest, st.size)) === o.hash;
    } catch {
      ok = false;
    }
    if (!ok) {
      if (
        await stat(src).then(
          () => true,
          () => false,
        )
      )
        warnState(src, 'cache object does not match its name', 'evicted');
      await rm(src, { force: true });
      await rm(dest, { force: true });
      return false;
    }
    await chmod(dest, o.exec ? 0o755 : 0o644);
    return true;
  }

  /**
   * Total bytes in the store and the records, by record (LRU order, oldest first). A record `keep`
   * accepts (one a kept experiment uses) is never removed, nor its objects.
   */
  async gc(
    maxBytes: number,
    keep: (rec: RunRecord) => boolean = () => false,
  ): Promise<{ before: number; after: number; removedRuns: number; removedObjects: number }> {
    const records: Array<{ path: string; rec: RunRecord; atime: number }> = [];
    const runsDir = join(this.dir, 'runs');
    for (const stage of await readdir(runsDir).catch(() => [] as string[])) {
      for (const f of await readdir(join(runsDir, stage)).catch(() => [] as string[])) {
        if (!f.endsWith('.json')) continue;
        const p = join(runsDir, stage, f);
        const rec = parseRecord(await readFile(p, 'utf8').catch(() => ''));
        if (typeof rec === 'string') await rm(p, { force: true });
        else records.push({ path: p, rec, atime: (await stat(p)).mtimeMs });
      }
    }
    const objects = new Map<string, { path: string; size: number }>();
    const objDir = join(this.dir, 'objects');
    for (const d of await readdir(objDir).catch(() => [] as string[])) {
      for (const f of await readdir(join(objDir, d)).catch(() => [] as string[])) {
        const p = join(objDir, d, f);
        if (f.includes('.tmp-')) {
          await rm(p, { force: true });
          continue;
        }
        objects.set(d + f, { path: p, size: (await stat(p)).size });
      }
    }
    const size = () => [...objects.values()].reduce((a, o) => a + o.size, 0);
    const before = size();
    // Objects no record references are garbage regardless of the size limit.
    const referenced = new Map<string, number>();
    for (const r of records) for (const o of r.rec.outs) referenced.set(o.hash, (referenced.get(o.hash) ?? 0) + 1);
    let removedObjects = 0;
    for (const [h, o] of objects) {
      if (!referenced.has(h)) {
        await rm(o.path, { force: true });
        objects.delete(h);
        removedObjects++;
      }
    }
    records.sort((a, b) => a.atime - b.atime);
    let removedRuns = 0;
    let total = size();
    for (const r of records) {
      if (total <= maxBytes) break;
      if (keep(r.rec)) continue;
      await rm(r.path, { force: true });
      removedRuns++;
      for (const o of r.rec.outs) {
        const n = (referenced.get(o.hash) ?? 1) - 1;
        referenced.set(o.hash, n);
        const obj = objects.get(o.hash);
        if (n === 0 && obj) {
          await rm(obj.path, { force: true });
          objects.delete(o.hash);
          total -= obj.size;
          removedObjects++;
        }
      }
    }
    return { before, after: size(), removedRuns, removedObjects };
  }
}
