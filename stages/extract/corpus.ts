// Many files → one deduplicated ShareGPT dataset and one report. Per-file results are cached by
// (content hash, options, algorithm version) in one append-only file (fileCache.ts), each holding
// its samples already rendered as dataset JSON and its report line: a corpus that gained one file
// reads one file, walks the cache's record headers and copies byte ranges.
import { readFile } from 'node:fs/promises';
import type { ExtractConfig } from './config.js';
import { fileOptions } from './config.js';
import { DROP_KEYS, extractFile, type FileReport } from './extractFile.js';
import {
  C,
  cacheKey,
  openFileCache,
  recCount,
  recEncoding,
  recSkipReason,
  recReportLen,
  recSamples,
  recSampleTable,
  recTextLen,
  recTexts,
  recTextsStart,
  toRecord,
  type FileRecord,
} from './fileCache.js';

export { ALGORITHM_VERSION, cacheKey } from './fileCache.js';

export interface InputFile {
  /** Path shown in the report (relative to the input directory). */
  name: string;
  abs: string;
  /** Content hash (sha256 hex), when known: enables the per-file cache. */
  hash?: string;
}

export interface ShareGptSample {
  system: string;
  conversations: Array<{ from: 'human' | 'gpt'; value: string }>;
}

export interface CorpusTotals {
  files: number;
  files_skipped: number;
  files_with_samples: number;
  samples: number;
  duplicates_across_files: number;
  encodings: Record<string, number>;
  utterances: FileReport['utterances'];
  dropped: Record<string, number>;
}

export interface CorpusReport {
  input_dir: string;
  output: string;
  options: Record<string, unknown>;
  totals: CorpusTotals;
  files: Array<{ file: string } & FileReport>;
}

export interface CorpusResult {
  totals: CorpusTotals;
  /** Files that yielded nothing because they could not be read as text. */
  skipped: Array<{ file: string; reason: string; detail: string }>;
  /** How many files were extracted (not served from the cache). */
  extracted: number;
  /** The ShareGPT dataset as LLaMA-Factory reads it, UTF-8 (what `formatDataset(samples())` gives). */
  datasetBytes(): Buffer;
  /**
   * The same bytes in chunks of about 1 MiB, for writing a big dataset without holding it: each
   * chunk is only valid until the next one is asked for.
   */
  datasetChunks(): Iterable<Uint8Array>;
  /** The report as JSON text: a header, then one line per file; `extra` keys go into the header. */
  reportText(extra?: Record<string, unknown>): string;
  /** The same report as UTF-8 bytes (what the stage writes). */
  reportBytes(extra?: Record<string, unknown>): Buffer;
  /** The samples as objects (parses the rendered dataset). */
  samples(): ShareGptSample[];
  /** Milliseconds spent loading the cache, extracting, and saving the cache. */
  timing: { cacheLoadMs: number; extractMs: number; cacheSaveMs: number };
}

export interface ExtractCorpusOptions {
  config: ExtractConfig;
  /** Directory for the per-file cache; none: every file is read. */
  cacheDir?: string;
  onProgress?: (done: number, total: number, file: string) => void;
  signal?: AbortSignal;
  /** Size of the chunks `datasetChunks` hands out (default 1 MiB; tests use tiny ones). */
  chunkBytes?: number;
}

const byName = (a: InputFile, b: InputFile) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
/** Files read at once on a cold run. */
const READ_BATCH = 32;

