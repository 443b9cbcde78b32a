// `pipeline extract …`: the old script's command line, outside the DAG. Reads every file below
// --input_dir, writes --output and --report, and with --merge-existing FILE merges the new samples
// into a hand-curated dataset (deduplicated, FILE.bak first, atomic replace).
import { copyFile, readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { UsageError, UserError, type CommandContext, type CommandDef } from '../../src/api.js';
import { configSchema, type ExtractConfig } from './config.js';
import { extractCorpus, type ShareGptSample } from './corpus.js';
import { listFiles, writeAtomic } from './fileIo.js';
import { parseSamples, resolvePersonaPrompt, type PersonaPrompt } from '../persona/index.js';

const USAGE = `Usage: pipeline extract --input_dir DIR --output FILE [--report FILE] [--max_turns N]
                        [--min_assistant_chars N] [--max_human_chars N] [--max_assistant_chars N]
                        [--allow-nsfw] [--merge-existing FILE]

Extracts dialogue between Eyjafjalla and the Doctor from the fan-fiction files below DIR into a
ShareGPT dataset. Defaults come from the extract: section of pipeline.yaml when there is one.
--merge-existing FILE also adds the new samples, deduplicated, to the existing dataset FILE
(the original is kept as FILE.bak).`;

const VALUE_FLAGS = ['input_dir', 'output', 'report', 'max_turns', 'min_assistant_chars', 'max_human_chars', 'max_assistant_chars', 'merge_existing'] as const;
const INT_FLAGS = new Set(['max_turns', 'min_assistant_chars', 'max_human_chars', 'max_assistant_chars']);

export interface ParsedArgs {
  overrides: Partial<Record<(typeof VALUE_FLAGS)[number], string | number>>;
  allowNsfw: boolean;
  help: boolean;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { overrides: {}, allowNsfw: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      out.help = true;
      continue;
    }
    if (!a.startsWith('--')) throw new UsageError(`extract: unexpected argument ${JSON.stringify(a)}\n\n${USAGE}`);
    const eq = a.indexOf('=');
    const flag = (eq > 0 ? a.slice(2, eq) : a.slice(2)).replace(/-/g, '_');
    if (flag === 'allow_nsfw') {
      out.allowNsfw = true;
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) throw new UsageError(`extract: unknown option ${a}\n\n${USAGE}`);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new UsageError(`extract: ${a} needs a value`);
    if (INT_FLAGS.has(flag)) {
      if (!/^\d+$/.test(value)) throw new UsageError(`extract: --${flag} must be a whole number, got ${JSON.stringify(value)}`);
      out.overrides[flag as (typeof VALUE_FLAGS)[number]] = Number(value);
    } else out.overrides[flag as (typeof VALUE_FLAGS)[number]] = value;
  }
  return out;
}

const datasetSchema = z.array(
  z
    .object({
      system: z.string().optional(),
      conversations: z.array(z.object({ from: z.string(), value: z.string() }).loose()),
    })
    .loose(),
);

function sampleKey(s: { system?: string; conversations: Array<{ from: string; value: string }> }): string {
  return JSON.stringify([s.system ?? '', s.conversations.map((c) => [c.from, c.value])]);
}

/** Merges `added` into the dataset at `path`: dedup, `path.bak` first, atomic replace. */
export async function mergeInto(path: string, added: readonly ShareGptSample[]): Promise<{ added: number; total: number }> {
  let existing: Array<z.infer<typeof datasetSchema>[number]> = [];
  let raw: string | undefined;
  if (existsSync(path)) {
    raw = await readFile(path, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new UserError(`extract: --merge-existing ${path} is not valid JSON (${(err as Error).message}); nothing was changed`);
    }
    const parsed = datasetSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `record ${String(issue.path[0])}${issue.path.length > 1 ? `, field ${issue.path.slice(1).join('.')}` : ''}` : 'top level';
      throw new UserError(`extract: --merge-existing ${path}: ${where}: ${issue.message} (expected a ShareGPT list); nothing was changed`);
    }
    existing = parsed.data;
  }
  const seen = new Set(existing.map(sampleKey));
  const merged: unknown[] = [...existing];
  let n = 0;
  for (const s of added) {
    const k = sampleKey(s);
    if (seen.has(k)) continue;
    seen.add(k);
    merged.push(s);
    n++;
  }
  if (raw !== undefined) await copyFile(path, `${path}.bak`);
  await writeAtomic(path, `${JSON.stringify(merged, null, 2)}\n`);
  return { added: n, total: merged.length };
}

