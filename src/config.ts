// Loads pipeline.yaml, applies `--set` overrides and validates it with the pipeline's zod schema.
// Every error names `file:line:col` (or the `--set` that caused it) and what was expected, shows the
// line with a caret under the column, and suggests the closest key for an unknown one.
import { readFile } from 'node:fs/promises';
import { isMap, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { UsageError } from './api.js';
import { normalizeGpus } from './argv.js';
import { didYouMean, excerpt, parseYamlText, schemaKeysAt } from './configText.js';
import { deviceIdProblem } from './gpuPool.js';

export interface LoadedConfig {
  file: string;
  values: Record<string, unknown>;
  /** `gpus:` from the file, if given (the engine's own key). */
  gpus?: string[];
  /** `watch:` (the engine's own section), defaults applied. */
  watch: WatchConfig;
  /** `experiments:` (the engine's own section): name → dotted key → value. */
  experiments: ExperimentsConfig;
}

/** Named experiments: each a set of overrides, dotted key → value (as `--set key=value`). */
export type ExperimentsConfig = Record<string, Record<string, unknown>>;

/** An experiment's name: a folder name and a shell word. */
export const EXPERIMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,79}$/;
const DOTTED_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** `experiments:` — `{name: {train.lora_rank: 16, …}, …}`; returns the error (path and text), or the config. */
function parseExperiments(v: unknown): { value: ExperimentsConfig } | { path: string[]; message: string } {
  if (v === undefined || v === null) return { value: {} };
  const mapping = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!mapping(v)) return { path: ['experiments'], message: 'expected a mapping of names to overrides, such as {rank16: {train.lora_rank: 16}}' };
  const out: ExperimentsConfig = {};
  for (const [name, sets] of Object.entries(v)) {
    if (!EXPERIMENT_NAME.test(name))
      return { path: ['experiments', name], message: 'an experiment name is letters, digits, _ . + - (at most 80, not starting with a symbol)' };
    if (!mapping(sets) || Object.keys(sets).length === 0)
      return { path: ['experiments', name], message: 'expected a mapping of dotted keys to values, such as {train.lora_rank: 16}' };
    const bad = Object.keys(sets).find((k) => !DOTTED_KEY.test(k));
    if (bad !== undefined) return { path: ['experiments', name, bad], message: `'${bad}' is not a dotted key path (e.g. train.lora_rank)` };
    out[name] = sets;
  }
  return { value: out };
}

export interface WatchConfig {
  /** Quiet time before a rebuild. */
  debounceMs: number;
}

/** `watch:` — `{debounce_ms: N}`; returns the error text, or the config. */
function parseWatch(v: unknown): WatchConfig | { path: string[]; message: string } {
  if (v === undefined || v === null) return { debounceMs: 300 };
  if (typeof v !== 'object' || Array.isArray(v)) return { path: ['watch'], message: 'watch: expected a mapping such as {debounce_ms: 300}' };
  const { debounce_ms: ms = 300, ...extra } = v as Record<string, unknown>;
  const unknown = Object.keys(extra)[0];
  if (unknown !== undefined) return { path: ['watch', unknown], message: `watch.${unknown}: unknown key (watch: has only debounce_ms)` };
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0)
    return { path: ['watch', 'debounce_ms'], message: 'watch.debounce_ms: expected a whole number of milliseconds ≥ 0' };
  return { debounceMs: ms };
}

/** Top-level keys the engine itself reads, whatever the DAG's schema says. */
export const ENGINE_KEYS = ['gpus', 'watch', 'experiments'] as const;

export function parseSetArg(arg: string): { path: string[]; raw: string } {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set expects key.path=value, got '${arg}'`);
  const key = arg.slice(0, eq).trim();
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(key)) throw new UsageError(`--set: '${key}' is not a dotted key path`);
  return { path: key.split('.'), raw: arg.slice(eq + 1) };
}

export { normalizeGpus };

/** A `--set` value, parsed as YAML exactly as if it stood in the file. */
function setValue(arg: string, key: string, raw: string): unknown {
  if (raw === '') return '';
  const doc = parseDocument(raw, { uniqueKeys: true });
  const err = doc.errors[0];
  if (err)
    throw new UsageError(
      `--set ${arg}: the value of ${key} is not valid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')} (quote it to pass a string)`,
    );
  return toJS(doc, `--set ${key}`);
}

/** toJS with YAML's resource limits reported as a config error, not a crash. */
function toJS(doc: Document, where: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const msg = (err as Error).message;
    if (/alias/i.test(msg))
      throw new UsageError(`${where}: too many alias expansions (YAML aliases nested too deeply, as in an "alias bomb"); write the values out instead`);
    throw new UsageError(`${where}: cannot read the YAML: ${msg}`);
  }
}

