// Append-only history of regression runs across adapters and suite versions
// (artifacts/regress/history.jsonl): one line per run, with every case's outcome and response so the
// report can show what flipped between two runs.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { appendFileContained } from '../../src/atomicWrite.js';

export const HISTORY_FILE = 'artifacts/regress/history.jsonl';

export const historyCaseSchema = z.object({
  id: z.string(),
  tags: z.array(z.string()),
  ok: z.boolean(),
  failures: z.array(z.string()),
  response: z.string().nullable(),
  /** The messages sent (system prompt included); absent in entries written before it was kept. */
  messages: z.array(z.object({ role: z.string(), content: z.string() })).optional(),
});

export const historyEntrySchema = z.object({
  v: z.literal(1),
  at: z.string(),
  adapter: z.string(),
  adapter_hash: z.string().nullable(),
  suite_hash: z.string(),
  model: z.string().nullable(),
  total: z.number(),
  passed: z.number(),
  pass_rate: z.number(),
  by_tag: z.record(z.string(), z.object({ total: z.number(), passed: z.number(), pass_rate: z.number() })),
  cases: z.array(historyCaseSchema),
  /** Scalar keys of the adapter's rendered train config, for the report's run labels. */
  train_params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/**
 * Appends one line to `rel` inside `workspace`: one O_APPEND write, so concurrent or interrupted
 * writers do not interleave; never through a symbolic link or outside the workspace.
 */
export function appendHistory(workspace: string, rel: string, entry: HistoryEntry): void {
  appendFileContained(workspace, rel, `${JSON.stringify(historyEntrySchema.parse(entry))}\n`, rel);
}

/** Every valid entry, oldest first, plus a warning per line that could not be read. */
export async function readHistory(absPath: string, display: string): Promise<{ entries: HistoryEntry[]; warnings: string[] }> {
  let text: string;
  try {
    text = await readFile(absPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], warnings: [] };
    throw err;
  }
  const entries: HistoryEntry[] = [];
  const warnings: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      warnings.push(`${display}:${i + 1}: not valid JSON, line ignored`);
      return;
    }
    const parsed = historyEntrySchema.safeParse(json);
    if (parsed.success) entries.push(parsed.data);
    else {
      const issue = parsed.error.issues[0];
      warnings.push(`${display}:${i + 1}: ${issue?.path.join('.') || '(record)'} ${issue?.message ?? 'invalid'}, line ignored`);
    }
  });
  return { entries, warnings };
}
