// The run cache: a record of every successful run under its stage key, plus a content-addressed
// object store holding the files of its outs. Nothing in it is machine-specific: paths are
// workspace-relative, so the directory can move between machines (PIPELINE_CACHE_DIR).
import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from './atomicWrite.js';

export interface OutFile {
  path: string;
  hash: string;
  size: number;
  exec?: boolean;
}

export interface RunRecord {
  v: 1;
  stage: string;
  key: string;
  code: string;
  params: Record<string, unknown>;
  /** Declared outs, `{key}` substituted. */
  declaredOuts: string[];
  outs: OutFile[];
  ms: number;
  finishedAt: string;
}

export class RunCache {
  constructor(readonly dir: string) {}

  private recordPath(stage: string, key: string): string {
    return join(this.dir, 'runs', stage, `${key}.json`);
  }

  objectPath(hash: string): string {
    return join(this.dir, 'objects', hash.slice(0, 2), hash.slice(2));
  }

  async get(stage: string, key: string): Promise<RunRecord | undefined> {
    const p = this.recordPath(stage, key);
    try {
      const rec = JSON.parse(await readFile(p, 'utf8')) as RunRecord;
      return rec.v === 1 && rec.key === key ? rec : undefined;
    } catch {
      return undefined;
    }
  }

  async has(stage: string, key: string): Promise<boolean> {
    return stat(this.recordPath(stage, key)).then(() => true, () => false);
  }

  /** Marks a record and its objects as recently used (for gc's LRU order). */
  async touch(rec: RunRecord): Promise<void> {
    const now = new Date();
    await utimes(this.recordPath(rec.stage, rec.key), now, now).catch(() => undefined);
    await Promise.all(rec.outs.map((o) => utimes(this.objectPath(o.hash), now, now).catch(() => undefined)));
  }

  async put(rec: RunRecord): Promise<void> {
    await writeFileAtomic(this.recordPath(rec.stage, rec.key), `${JSON.stringify(rec, null, 1)}\n`);
  }

  async evict(stage: string, key: string): Promise<void> {
    await rm(this.recordPath(stage, key), { force: true });
  }

  /** Copies a file into the store under its hash (no-op when present). */
  async storeObject(src: string, hash: string): Promise<void> {
    const dest = this.objectPath(hash);
    if (await stat(dest).then(() => true, () => false)) return;
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await copyFile(src, tmp, constants.COPYFILE_FICLONE);
    await chmod(tmp, 0o444);
    await rename(tmp, dest);
  }

  /**
   * Copies an object to `dest` after verifying its content. Returns false (and deletes the object)
   * when it is missing or corrupted.
   */
  async restoreObject(o: OutFile, dest: string, verify: (p: string) => Promise<string>): Promise<boolean> {
    const src = this.objectPath(o.hash);
    let ok = false;
    try {
      const st = await stat(src);
      ok = st.size === o.size && (await verify(src)) === o.hash;
    } catch {
      ok = false;
    }
    if (!ok) {
      await rm(src, { force: true });
      return false;
    }
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(src, dest, constants.COPYFILE_FICLONE);
    await chmod(dest, o.exec ? 0o755 : 0o644);
    return true;
  }

  /** Total bytes in the store and the records, by record (LRU order, oldest first). */
  async gc(maxBytes: number): Promise<{ before: number; after: number; removedRuns: number; removedObjects: number }> {
    const records: Array<{ path: string; rec: RunRecord; atime: number }> = [];
    const runsDir = join(this.dir, 'runs');
    for (const stage of await readdir(runsDir).catch(() => [] as string[])) {
      for (const f of await readdir(join(runsDir, stage)).catch(() => [] as string[])) {
        if (!f.endsWith('.json')) continue;
        const p = join(runsDir, stage, f);
        try {
          const rec = JSON.parse(await readFile(p, 'utf8')) as RunRecord;
          records.push({ path: p, rec, atime: (await stat(p)).mtimeMs });
        } catch {
          await rm(p, { force: true });
        }
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
