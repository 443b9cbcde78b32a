// Dotted-path access to the validated config, and the bits of it a stage declared.
import type { ParamsReader } from './api.js';

export function getPath(obj: unknown, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function makeParamsReader(all: Record<string, unknown>): ParamsReader {
  return {
    all,
    get<T = unknown>(key: string): T {
      return getPath(all, key) as T;
    },
  };
}

/** JSON with sorted object keys, so equal values always serialize equally. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** The values of the declared keys (undefined becomes null so it is recorded). */
export function pickParams(all: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of [...keys].sort()) out[k] = sortKeys(getPath(all, k) ?? null);
  return out;
}

/** Leaf-level differences between two recorded param sets: `train.lora_rank: 8 → 16`. */
export function diffParams(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const a = flatten(before);
  const b = flatten(after);
  const out: string[] = [];
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(k);
    const y = b.get(k);
    if (x !== y) out.push(`param ${k}: ${x ?? '(unset)'} → ${y ?? '(unset)'}`);
  }
  return out;
}

function flatten(obj: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: unknown, prefix: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, prefix ? `${prefix}.${k}` : k);
    } else if (v !== null && v !== undefined) {
      out.set(prefix, JSON.stringify(v));
    }
  };
  for (const [k, v] of Object.entries(obj)) walk(v, k);
  return out;
}
