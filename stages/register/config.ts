// The `register:` section of pipeline.yaml: which dataset files exist (sources), which of them the
// training uses (datasets) and how they are mixed. Cross-field rules are zod refinements whose
// issue paths point at the offending key, so the engine can report them as file:line:col.
import { z } from 'zod';

export const MIX_STRATEGIES = ['concat', 'interleave_under', 'interleave_over', 'interleave_once'] as const;
export type MixStrategy = (typeof MIX_STRATEGIES)[number];

/** A file system path from the config: non-empty, no NUL byte (which no file system accepts). */
const pathField = z
  .string()
  .min(1)
  .refine((p) => !p.includes('\0'), 'a path may not contain a NUL character');

/** Dataset names end up in a comma-joined LLaMA-Factory argument and as JSON keys. */
const datasetName = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a dataset name may only use letters, digits, "_", "." and "-"');

export const sourceSchema = z
  .object({
    /** Path of the ShareGPT JSON file: workspace-relative, or absolute (read as given). */
    file: pathField,
    /** `fail`: any invalid sample fails the stage. `drop`: invalid samples are left out and reported. */
    on_invalid: z.enum(['fail', 'drop']).default('fail'),
    /** Only ShareGPT is supported. */
    formatting: z.literal('sharegpt').default('sharegpt'),
  })
  .strict();
export type SourceConfig = z.infer<typeof sourceSchema>;

export const DEFAULT_SOURCES: Record<string, SourceConfig> = {
  eyjafjalla_sft: { file: 'data/eyjafjalla_sft.json', on_invalid: 'fail', formatting: 'sharegpt' },
  eyjafjalla_tongren_sft: { file: 'data/eyjafjalla_tongren_sft.json', on_invalid: 'drop', formatting: 'sharegpt' },
};

/**
 * numpy's tolerance for probabilities summing to 1 (`random.choice`, which `datasets`'
 * interleave_datasets uses): sqrt of float64's epsilon, about 1.5e-8.
 */
export const PROB_TOLERANCE = Math.sqrt(Number.EPSILON);

export const configSchema = z
  .object({
    /**
     * LLaMA-Factory's dataset_dir: where dataset_info.json lives. Relative paths are resolved
     * against the workspace; an absolute one is used as given. Register writes dataset_info.json
     * there, so it must lie inside the workspace (checked when the stage runs).
     */
    dataset_dir: pathField.default('data'),
    sources: z.record(datasetName, sourceSchema).default(() => structuredClone(DEFAULT_SOURCES)),
    /** Names (keys of `sources`) the training uses, in order. */
    datasets: z.array(datasetName).min(1).default(['eyjafjalla_sft', 'eyjafjalla_tongren_sft']),
    mix_strategy: z.enum(MIX_STRATEGIES).default('concat'),
    /** One probability per entry of `datasets`, summing to 1; only with an interleave strategy. */
    interleave_probs: z.array(z.number().min(0).max(1)).optional(),
    /**
     * Datasets of the mix whose samples carry different system prompts (or none): `warn` reports
     * them, `fail` fails the stage. One persona prompt everywhere is what the adapter should learn.
     */
    mixed_system_prompts: z.enum(['warn', 'fail']).default('warn'),
    /** Optional per-dataset sample count (LLaMA-Factory's `num_samples` in dataset_info.json). */
    num_samples: z.record(datasetName, z.number().int().positive()).optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    cfg.datasets.forEach((name, i) => {
      if (!(name in cfg.sources)) {
        ctx.addIssue({
          code: 'custom',
          path: ['datasets', i],
          message: `unknown dataset "${name}": add it under register.sources (known: ${Object.keys(cfg.sources).join(', ') || 'none'})`,
        });
      }
      if (cfg.datasets.indexOf(name) !== i) {
        ctx.addIssue({ code: 'custom', path: ['datasets', i], message: `dataset "${name}" is listed twice` });
      }
    });
    const probs = cfg.interleave_probs;
    if (probs !== undefined) {
      if (cfg.mix_strategy === 'concat') {
        ctx.addIssue({
          code: 'custom',
          path: ['interleave_probs'],
          message:
            'interleave_probs only applies to an interleave mix_strategy (interleave_under, interleave_over, interleave_once); remove it or change mix_strategy',
        });
      }
      if (probs.length !== cfg.datasets.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['interleave_probs'],
          message: `interleave_probs has ${probs.length} value(s) but datasets has ${cfg.datasets.length}: give one probability per dataset, in the order of datasets`,
        });
      }
      const sum = probs.reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > PROB_TOLERANCE) {
        ctx.addIssue({
          code: 'custom',
          path: ['interleave_probs'],
          message: `interleave_probs must sum to 1 (within numpy's tolerance, ${PROB_TOLERANCE.toExponential(1)}), but they sum to ${Number(sum.toPrecision(12))}`,
        });
      }
    }
    for (const name of Object.keys(cfg.num_samples ?? {})) {
      if (!(name in cfg.sources)) {
        ctx.addIssue({
          code: 'custom',
          path: ['num_samples', name],
          message: `num_samples names "${name}", which is not one of register.sources`,
        });
      }
    }
  })
  .prefault({});

export type RegisterConfig = z.infer<typeof configSchema>;
