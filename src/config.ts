// Loads pipeline.yaml, applies `--set` overrides and validates it with the pipeline's zod schema.
// Every error names `file:line:col` (or the `--set` that caused it) and what was expected.
import { readFile } from 'node:fs/promises';
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { UsageError } from './api.js';
import { normalizeGpus } from './argv.js';

export interface LoadedConfig {
  file: string;
  values: Record<string, unknown>;
  /** `gpus:` from the file, if given (the engine's own key). */
  gpus?: string[];
  /** `watch:` (the engine's own section), defaults applied. */
  watch: WatchConfig;
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
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0) return { path: ['watch', 'debounce_ms'], message: 'watch.debounce_ms: expected a whole number of milliseconds ≥ 0' };
  return { debounceMs: ms };
}

/** `gpus:` — a list of device ids, a comma-separated string, or one id (checked by hand: the
 * engine's start-up path stays free of zod, which the DAG bundle loads anyway). */
function validGpus(v: unknown): boolean {
  const id = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) && x >= 0) || (typeof x === 'string' && /^\S+$/.test(x));
  return Array.isArray(v) ? v.every(id) : typeof v === 'string' || id(v);
}

export function parseSetArg(arg: string): { path: string[]; raw: string } {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set expects key.path=value, got '${arg}'`);
  const key = arg.slice(0, eq).trim();
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(key)) throw new UsageError(`--set: '${key}' is not a dotted key path`);
  return { path: key.split('.'), raw: arg.slice(eq + 1) };
}

export { normalizeGpus };

export async function loadConfig(file: string, displayName: string, schema: z.ZodType, sets: readonly string[]): Promise<LoadedConfig> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`${displayName}: cannot read: ${(err as Error).message}`);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number) => {
    const p = lc.linePos(offset);
    return `${displayName}:${p.line}:${p.col}`;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new UsageError(`${pos(e.pos[0])}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new UsageError(`${displayName}:1:1: expected a mapping of sections (extract:, train:, …) at the top level`);
  }
  const setPaths: string[] = [];
  for (const s of sets) {
    const { path, raw } = parseSetArg(s);
    const value = raw === '' ? '' : parseDocument(raw).toJS();
    if (doc.contents === null) doc.contents = doc.createNode({}) as never;
    try {
      doc.setIn(path, value);
    } catch {
      throw new UsageError(`--set ${s}: cannot set '${path.join('.')}' (a parent is not a mapping)`);
    }
    setPaths.push(path.join('.'));
  }
  const data = (doc.toJS() ?? {}) as Record<string, unknown>;
  const { gpus: rawGpus, watch: rawWatch, ...rest } = data;
  const watch = parseWatch(rawWatch);
  if ('message' in watch) throw new UsageError(`${where(doc, watch.path, pos, displayName, setPaths)}: ${watch.message}`);
  let gpus: string[] | undefined;
  if (rawGpus !== undefined) {
    if (!validGpus(rawGpus)) throw new UsageError(`${where(doc, ['gpus'], pos, displayName, setPaths)}: gpus: expected a list of device ids (e.g. [0, 1]) or "0,1"`);
    gpus = normalizeGpus(rawGpus);
  }
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).map((issue) => {
      let path = issue.path.map(String);
      if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path = [...path, String(issue.keys[0])];
      const key = path.join('.') || '(top level)';
      return `${where(doc, path, pos, displayName, setPaths)}: ${key}: ${issue.message}`;
    });
    throw new UsageError(lines.join('\n'));
  }
  return { file, values: parsed.data as Record<string, unknown>, gpus, watch };
}

function where(
  doc: Document,
  path: string[],
  pos: (offset: number) => string,
  displayName: string,
  setPaths: string[],
): string {
  const dotted = path.join('.');
  const fromSet = setPaths.find((p) => dotted === p || dotted.startsWith(`${p}.`));
  if (fromSet) return `--set ${fromSet}`;
  // The deepest node that exists: the value itself, or the key's parent when it is missing.
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node = (n === 0 ? doc.contents : doc.getIn(sub, true)) as { range?: [number, number, number] } | null;
    if (n > 0 && isMap(doc.getIn(sub.slice(0, -1), true) ?? doc.contents)) {
      // Point at the key rather than the value when we can.
      const parent = (n === 1 ? doc.contents : doc.getIn(sub.slice(0, -1), true)) as unknown;
      if (isMap(parent)) {
        const pair = parent.items.find((it) => String((it.key as { value?: unknown })?.value ?? it.key) === sub[n - 1]);
        const keyNode = pair?.key as { range?: [number, number, number] } | undefined;
        if (keyNode?.range) return pos(keyNode.range[0]);
      }
    }
    if (node?.range) return pos(node.range[0]);
  }
  return `${displayName}:1:1`;
}
