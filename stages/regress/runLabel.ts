// A readable name for a regression run in the report: the adapter's short key plus the training
// params that differ from the previous run (`a1b2c3d4 · lora_rank 8→16`). The params come from the
// adapter's own rendered LLaMA-Factory YAML (artifacts/adapters/<key>/train_config.yaml).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

export type TrainParams = Record<string, string | number | boolean | null>;

/** Keys that differ for every adapter (its own paths) and say nothing about the training. */
const PER_ADAPTER_KEYS = new Set(['output_dir', 'overwrite_output_dir', 'resume_from_checkpoint', 'logging_dir']);

/** Scalar top-level keys of the adapter's train_config.yaml; undefined when it is missing or unreadable. */
export async function readTrainParams(adapterDir: string): Promise<TrainParams | undefined> {
  try {
    const doc = parse(await readFile(join(adapterDir, 'train_config.yaml'), 'utf8')) as unknown;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
    const out: TrainParams = {};
    for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
      if (PER_ADAPTER_KEYS.has(k)) continue;
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v as TrainParams[string];
      else out[k] = JSON.stringify(v);
    }
    return out;
  } catch {
    return undefined;
  }
}

/** `lora_rank 8→16`, one per changed key, sorted; [] when either side is unknown. */
export function paramChanges(prev: TrainParams | undefined, cur: TrainParams | undefined): string[] {
  if (!prev || !cur) return [];
  const keys = [...new Set([...Object.keys(prev), ...Object.keys(cur)])].sort();
  const show = (v: unknown) => (v === undefined ? '∅' : String(v));
  return keys.filter((k) => prev[k] !== cur[k]).map((k) => `${k} ${show(prev[k])}→${show(cur[k])}`);
}
