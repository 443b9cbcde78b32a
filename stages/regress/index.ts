// The regress stage module, as pipeline.ts imports it: the stage (stage.ts), its config schema and
// the `pipeline report` command.
import type { CommandDef } from '../../src/api.js';
import { reportCommand } from './reportCommand.js';

export { configSchema } from './config.js';
export { stage } from './stage.js';

export const commands: Record<string, CommandDef> = { report: reportCommand };
