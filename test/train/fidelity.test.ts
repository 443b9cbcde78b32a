// Issue #12, train side: unset keys are LLaMA-Factory's defaults (not rendered), the persona
// prompt is inference's default_system, and the preflight refuses before any GPU time what
// LLaMA-Factory would refuse (or waste) later; the trainer's PATH leads to the env's torchrun.
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { resolvePersonaPrompt } from '../../stages/persona/index.js';
import { expandHome, pathWithCommandDir, resolveExecutable } from '../../stages/train/executable.js';
import { inferenceConfig } from '../../stages/train/inference.js';
import { LF_GENERATING_DEFAULTS, LF_TRAIN_DEFAULTS, MODELED_TRAIN_KEYS } from '../../stages/train/lfDefaults.js';
import { inferenceProblems, trainPreflight } from '../../stages/train/preflight.js';
import { renderTrainConfig } from '../../stages/train/trainConfig.js';
import { makeWorkspace, REPO } from '../helpers/workspace.js';
import { DOUBLES, FAKE_CLI, paramsFrom } from './fixtures.js';

const REG = { sources: { persona: { file: 'data/persona.json' } }, datasets: ['persona'] };
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function ws(files: Record<string, string> = {}): Promise<string> {
  const d = await makeWorkspace({
    'models/base/config.json': '{}',
    'data/dataset_info.json': JSON.stringify({ persona: { file_name: 'persona.json' } }),
    ...files,
  });
  dirs.push(d);
  return d;
}

