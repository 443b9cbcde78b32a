// zod schemas of the `train:` and `inference:` sections of pipeline.yaml.
import { z } from 'zod';

/** LLaMA-Factory's finetuning types; 4-bit quantization (QLoRA) only works with `lora`. */
export const FINETUNING_TYPES = ['lora', 'freeze', 'full', 'oft'] as const;

export const trainSectionSchema = z
  .object({
    /** Executable: a name resolved on PATH or an absolute path (e.g. a conda env's bin). */
    command: z.string().min(1).default('llamafactory-cli'),
    /** Devices the stage asks from the GPU pool. */
    gpus: z.number().int().min(1).default(1),
    /** Base model directory (workspace-relative or absolute); hashed as a dep through the stat cache. */
    model_name_or_path: z.string().min(1).default('models/Qwen2.5-7B-Instruct'),
    /** Optional LLaMA-Factory YAML to start from; keys here override it. */
    base_config: z.string().min(1).nullable().default(null),
    template: z.string().min(1).default('qwen'),
    stage: z.string().min(1).default('sft'),
    finetuning_type: z.enum(FINETUNING_TYPES).default('lora'),
    lora_rank: z.number().int().min(1).default(8),
    lora_alpha: z.number().int().min(1).default(16),
    lora_dropout: z.number().min(0).max(1).default(0.05),
    lora_target: z.string().min(1).default('all'),
    /** 4 or 8 for QLoRA; null trains without quantization. */
    quantization_bit: z.union([z.literal(4), z.literal(8)]).nullable().default(4),
    quantization_method: z.string().min(1).default('bnb'),
    quantization_type: z.enum(['nf4', 'fp4']).default('nf4'),
    double_quantization: z.boolean().default(true),
    cutoff_len: z.number().int().min(1).default(2048),
    learning_rate: z.number().positive().default(1e-4),
    num_train_epochs: z.number().positive().default(3),
    per_device_train_batch_size: z.number().int().min(1).default(1),
    gradient_accumulation_steps: z.number().int().min(1).default(8),
    lr_scheduler_type: z.string().min(1).default('cosine'),
    warmup_ratio: z.number().min(0).max(1).default(0.1),
    bf16: z.boolean().default(true),
    logging_steps: z.number().int().min(1).default(10),
    save_steps: z.number().int().min(1).default(100),
    plot_loss: z.boolean().default(true),
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
    /** System prompt used when a request brings none; null uses the template's own. */
    default_system: z.string().nullable().default(null),
    temperature: z.number().min(0).default(0.7),
    top_p: z.number().gt(0).max(1).default(0.9),
    top_k: z.number().int().min(0).default(50),
    repetition_penalty: z.number().gt(0).default(1.1),
    max_new_tokens: z.number().int().min(1).default(512),
    infer_backend: z.enum(['huggingface', 'vllm', 'sglang']).default('huggingface'),
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
