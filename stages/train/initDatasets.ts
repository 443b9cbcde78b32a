// `pipeline init`: the datasets of a LLaMA-Factory train YAML (`dataset:` names looked up in
// <dataset_dir>/dataset_info.json) as register.sources, and the mix keys as register's.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../../src/api.js';
import { MIX_STRATEGIES } from '../register/config.js';
import { parseJsonWithPosition } from '../register/datasetInfoText.js';
import { at, splitArg, type InitReport, type LfYaml, type Paths } from './initYaml.js';

/** LLaMA-Factory's role tags for ShareGPT (data/parser.py DatasetAttr defaults). */
const DEFAULT_TAGS: Record<string, string> = {
  role_tag: 'from',
  content_tag: 'value',
  user_tag: 'human',
  assistant_tag: 'gpt',
  observation_tag: 'observation',
  function_tag: 'function_call',
  system_tag: 'system',
};

/** `dataset:` names → register.sources (from dataset_info.json) and the mix keys → register. */
export async function mapDatasets(t: LfYaml, paths: Paths, report: InitReport): Promise<Record<string, unknown>> {
  const names = t.values.dataset === undefined || t.values.dataset === null ? [] : splitArg(t.values.dataset).filter((n) => n !== '');
  if (names.length === 0) throw new UsageError(`${t.shown}: no \`dataset:\`; the pipeline trains on registered datasets: name them in ${t.shown}`);
  const dir = t.values.dataset_dir === undefined ? 'data' : String(t.values.dataset_dir);
  const dirAbs = paths.abs(dir);
  const register: Record<string, unknown> = { dataset_dir: paths.forConfig(dir) };
  if (isAbsolute(register.dataset_dir as string)) {
    report.unmapped.push({
      where: at(t, 'dataset_dir'),
      key: 'dataset_dir',
      message: `${dir} is outside the workspace: register writes its entries into <dataset_dir>/dataset_info.json and only inside the workspace`,
    });
  }
  const infoShown = join(dir, 'dataset_info.json');
  let info: Record<string, unknown> = {};
  try {
    const text = await readFile(join(dirAbs, 'dataset_info.json'), 'utf8');
    const parsed = parseJsonWithPosition(text);
    if (!parsed.ok) throw new UsageError(`${infoShown}:${parsed.line}:${parsed.col}: not valid JSON (${parsed.message})`);
    if (typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value)) info = parsed.value as Record<string, unknown>;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${t.shown}: dataset ${names.join(', ')}: cannot read ${infoShown} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const sources: Record<string, unknown> = {};
  const numSamples: Record<string, number> = {};
  for (const name of names) {
    const problem = datasetProblem(name, info[name], dirAbs, infoShown, paths, report);
    if (typeof problem === 'string') {
      report.unmapped.push({ where: at(t, 'dataset'), key: `dataset ${name}`, message: `${problem}; left out of the mix` });
      continue;
    }
    sources[name] = { file: problem.file, on_invalid: 'fail' };
    if (problem.numSamples !== undefined) numSamples[name] = problem.numSamples;
  }
  const datasets = Object.keys(sources);
  if (datasets.length === 0) {
    const why = report.unmapped.filter((u) => u.key.startsWith('dataset ')).map((u) => `  ${u.where} ${u.key}: ${u.message}`);
    throw new UsageError(`none of the datasets of ${t.shown} can be registered by the pipeline; nothing written:\n${why.join('\n')}`);
  }
  register.sources = sources;
  register.datasets = datasets;
  if (Object.keys(numSamples).length > 0) register.num_samples = numSamples;
  if (t.values.mix_strategy !== undefined) {
    const s = String(t.values.mix_strategy);
    if ((MIX_STRATEGIES as readonly string[]).includes(s)) register.mix_strategy = s;
    else report.unmapped.push({ where: at(t, 'mix_strategy'), key: 'mix_strategy', message: `${s}: register.mix_strategy takes ${MIX_STRATEGIES.join(', ')}` });
  }
  if (t.values.interleave_probs !== undefined && t.values.interleave_probs !== null) {
    const probs = splitArg(t.values.interleave_probs).map(Number);
    if (datasets.length !== names.length) {
      report.unmapped.push({ where: at(t, 'interleave_probs'), key: 'interleave_probs', message: 'dropped with the datasets left out of the mix' });
    } else if (probs.some((p) => !Number.isFinite(p))) {
      report.unmapped.push({
        where: at(t, 'interleave_probs'),
        key: 'interleave_probs',
        message: `${String(t.values.interleave_probs)}: not a list of numbers`,
      });
    } else register.interleave_probs = probs;
  }
  report.owned.push({
    where: at(t, 'dataset'),
    key: 'dataset',
    message: `${datasets.join(', ')} → register.datasets; register checks them and keeps their entries in ${infoShown} (other entries are left alone)`,
  });
  return register;
}

