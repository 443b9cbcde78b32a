// The DAG of this project: the four stages of the Eyjafjalla persona workflow and the domain
// commands. The engine (src/) is generic; everything about LLaMA-Factory lives in stages/.
import { z } from 'zod';
import { definePipeline } from './src/api.js';
import * as extract from './stages/extract/index.js';
import * as register from './stages/register/index.js';
import * as train from './stages/train/index.js';
import * as regress from './stages/regress/index.js';
import { demoCommand } from './stages/demo/command.js';
import { personaSchema } from './stages/persona/index.js';
import { experimentHooks } from './stages/experiments/index.js';

export const schema = z.object({
  persona: personaSchema,
  extract: extract.configSchema,
  register: register.configSchema,
  train: train.configSchema,
  inference: train.inferenceSchema,
  regress: regress.configSchema,
});

export default definePipeline({
  configFile: 'pipeline.yaml',
  schema,
  stages: [extract.stage, register.stage, train.stage, regress.stage],
  commands: { ...extract.commands, ...train.commands, ...regress.commands, demo: demoCommand },
  experiments: experimentHooks,
});
