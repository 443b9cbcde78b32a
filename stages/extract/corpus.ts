// Many files → one deduplicated ShareGPT dataset and one report. Each file's result (its report
// entry and samples) is kept by content hash in the result store (resultStore.ts), so a corpus
// that gained one file reads that one file.
import { readFileSync, statSync } from 'node:fs';
import type { ExtractConfig } from './config.js';
import { fileOptions } from './config.js';
import type { Encoding } from './decode.js';
import { DROP_KEYS, extractFile, type FileReport, type FileResult } from './extractFile.js';
import { askMissing, cachedOracle, openAnswerCache, type ModelQuestion } from './model.js';
import { decodeBytes } from './decode.js';
import { analyzeText } from './extractFile.js';
import { extractInWorkers, poolSize, readFailure } from './pool.js';
import { openResultStore, storeKey } from './resultStore.js';

export interface InputFile {
  /** Path shown in the report (relative to the input directory). */
  name: string;
  abs: string;
  /** Content hash (sha256 hex), when known: enables the result store. */
  hash?: string;
  /** The encoding extract.encoding forces for this file (none: detected). */
  encoding?: Encoding;
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
  /** Files whose encoding is a guess that may be wrong (each has `encoding_warning`). */
  encoding_warnings: number;
  utterances: FileReport['utterances'];
  dropped: Record<string, number>;
}

export interface CorpusResult {
  totals: CorpusTotals;
  /** Files that yielded nothing because they could not be read as text. */
  skipped: Array<{ file: string; reason: string; detail: string }>;
  /** Things to tell the user: encodings that are guesses, a damaged result store. */
  warnings: string[];
  /** How many files were extracted (not served from the store). */
  extracted: number;
  /** How many worker threads extracted them (0: the main thread did). */
  workers: number;
  /** attribution: model — what was asked (absent with rules). */
  model?: { questions: number; asked: number; failed: number; labelled: number };
  /** The samples, deduplicated across files (the first file in name order keeps a sample). */
  samples: ShareGptSample[];
  /** The ShareGPT dataset as LLaMA-Factory reads it: `formatDataset(samples)`. */
  datasetText(): string;
  /** The report as JSON text: a header, then one line per file; `extra` keys go into the header. */
  reportText(extra?: Record<string, unknown>): string;
  /** Milliseconds spent loading the store, extracting, and saving the store. */
  timing: { cacheLoadMs: number; extractMs: number; cacheSaveMs: number };
}

export interface ExtractCorpusOptions {
  config: ExtractConfig;
  /** Directory for the result store; none: every file is read. */
  cacheDir?: string;
  onProgress?: (done: number, total: number, file: string) => void;
  signal?: AbortSignal;
  /** Worker threads to extract with (pool.ts poolSize); default: extract.workers. */
  workers?: number | 'auto';
}

const byName = (a: InputFile, b: InputFile) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
/** Files read at once on a cold run. */
const READ_BATCH = 32;
/** A file's key in the store: its content, and how it is decoded when that is forced. */
const storeKeyOf = (f: InputFile) => (f.hash === undefined ? undefined : f.encoding ? `${f.hash}+${f.encoding}` : f.hash);