export async function extractCorpus(files: readonly InputFile[], o: ExtractCorpusOptions): Promise<CorpusResult> {
  const opts = fileOptions(o.config);
  let t0 = performance.now();
  const cache = o.cacheDir ? await openFileCache(o.cacheDir, await cacheKey(o.config)) : undefined;
  const cacheLoadMs = performance.now() - t0;
  t0 = performance.now();

  const sorted = [...files].sort(byName);
  const records: FileRecord[] = new Array<FileRecord>(sorted.length);
  const fresh = new Map<string, FileRecord>();
  const missing: number[] = [];
  sorted.forEach((file, i) => {
    const hit = file.hash ? cache?.get(file.hash) : undefined;
    if (hit) records[i] = hit;
    else missing.push(i);
  });
  let extracted = 0;
  for (let b = 0; b < missing.length; b += READ_BATCH) {
    if (o.signal?.aborted) throw new Error('interrupted');
    const batch = missing.slice(b, b + READ_BATCH);
    const bufs = await Promise.all(batch.map((i) => readFile(sorted[i]!.abs)));
    batch.forEach((i, k) => {
      const file = sorted[i]!;
      const seenHere = file.hash ? fresh.get(file.hash) : undefined;
      if (seenHere) {
        records[i] = seenHere;
        return;
      }
      const rec = toRecord(file.hash ?? '', extractFile(bufs[k]!, opts));
      extracted++;
      records[i] = rec;
      if (file.hash) fresh.set(file.hash, rec);
      o.onProgress?.(sorted.length - missing.length + b + k + 1, sorted.length, file.name);
    });
  }
  if (missing.length === 0 && sorted.length) o.onProgress?.(sorted.length, sorted.length, sorted.at(-1)!.name);
  const extractMs = performance.now() - t0;
  t0 = performance.now();
  if (cache) await cache.save(fresh);
  const cacheSaveMs = performance.now() - t0;

  const { kept, duplicates, perFile } = dedupSamples(records);
  const totals: CorpusTotals = {
    files: sorted.length,
    files_skipped: 0,
    files_with_samples: 0,
    samples: 0,
    duplicates_across_files: duplicates,
    encodings: {},
    utterances: { persona: 0, doctor: 0, other: 0, uncertain: 0 },
    dropped: Object.fromEntries(DROP_KEYS.map((k) => [k, 0])),
  };
  const dropSums = new Array<number>(DROP_KEYS.length).fill(0);
  const skipped: CorpusResult['skipped'] = [];
  records.forEach((rec, i) => {
    if (perFile[i]! > 0) totals.files_with_samples++;
    totals.samples += perFile[i]!;
    let enc: string | null = recEncoding(rec);
    if (enc === null) {
      const why = recSkipReason(rec);
      const reason = why.reason ?? 'skipped';
      totals.files_skipped++;
      skipped.push({ file: sorted[i]!.name, reason, detail: why.detail ?? reason });
      enc = `(${reason})`;
    }
    totals.encodings[enc] = (totals.encodings[enc] ?? 0) + 1;
    totals.utterances.persona += recCount(rec, C.utterances);
    totals.utterances.doctor += recCount(rec, C.utterances + 1);
    totals.utterances.other += recCount(rec, C.utterances + 2);
    totals.utterances.uncertain += recCount(rec, C.utterances + 3);
    for (let k = 0; k < DROP_KEYS.length; k++) dropSums[k]! += recCount(rec, C.dropped + k);
  });
  DROP_KEYS.forEach((k, i) => (totals.dropped[k] = dropSums[i]!));

  const system = JSON.stringify(o.config.system_prompt);
  const { persona, doctor, others, ...rest } = opts;
  const header = {
    input_dir: o.config.input_dir,
    output: o.config.output,
    options: { ...rest, names: { persona: persona.names, doctor: doctor.names, others: others.length } },
    totals,
  };
  const datasetChunks = () => renderDataset(system, records, kept, totals.samples, o.chunkBytes ?? CHUNK_BYTES);
  let dataset: Buffer | undefined;
  const datasetBytes = () => {
    if (!dataset) {
      // Each chunk is copied before the next one reuses its buffer.
      const copies: Buffer[] = [];
      for (const c of datasetChunks()) copies.push(Buffer.from(c));
      dataset = Buffer.concat(copies);
    }
    return dataset;
  };
  const reportBytes = (extra: Record<string, unknown> = {}) =>
    renderReport(
      { ...header, ...extra },
      sorted.map((f) => f.name),
      records,
    );
  return {
    totals,
    skipped,
    extracted,
    timing: { cacheLoadMs, extractMs, cacheSaveMs },
    datasetBytes,
    datasetChunks,
    reportBytes,
    reportText: (extra) => reportBytes(extra).toString('utf8'),
    samples: () => JSON.parse(datasetBytes().toString('utf8')) as ShareGptSample[],
  };
}

