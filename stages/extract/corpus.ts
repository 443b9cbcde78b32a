// Many files → one deduplicated ShareGPT dataset and one report. Per-file results are cached by
// (content hash, options, algorithm version), so a corpus that gained one file re-reads one file.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ExtractConfig } from './config.js';
import { fileOptions } from './config.js';
import { extractFile, type FileReport, type FileResult } from './extractFile.js';
import { writeAtomic } from './fileIo.js';

/** Bump when the algorithm changes in a way the module-source hash below would not catch. */
export const ALGORITHM_VERSION = 1;

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

export interface CorpusReport {
  input_dir: string;
  output: string;
  options: Record<string, unknown>;
  totals: {
    files: number;
    files_skipped: number;
    files_with_samples: number;
    samples: number;
    duplicates_across_files: number;
    encodings: Record<string, number>;
    utterances: FileReport['utterances'];
    dropped: Record<string, number>;
  };
  files: Array<{ file: string } & FileReport>;
}

export interface CorpusResult {
  samples: ShareGptSample[];
  report: CorpusReport;
  /** How many files were extracted (not served from the cache). */
  extracted: number;
}

// The cache file holds the results of every current input file under one options key. It is
// written by this module only and checked shallowly (a deep schema check of 5,000 entries would
// cost more than the extraction it saves); anything unexpected means "start empty".
const cacheFileSchema = z.object({ key: z.string(), entries: z.record(z.string(), z.unknown()) });

let sourceHash: string | undefined;
/** Hash of this module's folder (the algorithm's source), so a code change invalidates the cache. */
async function moduleSourceHash(): Promise<string> {
  if (sourceHash) return sourceHash;
  const dir = new URL('.', import.meta.url);
  const h = createHash('sha256');
  for (const f of (await readdir(dir)).filter((n) => /\.(ts|js)$/.test(n)).sort()) {
    h.update(f);
    h.update(await readFile(new URL(f, dir)));
  }
  sourceHash = h.digest('hex').slice(0, 16);
  return sourceHash;
}

export async function cacheKey(config: ExtractConfig): Promise<string> {
  const payload = JSON.stringify({ v: ALGORITHM_VERSION, src: await moduleSourceHash(), o: fileOptions(config) });
  return createHash('sha256').update(payload).digest('hex').slice(0, 24);
}

/** A cached file result: each distinct turn text stored once, samples as indices into it. */
interface PackedResult {
  r: FileReport;
  t: string[];
  s: number[][];
}

function pack(res: FileResult): PackedResult {
  const index = new Map<string, number>();
  const t: string[] = [];
  const s = res.samples.map((sample) =>
    sample.map((text) => {
      let i = index.get(text);
      if (i === undefined) {
        i = t.length;
        t.push(text);
        index.set(text, i);
      }
      return i;
    }),
  );
  return { r: res.report, t, s };
}

function unpack(p: PackedResult): FileResult {
  return { report: p.r, samples: p.s.map((ix) => ix.map((i) => p.t[i]!)) };
}

async function loadCache(path: string, key: string): Promise<Map<string, PackedResult>> {
  try {
    const parsed = cacheFileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (parsed.success && parsed.data.key === key) return new Map(Object.entries(parsed.data.entries) as Array<[string, PackedResult]>);
  } catch {
    /* missing or unreadable: start empty */
  }
  return new Map();
}

export interface ExtractCorpusOptions {
  config: ExtractConfig;
  /** Directory for the per-file cache; none: every file is read. */
  cacheDir?: string;
  onProgress?: (done: number, total: number, file: string) => void;
  signal?: AbortSignal;
}

export async function extractCorpus(files: readonly InputFile[], o: ExtractCorpusOptions): Promise<CorpusResult> {
  const opts = fileOptions(o.config);
  const key = o.cacheDir ? await cacheKey(o.config) : '';
  const cachePath = o.cacheDir ? join(o.cacheDir, 'file-results.json') : undefined;
  const cache = cachePath ? await loadCache(cachePath, key) : new Map<string, PackedResult>();
  const fresh = new Map<string, PackedResult>();
  let extracted = 0;

  const perFile: Array<{ file: InputFile; result: FileResult }> = [];
  for (const [i, file] of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).entries()) {
    if (o.signal?.aborted) throw new Error('interrupted');
    const hit = file.hash ? (fresh.get(file.hash) ?? cache.get(file.hash)) : undefined;
    let result: FileResult;
    if (hit) result = unpack(hit);
    else {
      result = extractFile(await readFile(file.abs), opts);
      extracted++;
    }
    if (file.hash) fresh.set(file.hash, hit ?? pack(result));
    perFile.push({ file, result });
    o.onProgress?.(i + 1, files.length, file.name);
  }
  if (cachePath && (extracted > 0 || fresh.size !== cache.size)) {
    await writeAtomic(cachePath, JSON.stringify({ key, entries: Object.fromEntries(fresh) }), { fsync: false });
  }

  const system = o.config.system_prompt;
  const seen = new Set<string>();
  const samples: ShareGptSample[] = [];
  const totals: CorpusReport['totals'] = {
    files: files.length,
    files_skipped: 0,
    files_with_samples: 0,
    samples: 0,
    duplicates_across_files: 0,
    encodings: {},
    utterances: { persona: 0, doctor: 0, other: 0, uncertain: 0 },
    dropped: {},
  };
  const reports: CorpusReport['files'] = [];
  for (const { file, result } of perFile) {
    const rep = result.report;
    let kept = 0;
    for (const s of result.samples) {
      const k = s.join('\u0000');
      if (seen.has(k)) {
        totals.duplicates_across_files++;
        continue;
      }
      seen.add(k);
      kept++;
      samples.push({ system, conversations: s.map((value, t) => ({ from: t % 2 === 0 ? 'human' : 'gpt', value })) });
    }
    if (rep.status === 'skipped') totals.files_skipped++;
    if (kept > 0) totals.files_with_samples++;
    const enc = rep.encoding ?? `(${rep.reason ?? 'skipped'})`;
    totals.encodings[enc] = (totals.encodings[enc] ?? 0) + 1;
    for (const k of ['persona', 'doctor', 'other', 'uncertain'] as const) totals.utterances[k] += rep.utterances[k];
    for (const [k, v] of Object.entries(rep.dropped)) totals.dropped[k] = (totals.dropped[k] ?? 0) + v;
    reports.push({ file: file.name, ...rep });
  }
  totals.samples = samples.length;
  const { persona, doctor, others, ...rest } = opts;
  return {
    samples,
    extracted,
    report: {
      input_dir: o.config.input_dir,
      output: o.config.output,
      options: { ...rest, names: { persona: persona.names, doctor: doctor.names, others: others.length } },
      totals,
      files: reports,
    },
  };
}

/** ShareGPT JSON as LLaMA-Factory reads it (stable formatting, trailing newline). */
export function formatDataset(samples: readonly ShareGptSample[]): string {
  return `${JSON.stringify(samples, null, 2)}\n`;
}