/** Why the dataset_info.json entry cannot become a register source, or the source. */
function datasetProblem(
  name: string,
  entry: unknown,
  dirAbs: string,
  infoShown: string,
  paths: Paths,
  report: InitReport,
): string | { file: string; numSamples?: number } {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return `the name may only use letters, digits, "_", "." and "-" in register`;
  if (entry === undefined) return `no entry "${name}" in ${infoShown}`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `its entry in ${infoShown} is not an object`;
  const e = entry as Record<string, unknown>;
  if (typeof e.file_name !== 'string') {
    const hub = ['hf_hub_url', 'ms_hub_url', 'om_hub_url', 'script_url', 'cloud_file_name'].find((k) => k in e);
    return hub ? `${hub}: register handles local files only` : 'its entry has no file_name';
  }
  const formatting = typeof e.formatting === 'string' ? e.formatting : 'alpaca';
  if (formatting !== 'sharegpt') return `formatting ${formatting}: register handles ShareGPT only`;
  for (const [k, v] of Object.entries((e.columns as Record<string, unknown> | undefined) ?? {})) {
    if (k === 'messages' && v !== 'conversations') return `columns.messages is "${String(v)}": register reads "conversations"`;
    if (k === 'system' && v !== 'system') return `columns.system is "${String(v)}": register reads "system"`;
    if (k !== 'messages' && k !== 'system') return `column ${k}: register handles conversations and system only`;
  }
  for (const [k, v] of Object.entries((e.tags as Record<string, unknown> | undefined) ?? {})) {
    if (DEFAULT_TAGS[k] !== v) return `tags.${k} is "${String(v)}": register reads LLaMA-Factory's default tags (from/value, human/gpt)`;
  }
  for (const k of ['ranking', 'subset', 'folder']) if (e[k] !== undefined && e[k] !== false) return `${k}: not supported by register`;
  if (e.split !== undefined && e.split !== 'train') return `split ${String(e.split)}: register uses the whole file`;
  const abs = resolve(dirAbs, e.file_name);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) return `${e.file_name} (in ${infoShown}) does not exist`;
  if (!st.isFile()) return `${e.file_name} is a folder: register reads one JSON / JSON Lines file per dataset`;
  if (!['.json', '.jsonl'].includes(extname(abs).toLowerCase())) return `${e.file_name}: register reads JSON and JSON Lines only`;
  const extraKeys = Object.keys(e).filter((k) => !['file_name', 'formatting', 'columns', 'num_samples'].includes(k));
  if (extraKeys.length > 0) {
    report.notes.push(
      `${infoShown} entry "${name}" has ${extraKeys.join(', ')}: register writes the entry without them and refuses to change an entry it did not write; remove those keys from the entry first`,
    );
  }
  const n = e.num_samples;
  return { file: paths.forConfig(abs), ...(typeof n === 'number' && Number.isInteger(n) && n > 0 ? { numSamples: n } : {}) };
}