/**
 * Cross-file dedup: the first file in name order keeps a sample. Samples are equal when their
 * rendered bytes are: same length and same 96-bit sha256 prefix (an open-addressing table on
 * typed arrays; no per-sample objects). Returns a flag per sample (in record order) and the number
 * kept per file.
 */
function dedupSamples(records: readonly FileRecord[]): { kept: Uint8Array; duplicates: number; perFile: Uint32Array } {
  let total = 0;
  for (const r of records) total += recSamples(r);
  const kept = new Uint8Array(total);
  const perFile = new Uint32Array(records.length);
  let size = 1024;
  while (size < total * 2) size *= 2;
  const mask = size - 1;
  // Slot → 1 + index of a kept sample in `keys` (4 words a sample: turns, h0, h1, h2).
  const table = new Int32Array(size);
  const keys = new Uint32Array(total * 4);
  let n = 0;
  let g = 0;
  let duplicates = 0;
  for (let fi = 0; fi < records.length; fi++) {
    const w = records[fi]!.w;
    const count = recSamples(records[fi]!);
    let at = recSampleTable(records[fi]!);
    for (let i = 0; i < count; i++, g++, at += 4 + w[at]!) {
      const turns = w[at]!;
      const h0 = w[at + 1]!;
      const h1 = w[at + 2]!;
      const h2 = w[at + 3]!;
      let slot = h0 & mask;
      let dup = false;
      for (let e = table[slot]!; e !== 0; slot = (slot + 1) & mask, e = table[slot]!) {
        const k = (e - 1) * 4;
        if (keys[k] === turns && keys[k + 1] === h0 && keys[k + 2] === h1 && keys[k + 3] === h2) {
          dup = true;
          break;
        }
      }
      if (dup) {
        duplicates++;
        continue;
      }
      keys[n * 4] = turns;
      keys[n * 4 + 1] = h0;
      keys[n * 4 + 2] = h1;
      keys[n * 4 + 3] = h2;
      table[slot] = ++n;
      kept[g] = 1;
      perFile[fi]!++;
    }
  }
  return { kept, duplicates, perFile };
}

const TURN_OPEN = ['      {\n        "from": "human",\n        "value": ', '      {\n        "from": "gpt",\n        "value": '] as const;
const TURN_CLOSE = '\n      }';

/** Bytes of the dataset handed out at a time (one buffer, reused: see renderDataset). */
const CHUNK_BYTES = 1 << 20;

/**
 * The dataset as UTF-8, byte for byte what `formatDataset` prints for the same samples, in chunks
 * of about CHUNK bytes. The text literals are copied from the records; everything between two of
 * them is one constant piece. Every chunk is the same buffer refilled: the consumer must be done
 * with one before asking for the next (writing a dataset of any size touches 1 MiB of memory).
 */
