// The `register` stage: validates the ShareGPT datasets named in `register.sources`, writes their
// stats (artifacts/reports/datasets.json) and the dataset_info.json entries it owns
// (artifacts/register/entries.json, plus cleaned copies of datasets it dropped samples from), and
// publishes those entries into the shared data/dataset_info.json without touching foreign ones.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { type CommandDef, defineStage, type ParamsReader, type PublishContext, StageError, type StageContext } from '../../src/api.js';
import { configSchema, type RegisterConfig } from './config.js';
import { ENTRIES_FILE, ENTRIES_OUT, REPORT_OUT } from './paths.js';
import { DuplicateIndex } from './duplicateIndex.js';
import { canonical } from '../../src/pathSpec.js';
import { type DatasetEntry, infoFileFor, ownedEntriesSchema, type OwnedEntries, publishEntries, verifyEntries } from './registry.js';
import { datasetReport, type DatasetsReport, mixReport, summaryLine } from './report.js';
import { type DatasetScan, formatIssue, scanDataset } from './scanDataset.js';
import { loadTokenCounter, type TokenCounter } from './tokenCounter.js';

export { configSchema } from './config.js';
export { trainDatasetArgs } from './mix.js';

export { ENTRIES_FILE, ENTRIES_OUT, REPORT_OUT } from './paths.js';
const CLEAN_DIR = 'clean';
const MAX_ERRORS_SHOWN = 30;

function config(params: ParamsReader): RegisterConfig {
  return configSchema.parse(params.get('register') ?? {});
}

/** dataset_info.json of the configured dataset_dir: workspace-relative POSIX (absolute when outside). */
function datasetInfoPath(cfg: RegisterConfig, workspace: string): string {
  return canonical(workspace, join(cfg.dataset_dir, 'dataset_info.json'));
}

function abs(workspace: string, p: string): string {
  return isAbsolute(p) ? p : join(workspace, p);
}

function entryFor(fileName: string, withSystem: boolean, numSamples: number | undefined): DatasetEntry {
  const entry: DatasetEntry = {
    file_name: fileName,
    formatting: 'sharegpt',
    // LLaMA-Factory reads the declared system column from every sample; declaring it for a dataset
    // where no sample has one makes it fail, so it is declared only when used.
    columns: withSystem ? { messages: 'conversations', system: 'system' } : { messages: 'conversations' },
  };
  if (numSamples !== undefined) entry.num_samples = numSamples;
  return entry;
}

async function loadTokens(ctx: StageContext): Promise<{ counter?: TokenCounter; note: string }> {
  const model = ctx.params.get<string | undefined>('train.model_name_or_path');
  try {
    const counter = await loadTokenCounter(ctx.workspace, model);
    if (counter) return { counter, note: `token counts with ${counter.source}, text only (chat template tokens not included)` };
    return {
      note: model
        ? `${posix.join(model, 'tokenizer.json')} not found: token lengths not checked`
        : 'train.model_name_or_path not set: token lengths not checked',
    };
  } catch (e) {
    ctx.log(`warning: could not load the tokenizer of ${model}: ${(e as Error).message}`);
    return { note: `tokenizer of ${model} could not be loaded (${(e as Error).message}): token lengths not checked` };
  }
}