/**
 * The system prompt of the samples: the old script's (with --merge-existing, the first sample's
 * `system` of that file), else the persona prompt of pipeline.yaml.
 */
async function commandPersonaPrompt(ctx: CommandContext, mergeTarget: string | undefined): Promise<PersonaPrompt> {
  if (mergeTarget !== undefined && existsSync(mergeTarget)) {
    const first = parseSamples(await readFile(mergeTarget, 'utf8'))[0] as { system?: unknown } | undefined;
    if (typeof first?.system === 'string' && first.system !== '') return { prompt: first.system, source: `the first sample of ${mergeTarget}` };
  }
  const params = existsSync(join(ctx.workspace, 'pipeline.yaml')) ? await ctx.params() : { get: () => undefined };
  return resolvePersonaPrompt(params, ctx.workspace);
}

async function baseConfig(ctx: CommandContext): Promise<Record<string, unknown>> {
  if (!existsSync(join(ctx.workspace, 'pipeline.yaml'))) return {};
  const params = await ctx.params();
  return { ...(params.get<Record<string, unknown>>('extract') ?? {}) };
}

export const extractCommand: CommandDef = {
  summary: 'extract dialogue from fan-fiction into a ShareGPT dataset (outside the DAG)',
  usage: USAGE,
  async run(ctx) {
    const args = parseArgs(ctx.argv);
    if (args.help) {
      ctx.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const { merge_existing: mergeExisting, ...overrides } = args.overrides;
    const parsed = configSchema.safeParse({ ...(await baseConfig(ctx)), ...overrides, ...(args.allowNsfw ? { allow_nsfw: true } : {}) });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`extract: --${issue.path.join('.')}: ${issue.message}`);
    }
    const config: ExtractConfig = parsed.data;
    if (config.system_prompt === null) {
      const p = await commandPersonaPrompt(ctx, mergeExisting === undefined ? undefined : resolve(ctx.workspace, String(mergeExisting)));
      config.system_prompt = p.prompt;
      ctx.stderr.write(`extract: system prompt: ${p.source}\n`);
    }
    const inputDir = resolve(ctx.workspace, config.input_dir);
    const st = await stat(inputDir).catch(() => undefined);
    if (!st?.isDirectory()) throw new UserError(`extract: input directory not found: ${config.input_dir}`);
    const names = await listFiles(inputDir);
    const res = await extractCorpus(
      names.map((name) => ({ name, abs: join(inputDir, name) })),
      { config },
    );
    const output = resolve(ctx.workspace, config.output);
    const report = resolve(ctx.workspace, config.report);
    await writeAtomic(output, res.datasetBytes());
    const extra: Record<string, unknown> = {};
    if (mergeExisting !== undefined) {
      const target = resolve(ctx.workspace, String(mergeExisting));
      const m = await mergeInto(target, res.samples());
      extra.merge_existing = { file: String(mergeExisting), added: m.added, total_after_merge: m.total };
      ctx.stdout.write(`[OK] merged ${m.added} new samples into ${mergeExisting} (${m.total} in all; backup ${mergeExisting}.bak)\n`);
    }
    await writeAtomic(report, res.reportBytes(extra));
    const t = res.totals;
    ctx.stdout.write(`[OK] files=${t.files} skipped=${t.files_skipped} samples=${t.samples} output=${config.output}\n[OK] report=${config.report}\n`);
    for (const f of res.skipped) ctx.stderr.write(`extract: skipped ${f.file}: ${f.detail}\n`);
    return 0;
  },
};
