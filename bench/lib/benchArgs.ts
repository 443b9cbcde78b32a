// Command-line flags of a benchmark: node's parseArgs for the syntax, zod for the values.
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { BenchError } from './benchError.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; description: string }>;

/** Text listing the flags, for --help. */
export function flagHelp(flags: FlagSpec): string {
  const rows = Object.entries(flags).map(([name, f]) => [`--${name}${f.type === 'string' ? ' VALUE' : ''}`, f.description] as const);
  const w = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, d]) => `  ${n.padEnd(w)}  ${d}`).join('\n');
}

/**
 * Parses `args` strictly (unknown flags and positionals are usage errors, exit 2), then validates the
 * raw strings with `schema` (use z.coerce for numbers). Errors name the flag and what was expected.
 */
export function parseBenchArgs<S extends z.ZodType>(args: readonly string[], flags: FlagSpec, schema: S): z.infer<S> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...args], options: flags, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new BenchError(`${err instanceof Error ? err.message : String(err)}\nflags:\n${flagHelp(flags)}`, 2);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  --${i.path.join('.')}: ${i.message}`);
    throw new BenchError(`bad flag value:\n${lines.join('\n')}`, 2);
  }
  return parsed.data;
}
