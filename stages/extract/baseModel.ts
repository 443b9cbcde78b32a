// Who answers the model questions of `extract.attribution: model`: `extract.endpoint` when it is
// set, else the user's base model (train.model_name_or_path, with train's template and
// quantization) served by `llamafactory-cli api` on the GPU the stage got (gpusIfFree), started
// only when a question is not in the answer cache and stopped when the stage is done. Without a
// GPU, or when the server does not come up, the open lines stay to the rules and the run is
// provisional (it runs again next time).
import { join } from 'node:path';
import type { ParamsReader, StageContext } from '../../src/api.js';
import { startApiServer, type StartedServer } from '../regress/server.js';
import { resolveExecutable } from '../train/executable.js';
import { checkCommand, vllmBnbProblem } from '../train/preflight.js';
import { quantizationKeys, resolveFromWorkspace, writeYamlFile } from '../train/inference.js';
import type { ExtractConfig } from './config.js';
import type { EndpointConfig, ModelSource } from './model.js';

/** The params the served base model is made of (part of the stage's key). */
export const BASE_MODEL_PARAMS = [
  'train.model_name_or_path',
  'train.template',
  'train.quantization_bit',
  'train.quantization_method',
  'train.quantization_type',
  'train.double_quantization',
  'inference.template',
  'inference.infer_backend',
] as const;

/** Questions in flight at once where the served engine batches them (vllm, sglang). */
const SERVED_BATCH = 8;

/** Whether the stage serves the base model itself (attribution: model, no extract.endpoint). */
export const servesBaseModel = (p: ParamsReader): boolean => p.get('extract.attribution') === 'model' && p.get('extract.endpoint') == null;

/** The inference YAML of the base model alone (no adapter): what `llamafactory-cli api` loads. */
export function baseModelYaml(params: ParamsReader, workspace?: string): Record<string, unknown> {
  const get = (k: string): unknown => params.get(k);
  const cfg: Record<string, unknown> = { model_name_or_path: resolveFromWorkspace(workspace, String(get('train.model_name_or_path'))) };
  const template = get('inference.template') ?? get('train.template');
  if (template != null) cfg.template = template;
  // (The keys train renders, read one by one: the stage declares these, not the whole train section.)
  const quantization = Object.fromEntries(
    ['quantization_bit', 'quantization_method', 'quantization_type', 'double_quantization'].map((k) => [k, get(`train.${k}`) ?? undefined]),
  );
  Object.assign(cfg, quantizationKeys(quantization as Parameters<typeof quantizationKeys>[0]));
  const backend = get('inference.infer_backend');
  if (backend != null) cfg.infer_backend = backend;
  return cfg;
}

/** The base model served by `train.command api` on ctx.gpus, started once, on first need. */
export function baseModelSource(ctx: StageContext, config: ExtractConfig): ModelSource {
  // The YAML as configured (relative paths as written): moving the workspace keeps the answers.
  const identity = `llamafactory-cli api ${JSON.stringify(baseModelYaml(ctx.params))}`;
  let started: Promise<EndpointConfig | string> | undefined;
  let server: StartedServer | undefined;
  const start = async (): Promise<EndpointConfig | string> => {
    if (ctx.gpus.length === 0)
      return 'no GPU was free for the stage to serve the base model (--cpu-only, none in the pool, or busy), and extract.endpoint is not set';
    // (The YAML served has train's quantization and inference's backend: refused up front, not by a server started for nothing.)
    const backend = String(ctx.params.get('inference.infer_backend') ?? 'huggingface');
    const refused = vllmBnbProblem(backend, ctx.params.get('train.quantization_bit'), 'set extract.endpoint to a server of the model');
    if (refused) return `cannot serve the base model: ${refused}`;
    const configured = String(ctx.params.get('train.command') ?? 'llamafactory-cli');
    const command = await resolveExecutable(configured, { cwd: ctx.workspace, pathEnv: ctx.env.PATH });
    if (command === undefined) return `cannot serve the base model: ${await checkCommand(configured, ctx.workspace)}; or set extract.endpoint`;
    const yamlPath = join(ctx.stagingDir, 'extract_base_model.yaml');
    await writeYamlFile(baseModelYaml(ctx.params, ctx.workspace), yamlPath);
    try {
      server = await startApiServer(ctx, { command, yamlPath, startupTimeoutMs: config.startup_timeout * 1000, who: 'extract' });
    } catch (err) {
      return `the base model server did not start: ${(err as Error).message}`;
    }
    ctx.log(`extract: base model served at ${server.baseUrl} on GPU ${ctx.gpus.join(',')}`);
    // (LLaMA-Factory's api names every model API_MODEL_NAME, gpt-3.5-turbo by default; it is echoed.)
    // The huggingface engine answers one request at a time (chat/hf_engine.py: a semaphore of
    // MAX_CONCURRENT, 1 by default), so more would only queue; vLLM and SGLang batch them.
    const concurrency = backend === 'vllm' || backend === 'sglang' ? SERVED_BATCH : 1;
    return { url: server.baseUrl, model: server.models[0] ?? 'gpt-3.5-turbo', timeout_ms: 60_000, concurrency };
  };
  return {
    identity,
    endpoint: () => (started ??= start()),
    async close() {
      await server?.stop();
      server = undefined;
    },
  };
}
