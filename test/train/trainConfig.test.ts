import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { renderTrainConfig } from '../../stages/train/trainConfig.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { paramsFrom } from './fixtures.js';

const REG = { sources: { a: { file: 'data/a.json' }, b: { file: 'data/b.json' } }, datasets: ['a', 'b'] };

describe('renderTrainConfig', () => {
  let ws: string;
  beforeEach(async () => {
    ws = await makeWorkspace({
      'cfg/base.yaml': 'lora_rank: 64\nflash_attn: fa2\noutput_dir: saves/x\noverwrite_output_dir: true\nreport_to: wandb\n',
      'cfg/broken.yaml': 'lora_rank: 8\nlora_alpha: 16: 3\n',
      'cfg/list.yaml': '- a\n- b\n',
    });
  });
  afterEach(() => rm(ws, { recursive: true, force: true }));

  test('renders the QLoRA keys set, the dataset mix and owns output_dir', async () => {
    const out = join(ws, 'staging', 'trainer-output');
    const train = {
      stage: 'sft',
      finetuning_type: 'lora',
      lora_rank: 8,
      quantization_bit: 4,
      quantization_method: 'bnb',
      quantization_type: 'nf4',
      double_quantization: true,
    };
    const cfg = await renderTrainConfig(paramsFrom({ train, register: REG }), ws, out);
    expect(cfg).toMatchObject({
      stage: 'sft',
      do_train: true,
      model_name_or_path: join(ws, 'models/Qwen2.5-7B-Instruct'),
      finetuning_type: 'lora',
      lora_rank: 8,
      quantization_bit: 4,
      quantization_method: 'bnb',
      quantization_type: 'nf4',
      double_quantization: true,
      dataset: 'a,b',
      dataset_dir: join(ws, 'data'),
      mix_strategy: 'concat',
      output_dir: out,
      overwrite_output_dir: false,
      report_to: 'none',
    });
    expect(cfg).not.toHaveProperty('interleave_probs');
  });

  test('layers base_config < train: < train.extra, and keeps the stage-owned keys', async () => {
    const params = paramsFrom({
      train: { base_config: 'cfg/base.yaml', lora_rank: 16, extra: { neftune_noise_alpha: 5, output_dir: '/elsewhere' } },
      register: { ...REG, mix_strategy: 'interleave_under', interleave_probs: [0.25, 0.75] },
    });
    const cfg = await renderTrainConfig(params, ws, '/stage/out');
    expect(cfg.lora_rank).toBe(16); // pipeline.yaml wins over the base YAML
    expect(cfg.flash_attn).toBe('fa2'); // unknown-to-us keys of the base pass through
    expect(cfg.report_to).toBe('wandb'); // the user's choice beats the stage default
    expect(cfg.neftune_noise_alpha).toBe(5);
    expect(cfg.output_dir).toBe('/stage/out');
    expect(cfg.overwrite_output_dir).toBe(false);
    expect(cfg.mix_strategy).toBe('interleave_under');
    expect(cfg.interleave_probs).toBe('0.25,0.75');
  });

  test('quantization_bit: null trains without any quantization key', async () => {
    const cfg = await renderTrainConfig(paramsFrom({ train: { quantization_bit: null }, register: REG }), ws, '/o');
    for (const k of ['quantization_bit', 'quantization_method', 'quantization_type', 'double_quantization']) {
      expect(cfg).not.toHaveProperty(k);
    }
  });

  test('a broken base_config is reported with file:line:col', async () => {
    await expect(renderTrainConfig(paramsFrom({ train: { base_config: 'cfg/broken.yaml' }, register: REG }), ws, '/o')).rejects.toThrow(
      /^cfg\/broken\.yaml:2:13: invalid YAML/,
    );
    await expect(renderTrainConfig(paramsFrom({ train: { base_config: 'cfg/list.yaml' }, register: REG }), ws, '/o')).rejects.toThrow(
      'cfg/list.yaml:1:1: a LLaMA-Factory config must be a mapping',
    );
    await expect(renderTrainConfig(paramsFrom({ train: { base_config: 'cfg/missing.yaml' }, register: REG }), ws, '/o')).rejects.toThrow(
      /train.base_config: cannot read cfg\/missing.yaml \(ENOENT\)/,
    );
  });
});
