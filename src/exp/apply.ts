// `pipeline exp apply NAME`: the experiment's overrides written into the config file as a text
// edit — each value replaced where it stands (its comment kept), a missing key added under its
// section with the section's indentation — so the file differs only in the applied keys. Checked
// by reading the result back; `pipeline run` then finds the experiment's outputs in the run cache.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, stringify, type Document, type Pair, type YAMLMap } from 'yaml';
import { UsageError, UserError, type PipelineDef } from '../api.js';
import { writeFileAtomic } from '../atomicWrite.js';
import { stableStringify } from '../params.js';
import { openSession } from '../session.js';
import { ExperimentQueue } from './queue.js';
import { overridesOf } from './show.js';

type Range = [number, number, number];

/** A value as YAML text on one line (flow style for collections). */
function inline(value: unknown): string {
  if (value === undefined) return '(unset)';
  return stringify(value, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trimEnd();
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === key) as Pair | undefined;
}

/** One override applied to the text; undefined when the text edit cannot be made safely. */
function editOne(text: string, path: string[], value: unknown): string | undefined {
  const lc = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lc, keepSourceTokens: true });
  if (doc.errors.length > 0) return undefined;
  if (doc.contents !== null && !isMap(doc.contents)) return undefined;
  let map: YAMLMap | null = doc.contents;
  const rendered = inline(value);
  if (rendered.includes('\n')) return undefined;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const pair: Pair | undefined = map ? pairOf(map, key) : undefined;
    if (pair && i === path.length - 1) {
      const v = pair.value as { range?: Range } | null;
      if (!v?.range || (!isScalar(v) && (v as { flow?: boolean }).flow !== true)) return undefined;
      return text.slice(0, v.range[0]) + rendered + text.slice(v.range[1]);
    }
    if (pair && isMap(pair.value)) {
      map = pair.value;
      continue;
    }
    if (pair) return undefined; // a parent that is not a mapping
    // Missing below a flow mapping (`extra: {}`): that whole mapping is written again, on its line.
    if (map && map.flow) {
      const range = map.range as Range | undefined;
      if (!range) return undefined;
      const merged = (map.toJSON() ?? {}) as Record<string, unknown>;
      let cur = merged;
      for (const k of path.slice(i, -1)) cur = (cur[k] = {}) as Record<string, unknown>;
      cur[path.at(-1)!] = value;
      return text.slice(0, range[0]) + inline(merged) + text.slice(range[1]);
    }
    // Missing from here on: added as block lines at the end of `map` (or of the file).
    const last = map?.items.at(-1);
    const lastEnd = (last?.value as { range?: Range } | null)?.range?.[2] ?? (last?.key as { range?: Range } | null)?.range?.[2];
    const firstKey = map?.items[0]?.key as { range?: Range } | undefined;
    const indent = firstKey?.range ? lc.linePos(firstKey.range[0]).col - 1 : 0;
    const rest = path.slice(i);
    const lines = rest.map((k, j) => `${' '.repeat(indent + 2 * j)}${k}:${j === rest.length - 1 ? ` ${rendered}` : ''}`);
    let at = map && lastEnd !== undefined && i > 0 ? lastEnd : text.length;
    // After the line the section's last value ends on (its comment included).
    const nl = text.indexOf('\n', at > 0 && text[at - 1] === '\n' ? at - 1 : at);
    at = nl < 0 ? text.length : nl + 1;
    const before = text.slice(0, at);
    return `${before}${before === '' || before.endsWith('\n') ? '' : '\n'}${lines.join('\n')}\n${text.slice(at)}`;
  }
  return undefined;
}

/** Every override applied; the result is checked to hold each value (else the Document API writes it). */
export function applyOverridesText(text: string, overrides: ReadonlyArray<[string, unknown]>): string {
  let out = text;
  for (const [key, value] of overrides) {
    const path = key.split('.');
    const edited = editOne(out, path, value);
    const ok = edited !== undefined && holds(edited, path, value);
    if (ok) out = edited;
    else {
      const doc = parseDocument(out);
      doc.setIn(path, value);
      out = String(doc);
    }
  }
  return out;
}

/** Does `text` parse, with `value` at `path`? */
function holds(text: string, path: readonly string[], value: unknown): boolean {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return false;
  try {
    return stableStringify(getIn(doc.toJS(), path)) === stableStringify(value);
  } catch {
    return false;
  }
}

function getIn(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const p of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  return cur;
}

export async function applyExperiment(workspace: string, def: PipelineDef, name: string, out: NodeJS.WritableStream): Promise<number> {
  const entry = new ExperimentQueue(workspace).load().get(name);
  if (!entry) throw new UsageError(`exp apply: no experiment '${name}' (see \`pipeline exp show\`)`);
  if (entry.status !== 'done') throw new UserError(`exp apply: experiment '${name}' is ${entry.status}, not done: run it first (\`pipeline exp run\`)`);
  const user = await openSession(workspace, [], def);
  const text = await readFile(user.configFile, 'utf8').catch(() => '');
  const overrides = overridesOf(entry);
  const changed = overrides.filter(([k, v]) => stableStringify(user.params.get(k)) !== stableStringify(v));
  if (changed.length === 0) {
    out.write(`${user.configName} already has the configuration of '${name}'\n`);
    return 0;
  }
  const next = applyOverridesText(text, changed);
  await writeFileAtomic(user.configFile, next, { root: workspace });
  try {
    await openSession(workspace, [], def);
  } catch (err) {
    await writeFileAtomic(user.configFile, text, { root: workspace });
    throw err;
  }
  for (const [k, v] of changed) out.write(`${k}: ${inline(user.params.get(k))} → ${inline(v)}\n`);
  out.write(`applied '${name}' to ${user.configName}; \`pipeline run\` restores its outputs from the run cache\n`);
  return 0;
}