async function run(ctx: StageContext): Promise<void> {
  const cfg = config(ctx.params);
  // Refused before any work: the dataset_info.json it merges into must lie inside the workspace.
  const infoRel = datasetInfoPath(cfg, ctx.workspace);
  infoFileFor(ctx.workspace, infoRel);
  const cutoffLen = ctx.params.get<number | undefined>('train.cutoff_len');
  const missing = Object.entries(cfg.sources).filter(([, s]) => !existsSync(abs(ctx.workspace, s.file)));
  if (missing.length > 0) {
    throw new StageError(
      missing
        .map(
          ([name, s]) =>
            `register.sources.${name}.file: ${s.file} does not exist${name === 'eyjafjalla_tongren_sft' ? ' (the extract stage makes it; run `pipeline run extract`)' : ''}`,
        )
        .join('\n'),
    );
  }
  const { counter, note } = await loadTokens(ctx);
  const outDir = ctx.out(ENTRIES_OUT);
  await mkdir(join(outDir, CLEAN_DIR), { recursive: true });
  const duplicates = new DuplicateIndex();
  const scans = new Map<string, DatasetScan>();
  const errors: string[] = [];
  let errorCount = 0;
  for (const [name, src] of Object.entries(cfg.sources)) {
    ctx.progress({ message: `validating ${name}` });
    const scan = await scanDataset({
      name,
      file: abs(ctx.workspace, src.file),
      displayFile: src.file,
      onInvalid: src.on_invalid,
      duplicates,
      tokens: counter,
      cutoffLen,
      cleanPath: src.on_invalid === 'drop' ? join(outDir, CLEAN_DIR, `${name}.json`) : undefined,
      onProgress: (n) => ctx.progress({ message: `validating ${name}: ${n} samples` }),
      signal: ctx.signal,
    });
    scans.set(name, scan);
    if (scan.fatal) {
      errors.push(`${scan.fatal} (dataset "${name}")`);
      errorCount++;
    }
    if (src.on_invalid === 'fail' && scan.invalidSamples > 0) {
      errorCount += scan.issues.length;
      for (const issue of scan.issues) errors.push(formatIssue(src.file, issue));
    }
    if (src.on_invalid === 'drop') {
      for (const issue of scan.issues) ctx.log(`dropped: ${formatIssue(src.file, issue)}`);
    }
  }
  if (errors.length > 0) {
    const shown = errors.slice(0, MAX_ERRORS_SHOWN);
    const more = errorCount > shown.length ? `\n… and ${errorCount - shown.length} more problem(s)` : '';
    throw new StageError(
      `invalid dataset samples (on_invalid: fail):\n${shown.join('\n')}${more}\n` +
        'Fix them, or set register.sources.<name>.on_invalid: drop to leave invalid samples out (every drop is reported).',
    );
  }

  const systemReport = systemPromptProblems(scans, cfg.datasets);
  for (const w of systemReport.warnings) ctx.warn(w);
  if (systemReport.mixed !== undefined) {
    if (cfg.mixed_system_prompts === 'fail') {
      throw new StageError(`${systemReport.mixed}\nGive every sample the same system prompt, or set register.mixed_system_prompts: warn.`);
    }
    ctx.warn(systemReport.mixed);
  }

  const owned: OwnedEntries = { dataset_info: infoRel, entries: {} };
  const report: DatasetsReport = {
    cutoff_len: cutoffLen ?? null,
    tokenizer: counter?.source ?? null,
    tokenizer_note: note,
    datasets: {},
    system_prompts: systemReport.prompts,
    mix: mixReport(scans, cfg.datasets, cfg.mix_strategy, cfg.interleave_probs, cfg.num_samples ?? {}, duplicates, counter !== undefined),
  };
  for (const [name, src] of Object.entries(cfg.sources)) {
    const scan = scans.get(name)!;
    const cleanAbs = join(outDir, CLEAN_DIR, `${name}.json`);
    let registered = src.file;
    if (src.on_invalid === 'drop' && scan.invalidSamples > 0) registered = posix.join(ENTRIES_OUT, CLEAN_DIR, `${name}.json`);
    else await rm(cleanAbs, { force: true });
    // Relative to dataset_dir, both resolved against the workspace (an absolute dataset_dir is used as given).
    const fileName = isAbsolute(registered)
      ? registered
      : relative(resolve(ctx.workspace, cfg.dataset_dir), resolve(ctx.workspace, registered)).split(sep).join('/');
    owned.entries[name] = entryFor(fileName, scan.withSystem > 0, cfg.num_samples?.[name]);
    report.datasets[name] = datasetReport(scan, src.file, registered, src.on_invalid);
  }
  await rmdir(join(outDir, CLEAN_DIR)).catch(() => undefined); // only goes when empty
  await writeFile(join(outDir, ENTRIES_FILE), `${JSON.stringify(owned, null, 2)}\n`);
  await writeFile(ctx.out(REPORT_OUT), `${JSON.stringify(report, null, 2)}\n`);
  const line = summaryLine(report);
  ctx.log(line);
  ctx.progress({ message: line, summary: true });
}

