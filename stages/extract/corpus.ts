// Many files → one deduplicated ShareGPT dataset and one report. Per-file results are cached by
// (content hash, options, algorithm version) in one append-only index (fileCache.ts), each holding
// its samples already rendered as dataset JSON and its report line: a corpus that gained one file
// reads one file, parses one index and joins strings.
import { readFile } from 'node:fs/promises';
import type { ExtractConfig } from './config.js';
import { fileOptions } from './config.js';
import { DROP_KEYS, extractFile, type FileReport } from './extractFile.js';
import { C, cacheKey, openFileCache, reportLine, toRecord, type FileRecord } from './fileCache.js';

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
  /** The report as JSON text: a header, then one line per file; `extra` keys go into the header. */
  reportText(extra?: Record<string, unknown>): string;
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
      const rec = toRecord(extractFile(bufs[k]!, opts));
      extracted++;
      records[i] = rec;
      if (file.hash) fresh.set(file.hash, rec);
      o.onProgress?.(sorted.length - missing.length + b + k + 1, sorted.length, file.name);
    });
  }
  if (missing.length === 0 && sorted.length) o.onProgress?.(sorted.length, sorted.length, sorted.at(-1)!.name);
  const extractMs = performance.now() - t0;
  t0 = performance.now();
  if (cache) await cache.save(fresh, new Set(sorted.map((f) => f.hash).filter((h): h is string => h !== undefined)));
  const cacheSaveMs = performance.now() - t0;

  // Cross-file dedup (the first file in name order keeps a sample) and the totals.
  const dedup = new SampleSet();
  const kept: SampleRef[] = [];
  const totals: CorpusTotals = {
    files: sorted.length,
    files_skipped: 0,
    files_with_samples: 0,
    samples: 0,
    duplicates_across_files: 0,
    encodings: {},
    utterances: { persona: 0, doctor: 0, other: 0, uncertain: 0 },
    dropped: Object.fromEntries(DROP_KEYS.map((k) => [k, 0])),
  };
  const dropSums = new Array<number>(DROP_KEYS.length).fill(0);
  const skipped: CorpusResult['skipped'] = [];
  records.forEach((rec, i) => {
    let n = 0;
    const flat = rec.samples;
    for (let off = 0; off < flat.length; off += flat[off]! + 1) {
      if (dedup.add(rec, off)) {
        kept.push({ rec, off });
        n++;
      } else totals.duplicates_across_files++;
    }
    if (n > 0) totals.files_with_samples++;
    let enc = rec.encoding;
    if (enc === null) {
      const reason = rec.extra?.reason ?? 'skipped';
      totals.files_skipped++;
      skipped.push({ file: sorted[i]!.name, reason, detail: rec.extra?.detail ?? reason });
      enc = `(${reason})`;
    }
    totals.encodings[enc] = (totals.encodings[enc] ?? 0) + 1;
    const c = rec.counts;
    totals.utterances.persona += c[C.utterances]!;
    totals.utterances.doctor += c[C.utterances + 1]!;
    totals.utterances.other += c[C.utterances + 2]!;
    totals.utterances.uncertain += c[C.utterances + 3]!;
    for (let k = 0; k < DROP_KEYS.length; k++) dropSums[k]! += c[C.dropped + k]!;
  });
  DROP_KEYS.forEach((k, i) => (totals.dropped[k] = dropSums[i]!));
  totals.samples = kept.length;

  const system = JSON.stringify(o.config.system_prompt);
  const { persona, doctor, others, ...rest } = opts;
  const header = {
    input_dir: o.config.input_dir,
    output: o.config.output,
    options: { ...rest, names: { persona: persona.names, doctor: doctor.names, others: others.length } },
    totals,
  };
  let dataset: Buffer | undefined;
  const datasetBytes = () => (dataset ??= renderDataset(system, kept));
  return {
    totals,
    skipped,
    extracted,
    timing: { cacheLoadMs, extractMs, cacheSaveMs },
    datasetBytes,
    reportText: (extra = {}) =>
      renderReport(
        { ...header, ...extra },
        records.map((r, i) => `{"file":${JSON.stringify(sorted[i]!.name)},${reportLine(r).slice(1)}`),
      ),
    samples: () => JSON.parse(datasetBytes().toString('utf8')) as ShareGptSample[],
  };
}

/** A sample of a file record: `rec.samples[off]` turns, their text indices after it. */
interface SampleRef {
  rec: FileRecord;
  off: number;
}

