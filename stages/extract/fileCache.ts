// The per-file result cache of the extract stage, one per options key in the stage cache dir:
// `file-results-<key>.ndjson`, one line of numbers per file (content hash, counts, sample
// structure, text hashes, where its texts are), and `file-results-<key>.texts`, the files' sample
// texts as UTF-8 JSON string literals, appended in the same order. The index is ASCII, so loading it
// is one fast read and one JSON.parse; the texts are never decoded: the dataset is assembled from
// their bytes and duplicates are found by hash and confirmed by comparing bytes. A run that extracted new
// files appends to both (texts first, so an index line never points past the texts); everything is
// rewritten only when dead entries (files no longer in the corpus) outnumber the live ones. A
// damaged line is skipped (that file is extracted again), never fatal.
import { createHash } from 'node:crypto';
import { appendFile, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExtractConfig } from './config.js';
import { fileOptions } from './config.js';
import { DROP_KEYS, type FileReport, type FileResult } from './extractFile.js';
import { writeAtomic } from './fileIo.js';

/** Bump when the algorithm changes in a way the module-source hash below would not catch. */
export const ALGORITHM_VERSION = 4;
/** Index files kept for other option sets (switching back to them re-extracts nothing). */
const KEEP_INDEXES = 4;

/** Positions in FileRecord.counts. */
export const C = { bytes: 0, samples: 1, excused: 2, utterances: 3, nonSpeech: 7, dropped: 10 } as const;
const UTTERANCE_KEYS = ['persona', 'doctor', 'other', 'uncertain'] as const;
const NON_SPEECH_KEYS = ['thought', 'term', 'sign'] as const;

