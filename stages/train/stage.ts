// The `train` stage: QLoRA fine-tuning with `llamafactory-cli train` on pinned GPUs, resumable
// from checkpoints, with the adapter cached by stage key. Its code fingerprint is this module's
// import closure (the chat commands live elsewhere and do not count).
import { join } from 'node:path';
import { defineStage, type ParamsReader } from '../../src/api.js';
import { readTrainConfig, TRAIN_PARAM_KEYS } from './config.js';
import { ADAPTERS_DIR, CURRENT_POINTER, currentPointerProblems, publishCurrentAdapter } from './currentAdapter.js';
import { trainPreflight } from './preflight.js';
import { runTrain, trainerOutputDir } from './runTrain.js';
import { toYamlText } from './inference.js';
import { renderTrainConfig } from './trainConfig.js';
import { REGISTER_OUTS, registeredDatasetFiles } from './registerInputs.js';

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
  outs: [`${ADAPTERS_DIR}/{key}`],
  params: [...TRAIN_PARAM_KEYS, 'register'],
  // Which llamafactory-cli runs the training does not change the adapter's key.
  untrackedParams: ['train.command'],
  gpus: (params) => readTrainConfig((k) => params.get(k)).gpus,
  resumable: true,
  preflight: trainPreflight,
  run: runTrain,
  // artifacts/adapters/current links to the adapter of the last train that ran or was restored.
  sharedFiles: [CURRENT_POINTER],
  async publish(ctx) {
    await publishCurrentAdapter(ctx.workspace, ctx.shortKey);
    ctx.log(`${CURRENT_POINTER} -> ${ctx.shortKey}`);
  },
  verifyPublished: (ctx) => currentPointerProblems(ctx.workspace, ctx.shortKey),
  // `run --dry-run` shows the YAML `llamafactory-cli train` would get (output_dir: the run's staging dir).
  async dryRun({ workspace, params }) {
    const config = await renderTrainConfig(params, workspace, trainerOutputDir(join(workspace, '.pipeline', 'staging', 'train-<key>')));
    return `would run ${readTrainConfig((k) => params.get(k)).command} train artifacts/train/<key>.yaml:\n${toYamlText(config).trimEnd()}`;
  },
});
