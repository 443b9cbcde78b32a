// Remembers content hashes by (path, size, mtime, ctime, inode) so unchanged files are never re-read.
// Racy-git guard: an entry whose mtime is not safely older than the moment the cache was written
// may belong to a file modified again within the timestamp granularity; such entries are not
// trusted and the file is re-hashed.
import { readFileSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { writeFileAtomic } from './atomicWrite.js';
import { sha256File } from './hashFile.js';

/** Files modified less than this before the cache was saved are re-hashed next time. */
const RACY_MARGIN_NS = 1_000_000_000n;

interface Entry {
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  hash: string;
}

interface CacheFile {
  version: 1;
  savedAtNs: string;
  entries: Record<string, Entry>;
}

export class StatCache {
  private entries = new Map<string, Entry>();
  private savedAtNs = 0n;
  private dirty = false;
  /** Bytes read for hashing since load (for diagnostics and benchmarks). */
  bytesHashed = 0;

  constructor(private readonly file: string) {}

  load(): void {
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as CacheFile;
      if (data.version !== 1) return;
      this.savedAtNs = BigInt(data.savedAtNs);
      this.entries = new Map(Object.entries(data.entries));
    } catch {
      // Missing or unreadable: start empty (the cache is only an accelerator).
    }
  }

  /** Content hash of an absolute path, re-reading the file only when its stat changed. */
  async hash(path: string, st?: BigIntStats): Promise<string> {
    const s = st ?? (await stat(path, { bigint: true }));
    const e = this.entries.get(path);
    if (
      e &&
      e.size === Number(s.size) &&
      e.mtimeNs === String(s.mtimeNs) &&
      e.ctimeNs === String(s.ctimeNs) &&
      e.ino === String(s.ino) &&
      s.mtimeNs + RACY_MARGIN_NS < this.savedAtNs
    ) {
      return e.hash;
    }
    const hash = await sha256File(path);
    this.bytesHashed += Number(s.size);
    this.entries.set(path, {
      size: Number(s.size),
      mtimeNs: String(s.mtimeNs),
      ctimeNs: String(s.ctimeNs),
      ino: String(s.ino),
      hash,
    });
    this.dirty = true;
    return hash;
  }

  /**
   * Writes atomically when something changed, or when racy entries exist (a later save is what
   * makes them trusted).
   */
  async save(): Promise<void> {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    let racy = false;
    for (const e of this.entries.values()) {
      if (BigInt(e.mtimeNs) + RACY_MARGIN_NS >= this.savedAtNs) {
        racy = true;
        break;
      }
    }
    if (!this.dirty && !racy) return;
    const data: CacheFile = { version: 1, savedAtNs: String(nowNs), entries: Object.fromEntries(this.entries) };
    await writeFileAtomic(this.file, JSON.stringify(data));
    this.savedAtNs = nowNs;
    this.dirty = false;
  }
}
