// Keeps the pipeline's entries in the shared data/dataset_info.json: merges them in without
// touching any other entry, refuses to overwrite an entry it did not write last (a conflict), and
// says when the file lacks or differs from them. What the pipeline wrote last is remembered in
// .pipeline/published/register.json (per dataset_info.json path).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { StageError } from '../../src/api.js';
import { containedPath, writeFileAtomic } from '../../src/atomicWrite.js';
import { editObjectText, lineCol, memberOffsets, newObjectText, parseJsonWithPosition } from './datasetInfoText.js';

export const entrySchema = z
  .object({
    file_name: z.string(),
    formatting: z.literal('sharegpt'),
    columns: z.object({ messages: z.string(), system: z.string().optional() }).strict(),
    num_samples: z.number().int().positive().optional(),
  })
  .strict();
export type DatasetEntry = z.infer<typeof entrySchema>;

/** The stage's out `artifacts/register/entries.json`. */
export const ownedEntriesSchema = z
  .object({
    /** Workspace-relative path of the dataset_info.json the entries belong in. */
    dataset_info: z.string(),
    entries: z.record(z.string(), entrySchema),
  })
  .strict();
export type OwnedEntries = z.infer<typeof ownedEntriesSchema>;

const publishedRecordSchema = z.record(z.string(), z.record(z.string(), z.unknown()));
export const PUBLISHED_RECORD = '.pipeline/published/register.json';

/** JSON with object keys sorted, so key order does not count as a difference. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function sameContent(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** Where dataset_info.json is written: inside the workspace (register.dataset_dir may not leave it). */
export function infoFileFor(workspace: string, rel: string): string {
  try {
    return containedPath(workspace, rel, `${rel} (register.dataset_dir)`);
  } catch (err) {
    throw new StageError(`${(err as Error).message}; register merges its entries only into a dataset_info.json inside the workspace`);
  }
}

interface InfoFile {
  text: string | undefined;
  object: Record<string, unknown>;
}

async function readInfoFile(abs: string, rel: string): Promise<InfoFile> {
  if (!existsSync(abs)) return { text: undefined, object: {} };
  const text = await readFile(abs, 'utf8');
  const parsed = parseJsonWithPosition(text);
  if (!parsed.ok) {
    throw new StageError(`${rel}:${parsed.line}:${parsed.col}: not valid JSON (${parsed.message}); fix the file, the pipeline will not rewrite it`);
  }
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StageError(`${rel}:1:1: expected a JSON object of dataset entries (name → {file_name, …})`);
  }
  return { text, object: value as Record<string, unknown> };
}

async function readRecord(workspace: string): Promise<z.infer<typeof publishedRecordSchema>> {
  const abs = resolve(workspace, PUBLISHED_RECORD);
  if (!existsSync(abs)) return {};
  try {
    const parsed = publishedRecordSchema.safeParse(JSON.parse(await readFile(abs, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    /* not JSON */
  }
  // Only an accelerator of conflict detection: without it every differing entry counts as foreign.
  process.stderr.write(`warning: ${PUBLISHED_RECORD} is damaged; ignored\n`);
  return {};
}

function describeDifference(existing: unknown, wanted: DatasetEntry): string {
  if (typeof existing !== 'object' || existing === null) return `it is ${JSON.stringify(existing)}`;
  const ex = existing as Record<string, unknown>;
  const keys = new Set([...Object.keys(ex), ...Object.keys(wanted)]);
  const diffs: string[] = [];
  for (const k of keys) {
    const a = ex[k];
    const b = (wanted as Record<string, unknown>)[k];
    if (!sameContent(a, b))
      diffs.push(
        `${k}: ${a === undefined ? '(absent)' : JSON.stringify(a)} in the file, ${b === undefined ? '(absent)' : JSON.stringify(b)} from the pipeline`,
      );
  }
  return diffs.join('; ');
}

/** Merges the owned entries into dataset_info.json (idempotent). Returns what changed. */
export async function publishEntries(
  workspace: string,
  owned: OwnedEntries,
  log: (line: string) => void = () => {},
): Promise<{ added: string[]; updated: string[]; removed: string[] }> {
  const rel = owned.dataset_info;
  const abs = infoFileFor(workspace, rel);
  const info = await readInfoFile(abs, rel);
  const record = await readRecord(workspace);
  const lastWritten = record[rel] ?? {};
  const set: Record<string, unknown> = {};
  const added: string[] = [];
  const updated: string[] = [];
  const conflicts: string[] = [];
  const offsets = info.text ? memberOffsets(info.text) : new Map<string, number>();
  for (const [name, entry] of Object.entries(owned.entries)) {
    const existing = info.object[name];
    if (existing === undefined) {
      set[name] = entry;
      added.push(name);
    } else if (!sameContent(existing, entry)) {
      if (name in lastWritten && sameContent(existing, lastWritten[name])) {
        set[name] = entry;
        updated.push(name);
      } else {
        const { line, col } = lineCol(info.text ?? '', offsets.get(name) ?? 0);
        conflicts.push(
          `${rel}:${line}:${col}: entry "${name}" already exists with different content that the pipeline did not write (${describeDifference(existing, entry)}).`,
        );
      }
    }
  }
  if (conflicts.length > 0) {
    throw new StageError(
      `${conflicts.join('\n')}\nNothing was changed. Rename or delete that entry in ${rel}, or give the dataset another name under register.sources in pipeline.yaml.`,
    );
  }
  const removed: string[] = [];
  for (const [name, entry] of Object.entries(lastWritten)) {
    if (name in owned.entries) continue;
    // no longer a source: remove what the pipeline wrote, unless the user has changed it since
    if (name in info.object && sameContent(info.object[name], entry)) removed.push(name);
  }
  if (added.length + updated.length + removed.length > 0) {
    const text = info.text === undefined ? newObjectText(set) : editObjectText(info.text, { set, remove: removed });
    await writeFileAtomic(abs, text, { root: workspace, keepMode: true });
    for (const n of added) log(`${rel}: added entry "${n}"`);
    for (const n of updated) log(`${rel}: updated entry "${n}"`);
    for (const n of removed) log(`${rel}: removed entry "${n}" (no longer in register.sources)`);
  }
  if (!sameContent(lastWritten, owned.entries)) {
    record[rel] = owned.entries;
    await writeFileAtomic(PUBLISHED_RECORD, `${JSON.stringify(record, null, 2)}\n`, { root: workspace });
  }
  return { added, updated, removed };
}

/** Reasons dataset_info.json does not hold the owned entries as they are ([] when it does). */
export async function verifyEntries(workspace: string, owned: OwnedEntries): Promise<string[]> {
  const rel = owned.dataset_info;
  const abs = resolve(workspace, rel);
  if (!existsSync(abs)) return [`${rel} is missing`];
  let info: InfoFile;
  try {
    info = await readInfoFile(abs, rel);
  } catch (e) {
    return [(e as Error).message];
  }
  const reasons: string[] = [];
  for (const [name, entry] of Object.entries(owned.entries)) {
    const existing = info.object[name];
    if (existing === undefined) reasons.push(`${rel} lacks entry "${name}"`);
    else if (!sameContent(existing, entry)) reasons.push(`${rel}: entry "${name}" differs (${describeDifference(existing, entry)})`);
  }
  return reasons;
}
