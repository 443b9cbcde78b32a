// The per-file result cache of the extract stage: one append-only file per options key in the
// stage cache dir, `file-results-<key>.bin`, holding one binary record per input file (by content
// hash). A record carries what assembling the outputs needs, ready to copy: the counts of its
// report, its report line already rendered as JSON, its distinct turn texts already rendered as
// JSON string literals, and its samples as lists of text indices with a 96-bit hash of each sample
// for the cross-file dedup. Loading is one read and a walk over small record headers; assembling
// the outputs is copying byte ranges (corpus.ts).
//
// The file is a header and then batches, each written by one run in one append:
//   batch header (u32 words): magic, batch bytes, index bytes, record count, sha1 of the index (5)
//   index: the records' words, back to back
//   blob: the records' bytes, back to back (report line, text literals)
// A torn append or a damaged index fails its batch's frame or checksum: those files are extracted
// again and the file is rewritten whole; the other batches stay usable. The file is also rewritten
// when records of files no longer in the corpus outnumber the live ones.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { appendFile, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExtractConfig } from './config.js';
import { fileOptions } from './config.js';
import type { Encoding } from './decode.js';
import { DROP_KEYS, type FileReport, type FileResult } from './extractFile.js';
import { writeAtomic } from './fileIo.js';

/** Bump when the algorithm changes in a way the module-source hash below would not catch. */
export const ALGORITHM_VERSION = 6;
/** Cache files kept for other option sets (switching back to them re-extracts nothing). */
const KEEP_FILES = 4;

/** Positions in a record's counts. */
export const C = { bytes: 0, samples: 1, excused: 2, utterances: 3, nonSpeech: 7, dropped: 10 } as const;
const N_COUNTS = C.dropped + DROP_KEYS.length;
const UTTERANCE_KEYS = ['persona', 'doctor', 'other', 'uncertain'] as const;
const NON_SPEECH_KEYS = ['thought', 'term', 'sign'] as const;
const ENCODINGS: readonly Encoding[] = ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'gb18030'];

export const FILE_HEADER = Buffer.from('PLXCACHE\x05\x00\x00\x00\x00\x00\x00\x00', 'latin1');
const BATCH_MAGIC = 0x42584c50; // "PLXB"
const BATCH_WORDS = 9;

/** Word positions in a record. */
const W = { words: 0, hashLen: 1, enc: 2, reportLen: 3, blobBytes: 4, samples: 5, texts: 6, counts: 7 } as const;
const TEXT_LENS_AT = W.counts + N_COUNTS;

/**
 * One file's result: `w` is its record's words, `buf` the bytes its blob lives in, from `blob`:
 * the report line (without its opening brace), then the text literals.
 */
export interface FileRecord {
  w: Uint32Array;
  buf: Buffer;
  blob: number;
  /** Key of its content hash in the in-memory index (see hashKey). */
  key: number;
}

export const recEncoding = (r: FileRecord): Encoding | null => (r.w[W.enc] === 0 ? null : ENCODINGS[r.w[W.enc]! - 1]!);
export const recCount = (r: FileRecord, k: number): number => r.w[W.counts + k]!;
export const recSamples = (r: FileRecord): number => r.w[W.samples]!;
export const recTexts = (r: FileRecord): number => r.w[W.texts]!;
/** Byte length of text literal `i`. */
export const recTextLen = (r: FileRecord, i: number): number => r.w[TEXT_LENS_AT + i]!;
/** Word where the sample table starts: per sample its turn count, h0, h1, h2, then its text indices. */
export const recSampleTable = (r: FileRecord): number => TEXT_LENS_AT + r.w[W.texts]!;
/** Bytes of the report line without its opening brace (`"status":…}`), at `blob` in `buf`. */
export const recReportLen = (r: FileRecord): number => r.w[W.reportLen]!;
/** Where the first text literal starts in `buf`. */
export const recTextsStart = (r: FileRecord): number => r.blob + r.w[W.reportLen]!;
/** Why a skipped file (encoding null) yielded nothing, read back from its report line. */
export function recSkipReason(r: FileRecord): { reason?: string; detail?: string } {
  return JSON.parse(`{${r.buf.toString('utf8', r.blob, r.blob + r.w[W.reportLen]!)}`) as { reason?: string; detail?: string };
}

