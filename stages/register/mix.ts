// How the training consumes the registered datasets: the LLaMA-Factory train YAML keys `dataset`,
// `dataset_dir`, `mix_strategy` and `interleave_probs`, derived from the `register:` section.
import type { ParamsReader } from '../../src/api.js';
import type { MixStrategy } from './config.js';

export interface TrainDatasetArgs {
  /** Comma-joined dataset names, as LLaMA-Factory's `dataset` expects. */
  dataset: string;
  /** `register.dataset_dir` as configured (workspace-relative unless written absolute). */
  dataset_dir: string;
  mix_strategy: string;
  /** Comma-joined probabilities; only present with an interleave strategy. */
  interleave_probs?: string;
}

/**
 * The train YAML keys for the dataset mix. Reads `register.datasets`, `register.dataset_dir`,
 * `register.mix_strategy` and `register.interleave_probs` (a stage calling this should declare
 * those params, or `register`). The config schema already guarantees the probs are consistent.
 */
export function trainDatasetArgs(params: ParamsReader): TrainDatasetArgs {
  const datasets = params.get<string[] | undefined>('register.datasets') ?? [];
  const datasetDir = params.get<string | undefined>('register.dataset_dir') ?? 'data';
  const strategy = params.get<MixStrategy | undefined>('register.mix_strategy') ?? 'concat';
  const probs = params.get<number[] | undefined>('register.interleave_probs');
  const args: TrainDatasetArgs = { dataset: datasets.join(','), dataset_dir: datasetDir, mix_strategy: strategy };
  if (strategy !== 'concat' && probs !== undefined && probs.length > 0) {
    args.interleave_probs = probs.map((p) => String(p)).join(',');
  }
  return args;
}

/** The param keys `trainDatasetArgs` reads, for a stage's `params` list. */
export const TRAIN_DATASET_PARAMS = ['register.datasets', 'register.dataset_dir', 'register.mix_strategy', 'register.interleave_probs'] as const;