export async function loadConfig(file: string, displayName: string, schema: z.ZodType, sets: readonly string[]): Promise<LoadedConfig> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`${displayName}: cannot read: ${(err as Error).message}`);
  }
  const yaml = parseYamlText(text, displayName);
  if (yaml.error !== undefined) throw new UsageError(yaml.error);
  const { doc, lc } = yaml;
  /** `file:line:col` and the line with a caret under the column. */
  const at = (offset: number): Located => {
    const p = lc.linePos(offset);
    return { label: `${displayName}:${p.line}:${p.col}`, frame: excerpt(text, p.line, p.col) };
  };
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new UsageError(`${displayName}:1:1: expected a mapping of sections (extract:, train:, …) at the top level${excerpt(text, 1, 1)}`);
  }
  // Resource limits (an alias bomb) are checked on the file alone, before any --set is applied.
  toJS(doc, displayName);
  const setPaths: string[] = [];
  for (const s of sets) {
    const { path, raw } = parseSetArg(s);
    const value = setValue(s, path.join('.'), raw);
    if (doc.contents === null) doc.contents = doc.createNode({}) as never;
    try {
      doc.setIn(path, value);
    } catch {
      throw new UsageError(`--set ${s}: cannot set '${path.join('.')}' (a parent is not a mapping)`);
    }
    setPaths.push(path.join('.'));
  }
  const data = (toJS(doc, displayName) ?? {}) as Record<string, unknown>;
  const locate = (path: string[]) => where(doc, path, at, displayName, setPaths);
  const message = (path: string[], text: string) => {
    const loc = locate(path);
    const key = path.join('.');
    // A --set error already names its key: do not print it twice.
    const head = loc.label === `--set ${key}` || !key ? loc.label : `${loc.label}: ${key}`;
    return `${head}: ${text}${loc.frame}`;
  };
  const unknownKey = (parent: string[], key: string, known: readonly string[]) =>
    message([...parent, key], `unknown key${parent.length ? ` in ${parent.join('.')}` : ' at the top level'}${didYouMean(key, known)}`);

  const { gpus: rawGpus, watch: rawWatch, experiments: rawExperiments, ...rest } = data;
  // The top level is strict whatever the DAG's schema says: a typo in a section name is an error.
  const topKeys = schemaKeysAt(schema, []);
  if (topKeys) {
    const known = [...new Set([...topKeys, ...ENGINE_KEYS])];
    const unknown = Object.keys(data).filter((k) => !known.includes(k));
    if (unknown.length > 0)
      throw new UsageError(
        unknown
          .slice(0, 5)
          .map((k) => unknownKey([], k, known))
          .join('\n'),
      );
  }
  const watch = parseWatch(rawWatch);
  if ('message' in watch) throw new UsageError(message(watch.path, watch.message.replace(/^[\w.]+: /, '')));
  const experiments = parseExperiments(rawExperiments);
  if (!('value' in experiments)) throw new UsageError(message(experiments.path, experiments.message));
  let gpus: string[] | undefined;
  if (rawGpus !== undefined) {
    const problem = gpusProblem(rawGpus);
    if (problem) throw new UsageError(message(['gpus'], problem));
    gpus = normalizeGpus(rawGpus);
  }
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).flatMap((issue) => {
      const path = issue.path.map(String);
      if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
        const known = schemaKeysAt(schema, path) ?? [];
        return issue.keys.map((k) => unknownKey(path, String(k), known));
      }
      return [message(path, issue.message)];
    });
    throw new UsageError(lines.join('\n'));
  }
  return { file, values: parsed.data as Record<string, unknown>, gpus, watch, experiments: experiments.value };
}

/** Why a `gpus:` value is not a list of device ids, or undefined when it is one. */
function gpusProblem(v: unknown): string | undefined {
  const ids = Array.isArray(v)
    ? v
    : typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [v];
  const bad = ids.find((x) => !((typeof x === 'number' && Number.isInteger(x)) || typeof x === 'string'));
  if (bad !== undefined) return `expected a list of device ids (e.g. [0, 1]) or "0,1", got ${JSON.stringify(bad)}`;
  return deviceIdProblem(ids.map(String));
}

interface Located {
  label: string;
  /** The line and a caret, when the place is in the file. */
  frame: string;
}

function where(doc: Document, path: string[], at: (offset: number) => Located, displayName: string, setPaths: string[]): Located {
  const dotted = path.join('.');
  // The --set that wrote this value, or one below an unknown key it created.
  const fromSet = setPaths.find((p) => dotted === p || dotted.startsWith(`${p}.`) || (dotted !== '' && p.startsWith(`${dotted}.`)));
  if (fromSet) return { label: `--set ${fromSet}`, frame: '' };
  // The deepest node that exists: the value itself, or the key's parent when it is missing.
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node = (n === 0 ? doc.contents : doc.getIn(sub, true)) as { range?: [number, number, number] } | null;
    if (n > 0) {
      // Point at the key rather than the value when we can.
      const parent = (n === 1 ? doc.contents : doc.getIn(sub.slice(0, -1), true)) as unknown;
      if (isMap(parent)) {
        const pair = parent.items.find((it) => String((it.key as { value?: unknown })?.value ?? it.key) === sub[n - 1]);
        const keyNode = pair?.key as { range?: [number, number, number] } | undefined;
        if (keyNode?.range) return at(keyNode.range[0]);
      }
    }
    if (node?.range) return at(node.range[0]);
  }
  return { label: `${displayName}:1:1`, frame: '' };
}
