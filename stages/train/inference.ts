// The LLaMA-Factory inference YAML (for `llamafactory-cli chat|webchat|api`) and the adapter
// pointer `artifacts/adapters/current` written by the train stage.
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../src/atomicWrite.js';
import { isAbsolute, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { UserError, type ParamsReader } from '../../src/api.js';
import { readInferenceConfig, readTrainConfig } from './config.js';

/** Workspace-relative pointer file naming the short key of the current adapter. */
export const CURRENT_POINTER = 'artifacts/adapters/current';
export const ADAPTERS_DIR = 'artifacts/adapters';

const pointerSchema = z
  .string()
  .trim()
  .regex(/^[0-9a-f]{6,64}$/, 'expected the short key of an adapter (hex)');

/** Resolves a path from pipeline.yaml against the workspace (absolute paths stay as they are). */
export function resolveFromWorkspace(workspace: string | undefined, p: string): string {
  if (isAbsolute(p) || workspace === undefined) return p;
  return resolve(workspace, p);
}

/**
 * The quantization keys shared by training and inference: {} without quantization; else
 * quantization_bit and those of method / type / double_quantization the user set.
 */
export function quantizationKeys(train: ReturnType<typeof readTrainConfig>): Record<string, unknown> {
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

/** Short key named by `artifacts/adapters/current`, or undefined when there is no pointer. */
export async function readCurrentPointer(workspace: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(join(workspace, CURRENT_POINTER), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = pointerSchema.safeParse(text);
  if (!parsed.success) {
    throw new UserError(
      `${CURRENT_POINTER}: ${parsed.error.issues[0]?.message ?? 'invalid'} (found ${JSON.stringify(text.slice(0, 40))}); ` +
        'run `npx pipeline run train` to rewrite it',
    );
  }
  return parsed.data;
}

/** Absolute directory of the current adapter; a UserError when none has been trained yet. */
export async function currentAdapterDir(workspace: string): Promise<string> {
  const key = await readCurrentPointer(workspace);
  if (key === undefined) {
    throw new UserError(
      `no adapter has been trained yet (${CURRENT_POINTER} is missing): run \`npx pipeline run train\` first, ` + 'or pass --adapter KEY|PATH',
    );
  }
  const dir = join(workspace, ADAPTERS_DIR, key);
  const ok = await stat(join(dir, 'adapter_config.json')).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!ok) {
    throw new UserError(
      `${CURRENT_POINTER} names adapter ${key}, but ${ADAPTERS_DIR}/${key}/adapter_config.json is missing: ` +
        'run `npx pipeline run train` to restore or retrain it',
    );
  }
  return dir;
}
