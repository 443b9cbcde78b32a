// `pipeline init --from` through the real CLI: a realistic LLaMA-Factory QLoRA setup (train YAML,
// inference YAML, dataset_info.json, case file) becomes pipeline.yaml, and the YAMLs the pipeline
// then renders (`run --dry-run`) are the user's, key for key, except what the pipeline owns.
import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { makeWorkspace, parseJsonEvents, PROJECT_PIPELINE_TS, runCli, tempDirs } from '../helpers/workspace.js';
import { makeTempDir } from '../helpers/tempDirs.js';
import { expectExit } from './fixtures.js';

const temp = tempDirs();
afterAll(temp.removeAll);

const SYSTEM = '你是艾雅法拉，罗德岛的火山学家，说话温柔，称呼对方为前辈。';

// A QLoRA config as a LLaMA-Factory user writes it (examples/train_qlora style), two datasets mixed.
const TRAIN_YAML = `### model
model_name_or_path: models/Qwen2.5-7B-Instruct
quantization_bit: 4
quantization_method: bnb

### method
stage: sft
do_train: true
finetuning_type: lora
lora_rank: 16
lora_target: all

### dataset
dataset: eyjafjalla_sft, eyjafjalla_tongren_sft
template: qwen
cutoff_len: 1024
max_samples: 5000
overwrite_cache: true
preprocessing_num_workers: 16
mix_strategy: interleave_under
interleave_probs: 0.7,0.3

### output
output_dir: saves/qwen2.5-7b/lora/eyjafjalla_v10
logging_steps: 5
save_steps: 200
plot_loss: true
overwrite_output_dir: true
save_only_model: false
report_to: none

### train
per_device_train_batch_size: 2
gradient_accumulation_steps: 4
learning_rate: 2.0e-4
num_train_epochs: 4.0
lr_scheduler_type: cosine
warmup_ratio: 0.05
bf16: true
ddp_timeout: 180000000
`;

const INFER_YAML = `model_name_or_path: models/Qwen2.5-7B-Instruct
adapter_name_or_path: saves/qwen2.5-7b/lora/eyjafjalla_v10
template: qwen
finetuning_type: lora
quantization_bit: 4
infer_backend: huggingface
default_system: ${SYSTEM}
temperature: 0.6
top_p: 0.85
max_new_tokens: 400
repetition_penalty: 1.05
`;

const SAMPLE = (q: string, a: string) => ({
  system: SYSTEM,
  conversations: [
    { from: 'human', value: q },
    { from: 'gpt', value: a },
  ],
});

async function lfCheckout(files: Record<string, string> = {}): Promise<string> {
  const ws = await makeWorkspace({
    'pipeline.ts': PROJECT_PIPELINE_TS,
    'models/Qwen2.5-7B-Instruct/config.json': '{"model_type": "qwen2"}\n',
    'data/dataset_info.json': JSON.stringify(
      {
        alpaca_en_demo: { file_name: 'alpaca_en_demo.json' },
        eyjafjalla_sft: { file_name: 'eyjafjalla_sft.json', formatting: 'sharegpt', columns: { messages: 'conversations', system: 'system' } },
        eyjafjalla_tongren_sft: { file_name: 'eyjafjalla_tongren_sft.json', formatting: 'sharegpt', columns: { messages: 'conversations', system: 'system' } },
      },
      null,
      2,
    ),
    'data/eyjafjalla_sft.json': JSON.stringify([SAMPLE('你是谁？', '前辈好，我是艾雅法拉。'), SAMPLE('火山怎么形成的？', '岩浆上涌，冲破地壳。')]),
    'data/eyjafjalla_tongren_sft.json': JSON.stringify([SAMPLE('在忙吗？', '在整理样本呢，前辈。')]),
    'data/alpaca_en_demo.json': '[]',
    'examples/train_lora/eyjafjalla_qlora_sft.yaml': TRAIN_YAML,
    'examples/inference/eyjafjalla_lora.yaml': INFER_YAML,
    'eval/eyjafjalla_regression.jsonl': `${JSON.stringify({ id: 'id-1', messages: [{ role: 'user', content: '你是谁？' }], checks: { must_contain: '艾雅法拉' } })}\n`,
    ...files,
  });
  temp.adopt(ws);
  return ws;
}

