// Regression cases: one JSON object per line (see DESIGN.md), validated with line and field in
// every error. Regexes are compiled here, up front, so a bad pattern is a data error, not a crash.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const text = z.string().min(1, 'must be a non-empty string');
const textList = z.array(text);

export const checksSchema = z
  .object({
    must_contain: textList.optional(),
    must_contain_any: textList.min(1, 'must list at least one string').optional(),
    must_not_contain: textList.optional(),
    must_not_contain_any: textList.optional(),
    min_chars: z.number().int().min(0).optional(),
    max_chars: z.number().int().min(0).optional(),
    regex_must: textList.optional(),
    regex_must_not: textList.optional(),
  })
  .strict();

export type Checks = z.infer<typeof checksSchema>;

const messageSchema = z
  .object({
    role: z.enum(['user', 'assistant']),
    content: text,
  })
  .strict();

export const caseSchema = z
  .object({
    id: text,
    tags: z.array(text).default([]),
    system_override: z.string().nullable().optional(),
    messages: z.array(messageSchema).min(1, 'needs at least one message'),
    checks: checksSchema.default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    c.messages.forEach((m, i) => {
      const want = i % 2 === 0 ? 'user' : 'assistant';
      if (m.role !== want) {
        ctx.addIssue({
          code: 'custom',
          path: ['messages', i, 'role'],
          message: `expected "${want}": messages alternate user/assistant, starting with user`,
        });
      }
    });
    if (c.messages.length % 2 === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['messages'],
        message: `has ${c.messages.length} messages; it must end with a user message (odd count)`,
      });
    }
    const { min_chars: min, max_chars: max } = c.checks;
    if (min !== undefined && max !== undefined && min > max) {
      ctx.addIssue({ code: 'custom', path: ['checks', 'max_chars'], message: `is below min_chars (${max} < ${min})` });
    }
  });

export type RegressionCase = z.infer<typeof caseSchema>;

/** A case plus where it came from. */
export interface LoadedCase extends RegressionCase {
  line: number;
}

/** The regex flags every pattern is compiled and evaluated with (code-point semantics). */
export const REGEX_FLAGS = 'u';

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(record)';
}

/** Parses the JSONL text of a cases file; throws one Error listing every problem (file:line: field …). */
export function parseCases(content: string, file: string): LoadedCase[] {
  const problems: string[] = [];
  const cases: LoadedCase[] = [];
  const seen = new Map<string, number>();
  const lines = content.split(/\r?\n/);
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
    const parsed = caseSchema.safeParse(json);
    if (!parsed.success) {
      const id = typeof (json as { id?: unknown })?.id === 'string' ? ` (id ${(json as { id: string }).id})` : '';
      for (const issue of parsed.error.issues) {
        problems.push(`${file}:${line}${id}: ${formatPath(issue.path)} ${issue.message}`);
      }
      return;
    }
    const c = parsed.data;
    for (const field of ['regex_must', 'regex_must_not'] as const) {
      (c.checks[field] ?? []).forEach((pattern, i) => {
        try {
          new RegExp(pattern, REGEX_FLAGS);
        } catch (err) {
          problems.push(`${file}:${line} (id ${c.id}): checks.${field}[${i}] is not a valid regex: ${(err as Error).message}`);
        }
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
export async function loadCases(absPath: string, display: string): Promise<LoadedCase[]> {
  let content: string;
  try {
    content = await readFile(absPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CasesError(`${display}: regression cases file not found (set regress.cases in pipeline.yaml)`);
    }
    throw err;
  }
  return parseCases(content, display);
}
