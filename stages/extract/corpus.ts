// Many files → one deduplicated ShareGPT dataset and one report. Each file's result (its report
// entry and samples) is kept by content hash in the result store (resultStore.ts), so a corpus
// that gained one file reads that one file. Results stream through in name order to the outputs
// (corpusOutput.ts) and the new store: memory does not grow with the corpus.
import { readFileSync, statSync } from 'node:fs';
import type { ExtractConfig } from './config.js';
import { fileOptions, type FileOptions } from './config.js';
import type { Encoding } from './decode.js';
import { CorpusOutput } from './corpusOutput.js';
import { extractFile, type FileReport, type FileResult } from './extractFile.js';
import { askMissing, cachedOracle, endpointSource, openAnswerCache, type AnswerCache, type ModelQuestion, type ModelSource } from './model.js';
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
  /**
   * Writes the report (JSON: a header, then one line per file; `extra` keys go into the header) to
   * `path`, replacing it atomically. Before `dispose`.
   */
  writeReport(path: string, extra?: Record<string, unknown>): void;
  /** Removes the report's scratch file. */
  dispose(): void;
  /** Milliseconds spent loading the store, extracting (outputs written as it goes), and saving the store. */
  timing: { cacheLoadMs: number; extractMs: number; cacheSaveMs: number };
}

export interface ExtractCorpusOptions {
  config: ExtractConfig;
  /**
   * Where the dataset goes (ShareGPT JSON as LLaMA-Factory reads it, `formatDataset` of the samples
   * deduplicated across files, the first file in name order keeping a sample): written as the files
   * come, in name order, and put in place (atomically) only when the whole corpus is done.
   */
  dataset: string;
  /** A directory for the report's per-file lines until `writeReport` (the stage's staging dir). */
  scratchDir: string;
  /** Directory for the result store; none: every file is read. */
  cacheDir?: string;
  onProgress?: (done: number, total: number, file: string) => void;
  /** attribution: model — after each answer the model gives: how many it gave in this run so far. */
  onAnswer?: (answered: number) => void;
  signal?: AbortSignal;
  /** Worker threads to extract with (pool.ts poolSize); default: extract.workers. */
  workers?: number | 'auto';
  /**
   * attribution: model — who answers (the stage's: extract.endpoint or the served base model);
   * default: extract.endpoint, if set.
   */
  model?: ModelSource;
}

const byName = (a: InputFile, b: InputFile) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
/** Files read at once on the main thread with attribution: model (their questions asked together). */
const READ_BATCH = 32;
/** A file's key in the store: its content, and how it is decoded when that is forced. */
const storeKeyOf = (f: InputFile) => (f.hash === undefined ? undefined : f.encoding ? `${f.hash}+${f.encoding}` : f.hash);

/** A file's result ready to go out: `keep` puts it in the new store; `fromStore` says it came from the old one. */
interface Ready {
  res: FileResult;
  keep: boolean;
  fromStore: boolean;
}

/**
 * Extracts `files` into one dataset (`o.dataset`) and a report (`writeReport`). The files' results
 * go out in name order as they are ready (from the store, the main thread or the worker pool), so
 * memory holds one batch of them, not the corpus.
 */
