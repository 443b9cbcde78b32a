// A run record (what a successful run of a stage produced) as stored in the run cache and in
// .pipeline/state/: untrusted input on the way back in. It is parsed with a schema, carries a
// checksum over its own content, and is only used for a stage when it names that stage and key
// and exactly the outs the stage declares for that key (re-derived from the stage, never read from
// the record). Out paths are plain workspace-relative paths below one of those outs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { z } from 'zod';
import { stableStringify } from './params.js';
import { isUnder } from './pathSpec.js';

/** A content hash as src/hashFile.ts writes it (XXH3-128: 32 hex digits; records of earlier versions
 * hold 64-digit sha256 hashes, which simply match nothing now). */
export const HASH = /^[0-9a-f]{32}(?:[0-9a-f]{32})?$/;

/** `a/b/c`: no leading `/`, no `.`/`..`/empty segment, no backslash or NUL. */
export function isPlainRelative(p: string): boolean {
  return p.length > 0 && !p.startsWith('/') && !/[\\\0]/.test(p) && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

const relPath = z.string().refine(isPlainRelative, 'not a plain workspace-relative path');

const outFileSchema = z.object({ path: relPath, hash: z.string().regex(HASH), size: z.number().int().nonnegative(), exec: z.boolean().optional() }).strict();

const recordSchema = z
  .object({
    v: z.literal(1),
    stage: z.string().min(1),
    key: z.string().regex(HASH),
    code: z.string(),
    params: z.record(z.string(), z.unknown()),
    declaredOuts: z.array(relPath),
    outs: z.array(outFileSchema),
    ms: z.number(),
    finishedAt: z.string(),
    /** Set when the stage called ctx.provisional: why the outs are not final (the stage runs again). */
    provisional: z.string().min(1).max(4000).optional(),
    /** sha256 over the rest (sorted keys). Records of earlier versions have none. */
    sum: z.string().regex(HASH).optional(),
  })
  .strict();

export type OutFile = z.infer<typeof outFileSchema>;
export type RunRecord = Omit<z.infer<typeof recordSchema>, 'sum'>;

function checksum(rec: RunRecord): string {
  return createHash('sha256')
    .update(`pipeline-record-v1\0${stableStringify(rec)}`)
    .digest('hex');
}

/** The text written for a record: its fields plus their checksum. */
export function formatRecord(rec: RunRecord): string {
  const { sum: _old, ...plain } = rec as RunRecord & { sum?: string };
  return `${JSON.stringify({ ...plain, sum: checksum(plain) }, null, 1)}\n`;
}

/** Parses a record's text; a string is what is wrong with it. */
export function parseRecord(text: string): RunRecord | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue?.path.join('.') || '(record)'}: ${issue?.message ?? 'invalid'}`;
  }
  const { sum, ...rec } = parsed.data;
  if (sum !== undefined && sum !== checksum(rec)) return 'checksum mismatch (the record was damaged or edited)';
  const seen = new Set<string>();
  for (const o of rec.outs) {
    if (seen.has(o.path)) return `out file ${o.path} is listed twice`;
    seen.add(o.path);
    const owners = rec.declaredOuts.filter((d) => isUnder(o.path, d));
    if (owners.length !== 1) return `out file ${o.path} is not below exactly one declared out`;
  }
  // A declared out is a file or a directory, not both.
  for (const o of rec.outs) {
    const d = rec.declaredOuts.find((x) => isUnder(o.path, x))!;
    if (d !== o.path && rec.outs.some((f) => f.path === d)) return `declared out ${d} is both a file and a directory`;
  }
  return rec;
}

/** Why `rec` cannot stand for a run of `stage` under `key` with these outs (undefined: it can). */
export function recordProblem(rec: RunRecord, stage: string, key: string | undefined, outs: readonly string[]): string | undefined {
  if (rec.stage !== stage) return `it is a record of stage '${rec.stage}'`;
  if (key !== undefined && rec.key !== key) return 'it is a record of another key';
  const a = [...rec.declaredOuts].sort();
  const b = [...outs].sort();
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
    return `it names outs ${JSON.stringify(rec.declaredOuts)}, the stage declares ${JSON.stringify(outs)}`;
  }
  return undefined;
}

const warned = new Set<string>();

/** One warning per damaged state file and process, on stderr (stdout may carry --json events). */
export function warnState(file: string, problem: string, consequence: string): void {
  if (warned.has(file)) return;
  warned.add(file);
  // Named as the user would type it from where they run the pipeline (the workspace, usually).
  const rel = isAbsolute(file) ? relative(process.cwd(), file) : file;
  const shown = rel && !rel.startsWith('..') ? rel : file;
  process.stderr.write(`warning: ${shown}: ${problem}; ${consequence}\n`);
}

/**
 * Reads a record file: undefined when it is missing, and also (with one warning naming it) when it
 * does not parse, fails its checksum, or is not a record of `stage` (and `key`, when given).
 */
export function readRecordFile(file: string, stage: string, key?: string): RunRecord | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const rec = parseRecord(text);
  const problem = typeof rec === 'string' ? rec : recordProblem(rec, stage, key, rec.declaredOuts);
  if (problem !== undefined || typeof rec === 'string') {
    warnState(file, `unusable run record (${problem})`, 'ignored, the stage counts as not run');
    return undefined;
  }
  return rec;
}