const INIT = [
  'init',
  '--from',
  'examples/train_lora/eyjafjalla_qlora_sft.yaml',
  '--inference',
  'examples/inference/eyjafjalla_lora.yaml',
  '--cases',
  'eval/eyjafjalla_regression.jsonl',
];

/** The YAML a stage's dry-run preview shows (the lines after its first). */
function previewOf(stdout: string, stage: string): Record<string, unknown> {
  const { events } = parseJsonEvents(stdout);
  const e = events.find((x) => x.event === 'progress' && x.stage === stage && typeof x.message === 'string' && x.message.startsWith('would '));
  if (!e) throw new Error(`no dry-run preview for ${stage} in:\n${stdout}`);
  return parse(String(e.message).split('\n').slice(1).join('\n')) as Record<string, unknown>;
}

describe('pipeline init --from (end to end)', () => {
  test('round trip: the rendered train YAML is the user’s key for key, the inference YAML holds their values', async () => {
    const ws = await lfCheckout();
    const init = await runCli(ws, INIT);
    expectExit(init, 0);
    expect(init.stderr).toContain('wrote pipeline.yaml from --from examples/train_lora/eyjafjalla_qlora_sft.yaml');
    // What the pipeline owns is named, with the line of the user's key.
    expect(init.stderr).toMatch(
      /examples\/train_lora\/eyjafjalla_qlora_sft\.yaml:24 {2}output_dir: "saves\/qwen2\.5-7b\/lora\/eyjafjalla_v10" → the adapter lands in artifacts\/adapters\/<key>\//,
    );
    expect(init.stderr).toContain('examples/train_lora/eyjafjalla_qlora_sft.yaml:28  overwrite_output_dir: true → always false');
    expect(init.stderr).toContain('examples/inference/eyjafjalla_lora.yaml:2  adapter_name_or_path:');
    expect(init.stderr).not.toContain('could not map');
    expect(init.stderr).not.toContain('not known to LLaMA-Factory');

    const written = parse(await readFile(join(ws, 'pipeline.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(written.persona).toEqual({ system_prompt: SYSTEM, dataset: 'data/eyjafjalla_sft.json' });
    expect(written.train).not.toHaveProperty('lora_alpha'); // unset stays unset: LLaMA-Factory's 2 × lora_rank
    expect(written.regress).toEqual({ cases: 'eval/eyjafjalla_regression.jsonl' });

    const dry = await runCli(ws, ['run', '--dry-run', '--json']);
    expectExit(dry, 0);
    const rendered = previewOf(dry.stdout, 'train');
    const user = parse(TRAIN_YAML) as Record<string, unknown>;
    // Owned by the pipeline: output_dir (its staging dir) and overwrite_output_dir (false: resume).
    expect(rendered.output_dir).toBe(join(ws, '.pipeline', 'staging', 'train-<key>', 'trainer-output'));
    expect(rendered.overwrite_output_dir).toBe(false);
    const { output_dir: _o, overwrite_output_dir: _w, ...renderedRest } = rendered;
    const { output_dir: _uo, overwrite_output_dir: _uw, ...userRest } = user;
    // Paths are the same paths, made absolute; the dataset list is the same list (LLaMA-Factory splits on commas and trims).
    expect({ ...renderedRest, dataset: String(renderedRest.dataset).split(',') }).toEqual({
      ...userRest,
      model_name_or_path: join(ws, 'models/Qwen2.5-7B-Instruct'),
      dataset: ['eyjafjalla_sft', 'eyjafjalla_tongren_sft'],
      dataset_dir: join(ws, 'data'),
    });

    // Without --json, the same YAML is printed under the stage's line.
    const plain = await runCli(ws, ['run', 'train', '--dry-run']);
    expectExit(plain, 0);
    expect(plain.stdout).toMatch(/^train: would run llamafactory-cli train artifacts\/train\/<key>\.yaml:\n(?:.*\n)*lora_rank: 16\n/m);

    const served = previewOf(dry.stdout, 'regress');
    const userInfer = parse(INFER_YAML) as Record<string, unknown>;
    expect(served.adapter_name_or_path).toBe(join(ws, 'artifacts/adapters/current'));
    for (const [k, v] of Object.entries(userInfer)) {
      if (k === 'adapter_name_or_path') continue;
      expect([k, served[k]]).toEqual([k, k === 'model_name_or_path' ? join(ws, String(v)) : v]);
    }
  });

  test('keys it cannot map are listed with file:line and why; unknown keys are copied and flagged', async () => {
    const ws = await lfCheckout({
      'examples/train_lora/odd.yaml': [
        'model_name_or_path: models/Qwen2.5-7B-Instruct',
        'stage: sft',
        'do_train: true',
        'finetuning_type: lora',
        'lora_rnak: 16',
        'quantization_bit: 2',
        'dataset: eyjafjalla_sft,alpaca_en_demo,missing_one',
        'output_dir: saves/odd',
        '',
      ].join('\n'),
    });
    const r = await runCli(ws, ['init', '--from', 'examples/train_lora/odd.yaml']);
    expectExit(r, 0);
    const y = 'examples/train_lora/odd.yaml';
    expect(r.stderr).toContain('could not map (3):');
    expect(r.stderr).toContain(`${y}:6  quantization_bit: 2: train.quantization_bit takes`);
    expect(r.stderr).toContain(`${y}:7  dataset alpaca_en_demo: formatting alpaca: register handles ShareGPT only; left out of the mix`);
    expect(r.stderr).toContain(`${y}:7  dataset missing_one: no entry "missing_one" in data/dataset_info.json; left out of the mix`);
    expect(r.stderr).toContain('not known to LLaMA-Factory (1):');
    expect(r.stderr).toContain(
      `${y}:5  lora_rnak: not a key LLaMA-Factory (v0.9.4 … HEAD) or transformers' usual training arguments take; copied to train.extra`,
    );
    const written = parse(await readFile(join(ws, 'pipeline.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(written.train!.extra).toEqual({ lora_rnak: 16 });
    expect(written.train).not.toHaveProperty('quantization_bit');
    expect(written.register!.datasets).toEqual(['eyjafjalla_sft']);
    // The result loads: the dry run passes the unknown key on, as LLaMA-Factory would get it.
    const dry = await runCli(ws, ['run', 'train', '--dry-run', '--json']);
    expectExit(dry, 0);
    expect(previewOf(dry.stdout, 'train')).toMatchObject({ lora_rnak: 16, dataset: 'eyjafjalla_sft' });
  });

  test('refuses to overwrite pipeline.yaml without --force; --force keeps a .bak; a broken YAML is named with its line', async () => {
    const ws = await lfCheckout({ 'pipeline.yaml': 'train:\n  lora_rank: 4\n', 'examples/bad.yaml': 'lora_rank: 8\ncutoff_len: 1024\nlora_rank: 16\n' });
    const refused = await runCli(ws, INIT);
    expectExit(refused, 2);
    expect(refused.stderr).toContain('pipeline.yaml already exists: pass --force to replace it');
    expect(await readFile(join(ws, 'pipeline.yaml'), 'utf8')).toBe('train:\n  lora_rank: 4\n');

    const bad = await runCli(ws, ['init', '--from', 'examples/bad.yaml', '--force']);
    expectExit(bad, 2);
    expect(bad.stderr).toMatch(/^pipeline: examples\/bad\.yaml:3:1: invalid YAML: Map keys must be unique/m);
    expect(bad.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    const missing = await runCli(ws, ['init', '--from', 'examples/nope.yaml', '--force']);
    expectExit(missing, 2);
    expect(missing.stderr).toContain('cannot read examples/nope.yaml: ENOENT');

    // A pipeline.yaml.bak planted as a link to a file outside the checkout is replaced, not written through.
    const outside = await makeTempDir('pl-init-outside-');
    await writeFile(join(outside, 'victim.txt'), 'untouched\n');
    await symlink(join(outside, 'victim.txt'), join(ws, 'pipeline.yaml.bak'));
    const forced = await runCli(ws, [...INIT, '--force']);
    expectExit(forced, 0);
    expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('untouched\n');
    expect((await lstat(join(ws, 'pipeline.yaml.bak'))).isSymbolicLink()).toBe(false);
    expect(await readFile(join(ws, 'pipeline.yaml.bak'), 'utf8')).toBe('train:\n  lora_rank: 4\n');
    expect((parse(await readFile(join(ws, 'pipeline.yaml'), 'utf8')) as { train: { lora_rank: number } }).train.lora_rank).toBe(16);
  });

  test('--keep-yaml: train.base_config is the user’s YAML, and the rendered YAML is still theirs', async () => {
    const ws = await lfCheckout();
    const r = await runCli(ws, [...INIT, '--keep-yaml']);
    expectExit(r, 0);
    const written = parse(await readFile(join(ws, 'pipeline.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(written.train).toEqual({
      base_config: 'examples/train_lora/eyjafjalla_qlora_sft.yaml',
      model_name_or_path: 'models/Qwen2.5-7B-Instruct',
      quantization_bit: 4,
      quantization_method: 'bnb',
      finetuning_type: 'lora',
      template: 'qwen',
    });
    const dry = await runCli(ws, ['run', 'train', '--dry-run', '--json']);
    expectExit(dry, 0);
    const rendered = previewOf(dry.stdout, 'train');
    expect(rendered).toMatchObject({ lora_rank: 16, learning_rate: 2e-4, cutoff_len: 1024, ddp_timeout: 180000000, interleave_probs: '0.7,0.3' });
    expect(rendered).not.toHaveProperty('lora_alpha');
  });

  test('without a pipeline.ts, init says where to run it', async () => {
    const dir = await temp.make('pl-init-nodag-');
    const r = await runCli(dir, INIT);
    expectExit(r, 2);
    expect(r.stderr).toContain(`unknown command 'init': there is no pipeline.ts in ${dir}`);
  });

  test('the LF checkout may be elsewhere: --lf-dir resolves the YAMLs’ relative paths there', async () => {
    const lf = await lfCheckout();
    const ws = await makeWorkspace({ 'pipeline.ts': PROJECT_PIPELINE_TS });
    temp.adopt(ws);
    await mkdir(join(ws, 'data'));
    await writeFile(join(ws, 'data', 'dataset_info.json'), '{}');
    const r = await runCli(ws, ['init', '--from', join(lf, 'examples/train_lora/eyjafjalla_qlora_sft.yaml'), '--lf-dir', lf]);
    expectExit(r, 0);
    const written = parse(await readFile(join(ws, 'pipeline.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(written.train!.model_name_or_path).toBe(join(lf, 'models/Qwen2.5-7B-Instruct'));
    expect(written.register!.sources).toEqual({
      eyjafjalla_sft: { file: join(lf, 'data/eyjafjalla_sft.json'), on_invalid: 'fail' },
      eyjafjalla_tongren_sft: { file: join(lf, 'data/eyjafjalla_tongren_sft.json'), on_invalid: 'fail' },
    });
    // register writes dataset_info.json inside the workspace only: said, not silently changed.
    expect(r.stderr).toMatch(/dataset_dir: data is outside the workspace/);
  });
});
