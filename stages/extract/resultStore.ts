// The extract stage's per-file results, kept between runs in the stage cache dir: one NDJSON file
// per option set, `results-<options key>.ndjson`, one line per input file of the last run:
//
//   {"key":"<content sha256>[+<forced encoding>]",
//    "result":{"report":{…},"turns":["<text>",…],"samples":[[0,1],[0,1,2,3],…]},
//    "sha256":"<sha256 of the line's bytes before ,"sha256">"}
//
// (on one line), a sample being the indices of its turns in `turns` (each distinct text once: a
// text is in several sliding windows). Only where each key's line lies is held in memory; a line is
// read and checked when its file comes up. When this run's files differ from the ones it holds, the
// store is rewritten as the run goes (a kept line copied as its bytes) to a temp file renamed over
// it at the end. It is untrusted input: a line that does not parse, fails its checksum or the schema
// is ignored and that input file is extracted again (one warning per run names the file and the count).
import { createHash, hash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { FileOptions } from './config.js';
import { ENCODINGS } from './decode.js';
import { DROP_KEYS, type FileReport, type FileResult } from './extractFile.js';
import { openAtomicFileSync, type AtomicFile } from '../../src/atomicWrite.js';
import { Gather } from './corpusOutput.js';

/** Bump when what a file yields changes in a way the source hash below would not catch. */
const STORE_VERSION = 9;
/** Stores kept for other option sets (switching back to one re-extracts nothing). */
const KEEP_STORES = 4;

const isLinePairs = (v: unknown): boolean =>
  Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && Number.isInteger(p[0]) && p[0] >= 0 && Number.isInteger(p[1]) && p[1] >= 0);

/** A count: a whole number ≥ 0, checked for all of a report's counts at once (wholeCounts). */
const count = z.number();
const whole = (x: number) => Number.isInteger(x) && x >= 0;
const wholeCounts = (r: FileReport) =>
  [
    r.bytes,
    r.samples,
    r.nsfw_words_excused,
    ...Object.values(r.utterances),
    ...Object.values(r.non_speech),
    ...Object.values(r.dropped),
    ...r.warnings.map((w) => w.line),
  ].every(whole);
const reportSchema = z.object({
  status: z.enum(['ok', 'skipped']),
  reason: z.string().optional(),
  detail: z.string().optional(),
  encoding: z.enum(ENCODINGS).nullable(),
  encoding_warning: z.string().optional(),
  bytes: count,
  utterances: z.object({ persona: count, doctor: count, other: count, uncertain: count }),
  non_speech: z.object({ thought: count, term: count, sign: count }),
  samples: count,
  // Every drop key the extractor counts (DROP_KEYS), so none is lost on a read back.
  dropped: z.object(Object.fromEntries(DROP_KEYS.map((k) => [k, count])) as Record<(typeof DROP_KEYS)[number], typeof count>),
  nsfw_words_excused: count,
  warnings: z.array(z.object({ line: count, reason: z.string() })),
  // One [first line, last line] per sample: checked by one predicate, like the lists below.
  sample_lines: z.custom<Array<[number, number]>>(isLinePairs, 'sample_lines must be a list of [line, line] pairs of whole numbers'),
});

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((t) => typeof t === 'string');
/** Every sample an even number (≥ 2) of indices into `turns`. */
const samplesFit = (samples: unknown[], turns: number) =>
  samples.every((s) => Array.isArray(s) && s.length >= 2 && s.length % 2 === 0 && s.every((i) => Number.isInteger(i) && i >= 0 && i < turns));

/**
 * A stored result. Its lists are checked by one predicate each, not a schema per element: on a
 * cold start that alone would cost more than the rest of a one-file run.
 */
const storedSchema = z
  .object({
    report: reportSchema,
    turns: z.custom<string[]>(isStrings, 'turns must be a list of strings'),
    samples: z.custom<number[][]>((v) => Array.isArray(v), 'samples must be a list'),
  })
  .refine(
    (r) => wholeCounts(r.report) && r.report.samples === r.samples.length && samplesFit(r.samples, r.turns.length),
    'counts must be whole numbers ≥ 0, report.samples the number of samples, each sample an even number of indices into turns',
  );

/**
 * A line is `{"key":K,"result":R,"sha256":"S"}`; S is the sha256 of the bytes before `,"sha256"`,
 * so it binds a result to its key (a result moved under another key fails it) and is one hash of
 * one contiguous piece of the file, no copy.
 */
const HEAD = Buffer.from('{"key":');
const SUM_AT = Buffer.from(',"sha256":"');
const TAIL = SUM_AT.length + 64 + 2;

let sourceHash: string | undefined;
/** Hash of this stage's source (its folder, or the bundle that holds it), so a code change starts a new store. */
function moduleSourceHash(): string {
  if (sourceHash) return sourceHash;
  const h = createHash('sha256');
  const self = new URL(import.meta.url);
  // Small files, read synchronously: a trip to the thread pool per file costs more than the read.
  if (/\/stages\/extract\/[^/]+\.[cm]?[jt]s$/.test(self.pathname)) {
    const dir = new URL('.', self);
    for (const f of readdirSync(dir)
      .filter((n) => /\.(ts|js)$/.test(n))
      .sort())
      h.update(f).update(readFileSync(new URL(f, dir)));
  } else h.update(readFileSync(self));
  sourceHash = h.digest('hex').slice(0, 16);
  return sourceHash;
}