/** What the corpus needs of one file's result. */
export interface FileRecord {
  /** Encoding, or null for a skipped file. */
  encoding: string | null;
  /** bytes, samples, nsfw_words_excused, utterances (4), non_speech (3), dropped (DROP_KEYS). */
  counts: number[];
  /** The rest of the report, when there is any: reason/detail/warnings. */
  extra?: { reason?: string; detail?: string; warnings?: FileReport['warnings'] };
  /** The samples, flat: for each, its number of turns, then that many indices into the texts. */
  samples: number[];
  /** FNV-1a (UTF-16 code units) of each distinct turn text. */
  textHashes: number[];
  /** Byte length of each text's JSON literal in `buf`, which holds them back to back from `start`. */
  litLens: number[];
  buf: Buffer;
  start: number;
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function fnv(t: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function toRecord(res: FileResult): FileRecord {
  const r = res.report;
  const index = new Map<string, number>();
  const literals: string[] = [];
  const textHashes: number[] = [];
  const samples: number[] = [];
  for (const sample of res.samples) {
    samples.push(sample.length);
    for (const t of sample) {
      let i = index.get(t);
      if (i === undefined) {
        i = literals.length;
        literals.push(JSON.stringify(t));
        textHashes.push(fnv(t));
        index.set(t, i);
      }
      samples.push(i);
    }
  }
  const extra: NonNullable<FileRecord['extra']> = {};
  if (r.reason !== undefined) extra.reason = r.reason;
  if (r.detail !== undefined) extra.detail = r.detail;
  if (r.warnings.length) extra.warnings = r.warnings;
  const rec: FileRecord = {
    encoding: r.encoding,
    counts: [
      r.bytes,
      r.samples,
      r.nsfw_words_excused,
      ...UTTERANCE_KEYS.map((k) => r.utterances[k]),
      ...NON_SPEECH_KEYS.map((k) => r.non_speech[k]),
      ...DROP_KEYS.map((k) => r.dropped[k]),
    ],
    samples,
    textHashes,
    litLens: literals.map((l) => Buffer.byteLength(l)),
    buf: Buffer.from(literals.join('')),
    start: 0,
  };
  if (Object.keys(extra).length) rec.extra = extra;
  return rec;
}

/** The file's report entry as one line of JSON, exactly JSON.stringify of extractFile's report. */
export function reportLine(rec: FileRecord): string {
  const c = rec.counts;
  const x = rec.extra;
  let s =
    rec.encoding === null
      ? `{"status":"skipped"${x?.reason !== undefined ? `,"reason":${JSON.stringify(x.reason)}` : ''}${x?.detail !== undefined ? `,"detail":${JSON.stringify(x.detail)}` : ''},"encoding":null`
      : `{"status":"ok","encoding":${JSON.stringify(rec.encoding)}`;
  s += `,"bytes":${c[C.bytes]},"utterances":{"persona":${c[C.utterances]},"doctor":${c[C.utterances + 1]},"other":${c[C.utterances + 2]},"uncertain":${c[C.utterances + 3]}}`;
  s += `,"non_speech":{"thought":${c[C.nonSpeech]},"term":${c[C.nonSpeech + 1]},"sign":${c[C.nonSpeech + 2]}},"samples":${c[C.samples]},"dropped":{`;
  for (let k = 0; k < DROP_KEYS.length; k++) s += `${k ? ',' : ''}"${DROP_KEYS[k]}":${c[C.dropped + k]}`;
  s += `},"nsfw_words_excused":${c[C.excused]},"warnings":${x?.warnings ? JSON.stringify(x.warnings) : '[]'}`;
  if (rec.encoding !== null && x?.detail !== undefined) s += `,"detail":${JSON.stringify(x.detail)}`;
  return `${s}}`;
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

type Line = [hash: string, encoding: string | null, counts: number[], samples: number[], textHashes: number[], litLens: number[], start: number, end: number, extra?: FileRecord['extra']];

const isNums = (x: unknown): x is number[] => Array.isArray(x) && x.every((n) => typeof n === 'number');

function isLine(x: unknown, textBytes: number): x is Line {
  if (!Array.isArray(x) || (x.length !== 8 && x.length !== 9)) return false;
  const [hash, enc, counts, samples, hashes, lens, start, end, extra] = x as unknown[];
  if (typeof hash !== 'string' || (enc !== null && typeof enc !== 'string')) return false;
  if (!isNums(counts) || counts.length !== C.dropped + DROP_KEYS.length || !isNums(samples) || !isNums(hashes) || !isNums(lens)) return false;
  if (hashes.length !== lens.length || typeof start !== 'number' || typeof end !== 'number') return false;
  let n = 0;
  for (const l of lens) n += l;
  if (start < 0 || start + n !== end || end > textBytes) return false;
  for (let off = 0; off < samples.length; off += samples[off]! + 1)
    for (let k = 1; k <= samples[off]!; k++) if (!(samples[off + k]! < lens.length)) return false;
  return extra === undefined || (typeof extra === 'object' && extra !== null);
}

function parseLines(body: string): unknown[] {
  if (body === '') return [];
  try {
    // One parse for the whole index (JSON text never holds a raw newline inside a string).
    return JSON.parse(`[${body.replaceAll('\n', ',')}]`) as unknown[];
  } catch {
    // A torn or damaged line: keep every line that still parses.
    return body.split('\n').map((l) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        return undefined;
      }
    });
  }
}

export interface FileCache {
  get(hash: string): FileRecord | undefined;
  /** Adds `fresh`; rewrites the cache when most of it is for files no longer in `live`. */
  save(fresh: ReadonlyMap<string, FileRecord>, live: ReadonlySet<string>): Promise<void>;
}

/** size and mtime of the index and texts files, as this process last read or wrote them. */
type FilesStamp = [number, number, number, number];

/**
 * The cache this process opened last (a long-lived `pipeline watch` rebuilds many times): reused as
 * long as nobody else changed its files since, which saves re-reading it on every rebuild.
 */
let lastOpened: { indexPath: string; stamp: FilesStamp; cache: FileCache } | undefined;

async function stampOf(indexPath: string, textsPath: string): Promise<FilesStamp | undefined> {
  const [i, t] = await Promise.all([stat(indexPath).catch(() => undefined), stat(textsPath).catch(() => undefined)]);
  return i && t ? [i.size, i.mtimeMs, t.size, t.mtimeMs] : undefined;
}

const sameStamp = (a: FilesStamp | undefined, b: FilesStamp | undefined) => !!a && !!b && a.every((x, i) => x === b[i]);

export async function openFileCache(dir: string, key: string): Promise<FileCache> {
  const indexPath = join(dir, `file-results-${key}.ndjson`);
  const textsPath = join(dir, `file-results-${key}.texts`);
  if (lastOpened?.indexPath === indexPath && sameStamp(lastOpened.stamp, await stampOf(indexPath, textsPath))) return lastOpened.cache;
  const cache = await loadFileCache(indexPath, textsPath, dir, key);
  const stamp = await stampOf(indexPath, textsPath);
  if (stamp) lastOpened = { indexPath, stamp, cache };
  return cache;
}

async function loadFileCache(indexPath: string, textsPath: string, dir: string, key: string): Promise<FileCache> {
  const header = JSON.stringify({ v: ALGORITHM_VERSION, key });
  const entries = new Map<string, FileRecord>();
  let exists = false;
  let textBytes = 0;
  try {
    const [indexBuf, textBuf] = await Promise.all([readFile(indexPath), readFile(textsPath)]);
    // ASCII by construction (asciiJson), so latin1 is an exact and fast decode.
    const text = indexBuf.toString('latin1');
    const nl = text.indexOf('\n');
    if (nl > 0 && text.slice(0, nl) === header) {
      exists = true;
      textBytes = textBuf.length;
      const body = text.endsWith('\n') ? text.slice(nl + 1, -1) : text.slice(nl + 1);
      for (const x of parseLines(body)) {
        if (!isLine(x, textBytes)) continue;
        const rec: FileRecord = { encoding: x[1], counts: x[2], samples: x[3], textHashes: x[4], litLens: x[5], buf: textBuf, start: x[6] };
        if (x[8]) rec.extra = x[8];
        entries.set(x[0], rec);
      }
    }
  } catch {
    /* missing or unreadable: start empty */
  }
  const encodeRecords = (recs: Iterable<[string, FileRecord]>, offset: number) => {
    const lines: string[] = [];
    const texts: Buffer[] = [];
    for (const [h, r] of recs) {
      let n = 0;
      for (const l of r.litLens) n += l;
      texts.push(r.buf.subarray(r.start, r.start + n));
      const line: Line = [h, r.encoding, r.counts, r.samples, r.textHashes, r.litLens, offset, offset + n];
      if (r.extra) line.push(r.extra);
      lines.push(asciiJson(line));
      offset += n;
    }
    return { lines, texts: Buffer.concat(texts) };
  };
  const self: FileCache = {
    get: (hash) => entries.get(hash),
    async save(fresh, live) {
      let dead = 0;
      for (const h of entries.keys()) if (!live.has(h)) dead++;
      const liveCount = entries.size - dead;
      const added = [...fresh].filter(([h]) => !entries.has(h));
      if (exists && dead <= Math.max(1000, liveCount)) {
        if (added.length === 0) return;
        const { lines, texts } = encodeRecords(added, textBytes);
        await appendFile(textsPath, texts);
        await appendFile(indexPath, `${lines.join('\n')}\n`);
        textBytes += texts.length;
      } else {
        const keep = [...entries].filter(([h]) => live.has(h));
        const { lines, texts } = encodeRecords([...keep, ...added], 0);
        await writeAtomic(textsPath, texts, { fsync: false });
        await writeAtomic(indexPath, `${[header, ...lines].join('\n')}\n`, { fsync: false });
        textBytes = texts.length;
        for (const h of [...entries.keys()]) if (!live.has(h)) entries.delete(h);
        await pruneIndexes(dir, indexPath);
      }
      for (const [h, r] of added) entries.set(h, r);
      exists = true;
      const stamp = await stampOf(indexPath, textsPath);
      lastOpened = stamp ? { indexPath, stamp, cache: self } : undefined;
    },
  };
  return self;
}

/** JSON with every non-ASCII character escaped (report details and warnings may quote text). */
function asciiJson(x: unknown): string {
  return JSON.stringify(x).replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Keeps the KEEP_INDEXES most recently written indexes (other option sets), removes the rest. */
async function pruneIndexes(dir: string, current: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  // The old single-file cache of earlier versions.
  if (names.includes('file-results.json')) await rm(join(dir, 'file-results.json'), { force: true });
  const indexes = names.filter((n) => /^file-results-[0-9a-f]+\.ndjson$/.test(n));
  if (indexes.length <= KEEP_INDEXES) return;
  const withTimes = await Promise.all(indexes.map(async (n) => ({ p: join(dir, n), t: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  withTimes.sort((a, b) => b.t - a.t);
  for (const { p } of withTimes.slice(KEEP_INDEXES)) {
    if (p === current) continue;
    await rm(p, { force: true });
    await rm(p.replace(/\.ndjson$/, '.texts'), { force: true });
  }
}
