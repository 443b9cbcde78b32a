// `pipeline extract …`: the old script's command line, outside the DAG. Reads the top-level *.txt
// files of --input_dir (--glob to choose others), writes --output and a report (--report FILE; by
// default next to the output, never the pipeline's own), and with --merge-existing FILE merges the
// new samples into a hand-curated dataset (deduplicated, FILE.bak first, atomic replace).
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs as parseArgv } from 'node:util';
import { z } from 'zod';
import { UsageError, UserError, type CommandContext, type CommandDef } from '../../src/api.js';
import { configSchema, type ExtractConfig } from './config.js';
import { extractCorpus, type CorpusResult, type ShareGptSample } from './corpus.js';
import { forcedEncodings, listFiles, writeAtomic } from './fileIo.js';
import { parseSamples, resolvePersonaPrompt, type PersonaPrompt } from '../persona/index.js';

const USAGE = `Usage: pipeline extract --input_dir DIR --output FILE [--report FILE] [--glob GLOB] [--max_turns N]
                        [--min_assistant_chars N] [--max_human_chars N] [--max_assistant_chars N]
                        [--allow-nsfw] [--merge-existing FILE]

Extracts dialogue between Eyjafjalla and the Doctor from the fan-fiction files of DIR into a
ShareGPT dataset. Defaults come from the extract: section of pipeline.yaml when there is one.
--glob GLOB      which files of DIR are read, relative to it (default extract.glob, "*.txt":
                 the top-level .txt files; "**/*.txt" also reads subdirectories)
--report FILE    the per-file report; default: next to --output (out.json → out.report.json).
                 The pipeline's own report (extract.report) is written only when named here.
--merge-existing FILE also adds the new samples, deduplicated, to the existing dataset FILE
(the original is kept as FILE.bak). Flags may be spelled with - or _ (--input-dir, --input_dir).`;

const VALUE_FLAGS = [
  'input_dir',
  'output',
  'report',
  'glob',
  'max_turns',
  'min_assistant_chars',
  'max_human_chars',
  'max_assistant_chars',
  'merge_existing',
] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];
const INT_FLAGS: ReadonlySet<ValueFlag> = new Set(['max_turns', 'min_assistant_chars', 'max_human_chars', 'max_assistant_chars']);

export interface ParsedArgs {
  overrides: Partial<Record<ValueFlag, string | number>>;
  allowNsfw: boolean;
  help: boolean;
}

const str = { type: 'string' } as const;
const OPTIONS = {
  ...(Object.fromEntries(VALUE_FLAGS.map((f) => [f, str])) as Record<ValueFlag, typeof str>),
  allow_nsfw: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--input-dir` and `--input_dir` are the same flag (the old script used both spellings). */
const normalizeFlag = (a: string) => (a.startsWith('--') ? a.replace(/^--([^=]*)/, (_, name: string) => `--${name.replace(/-/g, '_')}`) : a);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  let values: ReturnType<typeof parseArgv<{ args: string[]; options: typeof OPTIONS; strict: true; allowPositionals: false }>>['values'];
  try {
    ({ values } = parseArgv({ args: argv.map(normalizeFlag), options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    // node:util's messages quote the option (as normalized): name it as the user wrote it.
    const e = err as Error & { code?: string };
    const quoted = /'(-[^' ]*)/.exec(e.message)?.[1];
    const flag = argv.find((a) => quoted !== undefined && normalizeFlag(a).split('=')[0] === quoted)?.split('=')[0] ?? quoted ?? '';
    const why =
      e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${flag}`
        : e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
          ? `unexpected argument ${/'([^']*)'/.exec(e.message)?.[1] ?? ''}`
          : e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
            ? `${flag} ${/does not take/.test(e.message) ? 'takes no value' : 'needs a value'}`
            : e.message;
    throw new UsageError(`extract: ${why}\n\n${USAGE}`);
  }
  const out: ParsedArgs = { overrides: {}, allowNsfw: values.allow_nsfw === true, help: values.help === true };
  for (const flag of VALUE_FLAGS) {
    const value = values[flag];
    if (typeof value !== 'string') continue;
    if (value === '') throw new UsageError(`extract: --${flag} needs a value`);
    if (INT_FLAGS.has(flag)) {
      if (!/^\d+$/.test(value)) throw new UsageError(`extract: --${flag} must be a whole number, got ${JSON.stringify(value)}`);
      out.overrides[flag] = Number(value);
    } else out.overrides[flag] = value;
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
      const where = issue.path.length
        ? `record ${String(issue.path[0])}${issue.path.length > 1 ? `, field ${issue.path.slice(1).join('.')}` : ''}`
        : 'top level';
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
    const names = await listFiles(inputDir, config.glob);
    if (names.length === 0) throw new UserError(`extract: no files in ${config.input_dir} match ${JSON.stringify(config.glob)} (--glob)`);
    const forced = await forcedEncodings(inputDir, config.encoding);
    const output = resolve(ctx.workspace, config.output);
    // Only an explicit --report names the report; pipeline.yaml's extract.report is the DAG's.
    const reportArg = typeof overrides.report === 'string' ? overrides.report : config.output.replace(/(\.json)?$/i, '.report.json');
    const report = resolve(ctx.workspace, reportArg);
    // The dataset is written as the files come and replaces --output (atomically) at the end; the
    // report's lines wait in a scratch dir until the header (with the totals) is known.
    const scratch = await mkdtemp(join(tmpdir(), 'pipeline-extract-'));
    try {
      const res = await extractCorpus(
        names.map((name) => {
          const encoding = forced.get(name);
          return { name, abs: join(inputDir, name), ...(encoding ? { encoding } : {}) };
        }),
        { config, dataset: output, scratchDir: scratch },
      );
      try {
        const extra: Record<string, unknown> = {};
        if (mergeExisting !== undefined) {
          const target = resolve(ctx.workspace, String(mergeExisting));
          // (The merge holds both datasets, as it always did: it rewrites the curated one whole.)
          const m = await mergeInto(target, JSON.parse(await readFile(output, 'utf8')) as ShareGptSample[]);
          extra.merge_existing = { file: String(mergeExisting), added: m.added, total_after_merge: m.total };
          ctx.stdout.write(`[OK] merged ${m.added} new samples into ${mergeExisting} (${m.total} in all; backup ${mergeExisting}.bak)\n`);
        }
        res.writeReport(report, extra);
      } finally {
        res.dispose();
      }
      reportOk(ctx, res, config.output, reportArg);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return 0;
  },
};

function reportOk(ctx: CommandContext, res: CorpusResult, output: string, reportArg: string): void {
  const t = res.totals;
  ctx.stdout.write(`[OK] files=${t.files} skipped=${t.files_skipped} samples=${t.samples} output=${output}\n[OK] report=${reportArg}\n`);
  for (const w of res.warnings) ctx.stderr.write(`extract: warning: ${w}\n`);
  for (const f of res.skipped) ctx.stderr.write(`extract: skipped ${f.file}: ${f.detail}\n`);
}