export async function extractCorpus(files: readonly InputFile[], o: ExtractCorpusOptions): Promise<CorpusResult> {
  const opts = fileOptions(o.config);
  let t0 = performance.now();
  const store = o.cacheDir ? await openResultStore(o.cacheDir, await storeKey(o.config)) : undefined;
  const cacheLoadMs = performance.now() - t0;
  t0 = performance.now();

  const sorted = [...files].sort(byName);
  const keys = sorted.map(storeKeyOf);
  const results = new Array<FileResult>(sorted.length);
  // This run's results by key: the store is saved with exactly these.
  const live = new Map<string, FileResult>();
  const missing: number[] = [];
  sorted.forEach((_, i) => {
    const k = keys[i];
    const hit = k === undefined ? undefined : (live.get(k) ?? store?.get(k));
    if (hit) {
      results[i] = hit;
      live.set(k!, hit);
    } else missing.push(i);
  });
  let extracted = 0;
  const ep = o.config.attribution === 'model' ? o.config.endpoint : null;
  const early: string[] = [];
  if (o.config.attribution === 'model' && !ep)
    early.push('attribution: model, but extract.endpoint is not set: the lines the rules leave open stay unused (rules only)');
  const answers = ep ? await openAnswerCache(o.cacheDir) : undefined;
  if (answers?.warning) early.push(answers.warning);
  const model = ep ? { questions: 0, asked: 0, failed: 0, labelled: 0 } : undefined;
  let modelError: string | undefined;
  // Rules alone: the files are independent, so the distinct ones go to worker threads when there
  // are enough of them (attribution: model asks the endpoint per batch on this thread instead).
  const pooled = ep ? { extracted: 0, workers: 0 } : await extractPooled(sorted, keys, missing, results, live, opts, o);
  extracted += pooled.extracted;
  const onThisThread = pooled.workers ? [] : missing;
  for (let b = 0; b < onThisThread.length; b += READ_BATCH) {
    if (o.signal?.aborted) throw new Error('interrupted');
    const batch = onThisThread.slice(b, b + READ_BATCH);
    // (Read synchronously, as the workers do: fs/promises' readFile costs ~0.25 ms of CPU a file, more
    // than extracting a small one; the thread extracts synchronously right after anyway.)
    const bufs = batch.map((i) => {
      try {
        return readFileSync(sorted[i]!.abs);
      } catch (err) {
        throw readFailure(sorted[i]!.name, (err as Error).message);
      }
    });
    // attribution: model — the questions of this batch not answered yet, asked before extracting.
    const unanswered = new Set<number>();
    if (ep && answers && model) {
      const byFile = new Map<number, ModelQuestion[]>();
      batch.forEach((i, n) => {
        const dec = decodeBytes(bufs[n]!, sorted[i]!.encoding);
        const qs: ModelQuestion[] = [];
        // (Every open line's question is recorded: answered ones too, for the counts.)
        if (dec.ok)
          analyzeText(
            dec.text,
            opts,
            cachedOracle(ep.model, () => undefined, qs),
          );
        byFile.set(i, qs);
        model.questions += qs.length;
      });
      const all = [...byFile.values()].flat();
      const r = await askMissing(all, answers, ep, o.signal);
      model.asked += r.asked;
      model.failed += r.failed;
      modelError ??= r.error;
      for (const q of all) if (answers.get(q.key)) model.labelled++;
      for (const [i, qs] of byFile) if (qs.some((q) => answers.get(q.key) === undefined)) unanswered.add(i);
    }
    batch.forEach((i, n) => {
      const k = keys[i];
      // A copy of a file read earlier in this batch.
      const again = k === undefined ? undefined : live.get(k);
      const res = again ?? extractFile(bufs[n]!, opts, sorted[i]!.encoding, ep && answers ? cachedOracle(ep.model, answers.get) : undefined);
      if (!again) extracted++;
      results[i] = res;
      // (A file some of whose questions went unanswered is extracted again next run.)
      if (k !== undefined && !unanswered.has(i)) live.set(k, res);
      o.onProgress?.(sorted.length - missing.length + b + n + 1, sorted.length, sorted[i]!.name);
    });
  }
  if (missing.length === 0 && sorted.length) o.onProgress?.(sorted.length, sorted.length, sorted.at(-1)!.name);
  const extractMs = performance.now() - t0;
  t0 = performance.now();
  if (store) await store.save(live);
  await answers?.save();
  const cacheSaveMs = performance.now() - t0;

  const totals: CorpusTotals = {
    files: sorted.length,
    files_skipped: 0,
    files_with_samples: 0,
    samples: 0,
    duplicates_across_files: 0,
    encodings: {},
    encoding_warnings: 0,
    utterances: { persona: 0, doctor: 0, other: 0, uncertain: 0 },
    dropped: Object.fromEntries(DROP_KEYS.map((k) => [k, 0])),
  };
  const skipped: CorpusResult['skipped'] = [];
  const warnings: string[] = [...(store?.warning ? [store.warning] : []), ...early];
  if (model?.failed)
    warnings.push(
      `attribution: model: ${model.failed} of ${model.questions} questions unanswered (${modelError ?? 'endpoint failed'}): those lines stay to the rules`,
    );
  const samples: ShareGptSample[] = [];
  const seen = new Set<string>();
  const system = o.config.system_prompt;
  // The stage and the command resolve it (persona.system_prompt, or the curated dataset's) first.
  if (system === null) throw new Error('extractCorpus: extract.system_prompt is not resolved');
  results.forEach(({ report, samples: own }, i) => {
    const name = sorted[i]!.name;
    let kept = 0;
    for (const s of own) {
      const k = JSON.stringify(s);
      if (seen.has(k)) {
        totals.duplicates_across_files++;
        continue;
      }
      seen.add(k);
      kept++;
      samples.push({ system, conversations: s.map((value, t) => ({ from: t % 2 === 0 ? 'human' : 'gpt', value })) });
    }
    if (kept > 0) totals.files_with_samples++;
    totals.samples += kept;
    let enc: string | null = report.encoding;
    if (enc === null) {
      const reason = report.reason ?? 'skipped';
      totals.files_skipped++;
      skipped.push({ file: name, reason, detail: report.detail ?? reason });
      enc = `(${reason})`;
    }
    totals.encodings[enc] = (totals.encodings[enc] ?? 0) + 1;
    if (report.encoding_warning !== undefined) {
      totals.encoding_warnings++;
      warnings.push(`${name}: ${report.encoding_warning}`);
    }
    for (const k of ['persona', 'doctor', 'other', 'uncertain'] as const) totals.utterances[k] += report.utterances[k];
    for (const k of DROP_KEYS) totals.dropped[k]! += report.dropped[k];
  });

  const { persona, doctor, others, ...rest } = opts;
  const header = {
    input_dir: o.config.input_dir,
    output: o.config.output,
    options: { ...rest, names: { persona: persona.names, doctor: doctor.names, others: others.length } },
    totals,
  };
  return {
    totals,
    skipped,
    warnings,
    extracted,
    workers: pooled.workers,
    ...(model ? { model } : {}),
    samples,
    timing: { cacheLoadMs, extractMs, cacheSaveMs },
    datasetText: () => formatDataset(samples),
    reportText: (extra = {}) =>
      renderReport(
        { ...header, ...extra },
        results.map((r, i) => ({ file: sorted[i]!.name, ...r.report })),
      ),
  };
}

