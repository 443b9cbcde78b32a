import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { currentAdapterDir, inferenceConfig, writeYamlFile } from '../../stages/train/inference.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { FAKE_CLI, paramsFrom } from './fixtures.js';

describe('inference YAML and the current adapter', () => {
  let ws: string;
  beforeEach(async () => {
    ws = await makeWorkspace({ 'models/base/config.json': '{}' });
  });
  afterEach(() => rm(ws, { recursive: true, force: true }));

  test('inferenceConfig carries model, adapter, template, 4-bit keys and decoding params', () => {
    const params = paramsFrom({
      train: {
        model_name_or_path: 'models/base',
        template: 'qwen',
        finetuning_type: 'lora',
        quantization_bit: 4,
        quantization_method: 'bnb',
        quantization_type: 'nf4',
        double_quantization: true,
      },
      inference: {
        temperature: 0.3,
        top_p: 0.9,
        top_k: 50,
        repetition_penalty: 1.1,
        max_new_tokens: 512,
        default_system: '你是艾雅法拉。',
        infer_backend: 'vllm',
      },
    });
    expect(inferenceConfig(params, '/a/adapters/abc', ws)).toEqual({
      model_name_or_path: join(ws, 'models/base'),
      adapter_name_or_path: '/a/adapters/abc',
      template: 'qwen',
      finetuning_type: 'lora',
      quantization_bit: 4,
      quantization_method: 'bnb',
      quantization_type: 'nf4',
      double_quantization: true,
      infer_backend: 'vllm',
      temperature: 0.3,
      top_p: 0.9,
      top_k: 50,
      repetition_penalty: 1.1,
      max_new_tokens: 512,
      default_system: '你是艾雅法拉。',
    });
    const noQuant = inferenceConfig(paramsFrom({ train: { quantization_bit: null }, inference: { template: 'llama3' } }), 'ad');
    expect(noQuant).not.toHaveProperty('quantization_bit');
    expect(noQuant.template).toBe('llama3');
    expect(noQuant.model_name_or_path).toBe('models/Qwen2.5-7B-Instruct'); // no workspace: as written
  });

  test('writeYamlFile writes atomically and leaves no temp file', async () => {
    const p = join(ws, 'artifacts', 'infer', 'chat.yaml');
    await writeYamlFile({ a: 1, text: '多行\n文本' }, p);
    await writeYamlFile({ a: 2, text: '多行\n文本' }, p);
    expect(parse(await readFile(p, 'utf8'))).toEqual({ a: 2, text: '多行\n文本' });
    expect(await readdir(join(ws, 'artifacts', 'infer'))).toEqual(['chat.yaml']);
  });

  test('exponent floats are written so PyYAML reads numbers, not strings', async () => {
    const p = join(ws, 'lr.yaml');
    await writeYamlFile({ learning_rate: 1e-7, warmup: 2.5e-8, big: 2e21, plain: 0.0001, text: '1e-7', list: [3e-9] }, p);
    const text = await readFile(p, 'utf8');
    expect(text).toBe('learning_rate: 1.0e-7\nwarmup: 2.5e-8\nbig: 2.0e+21\nplain: 0.0001\ntext: "1e-7"\nlist:\n  - 3.0e-9\n');
    expect(parse(text)).toEqual({ learning_rate: 1e-7, warmup: 2.5e-8, big: 2e21, plain: 0.0001, text: '1e-7', list: [3e-9] });
  });

  test('currentAdapterDir: no adapter yet, a bad pointer, a dangling pointer, a good one', async () => {
    await expect(currentAdapterDir(ws)).rejects.toThrow(/no adapter has been trained yet.*npx pipeline run train/);
    await mkdir(join(ws, 'artifacts', 'adapters'), { recursive: true });
    await writeFile(join(ws, 'artifacts', 'adapters', 'current'), '../../etc\n');
    await expect(currentAdapterDir(ws)).rejects.toThrow(/artifacts\/adapters\/current: expected the short key of an adapter/);
    await writeFile(join(ws, 'artifacts', 'adapters', 'current'), '0123456789ab\n');
    await expect(currentAdapterDir(ws)).rejects.toThrow('names adapter 0123456789ab, but artifacts/adapters/0123456789ab/adapter_config.json is missing');
    await mkdir(join(ws, 'artifacts', 'adapters', '0123456789ab'));
    await writeFile(join(ws, 'artifacts', 'adapters', '0123456789ab', 'adapter_config.json'), '{}');
    expect(await currentAdapterDir(ws)).toBe(join(ws, 'artifacts', 'adapters', '0123456789ab'));
  });

  test('the rendered YAML is accepted by llamafactory-cli chat (double) and a stray key is not', async () => {
    const adapter = join(ws, 'ad');
    await mkdir(adapter);
    await writeFile(join(adapter, 'adapter_config.json'), '{}');
    const cfg = inferenceConfig(paramsFrom({ train: { model_name_or_path: 'models/base' }, inference: { default_system: 'x' } }), adapter, ws);
    const run = (yamlName: string) =>
      new Promise<{ code: number; out: string; err: string }>((res) => {
        const c = execFile(FAKE_CLI, ['chat', join(ws, yamlName)], (e, out, err) => res({ code: e ? Number(e.code) : 0, out, err }));
        c.stdin?.end('你好\nexit\n');
      });
    await writeYamlFile(cfg, join(ws, 'ok.yaml'));
    const ok = await run('ok.yaml');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('Assistant: ');
    await writeYamlFile({ ...cfg, presence_penalty: 1 }, join(ws, 'bad.yaml'));
    const bad = await run('bad.yaml');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("not used by the HfArgumentParser: ['presence_penalty']");
  });
});
