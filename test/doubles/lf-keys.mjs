// Keys LLaMA-Factory accepts in a config YAML, grouped as its argument dataclasses are: every
// field (init=False ones excluded) of hparams/{model,data,finetuning,generating,training}_args.py,
// the union of v0.9.4 and HEAD (0.9.6.dev0, 2026-08-18), read from LLaMA-Factory's source. The
// transformers TrainingArguments list below is the commonly used subset (transformers is not part
// of that source). A key outside these sets is an error, as in the real HfArgumentParser
// ("Some specified arguments are not used by the HfArgumentParser").

export const MODEL_KEYS = [
  'model_name_or_path', 'adapter_name_or_path', 'adapter_folder', 'cache_dir', 'use_fast_tokenizer',
  'resize_vocab', 'split_special_tokens', 'add_tokens', 'add_special_tokens', 'new_special_tokens_config',
  'init_special_tokens', 'model_revision', 'low_cpu_mem_usage', 'rope_scaling', 'flash_attn', 'shift_attn',
  'mixture_of_depths', 'use_unsloth', 'use_unsloth_gc', 'enable_liger_kernel', 'moe_aux_loss_coef',
  'disable_gradient_checkpointing', 'use_reentrant_gc', 'upcast_layernorm', 'upcast_lmhead_output',
  'train_from_scratch', 'infer_backend', 'offload_folder', 'use_kv_cache', 'use_v1_kernels', 'infer_dtype',
  'hf_hub_token', 'ms_hub_token', 'om_hub_token', 'print_param_status', 'trust_remote_code',
  'quantization_method', 'quantization_bit', 'quantization_type', 'double_quantization',
  'quantization_device_map', 'fp8', 'fp8_backend', 'fp8_enable_fsdp_float8_all_gather', 'image_max_pixels',
  'image_min_pixels', 'image_do_pan_and_scan', 'crop_to_patches', 'video_max_pixels', 'video_min_pixels',
  'video_fps', 'video_maxlen', 'use_audio_in_video', 'audio_sampling_rate', 'export_dir', 'export_size',
  'export_device', 'export_quantization_bit', 'export_quantization_dataset', 'export_quantization_nsamples',
  'export_quantization_maxlen', 'export_legacy_format', 'export_hub_model_id', 'vllm_maxlen',
  'vllm_gpu_util', 'vllm_enforce_eager', 'vllm_max_lora_rank', 'vllm_config', 'sglang_maxlen',
  'sglang_mem_fraction', 'sglang_tp_size', 'sglang_config', 'sglang_lora_backend', 'use_kt',
  'kt_optimize_rule', 'cpu_infer', 'chunk_size', 'mode', 'kt_maxlen', 'kt_use_cuda_graph', 'kt_mode',
  'kt_force_think', 'kt_cpu_activation', 'kt_weight_path', 'kt_non_expert_weight_path',
  'kt_expert_checkpoint_path', 'kt_use_lora_experts', 'kt_lora_expert_num',
  'kt_lora_expert_intermediate_size',
];

export const DATA_KEYS = [
  'template', 'dataset', 'eval_dataset', 'dataset_dir', 'media_dir', 'cutoff_len', 'train_on_prompt',
  'mask_history', 'streaming', 'buffer_size', 'mix_strategy', 'interleave_probs', 'overwrite_cache',
  'preprocessing_batch_size', 'preprocessing_num_workers', 'max_samples', 'eval_num_beams',
  'ignore_pad_token_for_loss', 'val_size', 'eval_on_each_dataset', 'packing', 'neat_packing', 'tool_format',
  'default_system', 'enable_thinking', 'tokenized_path', 'data_shared_file_system', 'preserve_thinking',
];

export const FINETUNING_KEYS = [
  'freeze_trainable_layers', 'freeze_trainable_modules', 'freeze_extra_modules', 'additional_target',
  'lora_alpha', 'lora_dropout', 'lora_rank', 'lora_target', 'loraplus_lr_ratio', 'loraplus_lr_embedding',
  'use_rslora', 'use_dora', 'pissa_init', 'pissa_iter', 'pissa_convert', 'create_new_adapter',
  'module_dropout', 'oft_rank', 'oft_block_size', 'oft_target', 'pref_beta', 'pref_ftx', 'pref_bco_weight',
  'pref_loss', 'dpo_label_smoothing', 'kto_chosen_weight', 'kto_rejected_weight', 'simpo_gamma',
  'ppo_buffer_size', 'ppo_epochs', 'ppo_score_norm', 'ppo_target', 'ppo_whiten_rewards', 'ref_model',
  'ref_model_adapters', 'ref_model_quantization_bit', 'reward_model', 'reward_model_adapters',
  'reward_model_quantization_bit', 'reward_model_type', 'ld_alpha', 'use_galore', 'galore_target',
  'galore_rank', 'galore_update_interval', 'galore_scale', 'galore_proj_type', 'galore_layerwise',
  'use_apollo', 'apollo_target', 'apollo_rank', 'apollo_update_interval', 'apollo_scale', 'apollo_proj',
  'apollo_proj_type', 'apollo_scale_type', 'apollo_layerwise', 'apollo_scale_front', 'use_badam',
  'badam_mode', 'badam_start_block', 'badam_switch_mode', 'badam_switch_interval', 'badam_update_ratio',
  'badam_mask_mode', 'badam_verbose', 'use_swanlab', 'swanlab_project', 'swanlab_workspace',
  'swanlab_run_name', 'swanlab_mode', 'swanlab_api_key', 'swanlab_logdir', 'swanlab_lark_webhook_url',
  'swanlab_lark_secret', 'pure_bf16', 'stage', 'finetuning_type', 'use_llama_pro', 'use_adam_mini',
  'use_mca', 'use_muon', 'use_dft_loss', 'freeze_vision_tower', 'freeze_multi_modal_projector',
  'freeze_language_model', 'compute_accuracy', 'disable_shuffling', 'early_stopping_steps', 'plot_loss',
  'include_effective_tokens_per_second', 'use_megatron_bridge', 'use_hyper_parallel', 'hyper_parallel_args',
  'hyper_parallel_cp_size', 'use_asft_loss', 'asft_alpha', 'use_eaft_loss', 'eaft_alpha',
];