/** The file's report entry as one line of JSON, exactly JSON.stringify of extractFile's report. */
export function reportLine(r: FileReport): string {
  let s =
    r.encoding === null
      ? `{"status":"skipped"${r.reason !== undefined ? `,"reason":${JSON.stringify(r.reason)}` : ''}${r.detail !== undefined ? `,"detail":${JSON.stringify(r.detail)}` : ''},"encoding":null`
      : `{"status":"ok","encoding":${JSON.stringify(r.encoding)}`;
  const u = r.utterances;
  const n = r.non_speech;
  s += `,"bytes":${r.bytes},"utterances":{"persona":${u.persona},"doctor":${u.doctor},"other":${u.other},"uncertain":${u.uncertain}}`;
  s += `,"non_speech":{"thought":${n.thought},"term":${n.term},"sign":${n.sign}},"samples":${r.samples},"dropped":{`;
  for (let k = 0; k < DROP_KEYS.length; k++) s += `${k ? ',' : ''}"${DROP_KEYS[k]}":${r.dropped[DROP_KEYS[k]!]}`;
  s += `},"nsfw_words_excused":${r.nsfw_words_excused},"warnings":${JSON.stringify(r.warnings)},"sample_lines":${JSON.stringify(r.sample_lines)}`;
  if (r.encoding !== null && r.detail !== undefined) s += `,"detail":${JSON.stringify(r.detail)}`;
  return `${s}}`;
}

const pad4 = (n: number) => (n + 3) & ~3;

/** Encodes one file's result as a record for the file with content hash `hash`. */
export function toRecord(hash: string, res: FileResult): FileRecord {
  const r = res.report;
  const tail = Buffer.from(reportLine(r).slice(1));
  const index = new Map<string, number>();
  const literals: string[] = [];
  const table: number[] = [];
  for (const sample of res.samples) {
    const ids = sample.map((t) => {
      let i = index.get(t);
      if (i === undefined) {
        i = literals.length;
        literals.push(JSON.stringify(t));
        index.set(t, i);
      }
      return i;
    });
    // The sample's identity: the JSON of its turns (injective), hashed.
    const d = createHash('sha256')
      .update(`[${ids.map((i) => literals[i]).join(',')}]`)
      .digest();
    table.push(sample.length, d.readUInt32LE(0), d.readUInt32LE(4), d.readUInt32LE(8), ...ids);
  }
  const blob = Buffer.from(literals.join(''));
  const hashBytes = Buffer.from(hash, 'latin1');
  const words = TEXT_LENS_AT + literals.length + table.length + pad4(hashBytes.length) / 4;
  const w = new Uint32Array(words);
  w[W.words] = words;
  w[W.hashLen] = hashBytes.length;
  w[W.enc] = r.encoding === null ? 0 : ENCODINGS.indexOf(r.encoding) + 1;
  w[W.reportLen] = tail.length;
  w[W.blobBytes] = tail.length + blob.length;
  w[W.samples] = res.samples.length;
  w[W.texts] = literals.length;
  const counts = [
    r.bytes,
    r.samples,
    r.nsfw_words_excused,
    ...UTTERANCE_KEYS.map((k) => r.utterances[k]),
    ...NON_SPEECH_KEYS.map((k) => r.non_speech[k]),
    ...DROP_KEYS.map((k) => r.dropped[k]),
  ];
  w.set(counts, W.counts);
  w.set(
    literals.map((l) => Buffer.byteLength(l)),
    TEXT_LENS_AT,
  );
  w.set(table, TEXT_LENS_AT + literals.length);
  Buffer.from(w.buffer).set(hashBytes, (words - pad4(hashBytes.length) / 4) * 4);
  return { w, buf: Buffer.concat([tail, blob]), blob: 0, key: hashKey(hashBytes, 0, hashBytes.length) };
}

