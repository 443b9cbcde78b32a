// Checks that need no GPU time, each answered with how to fix it.
import { homedir } from 'node:os';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ParamsReader } from '../../src/api.js';
import { trainDatasetArgs } from '../register/mix.js';
import { readInferenceConfig, readTrainConfig } from './config.js';
import { pathWithCommandDir, resolveExecutable } from './executable.js';
import { compareVersions, installedVersion } from './lfVersion.js';
import { renderTrainConfig } from './trainConfig.js';
import { resolveFromWorkspace } from './inference.js';

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Message for a trainer executable that cannot be found, or undefined when it can. */
export async function checkCommand(command: string, workspace: string): Promise<string | undefined> {
  const found = await resolveExecutable(command, { cwd: workspace, pathEnv: process.env.PATH });
  if (found !== undefined) return undefined;
  const where = command.includes('/') ? `${command} does not exist or is not executable` : `\`${command}\` was not found on PATH`;
  return (
    `${where}: install LLaMA-Factory (pip install -e ".[torch,metrics]" in its checkout) or set ` +
    '`train.command` in pipeline.yaml to the full path of llamafactory-cli, e.g. ' +
    `${homedir()}/miniconda3/envs/AICHAT/bin/llamafactory-cli`
  );
}

const datasetInfoSchema = z.record(z.string(), z.unknown());

/** Names from the mix that dataset_info.json lacks (undefined when the file does not exist yet). */
export async function unregisteredDatasets(params: ParamsReader, workspace: string): Promise<{ infoPath: string; missing: string[] } | undefined> {
  const data = trainDatasetArgs(params);
  const infoPath = join(resolveFromWorkspace(workspace, data.dataset_dir), 'dataset_info.json');
  let text: string;
  try {
    text = await readFile(infoPath, 'utf8');
  } catch {
    return undefined;
  }
  let info: Record<string, unknown>;
  try {
    info = datasetInfoSchema.parse(JSON.parse(text));
  } catch {
    return { infoPath, missing: data.dataset.split(',') };
  }
  return { infoPath, missing: data.dataset.split(',').filter((n) => n !== '' && !(n in info)) };
}

export function unregisteredMessage(r: { infoPath: string; missing: string[] }, workspace: string): string {
  const shown = r.infoPath.startsWith(`${workspace}/`) ? r.infoPath.slice(workspace.length + 1) : r.infoPath;
  return (
    `dataset(s) ${r.missing.join(', ')} not registered in ${shown}: run \`npx pipeline run register\`, ` +
    'or remove them from register.datasets in pipeline.yaml'
  );
}

/** All problems found, one per line; undefined when training can start. */
export async function trainPreflight(params: ParamsReader, info: { workspace: string; gpus: readonly string[] }): Promise<string | undefined> {
  const train = readTrainConfig((k) => params.get(k));
  const problems: string[] = [];

  const cmd = await checkCommand(train.command, info.workspace);
  if (cmd) problems.push(cmd);

  const model = resolveFromWorkspace(info.workspace, train.model_name_or_path);
  if (!(await isDir(model))) {
    problems.push(
      `base model directory ${train.model_name_or_path} does not exist: download the model there ` +
        '(e.g. `huggingface-cli download Qwen/Qwen2.5-7B-Instruct --local-dir models/Qwen2.5-7B-Instruct`) ' +
        'or set train.model_name_or_path in pipeline.yaml',
    );
  } else if (!(await isFile(join(model, 'config.json')))) {
    problems.push(
      `base model directory ${train.model_name_or_path} has no config.json: point train.model_name_or_path ` +
        'at the folder that holds config.json and the weights (a Hugging Face model snapshot)',
    );
  }

  if (info.gpus.length === 0) {
    problems.push(
      'no GPU in the pool: set `gpus: [0]` in pipeline.yaml, pass --gpus 0, or set CUDA_VISIBLE_DEVICES ' +
        '(use --cpu-only to run the other stages without training)',
    );
  } else if (info.gpus.length < train.gpus) {
    problems.push(
      `train.gpus is ${train.gpus} but the pool has ${info.gpus.length} device(s) (${info.gpus.join(',')}): ` + 'lower train.gpus or add devices to `gpus:`',
    );
  }

  const exe = await resolveExecutable(train.command, { cwd: info.workspace, pathEnv: process.env.PATH });
  if (exe !== undefined && train.gpus > 1) {
    const path = pathWithCommandDir(train.command, exe, process.env.PATH);
    if ((await resolveExecutable('torchrun', { cwd: info.workspace, pathEnv: path })) === undefined) {
      problems.push(
        `train.gpus is ${train.gpus}, so LLaMA-Factory relaunches itself with \`torchrun\`, which is neither next to ${exe} nor on PATH: ` +
          'install PyTorch into that environment (it provides torchrun) or set train.gpus: 1',
      );
    }
  }

  if (train.base_config !== null && !(await isFile(resolveFromWorkspace(info.workspace, train.base_config)))) {
    problems.push(`train.base_config: ${train.base_config} does not exist: fix the path or remove the key`);
  } else {
    problems.push(...(await renderedConfigProblems(params, info.workspace, exe)));
  }

  const reg = await unregisteredDatasets(params, info.workspace);
  if (reg && reg.missing.length > 0) problems.push(unregisteredMessage(reg, info.workspace));

  return problems.length > 0 ? problems.join('\n') : undefined;
}