export async function extractCorpus(files: readonly InputFile[], o: ExtractCorpusOptions): Promise<CorpusResult> {
  const source = o.config.attribution !== 'model' ? undefined : (o.model ?? (o.config.endpoint ? endpointSource(o.config.endpoint) : undefined));
  const opts: FileOptions = { ...fileOptions(o.config), attribution_model: source?.identity ?? null };
  const system = o.config.system_prompt;
  // The stage and the command resolve it (persona.system_prompt, or the curated dataset's) first.
  if (system === null) throw new Error('extractCorpus: extract.system_prompt is not resolved');
  let t0 = performance.now();
  const store = o.cacheDir ? await openResultStore(o.cacheDir, await storeKey(opts)) : undefined;
  const cacheLoadMs = performance.now() - t0;
  t0 = performance.now();

  const sorted = [...files].sort(byName);
  const keys = sorted.map(storeKeyOf);
  // The first file of each content: the others are copies of its result, held until the last one.
  const firstOf = new Map<string, number>();
  const left = new Map<string, number>();
  keys.forEach((k, i) => {
    if (k === undefined) return;
    if (!firstOf.has(k)) firstOf.set(k, i);
    left.set(k, (left.get(k) ?? 0) + 1);
  });
  const held = new Map<string, FileResult>();
  // The files to extract, unless the store's line turns out damaged when its turn comes.
  const isTodo = keys.map((k, i) => k === undefined || (firstOf.get(k) === i && !store?.has(k)));
  const todo = sorted.flatMap((_, i) => (isTodo[i] ? [i] : []));

  let out: CorpusOutput | undefined;
  let answerCache: AnswerCache | undefined;
  try {
    out = new CorpusOutput(o.dataset, o.scratchDir, system, sorted.length);
    const sink = out;
    let emitted = 0;
    const emit = (i: number, r: Ready) => {
      const k = keys[i];
      if (k !== undefined) {
        const n = left.get(k)! - 1;
        if (n > 0) {
          left.set(k, n);
          held.set(k, r.res);
        } else held.delete(k);
        if (r.keep) store?.keep(k, r.res, r.fromStore);
      }
      sink.add(sorted[i]!.name, r.res);
      o.onProgress?.(++emitted, sorted.length, sorted[i]!.name);
    };
    /** A file not to extract: a copy of an earlier one's result, or the store's (undefined: its line is damaged). */
    const known = (i: number): Ready | undefined => {
      const k = keys[i]!;
      if (firstOf.get(k) !== i) return { res: held.get(k)!, keep: false, fromStore: false };
      const res = store!.get(k);
      return res && { res, keep: true, fromStore: true };
    };
    const early: string[] = [];
    if (o.config.attribution === 'model' && !source)
      early.push('attribution: model, but extract.endpoint is not set: the lines the rules leave open stay unused (rules only)');
    const cache = source ? await openAnswerCache(o.cacheDir) : undefined;
    answerCache = cache;
    if (cache?.warning) early.push(cache.warning);
    const model = source ? { questions: 0, asked: 0, failed: 0, labelled: 0 } : undefined;
    let modelError: string | undefined;
    let answered = 0;
    let extracted = 0;

    /** Reads `batch` on this thread (attribution: model asks its open questions first). */
    const readBatch = async (batch: readonly number[]): Promise<Map<number, { buf: Buffer; keep: boolean }>> => {
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
      if (source && cache && model) {
        const byFile = new Map<number, ModelQuestion[]>();
        batch.forEach((i, n) => {
          const dec = decodeBytes(bufs[n]!, sorted[i]!.encoding);
          const qs: ModelQuestion[] = [];
          // (Every open line's question is recorded: answered ones too, for the counts.)
          if (dec.ok)
            analyzeText(
              dec.text,
              opts,
              cachedOracle(source.identity, () => undefined, qs),
            );
          byFile.set(i, qs);
          model.questions += qs.length;
        });
        const all = [...byFile.values()].flat();
        const unknown = new Set(all.filter((q) => cache.get(q.key) === undefined).map((q) => q.key));
        // (The endpoint is reached — the base model started — only for a question not in the cache.)
        const ep = unknown.size ? await source.endpoint() : undefined;
        const r =
          typeof ep === 'string'
            ? { asked: 0, failed: unknown.size, error: ep }
            : ep
              ? await askMissing(all, cache, ep, o.signal, () => o.onAnswer?.(++answered))
              : { asked: 0, failed: 0 };
        model.asked += r.asked;
        model.failed += r.failed;
        modelError ??= r.error;
        for (const q of all) if (cache.get(q.key)) model.labelled++;
        for (const [i, qs] of byFile) if (qs.some((q) => cache.get(q.key) === undefined)) unanswered.add(i);
      }
      // (A file some of whose questions went unanswered is extracted again next run.)
      return new Map(batch.map((i, n) => [i, { buf: bufs[n]!, keep: !unanswered.has(i) }]));
    };
    const extractRead = (i: number, { buf, keep }: { buf: Buffer; keep: boolean }): Ready => {
      extracted++;
      return {
        res: extractFile(buf, opts, sorted[i]!.encoding, source && cache ? cachedOracle(source.identity, cache.get) : undefined),
        keep,
        fromStore: false,
      };
    };

    // Rules alone: the files are independent, so the distinct ones go to worker threads when there
    // are enough of them (attribution: model asks the endpoint per batch on this thread instead).
    const pooled = source ? { workers: 0, extracted: 0 } : await extractPooled(sorted, todo, isTodo, known, emit, opts, o);
    extracted += pooled.extracted;
    if (!pooled.workers) {
      let next = 0;
      /** Sends out the files before `end`, each extracted (from `read`) right before it goes: no result waits. */
      const upTo = async (end: number, read?: Map<number, { buf: Buffer; keep: boolean }>) => {
        for (; next < end; next++) {
          // (Reads and extraction are synchronous: a turn of the event loop lets a Ctrl-C land.)
          await new Promise<void>((r) => setImmediate(r));
          if (o.signal?.aborted) throw new Error('interrupted');
          const r = read?.get(next);
          read?.delete(next);
          emit(next, r ? extractRead(next, r) : (known(next) ?? extractRead(next, (await readBatch([next])).get(next)!)));
        }
      };
      // (A batch is read at once only to ask the model about it: with rules, one file at a time.)
      const per = source ? READ_BATCH : 1;
      for (let b = 0; b < todo.length; b += per) {
        if (o.signal?.aborted) throw new Error('interrupted');
        const batch = todo.slice(b, b + per);
        await upTo(batch[0]!);
        await upTo(batch.at(-1)! + 1, await readBatch(batch));
      }
      await upTo(sorted.length);
    }
    // (An interrupt that lands after the last file was extracted — the pool's results put out after
    // it finished — still wins: nothing is committed.)
    if (o.signal?.aborted) throw new Error('interrupted');
    sink.commit();
    const extractMs = performance.now() - t0;
    t0 = performance.now();
    await store?.finish();
    await cache?.save();
    const cacheSaveMs = performance.now() - t0;

    const warnings: string[] = [...(store?.warning ? [store.warning] : []), ...early];
    if (model?.failed)
      warnings.push(
        `attribution: model: ${model.failed} of ${model.questions} questions unanswered (${modelError ?? 'endpoint failed'}): those lines stay to the rules`,
      );
    warnings.push(...sink.encodingWarnings);
    const { persona, doctor, others, ...rest } = opts;
    const header = {
      input_dir: o.config.input_dir,
      output: o.config.output,
      options: { ...rest, names: { persona: persona.names, doctor: doctor.names, others: others.length } },
      totals: sink.totals,
    };
    return {
      totals: sink.totals,
      skipped: sink.skipped,
      warnings,
      extracted,
      workers: pooled.workers,
      ...(model ? { model } : {}),
      timing: { cacheLoadMs, extractMs, cacheSaveMs },
      writeReport: (path, extra = {}) => sink.writeReport(path, { ...header, ...extra }),
      dispose: () => sink.dispose(),
    };
  } catch (err) {
    // (The model's answers so far are kept: a Ctrl-C during a long ask does not ask them again.)
    await answerCache?.save().catch(() => undefined);
    out?.dispose();
    store?.close();
    throw err;
  }
}