/** Word where a record's content hash starts. */
const hashWord = (w: Uint32Array): number => w[W.words]! - pad4(w[W.hashLen]!) / 4;

/** The content hash a record is for. */
export function recHash(r: FileRecord): string {
  const base = hashWord(r.w);
  let s = '';
  for (let j = 0; j < r.w[W.hashLen]!; j++) s += String.fromCharCode((r.w[base + (j >>> 2)]! >>> ((j & 3) * 8)) & 0xff);
  return s;
}

/** A 52-bit key of a content hash: two FNV-1a lanes over its latin1 bytes. */
function hashKey(b: Uint8Array, from: number, len: number): number {
  let x = 0x811c9dc5;
  let y = 0x9e3779b9 ^ len;
  for (let j = from; j < from + len; j++) {
    x = Math.imul(x ^ b[j]!, 0x01000193);
    y = Math.imul(y ^ b[j]!, 0x5bd1e995);
  }
  return (x >>> 0) * 0x100000 + (y >>> 12);
}

/**
 * The records by content hash, without making a string of each hash at load (5,000 strings and
 * their hashing cost more than the rest of the load): keyed by a number, confirmed byte by byte.
 * Remembers which records were asked for since the last `takeSeen`: the files still in the corpus.
 */
class RecordIndex {
  private readonly map = new Map<number, FileRecord | FileRecord[]>();
  private seen = new Set<FileRecord>();
  size = 0;

  private static matches(r: FileRecord, hash: string): boolean {
    const w = r.w;
    if (w[W.hashLen] !== hash.length) return false;
    const base = hashWord(w);
    for (let j = 0; j < hash.length; j++) if (((w[base + (j >>> 2)]! >>> ((j & 3) * 8)) & 0xff) !== (hash.charCodeAt(j) & 0xff)) return false;
    return true;
  }

  get(hash: string): FileRecord | undefined {
    const e = this.map.get(hashKey(Buffer.from(hash, 'latin1'), 0, hash.length));
    const r = e === undefined ? undefined : Array.isArray(e) ? e.find((x) => RecordIndex.matches(x, hash)) : RecordIndex.matches(e, hash) ? e : undefined;
    if (r) this.seen.add(r);
    return r;
  }

  /** Adds a record unless one for the same hash is there (the first written wins). */
  add(r: FileRecord): void {
    const e = this.map.get(r.key);
    if (e === undefined) this.map.set(r.key, r);
    else {
      const hash = recHash(r);
      const list = Array.isArray(e) ? e : [e];
      if (list.some((x) => RecordIndex.matches(x, hash))) return;
      list.push(r);
      this.map.set(r.key, list);
    }
    this.size++;
  }

  /** The records asked for since the last call. */
  takeSeen(): Set<FileRecord> {
    const s = this.seen;
    this.seen = new Set();
    return s;
  }
}

/** One batch: header, the records' words, their blobs. */
function encodeBatch(records: readonly FileRecord[]): Buffer {
  let indexBytes = 0;
  let blobBytes = 0;
  for (const r of records) {
    indexBytes += r.w[W.words]! * 4;
    blobBytes += r.w[W.blobBytes]!;
  }
  const total = BATCH_WORDS * 4 + indexBytes + pad4(blobBytes);
  const out = Buffer.alloc(total);
  let p = BATCH_WORDS * 4;
  for (const r of records) {
    out.set(new Uint8Array(r.w.buffer, r.w.byteOffset, r.w[W.words]! * 4), p);
    p += r.w[W.words]! * 4;
  }
  for (const r of records) {
    out.set(r.buf.subarray(r.blob, r.blob + r.w[W.blobBytes]!), p);
    p += r.w[W.blobBytes]!;
  }
  out.writeUInt32LE(BATCH_MAGIC, 0);
  out.writeUInt32LE(total, 4);
  out.writeUInt32LE(indexBytes, 8);
  out.writeUInt32LE(records.length, 12);
  createHash('sha1')
    .update(out.subarray(BATCH_WORDS * 4, BATCH_WORDS * 4 + indexBytes))
    .digest()
    .copy(out, 16);
  return out;
}

