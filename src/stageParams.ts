// What a stage's own code may read of the params, and the error for a stage that breaks its
// contract with the engine (reads an undeclared param, writes outside its outs).
import type { ParamsReader } from './api.js';
import type { ResolvedStage } from './graph.js';
import { getPath } from './params.js';

/** A stage broke its contract with the engine: it fails with this, even if its own code caught it. */
export class ContractError extends Error {}

/**
 * The params a stage may read: the ones it declares (its key) and its `untrackedParams`, and
 * nothing else. A parent key reads only its declared parts; any other key breaks the contract.
 */
export function stageParams(stage: ResolvedStage, all: Readonly<Record<string, unknown>>, onViolation: (message: string) => never): ParamsReader {
  const readable = [...stage.params, ...(stage.def.untrackedParams ?? [])];
  const view: Record<string, unknown> = {};
  for (const key of readable) {
    const v = getPath(all, key);
    if (v === undefined) continue;
    const parts = key.split('.');
    let cur = view;
    for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
    cur[parts.at(-1)!] = v;
  }
  const allowed = (key: string) => readable.some((d) => key === d || key.startsWith(`${d}.`) || d.startsWith(`${key}.`));
  return {
    all: view,
    get<T>(key: string): T {
      if (!allowed(key)) onViolation(`stage '${stage.name}' reads param '${key}', which it does not declare in params`);
      return getPath(view, key) as T;
    },
  };
}
