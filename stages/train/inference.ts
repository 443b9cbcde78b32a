// The LLaMA-Factory inference YAML (for `llamafactory-cli chat|webchat|api`) and the adapter
// paths it is rendered with (the `current` adapter link is currentAdapter.ts's).
import { writeFileAtomic } from '../../src/atomicWrite.js';
import { isAbsolute, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { ParamsReader } from '../../src/api.js';
import { readInferenceConfig, readTrainConfig } from './config.js';

export { ADAPTERS_DIR, CURRENT_POINTER, currentAdapterDir, readCurrentPointer } from './currentAdapter.js';

/** Resolves a path from pipeline.yaml against the workspace (absolute paths stay as they are). */
export function resolveFromWorkspace(workspace: string | undefined, p: string): string {
  if (isAbsolute(p) || workspace === undefined) return p;
  return resolve(workspace, p);
}

/**
 * The quantization keys shared by training and inference: {} without quantization; else
 * quantization_bit and those of method / type / double_quantization the user set.
 */
export function quantizationKeys(
  train: Pick<ReturnType<typeof readTrainConfig>, 'quantization_bit' | 'quantization_method' | 'quantization_type' | 'double_quantization'>,
): Record<string, unknown> {
  if (train.quantization_bit === null || train.quantization_bit === undefined) return {};
  const out: Record<string, unknown> = { quantization_bit: train.quantization_bit };
  for (const k of ['quantization_method', 'quantization_type', 'double_quantization'] as const) {
    if (train[k] !== undefined) out[k] = train[k];
  }
  return out;
}

/** The params `inferenceConfig` reads: a stage calling it should declare these (they form its key). */
export const INFERENCE_CONFIG_PARAMS = [
  'inference',
  'persona',
  'train.model_name_or_path',
  'train.template',
  'train.finetuning_type',
  'train.quantization_bit',
  'train.quantization_method',
  'train.quantization_type',
  'train.double_quantization',
] as const;

const DECODING_KEYS = ['temperature', 'top_p', 'top_k', 'repetition_penalty', 'max_new_tokens'] as const;

/**
 * The inference YAML object for LLaMA-Factory: base model, adapter, template, quantization,
 * `default_system` (inference.default_system, else `personaPrompt`) and the decoding keys the user
 * set (unset ones are LLaMA-Factory's defaults). `workspace`, when given, makes a relative model
 * path absolute.
 */
export function inferenceConfig(params: ParamsReader, adapterDir: string, workspace?: string, personaPrompt?: string): Record<string, unknown> {
  const get = (k: string): unknown => params.get(k);
  const train = readTrainConfig(get);
  const inf = readInferenceConfig(get);
  const cfg: Record<string, unknown> = {
    model_name_or_path: resolveFromWorkspace(workspace, train.model_name_or_path),
    adapter_name_or_path: resolveFromWorkspace(workspace, adapterDir),
  };
  const template = inf.template ?? train.template;
  if (template !== undefined) cfg.template = template;
  if (train.finetuning_type !== undefined) cfg.finetuning_type = train.finetuning_type;
  Object.assign(cfg, quantizationKeys(train));
  if (inf.infer_backend !== undefined) cfg.infer_backend = inf.infer_backend;
  for (const k of DECODING_KEYS) if (inf[k] !== undefined) cfg[k] = inf[k];
  const system = inf.default_system ?? personaPrompt;
  if (system !== undefined && system !== null) cfg.default_system = system;
  return { ...cfg, ...inf.extra };
}

/**
 * YAML text that PyYAML (YAML 1.1, what LLaMA-Factory reads configs with) parses back to the same
 * numbers: it reads `1e-7` as a string, so exponent floats get a fraction and a signed exponent
 * (`1.0e-7`). Only unquoted block values are touched; strings that look like numbers are quoted.
 */
export function toYamlText(obj: unknown): string {
  return stringify(obj, { lineWidth: 0 }).replace(
    /^(\s*(?:- )*(?:[A-Za-z0-9_.-]+: |- ))(-?\d+)(\.\d+)?e([-+]?)(\d+)$/gm,
    (_m, lead: string, int: string, frac: string | undefined, sign: string, exp: string) => `${lead}${int}${frac ?? '.0'}e${sign || '+'}${exp}`,
  );
}

/** Writes `obj` as YAML to `absPath` atomically (temp file in the same directory, then rename). */
export async function writeYamlFile(obj: unknown, absPath: string): Promise<void> {
  await writeFileAtomic(absPath, toYamlText(obj));
}
