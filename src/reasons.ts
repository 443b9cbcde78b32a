// Why a stage is not fresh, as values: the evaluation produces them, reporters render them, and
// `--json` carries them (`"reasons": [{"kind": …}]`) next to the rendered `reason` text.
import { stableStringify } from './params.js';

export type Reason =
  | { kind: 'never-ran' }
  | { kind: 'code'; files: string[]; packages: Array<{ name: string; from: string | null; to: string | null }> }
  | { kind: 'param'; key: string; from: unknown; to: unknown }
  | { kind: 'dep-added' | 'dep-removed' | 'dep-modified' | 'dep-missing'; paths: string[] }
  | { kind: 'out-missing' | 'out-modified'; paths: string[] }
  | { kind: 'published'; message: string }
  /** The key changed but the record of the last run's inputs cannot say how. */
  | { kind: 'inputs-changed' }
  | { kind: 'upstream'; stage: string; state: 'stale' | 'restorable' }
  /** The last run's outs were usable but not final (ctx.provisional): it runs again. */
  | { kind: 'provisional'; message: string }
  | { kind: 'forced' };

export type ReasonKind = Reason['kind'];

/** Every kind, once (the compiler checks the list is complete). */
export const REASON_KINDS = [
  'never-ran',
  'code',
  'param',
  'dep-added',
  'dep-removed',
  'dep-modified',
  'dep-missing',
  'out-missing',
  'out-modified',
  'published',
  'inputs-changed',
  'upstream',
  'provisional',
  'forced',
] as const satisfies readonly ReasonKind[];
const everyKind: [Exclude<ReasonKind, (typeof REASON_KINDS)[number]>] extends [never] ? true : false = true;
void everyKind;

function listNames(names: readonly string[], max = 5): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} (+${names.length - max} more)`;
}

const value = (v: unknown): string => (v === undefined || v === null ? '(unset)' : JSON.stringify(v));

export function renderReason(r: Reason): string {
  switch (r.kind) {
    case 'never-ran':
      return 'never ran in this workspace';
    case 'code': {
      const parts = [...r.files, ...r.packages.map((p) => `package ${p.name} ${p.from ?? '(none)'} → ${p.to ?? '(none)'}`)];
      return parts.length ? `code changed: ${listNames(parts)}` : 'code changed';
    }
    case 'param':
      return `param ${r.key}: ${value(r.from)} → ${value(r.to)}`;
    case 'dep-added':
      return `deps added: ${listNames(r.paths)}`;
    case 'dep-removed':
      return `deps removed: ${listNames(r.paths)}`;
    case 'dep-modified':
      return `deps modified: ${listNames(r.paths)}`;
    case 'dep-missing':
      return `deps missing: ${listNames(r.paths)}`;
    case 'out-missing':
      return `outs missing: ${listNames(r.paths)}`;
    case 'out-modified':
      return `outs modified: ${listNames(r.paths)}`;
    case 'published':
      return r.message;
    case 'inputs-changed':
      return 'inputs changed';
    case 'upstream':
      return `upstream '${r.stage}' is ${r.state} and runs first`;
    case 'provisional':
      return `its last run was provisional: ${r.message}`;
    case 'forced':
      return 'forced';
    default: {
      const never: never = r;
      throw new Error(`unknown reason ${JSON.stringify(never)}`);
    }
  }
}

export function renderReasons(rs: readonly Reason[]): string {
  return rs.map(renderReason).join('; ');
}

/** Leaf-level differences between two recorded param sets (`train.lora_rank: 8 → 16`). */
export function paramReasons(before: Record<string, unknown>, after: Record<string, unknown>): Reason[] {
  const a = flatten(before);
  const b = flatten(after);
  const out: Reason[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const from = a.get(key);
    const to = b.get(key);
    if (stableStringify(from) !== stableStringify(to)) out.push({ kind: 'param', key, from: from ?? null, to: to ?? null });
  }
  return out;
}

function flatten(obj: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, prefix: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, prefix ? `${prefix}.${k}` : k);
    } else if (v !== null && v !== undefined) {
      out.set(prefix, v);
    }
  };
  for (const [k, v] of Object.entries(obj)) walk(v, k);
  return out;
}

/**
 * What changed between two sorted `[name, hash]` lists: one merge walk (records are written
 * sorted; an unsorted one is sorted first).
 */
export function diffEntries(
  prev: ReadonlyArray<readonly [string, string]>,
  cur: ReadonlyArray<readonly [string, string]>,
): { added: string[]; removed: string[]; modified: string[] } {
  const sortedCopy = (l: ReadonlyArray<readonly [string, string]>) => {
    for (let i = 1; i < l.length; i++) if (!(l[i - 1]![0] < l[i]![0])) return [...l].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    return l;
  };
  const a = sortedCopy(prev);
  const b = sortedCopy(cur);
  const added: string[] = [];
  const removed: string[] = [];
  const modified: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (!y || (x && x[0] < y[0])) {
      removed.push(x![0]);
      i++;
    } else if (!x || y[0] < x[0]) {
      added.push(y[0]);
      j++;
    } else {
      if (x[1] !== y[1]) modified.push(y[0]);
      i++;
      j++;
    }
  }
  return { added, removed, modified };
}

export function depReasons(prev: ReadonlyArray<readonly [string, string]>, cur: ReadonlyArray<readonly [string, string]>): Reason[] {
  const d = diffEntries(prev, cur);
  const out: Reason[] = [];
  if (d.added.length) out.push({ kind: 'dep-added', paths: d.added });
  if (d.removed.length) out.push({ kind: 'dep-removed', paths: d.removed });
  if (d.modified.length) out.push({ kind: 'dep-modified', paths: d.modified });
  return out;
}

/** Code entries are `[file id, sha256]` and `[npm:<package id>, version]`. */
export const PACKAGE_PREFIX = 'npm:';

export function codeReason(prev: ReadonlyArray<readonly [string, string]>, cur: ReadonlyArray<readonly [string, string]>): Reason {
  const d = diffEntries(prev, cur);
  const files = [...d.added, ...d.removed, ...d.modified].filter((id) => !id.startsWith(PACKAGE_PREFIX)).sort();
  const version = (l: ReadonlyArray<readonly [string, string]>, id: string) => l.find((e) => e[0] === id)?.[1] ?? null;
  const packages = [...d.added, ...d.removed, ...d.modified]
    .filter((id) => id.startsWith(PACKAGE_PREFIX))
    .sort()
    .map((id) => ({ name: id.slice(id.lastIndexOf('node_modules/') + 'node_modules/'.length), from: version(prev, id), to: version(cur, id) }));
  return { kind: 'code', files, packages };
}