/**
 * The records of a cache file's bytes (after its header), in file order. `damaged` when a batch
 * had to be skipped (its frame or checksum fails, or a record in it does not fit).
 */
export function parseRecords(buf: Buffer, from = FILE_HEADER.length): { records: FileRecord[]; damaged: boolean } {
  const records: FileRecord[] = [];
  // A Uint32Array view needs 4-byte alignment; a buffer read from disk normally has it.
  const b = buf.byteOffset % 4 === 0 ? buf : Buffer.from(buf);
  const all = new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
  let damaged = false;
  let p = from;
  while (p < b.length) {
    const q = p >>> 2;
    const total = all[q + 1];
    if (p + BATCH_WORDS * 4 > b.length || all[q] !== BATCH_MAGIC || total === undefined || total % 4 !== 0 || p + total > b.length) {
      damaged = true; // torn or overwritten: nothing after this point can be framed
      break;
    }
    const indexBytes = all[q + 2]!;
    const count = all[q + 3]!;
    const indexAt = p + BATCH_WORDS * 4;
    const blobAt = indexAt + indexBytes;
    const sum = indexBytes % 4 === 0 && blobAt <= p + total ? createHash('sha1').update(b.subarray(indexAt, blobAt)).digest() : undefined;
    if (!sum || !sum.equals(b.subarray(p + 16, p + 36))) {
      damaged = true;
      p += total;
      continue;
    }
    const batch: FileRecord[] = [];
    let r = indexAt >>> 2;
    let blob = blobAt;
    const end = blobAt >>> 2;
    for (let k = 0; k < count; k++) {
      const words = all[r + W.words]!;
      if (words < TEXT_LENS_AT || r + words > end || blob + all[r + W.blobBytes]! > p + total) break;
      const w = all.subarray(r, r + words);
      batch.push({ w, buf: b, blob, key: hashKey(b, (r + words - pad4(w[W.hashLen]!) / 4) * 4, w[W.hashLen]!) });
      blob += w[W.blobBytes]!;
      r += words;
    }
    // The checksum held, so a batch that does not add up was written wrong: none of it is used.
    if (batch.length !== count || r !== end) {
      damaged = true;
      p += total;
      continue;
    }
    for (const rec of batch) records.push(rec);
    p += total;
  }
  return { records, damaged };
}

let sourceHash: string | undefined;
/** Hash of this module's own source (bundled or not), so a code change invalidates the cache. */
async function moduleSourceHash(): Promise<string> {
  if (sourceHash) return sourceHash;
  const h = createHash('sha256');
  const self = new URL(import.meta.url);
  if (/\/stages\/extract\/[^/]+\.[cm]?[jt]s$/.test(self.pathname)) {
    // Running from source: the whole stage folder.
    const dir = new URL('.', self);
    for (const f of (await readdir(dir)).filter((n) => /\.(ts|js)$/.test(n)).sort()) {
      h.update(f);
      h.update(await readFile(new URL(f, dir)));
    }
  } else h.update(await readFile(self)); // a bundle: the file that holds this code
  sourceHash = h.digest('hex').slice(0, 16);
  return sourceHash;
}

export async function cacheKey(config: ExtractConfig): Promise<string> {
  const payload = JSON.stringify({ v: ALGORITHM_VERSION, src: await moduleSourceHash(), o: fileOptions(config) });
  return createHash('sha256').update(payload).digest('hex').slice(0, 24);
}

