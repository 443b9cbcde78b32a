// The `train` stage: QLoRA fine-tuning with `llamafactory-cli train` on pinned GPUs, resumable
// from checkpoints, with the adapter cached by stage key; plus `pipeline chat` / `webchat`.
import { defineStage, moduleDir, type CommandDef, type ParamsReader } from '../../src/api.js';
import { chatCommand } from './chat.js';
import { readTrainConfig, TRAIN_PARAM_KEYS } from './config.js';
import { ADAPTERS_DIR, CURRENT_POINTER } from './inference.js';
import { trainPreflight } from './preflight.js';
import { runTrain } from './runTrain.js';
import { REGISTER_OUTS, registeredDatasetFiles } from './registerInputs.js';

export { configSchema, inferenceSchema } from './config.js';
export { currentAdapterDir, inferenceConfig, writeYamlFile } from './inference.js';

function trainDeps(params: ParamsReader): string[] {
  const train = readTrainConfig((k) => params.get(k));
  const deps = [...REGISTER_OUTS, ...registeredDatasetFiles(params), train.model_name_or_path];
  if (train.base_config !== null) deps.push(train.base_config);
  return deps;
}

export const stage = defineStage({
  name: 'train',
  description: 'QLoRA fine-tuning with llamafactory-cli train (GPU); adapter in artifacts/adapters/<key>',
  deps: trainDeps,
  outs: [`${ADAPTERS_DIR}/{key}`, CURRENT_POINTER],
  params: [...TRAIN_PARAM_KEYS, 'register'],
  gpus: (params) => readTrainConfig((k) => params.get(k)).gpus,
  code: [moduleDir(import.meta.url)],
  resumable: true,
  preflight: trainPreflight,
  run: runTrain,
});

export const commands: Record<string, CommandDef> = {
  chat: chatCommand('chat'),
  webchat: chatCommand('webchat'),
};

