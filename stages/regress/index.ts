// The `regress` stage: persona regression of the trained adapter (or of `regress.endpoint`)
// against data/eyjafjalla_regression.jsonl, and the `pipeline report` command.
import { defineStage, moduleDir, type CommandDef, type ParamsReader } from '../../src/api.js';
import { CURRENT_POINTER } from '../train/inference.js';
import { checkCommand } from '../train/preflight.js';
import { readRegressConfig } from './config.js';
import { reportCommand } from './reportCommand.js';
import { RESULTS_OUT, runRegress, SUMMARY_OUT } from './run.js';

export { configSchema } from './config.js';

const endpointOf = (p: ParamsReader): string | null => readRegressConfig((k) => p.get(k)).endpoint;

export const stage = defineStage({
  name: 'regress',
  description: 'persona regression: ask every case, check the answers, write results, history and report',
  deps: (p) => {
    const cfg = readRegressConfig((k) => p.get(k));
    return cfg.endpoint === null ? [cfg.cases, CURRENT_POINTER] : [cfg.cases];
  },
  outs: [RESULTS_OUT, SUMMARY_OUT],
  params: [
    'regress',
    'inference',
    // What inferenceConfig() reads from `train` (the server's model, template and quantization).
    'train.command',
    'train.model_name_or_path',
    'train.template',
    'train.quantization_bit',
    'train.quantization_method',
    'train.quantization_type',
    'train.double_quantization',
  ],
  gpus: (p) => (endpointOf(p) === null ? 1 : 0),
  code: [moduleDir(import.meta.url)],
  async preflight(params, info) {
    if (endpointOf(params) !== null) return undefined;
    const problem = await checkCommand(String(params.get('train.command') ?? 'llamafactory-cli'), info.workspace);
    return problem && `${problem}; or set regress.endpoint to an OpenAI-compatible server you already run`;
  },
  run: runRegress,
});

export const commands: Record<string, CommandDef> = { report: reportCommand };
