// LLaMA-Factory's own defaults for the train keys `train:` models. A key the user leaves unset is
// not rendered, so LLaMA-Factory applies these; the pipeline never substitutes a value of its own.
// Read from LLaMA-Factory's source at v0.9.4, v0.9.5 and HEAD (0.9.6.dev0, 2026-08):
// hparams/finetuning_args.py (FinetuningArguments, LoraArguments), hparams/model_args.py
// (QuantizationArguments), hparams/data_args.py (DataArguments); the optimizer/schedule keys are
// transformers' TrainingArguments defaults, which LLaMA-Factory does not override.

export const LF_TRAIN_DEFAULTS = {
  stage: 'sft',
  finetuning_type: 'lora',
  lora_rank: 8,
  /** null: LoRA's scale is 2 × lora_rank (`self.lora_alpha or self.lora_rank * 2`). */
  lora_alpha: null,
  lora_dropout: 0,
  lora_target: 'all',
  quantization_bit: null,
  quantization_method: 'bnb',
  quantization_type: 'nf4',
  double_quantization: true,
  /** null: parsed from the tokenizer's chat template (else the `empty` template). */
  template: null,
  cutoff_len: 2048,
  plot_loss: false,
  learning_rate: 5e-5,
  num_train_epochs: 3,
  per_device_train_batch_size: 8,
  gradient_accumulation_steps: 1,
  lr_scheduler_type: 'linear',
  warmup_ratio: 0,
  bf16: false,
  logging_steps: 500,
  save_steps: 500,
} as const;

export type ModeledTrainKey = keyof typeof LF_TRAIN_DEFAULTS;
export const MODELED_TRAIN_KEYS = Object.keys(LF_TRAIN_DEFAULTS) as ModeledTrainKey[];

/** GeneratingArguments (hparams/generating_args.py, v0.9.4 … HEAD): what chat/webchat/api use when unset. */
export const LF_GENERATING_DEFAULTS = {
  temperature: 0.95,
  top_p: 0.7,
  top_k: 50,
  repetition_penalty: 1.0,
  max_new_tokens: 1024,
} as const;

/** The effective value of a modeled key: the user's, else LLaMA-Factory's. */
export function effective<K extends ModeledTrainKey>(train: Partial<Record<ModeledTrainKey, unknown>>, key: K): unknown {
  const v = train[key];
  return v === undefined ? LF_TRAIN_DEFAULTS[key] : v;
}