/**
 * Problems LLaMA-Factory would only report after loading the model, or never: checked on the
 * rendered YAML, so keys from base_config and train.extra count too.
 */
async function renderedConfigProblems(params: ParamsReader, workspace: string, exe: string | undefined): Promise<string[]> {
  let cfg: Record<string, unknown>;
  try {
    cfg = await renderTrainConfig(params, workspace, join(workspace, '.pipeline', 'preflight-output'));
  } catch (err) {
    return [(err as Error).message];
  }
  const problems: string[] = [];
  const ft = String(cfg.finetuning_type ?? 'lora');
  if (ft === 'full' || ft === 'freeze') {
    problems.push(
      `finetuning_type: ${ft} writes full model weights, not an adapter, so chat, regress and the adapter cache cannot use it: ` +
        'the pipeline trains LoRA adapters; set train.finetuning_type: lora (or oft), or run full/freeze training with llamafactory-cli yourself',
    );
  }
  if (cfg.quantization_bit != null && ft !== 'lora' && ft !== 'oft') {
    problems.push(
      `train.quantization_bit: ${String(cfg.quantization_bit)} (QLoRA) only works with finetuning_type: lora or oft, ` +
        `not ${ft}: set train.quantization_bit: null or train.finetuning_type: lora`,
    );
  }
  if (cfg.mix_strategy === 'interleave_once' && exe !== undefined) {
    const v = await installedVersion(exe, workspace);
    if (v !== undefined && compareVersions(v, '0.9.5') < 0) {
      problems.push(
        `register.mix_strategy: interleave_once needs LLaMA-Factory 0.9.5 or later; the installed one (${exe}) is ${v}: ` +
          'upgrade LLaMA-Factory or use interleave_under / interleave_over',
      );
    }
  }
  return problems;
}

/**
 * hparams/parser.py get_infer_args: "vLLM engine does not support bnb quantization (GPTQ and AWQ are
 * supported)". The message for a served model of `backend` with bnb `bits`, undefined where it loads;
 * `fix`: the other way out (an endpoint to set instead).
 */
export function vllmBnbProblem(backend: unknown, bits: unknown, fix: string): string | undefined {
  if (backend !== 'vllm' || bits == null) return undefined;
  return (
    `inference.infer_backend: vllm with quantization_bit: ${String(bits)}: LLaMA-Factory's vLLM engine refuses bnb quantization ` +
    `(it loads GPTQ/AWQ models only): use infer_backend: huggingface, or ${fix}`
  );
}

/** What `llamafactory-cli chat|webchat|api` would refuse for the inference config (hparams/parser.py). */
export function inferenceProblems(params: ParamsReader): string[] {
  const train = readTrainConfig((k) => params.get(k));
  const inf = readInferenceConfig((k) => params.get(k));
  const backend = inf.extra.infer_backend ?? inf.infer_backend ?? 'huggingface';
  const bits = inf.extra.quantization_bit !== undefined ? inf.extra.quantization_bit : train.quantization_bit;
  const problem = vllmBnbProblem(backend, bits, 'set regress.endpoint to a vLLM server of a merged model');
  return problem ? [problem] : [];
}
