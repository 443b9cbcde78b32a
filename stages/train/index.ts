// The train stage module, as pipeline.ts imports it: the stage (stage.ts), its config schemas
// and the `chat` / `webchat` / `init` commands.
import type { CommandDef } from '../../src/api.js';
import { chatCommand } from './chat.js';
import { initCommand } from './initCommand.js';

export { configSchema, inferenceSchema } from './config.js';
export { currentAdapterDir, publishCurrentAdapter, readCurrentPointer } from './currentAdapter.js';
export { inferenceConfig, writeYamlFile } from './inference.js';
export { stage } from './stage.js';

export const commands: Record<string, CommandDef> = {
  chat: chatCommand('chat'),
  webchat: chatCommand('webchat'),
  init: initCommand,
};
