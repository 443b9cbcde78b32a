// The one argument parser of the engine's commands, on node:util's parseArgs (its tokens, so the
// messages are ours): flags with values, repeatable flags, flags with an optional inline value
// (`--force`, `--force=a,b`), positionals, `--`. Unknown flags are usage errors (exit 2) that
// name the flag.
import { parseArgs as parseTokens } from 'node:util';
import { UsageError } from './api.js';

export interface FlagSpec {
  /**
   * 'bool' flags take no value; 'string' take one (`--jobs 4`, `--jobs=4`); 'list' take one and
   * may repeat; 'optional' take a value only inline (`--force` or `--force=a,b`).
   */
  [name: string]: 'bool' | 'string' | 'list' | 'optional';
}

export interface Parsed {
  positionals: string[];
  /** 'optional' flags: true when bare, else their inline values. */
  flags: Record<string, string | boolean | string[] | undefined>;
}

export function parseArgs(argv: readonly string[], spec: FlagSpec, command: string): Parsed {
  const options = Object.fromEntries(
    Object.entries(spec).map(([name, kind]) => [name, kind === 'string' || kind === 'list' ? { type: 'string' as const } : { type: 'boolean' as const }]),
  );
  const { tokens } = parseTokens({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const positionals: string[] = [];
  const flags: Parsed['flags'] = {};
  for (const t of tokens) {
    if (t.kind === 'positional') {
      positionals.push(t.value);
      continue;
    }
    if (t.kind !== 'option') continue; // the `--` terminator itself
    const kind = spec[t.name];
    if (!kind)
      throw new UsageError(`${command}: unknown option '${t.rawName}${t.inlineValue ? `=${t.value ?? ''}` : ''}' (see \`pipeline ${command} --help\`)`);
    if (kind === 'bool') {
      if (t.inlineValue) throw new UsageError(`${command}: --${t.name} takes no value`);
      flags[t.name] = true;
    } else if (kind === 'optional') {
      // A bare occurrence wins; otherwise the inline values accumulate.
      const prev = flags[t.name];
      flags[t.name] = !t.inlineValue || prev === true ? true : [...((prev as string[] | undefined) ?? []), t.value ?? ''];
    } else {
      if (t.value === undefined) throw new UsageError(`${command}: --${t.name} needs a value`);
      flags[t.name] = kind === 'list' ? [...((flags[t.name] as string[] | undefined) ?? []), t.value] : t.value;
    }
  }
  return { positionals, flags };
}

export function intFlag(v: unknown, name: string, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} expects a whole number ≥ ${min}, got '${String(v)}'`);
  return n;
}

/** `10G`, `500M`, `1.5GiB`, `123456` → bytes. */
export function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`--max-size expects a size like 500M or 10G, got '${v}'`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * mult);
}

/** `0,1` / `[0, 1]` / `0` → device ids as strings. */
export function normalizeGpus(v: unknown): string[] {
  if (typeof v === 'number') return [String(v)];
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (Array.isArray(v)) return v.map(String);
  return [];
}
