// The `regress` stage: persona regression of the trained adapter (or of `regress.endpoint`)
// against data/eyjafjalla_regression.jsonl. Its code fingerprint is this module's import closure
// (the `report` command lives elsewhere and does not count).
import { defineStage, UserError, type ParamsReader } from '../../src/api.js';
import { readCurrentPointer } from '../train/currentAdapter.js';
import { CURRENT_POINTER, INFERENCE_CONFIG_PARAMS, inferenceConfig, toYamlText } from '../train/inference.js';
import { checkCommand, inferenceProblems } from '../train/preflight.js';
import { personaDeps, resolvePersonaPrompt } from '../persona/index.js';
import { readRegressConfig } from './config.js';
import { RESULTS_OUT, runRegress, SUMMARY_OUT } from './run.js';

const endpointOf = (p: ParamsReader): string | null => readRegressConfig((k) => p.get(k)).endpoint;

export const stage = defineStage({
  name: 'regress',
  description: 'persona regression: ask every case, check the answers, write results, history and report',
  deps: (p) => {
    const cfg = readRegressConfig((k) => p.get(k));
    const persona = cfg.system_prompt === null && p.get('inference.default_system') == null ? personaDeps(p) : [];
    return cfg.endpoint === null ? [cfg.cases, CURRENT_POINTER, ...persona] : [cfg.cases, ...persona];
  },
  outs: [RESULTS_OUT, SUMMARY_OUT],
  // What inferenceConfig() reads (the server's model, template and quantization), and the trainer executable.
  params: ['regress', ...INFERENCE_CONFIG_PARAMS, 'train.command'],
  gpus: (p) => (endpointOf(p) === null ? 1 : 0),
  async preflight(params, info) {
    if (endpointOf(params) !== null) return undefined;
    const problems = inferenceProblems(params);
    // A `current` link leading out of artifacts/adapters/ is refused before any server starts.
    await readCurrentPointer(info.workspace).catch((err: unknown) => {
      if (!(err instanceof UserError)) throw err;
      problems.push(err.message);
    });
    const problem = await checkCommand(String(params.get('train.command') ?? 'llamafactory-cli'), info.workspace);
    if (problem) problems.push(`${problem}; or set regress.endpoint to an OpenAI-compatible server you already run`);
    return problems.length > 0 ? problems.join('\n') : undefined;
  },
  run: runRegress,
  // `run --dry-run` shows the inference YAML the started `llamafactory-cli api` would get.
  async dryRun({ workspace, params }) {
    const endpoint = endpointOf(params);
    if (endpoint !== null) return `would ask ${endpoint}`;
    const persona = (await resolvePersonaPrompt(params, workspace)).prompt;
    const config = inferenceConfig(params, CURRENT_POINTER, workspace, persona);
    return `would serve the adapter with ${String(params.get('train.command') ?? 'llamafactory-cli')} api, inference YAML:\n${toYamlText(config).trimEnd()}`;
  },
});