/** Results the pool may hold that are not sent out yet (it waits when it is this far ahead). */
const AHEAD_PER_WORKER = 32;

/**
 * The files to extract (`todo`, each distinct content once) in worker threads; every file goes out
 * through `emit` in name order as soon as those before it have (a copy takes the first one's result,
 * a stored one is read when its turn comes). Returns how many workers did it and how many files
 * were extracted: 0 and 0 when the pool is not worth starting (then nothing was done).
 */
async function extractPooled(
  sorted: readonly InputFile[],
  todo: readonly number[],
  isTodo: readonly boolean[],
  known: (i: number) => Ready | undefined,
  emit: (i: number, r: Ready) => void,
  opts: ReturnType<typeof fileOptions>,
  o: ExtractCorpusOptions,
): Promise<{ workers: number; extracted: number }> {
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
  if (size === 0) return { workers: 0, extracted: 0 };
  const files = todo.map((i) => {
    const f = sorted[i]!;
    return f.encoding ? { i, name: f.name, abs: f.abs, encoding: f.encoding } : { i, name: f.name, abs: f.abs };
  });
  const arrived = new Map<number, FileResult>();
  let next = 0;
  let here = 0;
  const drain = () => {
    for (; next < sorted.length; next++) {
      // (Interrupted: nothing more goes out; the caller throws before anything is committed.)
      if (o.signal?.aborted) return;
      if (isTodo[next]) {
        const res = arrived.get(next);
        if (!res) return;
        arrived.delete(next);
        emit(next, { res, keep: true, fromStore: false });
      } else emit(next, known(next) ?? { res: (here++, extractNow(sorted[next]!, opts)), keep: true, fromStore: false });
    }
  };
  drain();
  await extractInWorkers(files, opts, size, {
    signal: o.signal,
    ahead: size * AHEAD_PER_WORKER,
    onResult: (i, res) => {
      arrived.set(i, res);
      drain();
    },
  });
  drain();
  return { workers: size, extracted: todo.length + here };
}

/** One file extracted here and now (a stored line found damaged while the pool runs). */
function extractNow(f: InputFile, opts: ReturnType<typeof fileOptions>): FileResult {
  let buf: Buffer;
  try {
    buf = readFileSync(f.abs);
  } catch (err) {
    throw readFailure(f.name, (err as Error).message);
  }
  return extractFile(buf, opts, f.encoding);
}

/** ShareGPT JSON as LLaMA-Factory reads it (stable formatting, trailing newline). */
export function formatDataset(samples: readonly ShareGptSample[]): string {
  return `${JSON.stringify(samples, null, 2)}\n`;
}