describe('defaults are LLaMA-Factory’s', () => {
  test('an unset key is not rendered: lora_alpha, lr, epochs… are left to LLaMA-Factory', async () => {
    const w = await ws();
    const cfg = await renderTrainConfig(paramsFrom({ train: { lora_rank: 16 }, register: REG }), w, join(w, 'out'));
    expect(cfg.lora_rank).toBe(16);
    expect(cfg).not.toHaveProperty('lora_alpha'); // LLaMA-Factory: 2 × lora_rank = 32
    for (const k of MODELED_TRAIN_KEYS.filter((k) => k !== 'lora_rank')) expect(cfg).not.toHaveProperty(k);
    expect(Object.keys(cfg).sort()).toEqual(
      ['dataset', 'dataset_dir', 'do_train', 'lora_rank', 'mix_strategy', 'model_name_or_path', 'output_dir', 'overwrite_output_dir', 'report_to'].sort(),
    );
  });

  test('the defaults table equals the one the LLaMA-Factory double applies, and pipeline.yaml documents the same values', async () => {
    const lf = (await import(join(DOUBLES, 'lf-keys.mjs'))) as { LF_DEFAULTS: Record<string, unknown>; LF_GENERATING_DEFAULTS: Record<string, unknown> };
    expect(LF_TRAIN_DEFAULTS).toEqual(lf.LF_DEFAULTS);
    expect(LF_GENERATING_DEFAULTS).toEqual(lf.LF_GENERATING_DEFAULTS);
    // every `# LF: value` comment of the bundled pipeline.yaml matches the table
    const yaml = await readFile(join(REPO, 'pipeline.yaml'), 'utf8');
    const documented = [...yaml.matchAll(/^\s*#?\s*([a-z_]+): [^#\n]*#.*?\bLF: ([^,)\s]+)/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(documented.length).toBeGreaterThanOrEqual(25);
    const all: Record<string, unknown> = { ...LF_TRAIN_DEFAULTS, ...LF_GENERATING_DEFAULTS, infer_backend: 'huggingface' };
    for (const [key, text] of documented) {
      if (key === 'template' || key === 'lora_alpha') continue; // described in words
      const want = all[key];
      const got = text === 'null' ? null : text === 'true' ? true : text === 'false' ? false : Number.isNaN(Number(text)) ? text : Number(text);
      expect({ key, value: got }).toEqual({ key, value: want });
    }
  });
});

describe('the persona prompt is the inference default_system', () => {
  test('unset everywhere: the most common system of the curated dataset, said so', async () => {
    const curated = [
      { system: '你是艾雅法拉。', conversations: [] },
      { system: '你是艾雅法拉。', conversations: [] },
      { system: '别的提示', conversations: [] },
      { conversations: [] },
    ];
    const w = await ws({ 'data/eyjafjalla_sft.json': JSON.stringify(curated) });
    const params = paramsFrom({ train: { model_name_or_path: 'models/base' } });
    const p = await resolvePersonaPrompt(params, w);
    expect(p.prompt).toBe('你是艾雅法拉。');
    expect(p.source).toContain('the most common system prompt of data/eyjafjalla_sft.json (2 of 4 samples');
    const cfg = inferenceConfig(params, 'adapters/x', w, p.prompt);
    expect(cfg.default_system).toBe('你是艾雅法拉。');
    // decoding keys not set are not rendered (LLaMA-Factory's generating defaults apply)
    for (const k of Object.keys(LF_GENERATING_DEFAULTS)) expect(cfg).not.toHaveProperty(k);
    // persona.system_prompt wins over the dataset; inference.default_system wins over both
    const set = paramsFrom({ persona: { system_prompt: '设定的提示' } });
    expect((await resolvePersonaPrompt(set, w)).prompt).toBe('设定的提示');
    expect(inferenceConfig(paramsFrom({ inference: { default_system: '推理的提示' } }), 'a', w, '设定的提示').default_system).toBe('推理的提示');
  });
});

describe('preflight refuses before any GPU time', () => {
  const base = { command: FAKE_CLI, model_name_or_path: 'models/base' };

  test('finetuning_type full or freeze (also from base_config): no adapter would come out', async () => {
    const w = await ws({ 'cfg/full.yaml': 'finetuning_type: freeze\n' });
    const full = await trainPreflight(paramsFrom({ train: { ...base, finetuning_type: 'full' }, register: REG }), { workspace: w, gpus: ['0'] });
    expect(full).toContain('finetuning_type: full writes full model weights, not an adapter');
    const freeze = await trainPreflight(paramsFrom({ train: { ...base, base_config: 'cfg/full.yaml' }, register: REG }), { workspace: w, gpus: ['0'] });
    expect(freeze).toContain('finetuning_type: freeze writes full model weights');
    expect(
      await trainPreflight(paramsFrom({ train: { ...base, finetuning_type: 'oft', quantization_bit: 4 }, register: REG }), { workspace: w, gpus: ['0'] }),
    ).toBeUndefined();
  });

  test('infer_backend vllm with bnb quantization', () => {
    expect(inferenceProblems(paramsFrom({ train: { quantization_bit: 4 }, inference: { infer_backend: 'vllm' } }))[0]).toContain(
      "LLaMA-Factory's vLLM engine refuses bnb quantization",
    );
    expect(inferenceProblems(paramsFrom({ train: { quantization_bit: 4 }, inference: { infer_backend: 'huggingface' } }))).toEqual([]);
    expect(inferenceProblems(paramsFrom({ train: {}, inference: { infer_backend: 'vllm' } }))).toEqual([]);
  });

  test('mix_strategy interleave_once on LLaMA-Factory < 0.9.5, the version read once per install', async () => {
    const w = await ws();
    const bin = join(w, 'env', 'bin');
    await mkdir(bin, { recursive: true });
    const cli = join(bin, 'llamafactory-cli');
    const calls = join(w, 'version-calls');
    const script = (v: string) => `#!/bin/sh\necho call >> ${calls}\necho "| Welcome to LLaMA Factory, version ${v}"\n`;
    await writeFile(cli, script('0.9.4'));
    await chmod(cli, 0o755);
    const params = paramsFrom({ train: { ...base, command: cli }, register: { ...REG, mix_strategy: 'interleave_once' } });
    const first = await trainPreflight(params, { workspace: w, gpus: ['0'] });
    expect(first).toContain('register.mix_strategy: interleave_once needs LLaMA-Factory 0.9.5 or later; the installed one');
    expect(first).toContain('is 0.9.4');
    expect(await trainPreflight(params, { workspace: w, gpus: ['0'] })).toContain('is 0.9.4');
    expect((await readFile(calls, 'utf8')).split('\n').filter(Boolean)).toHaveLength(1); // cached by the executable's stat
    await writeFile(cli, script('0.9.5')); // an upgrade rewrites the entry point: read again
    expect(await trainPreflight(params, { workspace: w, gpus: ['0'] })).toBeUndefined();
    expect((await readFile(calls, 'utf8')).split('\n').filter(Boolean)).toHaveLength(2);
  });

  test('more than one GPU: torchrun must resolve next to a train.command path or on PATH; ~ is expanded', async () => {
    const w = await ws();
    const env = join(w, 'miniconda3', 'envs', 'AICHAT', 'bin');
    await mkdir(env, { recursive: true });
    await symlink(FAKE_CLI, join(env, 'llamafactory-cli'));
    // `~/…` as the README writes it; the home directory itself is not ours to write into.
    const tilde = `~/${relative(homedir(), join(env, 'llamafactory-cli'))}`;
    const saved = { PATH: process.env.PATH };
    try {
      process.env.PATH = '/usr/bin:/bin';
      const two = (command: string) => paramsFrom({ train: { ...base, command, gpus: 2 }, register: REG });
      const missing = await trainPreflight(two(tilde), { workspace: w, gpus: ['0', '1'] });
      expect(missing).toContain('LLaMA-Factory relaunches itself with `torchrun`, which is neither next to');
      await symlink(join(DOUBLES, 'torchrun'), join(env, 'torchrun'));
      expect(await trainPreflight(two(tilde), { workspace: w, gpus: ['0', '1'] })).toBeUndefined();
      expect(expandHome('~/x')).toBe(join(homedir(), 'x'));
      expect(await resolveExecutable(tilde, { cwd: '/', pathEnv: '' })).toBe(join(env, 'llamafactory-cli'));
      expect(pathWithCommandDir(tilde, join(env, 'llamafactory-cli'), '/usr/bin:/bin')).toBe(`${env}:/usr/bin:/bin`);
      expect(pathWithCommandDir('llamafactory-cli', '/opt/bin/llamafactory-cli', '/usr/bin')).toBe('/usr/bin');
    } finally {
      process.env.PATH = saved.PATH;
    }
  });
});
