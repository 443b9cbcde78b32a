// Which experiments `pipeline exp run` means: a matrix from repeated `--set key=v1,v2,…` (the
// product of every list), the named experiments of `experiments:` in the config, or both (each
// named one crossed with the matrix). An experiment is a name and its `--set` overrides.
import { createHash } from 'node:crypto';
import { UsageError } from '../api.js';
import { EXPERIMENT_NAME, parseSetArg, type ExperimentsConfig } from '../config.js';

export interface ExperimentSpec {
  name: string;
  /** `key.path=value` overrides, applied in order as `--set` would be. */
  sets: string[];
}

/** Splits `v1,v2,…` at the commas outside brackets, braces and quotes (`[a, b],[c]` is two values). */
export function splitValues(raw: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let cur = '';
  for (const ch of raw) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') depth++;
    else if ((ch === ']' || ch === '}') && depth > 0) depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** A name part for one value: `lora_rank-16` (the key's last segment, the value's safe characters). */
function namePart(key: string, value: string): string {
  const last = key.split('.').at(-1)!;
  const v = value.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '') || 'empty';
  return `${last}-${v}`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Named after the overrides that vary; too long, or not a valid name: shortened with a hash of the sets. */
function nameOf(prefix: string, parts: string[], sets: string[]): string {
  let name = [prefix, ...parts].filter(Boolean).join('+') || 'baseline';
  if (name.length > 60 || !EXPERIMENT_NAME.test(name)) name = `${name.slice(0, 50).replace(/[^A-Za-z0-9_.+-]/g, '_')}-${shortHash(sets.join('\n'))}`;
  if (!/^[A-Za-z0-9]/.test(name)) name = `x${name}`;
  return name;
}

/** The product of the `--set` lists: one experiment per combination. */
export function matrix(sets: readonly string[]): Array<{ parts: string[]; sets: string[] }> {
  let combos: Array<{ parts: string[]; varying: string[]; sets: string[] }> = [{ parts: [], varying: [], sets: [] }];
  let anyVaries = false;
  const keys = new Set<string>();
  for (const arg of sets) {
    const { path } = parseSetArg(arg);
    const key = path.join('.');
    if (keys.has(key)) throw new UsageError(`--set ${key} is given twice; list its values once: --set ${key}=v1,v2`);
    keys.add(key);
    const raw = arg.slice(arg.indexOf('=') + 1);
    const values = splitValues(raw);
    if (values.some((v) => v === '')) throw new UsageError(`--set ${arg}: an empty value in the list (values are separated by commas)`);
    const varies = values.length > 1;
    anyVaries ||= varies;
    combos = combos.flatMap((c) =>
      values.map((v) => ({
        parts: [...c.parts, namePart(key, v)],
        varying: varies ? [...c.varying, namePart(key, v)] : c.varying,
        sets: [...c.sets, `${key}=${v}`],
      })),
    );
  }
  // Named after the keys that vary; when none does, after all of them.
  return combos.map((c) => ({ parts: anyVaries ? c.varying : c.parts, sets: c.sets }));
}

/** `experiments:` of the config as specs; its values written as `--set` would take them (JSON is YAML). */
export function namedExperiments(config: ExperimentsConfig, names?: readonly string[]): ExperimentSpec[] {
  const wanted = names && names.length > 0 ? names : Object.keys(config);
  return wanted.map((name) => {
    const sets = config[name];
    if (!sets) {
      const known = Object.keys(config);
      throw new UsageError(`exp run: no experiment '${name}' under experiments: in the config${known.length ? ` (there: ${known.join(', ')})` : ''}`);
    }
    return { name, sets: Object.entries(sets).map(([k, v]) => `${k}=${JSON.stringify(v)}`) };
  });
}

/** Named experiments crossed with the `--set` matrix (either may be absent). */
export function experimentSpecs(config: ExperimentsConfig, names: readonly string[], sets: readonly string[]): ExperimentSpec[] {
  const named = names.length > 0 || sets.length === 0 ? namedExperiments(config, names) : [{ name: '', sets: [] }];
  const combos = matrix(sets);
  const specs = named.flatMap((n) =>
    combos.map((c) => {
      const all = [...n.sets, ...c.sets];
      return { name: c.parts.length === 0 && n.name ? n.name : nameOf(n.name, c.parts, all), sets: all };
    }),
  );
  const seen = new Map<string, ExperimentSpec>();
  for (const s of specs) {
    const before = seen.get(s.name);
    if (before && before.sets.join('\n') !== s.sets.join('\n')) s.name = nameOf(s.name, [], s.sets);
    seen.set(s.name, s);
  }
  return [...seen.values()];
}
