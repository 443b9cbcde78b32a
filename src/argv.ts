// A small argument parser: flags with values, repeatable flags, positionals. Unknown flags are
// usage errors (exit 2) that name the flag.
import { UsageError } from './api.js';

export interface FlagSpec {
  /** 'bool' flags take no value; 'string' take one; 'list' take one and may repeat. */
  [name: string]: 'bool' | 'string' | 'list';
}

export interface Parsed {
  positionals: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
}

export function parseArgs(argv: readonly string[], spec: FlagSpec, command: string): Parsed {
  const positionals: string[] = [];
  const flags: Parsed['flags'] = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = (eq > 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    const kind = spec[name];
    if (!kind) throw new UsageError(`${command}: unknown option '${a}' (see \`pipeline ${command} --help\`)`);
    if (kind === 'bool') {
      if (eq > 0) throw new UsageError(`${command}: --${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`${command}: --${name} needs a value`);
    if (kind === 'list') flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else flags[name] = value;
    value = undefined;
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
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v)) return v.map(String);
  return [];
}
