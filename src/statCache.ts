// Remembers content hashes by (path, size, mtime, ctime, inode) so unchanged files are never re-read.
// Racy-git guard: an entry whose mtime is not safely older than the moment the cache was written
// may belong to a file modified again within the timestamp granularity; such entries are not
// trusted and the file is re-hashed. Within one run, a file is hashed at most once per stat
// (concurrent asks share the hash in flight), so a hash started early (prehash) is never repeated.
import { readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { z } from 'zod';
import type { StatLike } from './fileStat.js';
import { writeFileAtomic } from './atomicWrite.js';
import { hashFile } from './hashFile.js';

/** Files modified less than this before the cache was saved are re-hashed next time. */
const RACY_MARGIN_MS = 1000;
/** 5: files over 16 MiB hash as lists of chunk digests (4 held their plain XXH3-128, 3 sha256: such a file is simply not used). */
const VERSION = 5;

/** [size, mtimeMs, ctimeMs, ino, hash] */
type Entry = [number, number, number, number, string];

const HASH32 = /^[0-9a-f]{32}$/;
const isEntry = (e: unknown): e is Entry =>
  Array.isArray(e) &&
  e.length === 5 &&
  typeof e[0] === 'number' &&
  typeof e[1] === 'number' &&
  typeof e[2] === 'number' &&
  typeof e[3] === 'number' &&
  typeof e[4] === 'string' &&
  HASH32.test(e[4]);

const fileSchema = z.object({
  v: z.literal(VERSION),
  savedAtMs: z.number().finite(),
  // One predicate over the entries, not a schema per entry: thousands of tuples through zod cost
  // ~40 ms on a cold start, most of a no-op run's own work.
  entries: z.unknown().superRefine((v, ctx) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: 'entries must be an object' });
      return;
    }
    for (const k in v) {
      if (!isEntry((v as Record<string, unknown>)[k])) {
        ctx.addIssue({ code: 'custom', message: 'not a [size, mtimeMs, ctimeMs, ino, hash] entry', path: [k] });
        return;
      }
    }
  }),
});

const sameStat = (e: Entry, st: StatLike) => e[0] === st.size && e[1] === st.mtimeMs && e[2] === st.ctimeMs && e[3] === st.ino;

/**
 * Keys are paths relative to the cache's root (the workspace) when inside it, absolute otherwise:
 * shorter to store, and one JSON.parse of an object is the whole load (no Map to build).
 */
export class StatCache {
  private entries: Record<string, Entry> = Object.create(null) as Record<string, Entry>;
  /** Hashes computed (or being computed) by this process, by key, with the stat they are for. */
  private readonly thisRun = new Map<string, { st: StatLike; hash: Promise<string> }>();
  private readonly prefix: string;
  private savedAtMs = 0;
  private dirty = false;
  /** Bytes read for hashing since load (for diagnostics and benchmarks). */
  bytesHashed = 0;

  constructor(
    private readonly file: string,
    private readonly root: string,
    private readonly warn: (message: string) => void = (m) => process.stderr.write(`pipeline: warning: ${m}\n`),
  ) {
    this.prefix = root.endsWith('/') ? root : `${root}/`;
  }

  private keyOf(path: string): string {
    return path.startsWith(this.prefix) ? path.slice(this.prefix.length) : path;
  }

  /** Reads the cache file. Missing or of an older version: empty. Damaged: empty, with one warning. */
  load(): void {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    const version = (data as { v?: unknown } | undefined)?.v;
    if (typeof version === 'number' && version !== VERSION) return;
    const parsed = fileSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : '';
      this.warn(
        `${relative(this.root, this.file) || this.file} is damaged (${data === undefined ? 'not JSON' : `${issue?.message ?? 'invalid'}${where}`}); ignoring it, files will be re-hashed`,
      );
      this.dirty = true;
      return;
    }
    this.savedAtMs = parsed.data.savedAtMs;
    this.entries = Object.assign(Object.create(null) as Record<string, Entry>, parsed.data.entries as Record<string, Entry>);
  }

  /**
   * The remembered hash when the file's stat still matches and is not racy; no I/O. `key`: the
   * path relative to the root, when the caller has it already.
   */
  lookup(path: string, st: StatLike, key = this.keyOf(path)): string | undefined {
    const e = this.entries[key];
    if (e && sameStat(e, st) && st.mtimeMs + RACY_MARGIN_MS < this.savedAtMs) return e[4];
    return undefined;
  }

  /**
   * Content hash of an absolute path, re-reading the file only when its stat changed. `signal`
   * (prehash only: others may be waiting for the same hash) stops a long read.
   */
  hash(path: string, st?: StatLike, signal?: AbortSignal): Promise<string> {
    const s = st ?? statSync(path);
    const key = this.keyOf(path);
    const known = this.lookup(path, s, key);
    if (known) return Promise.resolve(known);
    const mine = this.thisRun.get(key);
    if (mine && mine.st.size === s.size && mine.st.mtimeMs === s.mtimeMs && mine.st.ctimeMs === s.ctimeMs && mine.st.ino === s.ino) return mine.hash;
    const hash = hashFile(path, s.size, signal).then((h) => {
      this.bytesHashed += s.size;
      this.entries[key] = [s.size, s.mtimeMs, s.ctimeMs, s.ino, h];
      this.dirty = true;
      return h;
    });
    this.thisRun.set(key, { st: s, hash });
    hash.catch(() => this.thisRun.delete(key));
    return hash;
  }

  /** Records a hash computed elsewhere (e.g. of an out just written) for a file's current stat. */
  remember(path: string, hash: string): void {
    const s = statSync(path, { throwIfNoEntry: false });
    if (!s) return;
    const key = this.keyOf(path);
    this.entries[key] = [s.size, s.mtimeMs, s.ctimeMs, s.ino, hash];
    this.thisRun.set(key, { st: s, hash: Promise.resolve(hash) });
    this.dirty = true;
  }

  /**
   * Writes atomically when something changed, or when racy entries exist (a later save is what
   * makes them trusted).
   */
  async save(): Promise<void> {
    let racy = false;
    if (!this.dirty) {
      for (const k in this.entries) {
        if (this.entries[k]![1] + RACY_MARGIN_MS >= this.savedAtMs) {
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