/** Names the store of one option set: what a file yields depends on these and on the code. */
export async function storeKey(opts: FileOptions): Promise<string> {
  return hash('sha256', JSON.stringify({ v: STORE_VERSION, src: moduleSourceHash(), o: opts })).slice(0, 24);
}

export interface ResultStore {
  /** Whether the store has a line for the key (not yet checked: `get` may still find it damaged). */
  has(key: string): boolean;
  /**
   * The stored result for a key (content hash, plus the forced encoding if any), read from the file
   * and checked (checksum, schema) now; a damaged line is none (counted for `warning`).
   */
  get(key: string): FileResult | undefined;
  /**
   * One of this run's files, in the order the new store lists them: its result, and whether it is
   * the one `get` gave (its line is copied as it is). A key given again is ignored.
   */
  keep(key: string, result: FileResult, fromStore: boolean): void;
  /** Makes the store hold exactly the kept files: replaces it (atomically) only when that changes it. Closes the store. */
  finish(): Promise<void>;
  /** Closes the store and leaves its file as it was (a failed or interrupted run). */
  close(): void;
  /** Set when lines had to be ignored: say it once. */
  readonly warning: string | undefined;
}

/** How much of the store file is read at once while indexing it. */
const SCAN_CHUNK = 1 << 20;
/** The most of a line's start kept to find its key (a key is a hash and an encoding name). */
const KEY_AT_MOST = 1024;
const RESULT_AT = Buffer.from(',"result":');

/**
 * Calls `line(head, offset, length)` for each line of the file `fd`; `head` is up to KEY_AT_MOST
 * bytes of its start (valid only during the call). Memory: one chunk.
 */
function scanLines(fd: number, line: (head: Buffer, offset: number, length: number) => void): void {
  const buf = Buffer.allocUnsafe(SCAN_CHUNK);
  let pos = 0;
  let start = 0;
  let head: Buffer[] = [];
  let headLen = 0;
  for (let n; (n = readSync(fd, buf, 0, SCAN_CHUNK, pos)) > 0; pos += n) {
    const view = buf.subarray(0, n);
    for (let s = 0; s < n;) {
      const nl = view.indexOf(0x0a, s);
      const e = nl < 0 ? n : nl;
      if (nl >= 0 && start >= pos) {
        // The whole line in this chunk (the usual case): its start as it lies, no copy.
        line(view.subarray(s, Math.min(e, s + KEY_AT_MOST)), start, nl - s);
        start = pos + nl + 1;
        s = nl + 1;
        continue;
      }
      if (headLen < KEY_AT_MOST && e > s) {
        const take = Math.min(e - s, KEY_AT_MOST - headLen);
        head.push(Buffer.from(view.subarray(s, s + take)));
        headLen += take;
      }
      if (nl < 0) break;
      line(Buffer.concat(head), start, pos + nl - start);
      head = [];
      headLen = 0;
      start = pos + nl + 1;
      s = nl + 1;
    }
  }
  if (pos > start) line(Buffer.concat(head), start, pos - start);
}

