// zod schemas of the `train:` and `inference:` sections of pipeline.yaml.
import { z } from 'zod';

/** LLaMA-Factory's finetuning types; quantization works with `lora` and `oft`; the pipeline trains adapters (lora, oft). */
export const FINETUNING_TYPES = ['lora', 'freeze', 'full', 'oft'] as const;

/**
 * `train:` of pipeline.yaml. Every LLaMA-Factory key is optional: unset means LLaMA-Factory's own
 * default (lfDefaults.ts), and the key is not rendered into the training YAML.
 */
export const trainSectionSchema = z
  .object({
    /** Executable: a name resolved on PATH or a path (`~/` expanded, e.g. a conda env's bin). */
    command: z.string().min(1).default('llamafactory-cli'),
    /** Devices the stage asks from the GPU pool. */
    gpus: z.number().int().min(1).default(1),
    /** Base model directory (workspace-relative or absolute); hashed as a dep through the stat cache. */
    model_name_or_path: z.string().min(1).default('models/Qwen2.5-7B-Instruct'),
    /** Optional LLaMA-Factory YAML to start from; keys here override it. */
    base_config: z.string().min(1).nullable().default(null),
    template: z.string().min(1).optional(),
    stage: z.string().min(1).optional(),
    finetuning_type: z.enum(FINETUNING_TYPES).optional(),
    lora_rank: z.number().int().min(1).optional(),
    /** Unset: LLaMA-Factory's 2 × lora_rank. */
    lora_alpha: z.number().int().min(1).optional(),
    lora_dropout: z.number().min(0).max(1).optional(),
    lora_target: z.string().min(1).optional(),
    /** 4 or 8 for QLoRA; null or unset trains without quantization. */
    quantization_bit: z
      .union([z.literal(4), z.literal(8)])
      .nullable()
      .optional(),
    quantization_method: z.string().min(1).optional(),
    quantization_type: z.enum(['nf4', 'fp4']).optional(),
    double_quantization: z.boolean().optional(),
    cutoff_len: z.number().int().min(1).optional(),
    learning_rate: z.number().positive().optional(),
    num_train_epochs: z.number().positive().optional(),
    per_device_train_batch_size: z.number().int().min(1).optional(),
    gradient_accumulation_steps: z.number().int().min(1).optional(),
    lr_scheduler_type: z.string().min(1).optional(),
    warmup_ratio: z.number().min(0).max(1).optional(),
    bf16: z.boolean().optional(),
    logging_steps: z.number().int().min(1).optional(),
    save_steps: z.number().int().min(1).optional(),
    plot_loss: z.boolean().optional(),
    /** Any other LLaMA-Factory training keys, passed through as-is (LLaMA-Factory validates them). */
    extra: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const configSchema = trainSectionSchema.prefault({});

export type TrainConfig = z.infer<typeof configSchema>;

/**
 * The train keys that shape the adapter, i.e. everything but `command`: pointing train.command at
 * another install (a moved conda env) must not throw away hours of training.
 */
export const TRAIN_PARAM_KEYS: string[] = Object.keys(trainSectionSchema.shape)
  .filter((k) => k !== 'command')
  .map((k) => `train.${k}`);

export const inferenceSchema = z
  .object({
    /** Chat template; null uses `train.template`. */
    template: z.string().min(1).nullable().default(null),
    /** System prompt when a request brings none; null: the persona prompt (persona.system_prompt). */
    default_system: z.string().nullable().default(null),
    /** Decoding: unset means LLaMA-Factory's own default (lfDefaults.ts), and the key is not rendered. */
    temperature: z.number().min(0).optional(),
    top_p: z.number().gt(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    repetition_penalty: z.number().gt(0).optional(),
    max_new_tokens: z.number().int().min(1).optional(),
    infer_backend: z.enum(['huggingface', 'vllm', 'sglang']).optional(),
    /** Other LLaMA-Factory inference keys, passed through as-is. */
    extra: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .prefault({});

export type InferenceConfig = z.infer<typeof inferenceSchema>;

/** The `train` section read through a ParamsReader (validated again so a bare test reader works). */
export function readTrainConfig(get: (key: string) => unknown): TrainConfig {
  return configSchema.parse(get('train') ?? {});
}

export function readInferenceConfig(get: (key: string) => unknown): InferenceConfig {
  return inferenceSchema.parse(get('inference') ?? {});
}