/** Byte offset of each text literal of a record in its buffer. */
const literalStarts = new WeakMap<FileRecord, Uint32Array>();
function starts(rec: FileRecord): Uint32Array {
  let s = literalStarts.get(rec);
  if (!s) {
    s = new Uint32Array(rec.litLens.length);
    let p = rec.start;
    for (let i = 0; i < s.length; i++) {
      s[i] = p;
      p += rec.litLens[i]!;
    }
    literalStarts.set(rec, s);
  }
  return s;
}

/** Samples seen so far, by content: bucketed by a hash of their text hashes, confirmed by bytes. */
class SampleSet {
  private readonly buckets = new Map<number, SampleRef | SampleRef[]>();

  /** Adds the sample; false when an equal one was added before. */
  add(rec: FileRecord, off: number): boolean {
    const n = rec.samples[off]!;
    let a = n;
    let b = 0x9e3779b9 ^ n;
    for (let k = 1; k <= n; k++) {
      const h = rec.textHashes[rec.samples[off + k]!]!;
      a = Math.imul(a ^ h, 0x01000193);
      b = Math.imul((b << 5) | (b >>> 27), 0x5bd1e995) ^ h;
    }
    const key = (a >>> 0) * 0x200000 + (b >>> 11);
    const ref = { rec, off };
    const bucket = this.buckets.get(key);
    if (!bucket) {
      this.buckets.set(key, ref);
      return true;
    }
    const list = Array.isArray(bucket) ? bucket : [bucket];
    if (list.some((x) => sameSample(x, ref))) return false;
    list.push(ref);
    if (list.length === 2) this.buckets.set(key, list);
    return true;
  }
}

function sameSample(x: SampleRef, y: SampleRef): boolean {
  const n = x.rec.samples[x.off]!;
  if (y.rec.samples[y.off] !== n) return false;
  const xs = starts(x.rec);
  const ys = starts(y.rec);
  for (let k = 1; k <= n; k++) {
    const i = x.rec.samples[x.off + k]!;
    const j = y.rec.samples[y.off + k]!;
    const len = x.rec.litLens[i]!;
    if (y.rec.litLens[j] !== len) return false;
    if (x.rec.buf.compare(y.rec.buf, ys[j]!, ys[j]! + len, xs[i]!, xs[i]! + len) !== 0) return false;
  }
  return true;
}

/** The dataset as UTF-8, byte for byte what `formatDataset` prints for the same samples. */
function renderDataset(systemJson: string, kept: readonly SampleRef[]): Buffer {
  if (kept.length === 0) return Buffer.from('[]\n');
  const open = Buffer.from(`  {\n    "system": ${systemJson},\n    "conversations": [\n`);
  const turnOpen = [Buffer.from('      {\n        "from": "human",\n        "value": '), Buffer.from('      {\n        "from": "gpt",\n        "value": ')] as const;
  const turnClose = Buffer.from('\n      }');
  const close = Buffer.from('\n    ]\n  }');
  let size = 2 + 2; // "[\n" … "\n]\n" minus the last ",\n" is counted below
  for (const { rec, off } of kept) {
    const n = rec.samples[off]!;
    size += open.length + close.length + 2;
    for (let k = 0; k < n; k++) size += turnOpen[k % 2]!.length + rec.litLens[rec.samples[off + 1 + k]!]! + turnClose.length + (k ? 2 : 0);
  }
  const out = Buffer.allocUnsafe(size + 1);
  let p = out.write('[\n', 0, 'latin1');
  kept.forEach(({ rec, off }, si) => {
    if (si) p += out.write(',\n', p, 'latin1');
    p += open.copy(out, p);
    const st = starts(rec);
    const n = rec.samples[off]!;
    for (let k = 0; k < n; k++) {
      if (k) p += out.write(',\n', p, 'latin1');
      p += turnOpen[k % 2]!.copy(out, p);
      const i = rec.samples[off + 1 + k]!;
      p += rec.buf.copy(out, p, st[i]!, st[i]! + rec.litLens[i]!);
      p += turnClose.copy(out, p);
    }
    p += close.copy(out, p);
  });
  p += out.write('\n]\n', p, 'latin1');
  return out.subarray(0, p);
}

/** Report header pretty-printed, then `"files"` with one compact line per file. */
function renderReport(header: Record<string, unknown>, fileLines: readonly string[]): string {
  const head = JSON.stringify(header, null, 2);
  const files = fileLines.length ? `[\n    ${fileLines.join(',\n    ')}\n  ]` : '[]';
  return `${head.slice(0, -2)},\n  "files": ${files}\n}\n`;
}

/** ShareGPT JSON as LLaMA-Factory reads it (stable formatting, trailing newline). */
export function formatDataset(samples: readonly ShareGptSample[]): string {
  return `${JSON.stringify(samples, null, 2)}\n`;
}
