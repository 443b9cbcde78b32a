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