const short = (s: string): string => JSON.stringify([...s].length > 40 ? `${[...s].slice(0, 40).join('')}…` : s);

/**
 * What LLaMA-Factory would do silently with the system prompts of the mix: a dataset whose system
 * column is declared (some samples have one) gives the others the template's default prompt (for
 * qwen "You are Qwen, created by Alibaba Cloud…"); datasets with different prompts train two personas.
 */
export function systemPromptProblems(
  scans: ReadonlyMap<string, DatasetScan>,
  mix: readonly string[],
): { warnings: string[]; mixed?: string; prompts: Array<{ prompt: string; samples: Record<string, number> }> } {
  const warnings: string[] = [];
  const byPrompt = new Map<string, Record<string, number>>();
  for (const name of mix) {
    const scan = scans.get(name);
    if (!scan) continue;
    if (scan.withSystem > 0 && scan.withoutSystem > 0) {
      warnings.push(
        `${name}: ${scan.withoutSystem} of ${scan.samples} samples have no "system", but the dataset declares the system column: ` +
          'LLaMA-Factory gives those the template\'s default system prompt (for qwen "You are Qwen, created by Alibaba Cloud…"); give them the persona prompt',
      );
    }
    for (const [prompt, n] of scan.systemPrompts) (byPrompt.get(prompt) ?? byPrompt.set(prompt, {}).get(prompt)!)[name] = n;
  }
  const prompts = [...byPrompt].map(([prompt, samples]) => ({ prompt, samples }));
  if (prompts.length <= 1) return { warnings, prompts };
  const list = prompts
    .slice(0, 5)
    .map(
      (p) =>
        `${short(p.prompt)} (${Object.entries(p.samples)
          .map(([d, n]) => `${d} ${n}`)
          .join(', ')})`,
    )
    .join('; ');
  return { warnings, prompts, mixed: `the datasets of the mix use ${prompts.length} different system prompts: ${list}${prompts.length > 5 ? '; …' : ''}` };
}

async function readOwned(ctx: PublishContext): Promise<OwnedEntries> {
  const file = join(ctx.workspace, ENTRIES_OUT, ENTRIES_FILE);
  return ownedEntriesSchema.parse(JSON.parse(await readFile(file, 'utf8')));
}

export const stage = defineStage({
  name: 'register',
  description: 'validate the SFT datasets, report their stats, register them in dataset_info.json',
  deps: (params) => {
    const cfg = config(params);
    const deps = Object.values(cfg.sources).map((s) => s.file);
    const model = params.get<string | undefined>('train.model_name_or_path');
    // a glob, so a model directory without a tokenizer (or a hub id) is simply no dep
    if (model) deps.push(`${model.replace(/\\/g, '/').replace(/\/+$/, '')}/tokenizer*.json`);
    return deps;
  },
  outs: [ENTRIES_OUT, REPORT_OUT],
  params: ['register', 'train.cutoff_len', 'train.model_name_or_path'],
  run,
  sharedFiles: (params) => [join(config(params).dataset_dir, 'dataset_info.json')],
  async publish(ctx) {
    const { added, updated, removed } = await publishEntries(ctx.workspace, await readOwned(ctx), (l) => ctx.log(l));
    if (added.length + updated.length + removed.length === 0) ctx.log('dataset_info.json already up to date');
  },
  async verifyPublished(ctx) {
    let owned: OwnedEntries;
    try {
      owned = await readOwned(ctx);
    } catch (e) {
      return [`${ENTRIES_OUT}/${ENTRIES_FILE} is unreadable: ${(e as Error).message}`];
    }
    return verifyEntries(ctx.workspace, owned);
  },
});

export const commands: Record<string, CommandDef> = {};
