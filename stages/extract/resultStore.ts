// The extract stage's per-file results, kept between runs in the stage cache dir: one NDJSON file
// per option set, `results-<options key>.ndjson`, one line per input file of the last run:
//
//   {"key":"<content sha256>[+<forced encoding>]","sha256":"<sha256 of key, newline, result JSON>","result":{"report":{…},"samples":[[…]]}}
//
// The file is rewritten whole, atomically, when this run's files differ from the ones it holds. It
// is untrusted input: a line that does not parse, fails its checksum or the schema is ignored and
// that input file is extracted again (one warning per run names the file and the count).
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fileOptions, type ExtractConfig } from './config.js';
import { ENCODINGS } from './decode.js';
import type { FileResult } from './extractFile.js';
import { writeAtomic } from './fileIo.js';

/** Bump when what a file yields changes in a way the source hash below would not catch. */
const STORE_VERSION = 7;
/** Stores kept for other option sets (switching back to one re-extracts nothing). */
const KEEP_STORES = 4;

const count = z.number().int().min(0);
const reportSchema = z
  .object({
    status: z.enum(['ok', 'skipped']),
    reason: z.string().optional(),
    detail: z.string().optional(),
    encoding: z.enum(ENCODINGS).nullable(),
    encoding_warning: z.string().optional(),
    bytes: count,
    utterances: z.object({ persona: count, doctor: count, other: count, uncertain: count }).strict(),
    non_speech: z.object({ thought: count, term: count, sign: count }).strict(),
    samples: count,
    dropped: z
      .object({
        uncertain_speaker: count,
        other_speaker: count,
        nsfw_utterances: count,
        short_assistant: count,
        long_assistant: count,
        long_human: count,
        leading_assistant: count,
        no_anchor_runs: count,
        nsfw_paragraphs: count,
        unclosed_quotes: count,
        long_paragraphs: count,
        duplicate_samples: count,
      })
      .strict(),
    nsfw_words_excused: count,
    warnings: z.array(z.object({ line: count, reason: z.string() }).strict()),
  })
  .strict();

/** A sample: human first, alternating, ending with her: an even number of turns. */
const sampleSchema = z.array(z.string()).refine((s) => s.length >= 2 && s.length % 2 === 0, 'a sample has an even number of turns');

const resultSchema: z.ZodType<FileResult> = z
  .object({ report: reportSchema, samples: z.array(sampleSchema) })
  .strict()
  .refine((r) => r.report.samples === r.samples.length, 'report.samples must count the samples');

/** `{"key":K,"sha256":S,"result":R}`, with R's exact text. */
const LINE_RE = /^\{"key":("(?:[^"\\]|\\.)*"),"sha256":"([0-9a-f]{64})","result":(.*)\}$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** The checksum binds a result to its key: a line whose result was moved under another key fails it. */
const checksum = (key: string, resultJson: string) => createHash('sha256').update(key).update('\n').update(resultJson).digest('hex');

let sourceHash: string | undefined;
/** Hash of this stage's source (its folder, or the bundle that holds it), so a code change starts a new store. */
async function moduleSourceHash(): Promise<string> {
  if (sourceHash) return sourceHash;
  const h = createHash('sha256');
  const self = new URL(import.meta.url);
  if (/\/stages\/extract\/[^/]+\.[cm]?[jt]s$/.test(self.pathname)) {
    const dir = new URL('.', self);
    for (const f of (await readdir(dir)).filter((n) => /\.(ts|js)$/.test(n)).sort()) h.update(f).update(await readFile(new URL(f, dir)));
  } else h.update(await readFile(self));
  sourceHash = h.digest('hex').slice(0, 16);
  return sourceHash;
}

/** Names the store of one option set: what a file yields depends on these and on the code. */
export async function storeKey(config: ExtractConfig): Promise<string> {
  return sha256(JSON.stringify({ v: STORE_VERSION, src: await moduleSourceHash(), o: fileOptions(config) })).slice(0, 24);
}

export interface ResultStore {
  /** The stored result for a key (content hash, plus the forced encoding if any). */
  get(key: string): FileResult | undefined;
  /** Makes the store hold exactly `entries` (this run's files); writes only when that changes it. */
  save(entries: ReadonlyMap<string, FileResult>): Promise<void>;
  /** Set when lines had to be ignored: say it once. */
  readonly warning: string | undefined;
}

export async function openResultStore(dir: string, key: string): Promise<ResultStore> {
  const path = join(dir, `results-${key}.ndjson`);
  const held = new Map<string, { line: string; result: FileResult }>();
  let bad = 0;
  const text = await readFile(path, 'utf8').catch(() => undefined);
  for (const line of text === undefined ? [] : text.split('\n')) {
    if (line === '') continue;
    const entry = parseLine(line);
    if (entry && !held.has(entry.key)) held.set(entry.key, { line, result: entry.result });
    else bad++;
  }
  return {
    get: (k) => held.get(k)?.result,
    warning: bad ? `${path}: ${bad} damaged ${bad === 1 ? 'entry' : 'entries'} ignored; ${bad === 1 ? 'its file is' : 'their files are'} read again` : undefined,
    async save(entries) {
      const same = bad === 0 && entries.size === held.size && [...entries].every(([k, r]) => held.get(k)?.result === r);
      if (same) return;
      const out: string[] = [];
      for (const [k, result] of entries) {
        const h = held.get(k);
        out.push(h?.result === result ? h.line : formatLine(k, result));
      }
      await writeAtomic(path, out.length ? `${out.join('\n')}\n` : '', { fsync: false });
      await pruneOthers(dir, path);
    },
  };
}

export function formatLine(key: string, result: FileResult): string {
  const r = JSON.stringify(result);
  return `{"key":${JSON.stringify(key)},"sha256":"${checksum(key, r)}","result":${r}}`;
}

function parseLine(line: string): { key: string; result: FileResult } | undefined {
  const m = LINE_RE.exec(line);
  if (!m) return undefined;
  try {
    const key: unknown = JSON.parse(m[1]!);
    if (typeof key !== 'string' || checksum(key, m[3]!) !== m[2]) return undefined;
    const raw: unknown = JSON.parse(m[3]!);
    if (!resultSchema.safeParse(raw).success) return undefined;
    // The parsed text itself, not the schema's copy: its key order is what the report prints.
    return { key, result: raw as FileResult };
  } catch {
    return undefined;
  }
}

/** Keeps the KEEP_STORES most recently written stores; removes the rest and earlier formats. */
async function pruneOthers(dir: string, current: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (/^file-results/.test(n)) await rm(join(dir, n), { force: true });
  const stores = names.filter((n) => /^results-[0-9a-f]+\.ndjson$/.test(n));
  if (stores.length <= KEEP_STORES) return;
  const timed = await Promise.all(stores.map(async (n) => ({ p: join(dir, n), t: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  timed.sort((a, b) => b.t - a.t);
  for (const { p } of timed.slice(KEEP_STORES)) if (p !== current) await rm(p, { force: true });
}
