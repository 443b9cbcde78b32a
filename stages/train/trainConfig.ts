// Renders the LLaMA-Factory training YAML object from pipeline.yaml (`train:` + the dataset mix
// from `register:`), optionally layered over the user's own YAML (`train.base_config`).
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { StageError, type ParamsReader } from '../../src/api.js';
import { parseYamlText } from '../../src/configText.js';
import { trainDatasetArgs } from '../register/mix.js';
import { readTrainConfig, type TrainConfig } from './config.js';
import { quantizationKeys, resolveFromWorkspace } from './inference.js';
import { MODELED_TRAIN_KEYS } from './lfDefaults.js';

/** Keys the stage owns: a value for them in base_config or train.extra is replaced. */
export const STAGE_OWNED_KEYS = ['output_dir', 'overwrite_output_dir', 'resume_from_checkpoint'] as const;

const QUANT_KEYS = ['quantization_bit', 'quantization_method', 'quantization_type', 'double_quantization'];

/** Reads the user's base YAML; errors carry file:line:col. */
export async function readBaseConfig(absPath: string, shownAs: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(absPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StageError(`train.base_config: cannot read ${shownAs} (${code ?? String(err)}): fix the path in pipeline.yaml or remove base_config`);
  }
  const parsed = parseYamlText(text, shownAs);
  if (parsed.error !== undefined) throw new StageError(parsed.error);
  const { doc } = parsed;
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new StageError(`${shownAs}:1:1: a LLaMA-Factory config must be a mapping of keys to values`);
  }
  return value as Record<string, unknown>;
}

/**
 * The keys rendered from `train:`: the ones the pipeline must set (do_train, the base model) and
 * every modeled key the user set. An unset key is left to LLaMA-Factory's default (lfDefaults.ts).
 */
export function modeledKeys(train: TrainConfig, workspace: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    do_train: true,
    model_name_or_path: resolveFromWorkspace(workspace, train.model_name_or_path),
  };
  for (const k of MODELED_TRAIN_KEYS) {
    if (k.startsWith('quantization_') || k === 'double_quantization') continue;
    const v = train[k];
    if (v !== undefined) out[k] = v;
  }
  return { ...out, ...quantizationKeys(train) };
}

/**
 * The full training config. Layers, later wins: stage defaults (`report_to: none`), base_config,
 * `train:` keys, `train.extra`, the dataset mix from `register:`, and the keys the stage owns
 * (`output_dir` = `outputDir`, `overwrite_output_dir: false` so LLaMA-Factory resumes from a
 * checkpoint left by a failed attempt).
 */
export async function renderTrainConfig(params: ParamsReader, workspace: string, outputDir: string): Promise<Record<string, unknown>> {
  const train = readTrainConfig((k) => params.get(k));
  let base: Record<string, unknown> = {};
  if (train.base_config !== null) {
    base = await readBaseConfig(resolveFromWorkspace(workspace, train.base_config), train.base_config);
  }
  const data = trainDatasetArgs(params);
  const merged: Record<string, unknown> = {
    report_to: 'none',
    ...base,
    ...modeledKeys(train, workspace),
    ...train.extra,
    dataset: data.dataset,
    dataset_dir: isAbsolute(data.dataset_dir) ? data.dataset_dir : resolveFromWorkspace(workspace, data.dataset_dir),
    mix_strategy: data.mix_strategy,
  };
  if (data.interleave_probs !== undefined) merged.interleave_probs = data.interleave_probs;
  else delete merged.interleave_probs;
  if (train.quantization_bit === null) for (const k of QUANT_KEYS) if (!(k in train.extra)) delete merged[k];
  for (const k of STAGE_OWNED_KEYS) delete merged[k];
  merged.output_dir = outputDir;
  merged.overwrite_output_dir = false;
  return merged;
}
