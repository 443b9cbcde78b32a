// Remembers content hashes by (path, size, mtime, ctime, inode) so unchanged files are never re-read.
// Racy-git guard: an entry whose mtime is not safely older than the moment the cache was written
// may belong to a file modified again within the timestamp granularity; such entries are not
// trusted and the file is re-hashed.
import { readFileSync, statSync } from 'node:fs';
import type { StatLike } from './fileStat.js';
import { writeFileAtomic } from './atomicWrite.js';
import { sha256File } from './hashFile.js';

/** Files modified less than this before the cache was saved are re-hashed next time. */
const RACY_MARGIN_MS = 1000;
const VERSION = 3;

/** [size, mtimeMs, ctimeMs, ino, hash] */
type Entry = [number, number, number, number, string];

/**
 * Keys are paths relative to the cache's root (the workspace) when inside it, absolute otherwise:
 * shorter to store, and one JSON.parse of an object is the whole load (no Map to build).
 */
export class StatCache {
  private entries: Record<string, Entry> = Object.create(null) as Record<string, Entry>;
  private readonly prefix: string;
  private savedAtMs = 0;
  private dirty = false;
  /** Bytes read for hashing since load (for diagnostics and benchmarks). */
  bytesHashed = 0;

  constructor(
    private readonly file: string,
    root: string,
  ) {
    this.prefix = root.endsWith('/') ? root : `${root}/`;
  }

  private keyOf(path: string): string {
    return path.startsWith(this.prefix) ? path.slice(this.prefix.length) : path;
  }

  load(): void {
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as { v: number; savedAtMs: number; entries: Record<string, Entry> };
      if (data.v !== VERSION) return;
      this.savedAtMs = data.savedAtMs;
      this.entries = Object.assign(Object.create(null) as Record<string, Entry>, data.entries);
    } catch {
      // Missing or unreadable: start empty (the cache is only an accelerator).
    }
  }

  /**
   * The remembered hash when the file's stat still matches and is not racy; no I/O. `key`: the
   * path relative to the root, when the caller has it already.
   */
  lookup(path: string, st: StatLike, key = this.keyOf(path)): string | undefined {
    const e = this.entries[key];
    if (e && e[0] === st.size && e[1] === st.mtimeMs && e[2] === st.ctimeMs && e[3] === st.ino && st.mtimeMs + RACY_MARGIN_MS < this.savedAtMs) {
      return e[4];
    }
    return undefined;
  }

  /** Content hash of an absolute path, re-reading the file only when its stat changed. */
  async hash(path: string, st?: StatLike): Promise<string> {
    const s = st ?? statSync(path);
    const known = this.lookup(path, s);
    if (known) return known;
    const hash = await sha256File(path, s.size);
    this.bytesHashed += s.size;
    this.entries[this.keyOf(path)] = [s.size, s.mtimeMs, s.ctimeMs, s.ino, hash];
    this.dirty = true;
    return hash;
  }

  /** Records a hash computed elsewhere (e.g. of an out just written) for a file's current stat. */
  remember(path: string, hash: string): void {
    const s = statSync(path, { throwIfNoEntry: false });
    if (!s) return;
    this.entries[this.keyOf(path)] = [s.size, s.mtimeMs, s.ctimeMs, s.ino, hash];
    this.dirty = true;
  }

  /**
   * Writes atomically when something changed, or when racy entries exist (a later save is what
   * makes them trusted).
   */
  async save(): Promise<void> {
    let racy = false;
    if (!this.dirty) {
      for (const e of Object.values(this.entries)) {
        if (e[1] + RACY_MARGIN_MS >= this.savedAtMs) {
          racy = true;
          break;
        }
      }
    }
    if (!this.dirty && !racy) return;
    const now = Date.now();
    await writeFileAtomic(this.file, JSON.stringify({ v: VERSION, savedAtMs: now, entries: this.entries }));
    this.savedAtMs = now;
    this.dirty = false;
  }
}