/**
 * The missing files in worker threads, each distinct content once (a copy takes the first one's
 * result); fills `results` and `live` (in name order, as the loop on this thread does). Returns how
 * many were extracted and by how many workers: 0 and 0 when the pool is not worth starting (then
 * nothing was done).
 */
async function extractPooled(
  sorted: readonly InputFile[],
  keys: ReadonlyArray<string | undefined>,
  missing: readonly number[],
  results: FileResult[],
  live: Map<string, FileResult>,
  opts: ReturnType<typeof fileOptions>,
  o: ExtractCorpusOptions,
): Promise<{ extracted: number; workers: number }> {
  const firstOf = new Map<string, number>();
  const todo = missing.filter((i) => {
    const k = keys[i];
    if (k === undefined) return true;
    if (firstOf.has(k)) return false;
    firstOf.set(k, i);
    return true;
  });
  const workers = o.workers ?? o.config.workers;
  // (auto: the pool is worth its start-up only for enough input; a stat is a few µs a file.)
  let bytes = 0;
  for (const i of workers === 'auto' ? todo : [])
    try {
      bytes += statSync(sorted[i]!.abs).size;
    } catch (err) {
      throw readFailure(sorted[i]!.name, (err as Error).message);
    }
  const size = poolSize(todo.length, bytes, workers);
  if (size === 0) return { extracted: 0, workers: 0 };
  let done = sorted.length - missing.length;
  const files = todo.map((i) => {
    const f = sorted[i]!;
    return f.encoding ? { i, name: f.name, abs: f.abs, encoding: f.encoding } : { i, name: f.name, abs: f.abs };
  });
  await extractInWorkers(files, opts, size, {
    signal: o.signal,
    onResult: (i, res) => {
      results[i] = res;
      o.onProgress?.(++done, sorted.length, sorted[i]!.name);
    },
  });
  for (const i of missing) {
    const k = keys[i];
    if (k === undefined) continue;
    results[i] ??= results[firstOf.get(k)!]!;
    live.set(k, results[i]);
  }
  if (done < sorted.length) o.onProgress?.(sorted.length, sorted.length, sorted.at(-1)!.name);
  return { extracted: todo.length, workers: size };
}

/** The header pretty-printed, then `"files"` with one compact line per file. */
function renderReport(header: Record<string, unknown>, files: readonly unknown[]): string {
  const head = `${JSON.stringify(header, null, 2).slice(0, -2)},\n  "files": `;
  return files.length ? `${head}[\n    ${files.map((f) => JSON.stringify(f)).join(',\n    ')}\n  ]\n}\n` : `${head}[]\n}\n`;
}

/** ShareGPT JSON as LLaMA-Factory reads it (stable formatting, trailing newline). */
export function formatDataset(samples: readonly ShareGptSample[]): string {
  return `${JSON.stringify(samples, null, 2)}\n`;
}