function* renderDataset(systemJson: string, records: readonly FileRecord[], kept: Uint8Array, count: number, CHUNK: number): Generator<Uint8Array> {
  if (count === 0) {
    yield Buffer.from('[]\n');
    return;
  }
  const open = `  {\n    "system": ${systemJson},\n    "conversations": [\n${TURN_OPEN[0]}`;
  const firstOpen = Buffer.from(`[\n${open}`);
  const nextOpen = Buffer.from(`${TURN_CLOSE}\n    ]\n  },\n${open}`);
  const toHuman = Buffer.from(`${TURN_CLOSE},\n${TURN_OPEN[0]}`);
  const toGpt = Buffer.from(`${TURN_CLOSE},\n${TURN_OPEN[1]}`);
  const end = Buffer.from(`${TURN_CLOSE}\n    ]\n  }\n]\n`);
  const chunk = Buffer.allocUnsafe(CHUNK);
  let p = 0;
  let g = 0;
  let first = true;
  let starts = new Uint32Array(64);
  for (const r of records) {
    const w = r.w;
    let bytes: Uint8Array | undefined;
    let at = recSampleTable(r);
    let prepared = false;
    for (let i = recSamples(r); i > 0; i--, g++, at += 4 + w[at]!) {
      if (!kept[g]) continue;
      if (!prepared) {
        // Where each of this record's literals starts in its buffer.
        const nt = recTexts(r);
        if (starts.length < nt + 1) starts = new Uint32Array(nt * 2 + 1);
        starts[0] = recTextsStart(r);
        for (let t = 0; t < nt; t++) starts[t + 1] = starts[t]! + recTextLen(r, t);
        // A plain Uint8Array view: its slices are cheaper to make than Buffer slices.
        bytes = new Uint8Array(r.buf.buffer, r.buf.byteOffset, r.buf.length);
        prepared = true;
      }
      const head = first ? firstOpen : nextOpen;
      first = false;
      const turns = w[at]!;
      let size = head.length;
      for (let k = 0; k < turns; k++) {
        const t = w[at + 4 + k]!;
        size += starts[t + 1]! - starts[t]! + (k === 0 ? 0 : k & 1 ? toGpt.length : toHuman.length);
      }
      if (p + size > CHUNK) {
        yield chunk.subarray(0, p);
        p = 0;
      }
      // A sample bigger than a chunk (no length limits configured) gets a buffer of its own.
      const out = size > CHUNK ? Buffer.allocUnsafe(size) : chunk;
      let q = out === chunk ? p : 0;
      out.set(head, q);
      q += head.length;
      for (let k = 0; k < turns; k++) {
        if (k) {
          const sep = k & 1 ? toGpt : toHuman;
          out.set(sep, q);
          q += sep.length;
        }
        const t = w[at + 4 + k]!;
        out.set(bytes!.subarray(starts[t]!, starts[t + 1]!), q);
        q += starts[t + 1]! - starts[t]!;
      }
      if (out === chunk) p = q;
      else yield out;
    }
  }
  if (p + end.length > CHUNK) {
    yield chunk.subarray(0, p);
    p = 0;
  }
  chunk.set(end, p);
  yield chunk.subarray(0, p + end.length);
}

/** Report header pretty-printed, then `"files"` with one compact line per file. */
function renderReport(header: Record<string, unknown>, names: readonly string[], records: readonly FileRecord[]): Buffer {
  const head = Buffer.from(`${JSON.stringify(header, null, 2).slice(0, -2)},\n  "files": ${records.length ? '[\n    ' : '[]'}`);
  const end = Buffer.from(records.length ? '\n  ]\n}\n' : '\n}\n');
  // Every line is `{"file":NAME,` + the record's report tail; the prefixes are encoded in one go.
  const prefixes = names.map((n, i) => `${i ? ',\n    ' : ''}{"file":${JSON.stringify(n)},`);
  const joined = prefixes.join('');
  const pre = Buffer.from(joined);
  // Names are mostly ASCII: then every prefix's byte length is its string length.
  const ascii = pre.length === joined.length;
  let size = head.length + end.length + pre.length;
  for (const r of records) size += recReportLen(r);
  const out = Buffer.allocUnsafe(size);
  out.set(head, 0);
  let p = head.length;
  let q = 0;
  // Plain Uint8Array views: cheaper to make than Buffer slices, thousands of times over.
  const preBytes = new Uint8Array(pre.buffer, pre.byteOffset, pre.length);
  records.forEach((r, i) => {
    const len = ascii ? prefixes[i]!.length : Buffer.byteLength(prefixes[i]!);
    out.set(preBytes.subarray(q, q + len), p);
    p += len;
    q += len;
    const n = recReportLen(r);
    out.set(new Uint8Array(r.buf.buffer, r.buf.byteOffset + r.blob, n), p);
    p += n;
  });
  out.set(end, p);
  return out;
}

/** ShareGPT JSON as LLaMA-Factory reads it (stable formatting, trailing newline). */
export function formatDataset(samples: readonly ShareGptSample[]): string {
  return `${JSON.stringify(samples, null, 2)}\n`;
}
