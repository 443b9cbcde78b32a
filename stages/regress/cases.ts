// Regression cases: one JSON object per line (see DESIGN.md), validated with line and field in
// every error. The old regression script's files load as they are: strings where lists are
// expected, a missing id, non-integer lengths and extra keys (ignored, with a warning). Regexes are
// Python `re` patterns, translated per check (pyRegex.ts).
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { translatePyRegex } from './pyRegex.js';

const text = z.string().min(1, 'must be a non-empty string');
// The old script's case files: a string stands for a list of one (`"regex_must": "…"`).
const textOrList = z.union([z.string(), z.array(z.string())]).transform((v) => (typeof v === 'string' ? [v] : v));
// Lengths: the old script applies a length check only to an int; anything else is ignored (warned).
const length = z.unknown().optional();

export const CHECK_KEYS = [
  'must_contain',
  'must_contain_any',
  'must_not_contain',
  'must_not_contain_any',
  'min_chars',
  'max_chars',
  'regex_must',
  'regex_must_not',
] as const;

export const checksSchema = z.object({
  must_contain: textOrList.optional(),
  must_contain_any: textOrList.optional(),
  must_not_contain: textOrList.optional(),
  must_not_contain_any: textOrList.optional(),
  min_chars: length,
  max_chars: length,
  regex_must: textOrList.optional(),
  regex_must_not: textOrList.optional(),
});

export type Checks = z.infer<typeof checksSchema>;

// Like the old script, a message without a role or with `content: null` is dropped (see parseCases).
const messageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

const CASE_KEYS = ['id', 'tags', 'system_override', 'messages', 'checks'];

export const caseSchema = z
  .object({
    id: text,
    tags: textOrList.default([]),
    system_override: z.string().nullable().optional(),
    messages: z.array(messageSchema).min(1, 'needs at least one message'),
    checks: checksSchema.default({}),
  })
  .superRefine((c, ctx) => {
    const turns = c.messages[0]?.role === 'system' ? c.messages.slice(1) : c.messages;
    const offset = c.messages.length - turns.length;
    turns.forEach((m, i) => {
      const want = i % 2 === 0 ? 'user' : 'assistant';
      if (m.role !== want) {
        ctx.addIssue({
          code: 'custom',
          path: ['messages', i + offset, 'role'],
          message: `expected "${want}": messages alternate user/assistant, starting with user (an optional system message first)`,
        });
      }
    });
    if (turns.length % 2 === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['messages'],
        message: `has ${turns.length} user/assistant messages; it must end with a user message (odd count), or LLaMA-Factory answers HTTP 400`,
      });
    }
  });

export type RegressionCase = z.infer<typeof caseSchema>;

/** A case plus where it came from. */
export interface LoadedCase extends RegressionCase {
  line: number;
}

/** An integer length check, as the old script applies it; undefined for a missing or non-integer one. */
export function intLength(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** Drops what the old script drops before validation: messages without a role or with null content. */
function normalizeRaw(json: unknown, index: number): { value: unknown; dropped: number; defaultedId: boolean } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { value: json, dropped: 0, defaultedId: false };
  const o = { ...(json as Record<string, unknown>) };
  let dropped = 0;
  if (Array.isArray(o.messages)) {
    const kept = o.messages.filter((m) => {
      const ok = typeof m === 'object' && m !== null && typeof (m as { role?: unknown }).role === 'string' && (m as { content?: unknown }).content != null;
      if (!ok) dropped++;
      return ok;
    });
    o.messages = kept;
  }
  const defaultedId = o.id === undefined || o.id === null;
  if (defaultedId) o.id = `case_${index}`;
  return { value: o, dropped, defaultedId };
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(record)';
}

/**
 * Parses the JSONL text of a cases file (the old script's shape too); throws one Error listing
 * every problem (file:line: field …). Warnings (ignored keys and checks) go to `warnings`.
 */
export function parseCases(content: string, file: string, warnings: string[] = []): LoadedCase[] {
  const problems: string[] = [];
  const cases: LoadedCase[] = [];
  const seen = new Map<string, number>();
  const extraKeys = new Set<string>();
  const extraChecks = new Set<string>();
  const lines = content.split(/\r?\n/);
  let index = 0;
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      problems.push(`${file}:${line}: not valid JSON (${(err as Error).message})`);
      return;
    }
    // The old script's id for a case without one: case_<n>, n = cases read so far, from 0.
    const { value, dropped } = normalizeRaw(json, index++);
    const parsed = caseSchema.safeParse(value);
    if (!parsed.success) {
      const id = typeof (value as { id?: unknown })?.id === 'string' ? ` (id ${(value as { id: string }).id})` : '';
      for (const issue of parsed.error.issues) {
        problems.push(`${file}:${line}${id}: ${formatPath(issue.path)} ${issue.message}`);
      }
      return;
    }
    const c = parsed.data;
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj)) if (!CASE_KEYS.includes(k)) extraKeys.add(k);
    const rawChecks = (obj.checks ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(rawChecks)) if (!(CHECK_KEYS as readonly string[]).includes(k)) extraChecks.add(k);
    if (dropped > 0) warnings.push(`${file}:${line} (id ${c.id}): ${dropped} message(s) without a role or with null content left out, as the old script did`);
    for (const k of ['min_chars', 'max_chars'] as const) {
      const n = c.checks[k];
      if (n !== undefined && intLength(n) === undefined) {
        warnings.push(`${file}:${line} (id ${c.id}): checks.${k} is ${JSON.stringify(n)}, not a whole number: ignored, as the old script did`);
      }
    }
    for (const field of ['regex_must', 'regex_must_not'] as const) {
      (c.checks[field] ?? []).forEach((pattern, i) => {
        const t = translatePyRegex(pattern);
        if (t.ok) return;
        if (t.kind === 'invalid') problems.push(`${file}:${line} (id ${c.id}): checks.${field}[${i}] is not a valid regex: ${t.reason}`);
        else
          warnings.push(`${file}:${line} (id ${c.id}): checks.${field}[${i}] ${JSON.stringify(pattern)}: ${t.reason}; the case fails with regex_unsupported`);
      });
    }
    const first = seen.get(c.id);
    if (first !== undefined) {
      problems.push(`${file}:${line}: id "${c.id}" duplicates the case on line ${first}`);
      return;
    }
    seen.set(c.id, line);
    cases.push({ ...c, line });
  });
  if (extraKeys.size > 0) warnings.push(`${file}: key(s) ${[...extraKeys].join(', ')} are not case fields: kept in the file, ignored`);
  if (extraChecks.size > 0) warnings.push(`${file}: check(s) ${[...extraChecks].join(', ')} are unknown: ignored`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more`);
    throw new CasesError(`invalid regression cases:\n  ${shown.join('\n  ')}`);
  }
  if (cases.length === 0) throw new CasesError(`${file}: no regression cases (the file is empty)`);
  return cases;
}

export class CasesError extends Error {
  override name = 'CasesError';
}

/** Reads and validates a cases file (`display` is the path shown in messages). */
export async function loadCases(absPath: string, display: string, warnings: string[] = []): Promise<LoadedCase[]> {
  let content: string;
  try {
    content = await readFile(absPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CasesError(`${display}: regression cases file not found (set regress.cases in pipeline.yaml)`);
    }
    throw err;
  }
  return parseCases(content, display, warnings);
}
