// The extract stage module: what pipeline.ts imports.
import type { CommandDef } from '../../src/api.js';
import { extractCommand } from './command.js';

export { configSchema } from './config.js';
export type { ExtractConfig } from './config.js';
export { stage } from './stage.js';

export const commands: Record<string, CommandDef> = { extract: extractCommand };
