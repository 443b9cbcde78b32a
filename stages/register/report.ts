// Builds artifacts/reports/datasets.json and the one-line run summary from the dataset scans.
import type { Percentiles } from './lengthHistogram.js';
import { LengthHistogram } from './lengthHistogram.js';
import type { DuplicateIndex } from './duplicateIndex.js';
import type { DatasetScan, SampleIssue } from './scanDataset.js';
import { EXAMPLE_LIMIT } from './scanDataset.js';
import type { MixStrategy } from './config.js';

export interface DatasetReport {
  file: string;
  registered_file: string;
  on_invalid: 'fail' | 'drop';
  samples_read: number;
  samples: number;
  dropped: number;
  drops: SampleIssue[];
  samples_with_system: number;
  /** Valid samples with neither a system turn nor `system`. */
  samples_without_system: number;
  turns: number;
  turns_per_sample: Percentiles;
  chars_per_turn: Percentiles;
  tokens_per_sample: Percentiles | null;
  over_cutoff_len: number | null;
  over_cutoff_len_examples: number[];
  duplicates_within: number;
  duplicates_within_examples: Array<{ index: number; first: number }>;
  duplicates_across: number;
  duplicates_across_examples: Array<{ index: number; first: { dataset: string; index: number } }>;
}

export interface MixReport {
  datasets: string[];
  mix_strategy: MixStrategy;
  interleave_probs: number[] | null;
  num_samples: Record<string, number>;
  samples: number;
  /** Expected number of samples one pass of the mix yields (LLaMA-Factory / datasets semantics). */
  expected_samples: number;
  turns: number;
  chars_per_turn: Percentiles;
  tokens_per_sample: Percentiles | null;
  over_cutoff_len: number | null;
  duplicates_across: number;
}

export interface DatasetsReport {
  cutoff_len: number | null;
  tokenizer: string | null;
  tokenizer_note: string;
  datasets: Record<string, DatasetReport>;
  /** Distinct system prompts of the mix's samples, with their sample count per dataset. */
  system_prompts: Array<{ prompt: string; samples: Record<string, number> }>;
  mix: MixReport;
}

export function datasetReport(scan: DatasetScan, file: string, registeredFile: string, onInvalid: 'fail' | 'drop'): DatasetReport {
  return {
    file,
    registered_file: registeredFile,
    on_invalid: onInvalid,
    samples_read: scan.total,
    samples: scan.samples,
    dropped: onInvalid === 'drop' ? scan.invalidSamples : 0,
    drops: onInvalid === 'drop' ? scan.issues : [],
    samples_with_system: scan.withSystem,
    samples_without_system: scan.withoutSystem,
    turns: scan.turns,
    turns_per_sample: scan.turnsPerSample.summary(),
    chars_per_turn: scan.charsPerTurn.summary(),
    tokens_per_sample: scan.tokensPerSample ? scan.tokensPerSample.summary() : null,
    over_cutoff_len: scan.tokensPerSample ? scan.overCutoff.length : null,
    over_cutoff_len_examples: scan.overCutoff.slice(0, EXAMPLE_LIMIT),
    duplicates_within: scan.duplicatesWithin.length,
    duplicates_within_examples: scan.duplicatesWithin.slice(0, EXAMPLE_LIMIT),
    duplicates_across: scan.duplicatesAcross.length,
    duplicates_across_examples: scan.duplicatesAcross.slice(0, EXAMPLE_LIMIT),
  };
}

/**
 * Expected samples of one pass over the mix. concat and interleave_once use every sample;
 * interleave_under stops when the first dataset runs out, interleave_over when the last does
 * (datasets' interleave_datasets with first_exhausted / all_exhausted).
 */
export function expectedMixSamples(sizes: number[], strategy: MixStrategy, probs: number[] | undefined): number {
  if (sizes.length === 0) return 0;
  if (strategy === 'concat' || strategy === 'interleave_once') return sizes.reduce((a, b) => a + b, 0);
  const p = probs ?? sizes.map(() => 1 / sizes.length);
  const exhaustAt = sizes.map((n, i) => (p[i]! > 0 ? n / p[i]! : Infinity)).filter((x) => Number.isFinite(x));
  if (exhaustAt.length === 0) return 0;
  const pick = strategy === 'interleave_under' ? Math.min(...exhaustAt) : Math.max(...exhaustAt);
  return Math.round(pick);
}

export function mixReport(
  scans: Map<string, DatasetScan>,
  datasets: string[],
  strategy: MixStrategy,
  probs: number[] | undefined,
  numSamples: Record<string, number>,
  duplicates: DuplicateIndex,
  withTokens: boolean,
): MixReport {
  const chars = new LengthHistogram();
  const tokens = new LengthHistogram();
  let turns = 0;
  let over = 0;
  const sizes: number[] = [];
  for (const name of datasets) {
    const s = scans.get(name);
    if (!s) continue;
    chars.merge(s.charsPerTurn);
    if (s.tokensPerSample) tokens.merge(s.tokensPerSample);
    turns += s.turns;
    over += s.overCutoff.length;
    sizes.push(numSamples[name] ?? s.samples);
  }
  return {
    datasets,
    mix_strategy: strategy,
    interleave_probs: probs ?? null,
    num_samples: Object.fromEntries(datasets.map((d, i) => [d, sizes[i] ?? 0])),
    samples: sizes.reduce((a, b) => a + b, 0),
    expected_samples: expectedMixSamples(sizes, strategy, probs),
    turns,
    chars_per_turn: chars.summary(),
    tokens_per_sample: withTokens ? tokens.summary() : null,
    over_cutoff_len: withTokens ? over : null,
    duplicates_across: duplicates.sharedAcross(datasets),
  };
}

/** One line for the run output. */
export function summaryLine(report: DatasetsReport): string {
  const parts = Object.entries(report.datasets).map(([name, d]) => `${name} ${d.samples}${d.dropped ? ` (${d.dropped} dropped)` : ''}`);
  const m = report.mix;
  const dups = Object.values(report.datasets).reduce((a, d) => a + d.duplicates_within, 0) + m.duplicates_across;
  let line = `${parts.join(', ')}; mix ${m.mix_strategy} ≈ ${m.expected_samples} samples; chars/turn p95 ${m.chars_per_turn.p95}; ${dups} duplicate(s)`;
  if (m.tokens_per_sample && report.cutoff_len !== null) {
    line += `; tokens p95 ${m.tokens_per_sample.p95}, ${m.over_cutoff_len} over cutoff_len ${report.cutoff_len}`;
  } else {
    line += '; no tokenizer.json, token lengths not checked';
  }
  return line;
}