/** The key a line names, from its start (`{"key":"…","result":`); undefined when it names none. */
function keyOf(head: Buffer): string | undefined {
  if (!head.subarray(0, HEAD.length).equals(HEAD)) return undefined;
  const at = head.indexOf(RESULT_AT, HEAD.length);
  if (at < 0) return undefined;
  try {
    const key: unknown = JSON.parse(head.toString('utf8', HEAD.length, at));
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  for (let got = 0; got < length;) {
    const n = readSync(fd, buf, got, length - got, offset + got);
    if (n === 0) throw new Error('the result store was cut short while it was read');
    got += n;
  }
  return buf;
}

/**
 * Opens the store of one option set: the file is scanned once for where each key's line is (only
 * that is held); a line is read and checked when its key is asked for. The new store is written as
 * the run goes (copied lines and new ones) to a temp file beside it, renamed over it at the end.
 */
export async function openResultStore(dir: string, key: string): Promise<ResultStore> {
  const path = join(dir, `results-${key}.ndjson`);
  const at = new Map<string, { offset: number; length: number }>();
  let bad = 0;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
  } catch {
    fd = undefined;
  }
  try {
    if (fd !== undefined)
      scanLines(fd, (head, offset, length) => {
        if (length === 0) return;
        const k = keyOf(head);
        if (k === undefined || at.has(k)) bad++;
        else at.set(k, { offset, length });
      });
  } catch {
    // An unreadable store is an empty one: every file is read again, and the store rewritten.
    bad += at.size + 1;
    at.clear();
  }
  const lines = at.size;
  const kept = new Set<string>();
  // The lines kept before the first new result: copied once the store has to be written at all.
  let pending: Array<{ k: string; result: FileResult }> = [];
  let out: AtomicFile | undefined;
  let gather: Gather | undefined;
  /** The line `get` read last, to copy it without reading it again. */
  let last: { key: string; line: Buffer } | undefined;
  const close = () => {
    if (fd === undefined) return;
    closeSync(fd);
    fd = undefined;
  };
  const lineOf = (k: string): Buffer => {
    if (last?.key === k) return last.line;
    const p = at.get(k)!;
    return readAt(fd!, p.offset, p.length);
  };
  const copy = (k: string, result: FileResult) => {
    let line: Buffer | string;
    try {
      line = lineOf(k);
    } catch {
      // (The old file changed under us since its line was read: the line is written anew.)
      line = formatLine(k, result);
    }
    gather!.add(line);
    gather!.add(NEWLINE);
  };
  const start = () => {
    if (out) return;
    mkdirSync(dir, { recursive: true });
    const file = openAtomicFileSync(path);
    out = file;
    gather = new Gather((b) => file.write(b));
    for (const { k, result } of pending) copy(k, result);
    pending = [];
  };
  return {
    has: (k) => at.has(k),
    get(k) {
      const p = at.get(k);
      if (!p || fd === undefined) return undefined;
      let line: Buffer;
      try {
        line = readAt(fd, p.offset, p.length);
      } catch {
        // (The file changed under us, cut short or unreadable: that line is damaged, its file read again.)
        bad++;
        at.delete(k);
        return undefined;
      }
      const entry = parseLine(line, 0, line.length);
      if (entry?.key !== k) {
        bad++;
        at.delete(k);
        return undefined;
      }
      last = { key: k, line };
      return entry.result;
    },
    keep(k, result, fromStore) {
      if (kept.has(k)) return;
      kept.add(k);
      if (fromStore && at.has(k)) {
        if (gather) copy(k, result);
        else pending.push({ k, result });
      } else {
        start();
        gather!.add(`${formatLine(k, result)}\n`);
      }
      last = undefined;
    },
    get warning() {
      return bad
        ? `${path}: ${bad} damaged ${bad === 1 ? 'entry' : 'entries'} ignored; ${bad === 1 ? 'its file is' : 'their files are'} read again`
        : undefined;
    },
    async finish() {
      try {
        if (!out && bad === 0 && kept.size === lines) return;
        start();
        gather!.flush();
        out!.commit();
      } finally {
        out?.discard();
        close();
      }
      await pruneOthers(dir, path);
    },
    close() {
      out?.discard();
      close();
    },
  };
}

const NEWLINE = Buffer.from('\n');

export function formatLine(key: string, result: FileResult): string {
  const index = new Map<string, number>();
  const turns: string[] = [];
  const samples = result.samples.map((s) =>
    s.map((t) => {
      let i = index.get(t);
      if (i === undefined) index.set(t, (i = turns.push(t) - 1));
      return i;
    }),
  );
  const head = `{"key":${JSON.stringify(key)},"result":${JSON.stringify({ report: result.report, turns, samples })}`;
  return `${head},"sha256":"${hash('sha256', head)}"}`;
}

function parseLine(buf: Buffer, start: number, end: number): { key: string; result: FileResult } | undefined {
  const sumAt = end - TAIL;
  const ok =
    sumAt > start &&
    buf.subarray(start, start + HEAD.length).equals(HEAD) &&
    buf.subarray(sumAt, sumAt + SUM_AT.length).equals(SUM_AT) &&
    buf[end - 2] === 0x22 &&
    buf[end - 1] === 0x7d;
  if (!ok) return undefined;
  if (hash('sha256', buf.subarray(start, sumAt)) !== buf.toString('latin1', sumAt + SUM_AT.length, end - 2)) return undefined;
  try {
    const line: unknown = JSON.parse(buf.toString('utf8', start, end));
    const { key, result } = (line ?? {}) as { key?: unknown; result?: unknown };
    if (typeof key !== 'string') return undefined;
    const parsed = storedSchema.safeParse(result);
    if (!parsed.success) return undefined;
    const { report, turns, samples } = parsed.data;
    // The schema's copy: unknown keys dropped, keys in the order the report prints them.
    return { key, result: { report: report as FileReport, samples: samples.map((s) => s.map((i) => turns[i]!)) } };
  } catch {
    return undefined;
  }
}

/** A store's temp file (`results-….ndjson.tmp-<pid>-…`) left by a process that is gone. */
function staleTemp(name: string): boolean {
  const pid = /^results-[0-9a-f]+\.ndjson\.tmp-(\d+)-/.exec(name)?.[1];
  if (pid === undefined || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Keeps the KEEP_STORES most recently written stores; removes the rest and earlier formats. */
async function pruneOthers(dir: string, current: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (/^file-results/.test(n) || staleTemp(n)) await rm(join(dir, n), { force: true });
  const stores = names.filter((n) => /^results-[0-9a-f]+\.ndjson$/.test(n));
  if (stores.length <= KEEP_STORES) return;
  const timed = await Promise.all(stores.map(async (n) => ({ p: join(dir, n), t: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  timed.sort((a, b) => b.t - a.t);
  for (const { p } of timed.slice(KEEP_STORES)) if (p !== current) await rm(p, { force: true });
}