export const GENERATING_KEYS = [
  'do_sample', 'temperature', 'top_p', 'top_k', 'num_beams', 'max_length', 'max_new_tokens',
  'repetition_penalty', 'length_penalty', 'skip_special_tokens',
];

/** LLaMA-Factory's own additions to the training arguments (RayArguments, TrainingArguments in hparams/training_args.py). */
export const LF_TRAINING_KEYS = [
  'ray_run_name', 'ray_storage_path', 'ray_storage_filesystem', 'ray_num_workers', 'resources_per_worker',
  'placement_strategy', 'ray_init_kwargs', 'overwrite_output_dir', 'master_addr', 'master_port',
  'enable_torch_profiler', 'profiler_output_dir', 'profiler_wait_steps', 'profiler_warmup_steps',
  'profiler_active_steps', 'profiler_repeat', 'profiler_record_shapes', 'profiler_profile_memory',
  'profiler_with_stack', 'profile_modules', 'fp8', 'fp8_backend', 'fp8_enable_fsdp_float8_all_gather',
];

/** transformers' Seq2SeqTrainingArguments (the commonly used ones). */
export const TRAINING_KEYS = [
  'output_dir', 'overwrite_output_dir', 'do_train', 'do_eval', 'do_predict', 'eval_strategy',
  'prediction_loss_only', 'per_device_train_batch_size', 'per_device_eval_batch_size',
  'gradient_accumulation_steps', 'eval_accumulation_steps', 'eval_delay', 'learning_rate', 'weight_decay',
  'adam_beta1', 'adam_beta2', 'adam_epsilon', 'max_grad_norm', 'num_train_epochs', 'max_steps',
  'lr_scheduler_type', 'lr_scheduler_kwargs', 'warmup_ratio', 'warmup_steps', 'log_level', 'logging_dir',
  'logging_strategy', 'logging_first_step', 'logging_steps', 'logging_nan_inf_filter', 'save_strategy',
  'save_steps', 'save_total_limit', 'save_safetensors', 'save_only_model', 'seed', 'data_seed', 'bf16',
  'fp16', 'tf32', 'local_rank', 'ddp_backend', 'ddp_timeout', 'ddp_find_unused_parameters',
  'dataloader_num_workers', 'dataloader_pin_memory', 'disable_tqdm', 'remove_unused_columns',
  'label_names', 'load_best_model_at_end', 'metric_for_best_model', 'greater_is_better',
  'ignore_data_skip', 'fsdp', 'fsdp_config', 'deepspeed', 'label_smoothing_factor', 'optim', 'optim_args',
  'group_by_length', 'report_to', 'resume_from_checkpoint', 'gradient_checkpointing', 'run_name',
  'eval_steps', 'predict_with_generate', 'generation_max_length', 'generation_num_beams',
  'include_num_input_tokens_seen', 'neftune_noise_alpha', 'torch_compile', 'push_to_hub', 'hub_model_id',
  'use_cpu', 'save_on_each_node', 'auto_find_batch_size', 'full_determinism',
];

export const TRAIN_ACCEPTED = new Set([...MODEL_KEYS, ...DATA_KEYS, ...FINETUNING_KEYS, ...GENERATING_KEYS, ...LF_TRAINING_KEYS, ...TRAINING_KEYS]);
/** chat/webchat/api parse model, data, finetuning and generating args (no training args). */
export const INFER_ACCEPTED = new Set([...MODEL_KEYS, ...DATA_KEYS, ...FINETUNING_KEYS, ...GENERATING_KEYS]);

/** The parser's complaint about unknown keys, worded like the real one. */
export function unknownKeysError(keys) {
  return `ValueError: Some specified arguments are not used by the HfArgumentParser: ${JSON.stringify(keys).replaceAll('"', "'")}`;
}

/**
 * Defaults of the keys the pipeline models, as LLaMA-Factory applies them when a key is unset
 * (read at v0.9.4 and HEAD: finetuning_args.py FinetuningArguments / LoraArguments, model_args.py
 * QuantizationArguments, data_args.py DataArguments, generating_args.py GeneratingArguments; the
 * optimizer and schedule keys are transformers' TrainingArguments defaults). The train double uses
 * these; lora_alpha null means `lora_rank * 2` (FinetuningArguments.__post_init__).
 */
export const LF_DEFAULTS = {
  stage: 'sft', finetuning_type: 'lora', lora_rank: 8, lora_alpha: null, lora_dropout: 0, lora_target: 'all',
  quantization_bit: null, quantization_method: 'bnb', quantization_type: 'nf4', double_quantization: true,
  template: null, cutoff_len: 2048, plot_loss: false, learning_rate: 5e-5, num_train_epochs: 3,
  per_device_train_batch_size: 8, gradient_accumulation_steps: 1, lr_scheduler_type: 'linear', warmup_ratio: 0,
  bf16: false, logging_steps: 500, save_steps: 500,
};
export const LF_GENERATING_DEFAULTS = { temperature: 0.95, top_p: 0.7, top_k: 50, repetition_penalty: 1.0, max_new_tokens: 1024 };