export interface FileCache {
  get(hash: string): FileRecord | undefined;
  /**
   * Adds `fresh` (by content hash). The files of this run are those `get` was asked for; when the
   * file is damaged, or records of other files outnumber them, it is rewritten with them only.
   */
  save(fresh: ReadonlyMap<string, FileRecord>): Promise<void>;
}

/** size, mtime and inode of the cache file, as this process last read or wrote it. */
type FileStamp = [number, number, number];

/**
 * The cache this process opened last (a long-lived `pipeline watch` rebuilds many times): reused as
 * long as nobody else changed its file since, which saves re-reading it on every rebuild.
 */
let lastOpened: { path: string; stamp: FileStamp; cache: FileCache } | undefined;

async function stampOf(path: string): Promise<FileStamp | undefined> {
  const s = await stat(path).catch(() => undefined);
  return s ? [s.size, s.mtimeMs, s.ino] : undefined;
}

const sameStamp = (a: FileStamp | undefined, b: FileStamp | undefined) => !!a && !!b && a.every((x, i) => x === b[i]);

export async function openFileCache(dir: string, key: string): Promise<FileCache> {
  const path = join(dir, `file-results-${key}.bin`);
  if (lastOpened?.path === path && sameStamp(lastOpened.stamp, await stampOf(path))) return lastOpened.cache;
  const cache = loadFileCache(path, dir);
  const stamp = await stampOf(path);
  if (stamp) lastOpened = { path, stamp, cache };
  return cache;
}

function loadFileCache(path: string, dir: string): FileCache {
  let index = new RecordIndex();
  let exists = false;
  let damaged = false;
  let buf: Buffer | undefined;
  try {
    // One synchronous read: the promise API reads in 512 KiB steps, each a trip to the thread pool.
    buf = readFileSync(path);
  } catch {
    /* missing or unreadable: start empty */
  }
  if (buf && buf.length >= FILE_HEADER.length && buf.subarray(0, FILE_HEADER.length).equals(FILE_HEADER)) {
    exists = true;
    const parsed = parseRecords(buf);
    damaged = parsed.damaged;
    for (const r of parsed.records) index.add(r);
  }
  const self: FileCache = {
    get: (hash) => index.get(hash),
    async save(fresh) {
      const added = [...fresh].filter(([h]) => !index.get(h)).map(([, r]) => r);
      const live = index.takeSeen();
      const dead = index.size - live.size;
      if (exists && !damaged && dead <= Math.max(1000, live.size)) {
        if (added.length === 0) return;
        // One write: a torn append fails its own batch's checksum and loses nothing else.
        await appendFile(path, encodeBatch(added));
      } else {
        const keep = [...live];
        await writeAtomic(path, Buffer.concat([FILE_HEADER, encodeBatch([...keep, ...added])]), { fsync: false });
        index = new RecordIndex();
        for (const r of keep) index.add(r);
        damaged = false;
        await pruneOld(dir, path);
      }
      for (const r of added) index.add(r);
      exists = true;
      const stamp = await stampOf(path);
      lastOpened = stamp ? { path, stamp, cache: self } : undefined;
    },
  };
  return self;
}

/** Keeps the KEEP_FILES most recently written cache files (other option sets), removes the rest. */
async function pruneOld(dir: string, current: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  // Formats of earlier versions.
  for (const n of names) if (n === 'file-results.json' || /^file-results-[0-9a-f]+\.(ndjson|texts)$/.test(n)) await rm(join(dir, n), { force: true });
  const files = names.filter((n) => /^file-results-[0-9a-f]+\.bin$/.test(n));
  if (files.length <= KEEP_FILES) return;
  const withTimes = await Promise.all(files.map(async (n) => ({ p: join(dir, n), t: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  withTimes.sort((a, b) => b.t - a.t);
  for (const { p } of withTimes.slice(KEEP_FILES)) if (p !== current) await rm(p, { force: true });
}
