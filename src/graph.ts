// The DAG: stage declarations resolved against the params, validated (names, outs inside the
// workspace, no two stages writing one out, no cycles), with edges from each dep to the stage
// producing it.
import { UsageError, type ParamsReader, type StageDef } from './api.js';
import { canonical, globBase, globToRegExp, isGlob, isInside, isUnder } from './pathSpec.js';

export interface ResolvedStage {
  name: string;
  def: StageDef;
  /** Canonical dep specs (may contain globs). */
  deps: string[];
  /** Canonical out paths; may contain `{key}`. */
  outs: string[];
  params: string[];
  gpus: number;
  /** GPUs taken only when free as it starts (StageDef.gpusIfFree); 0 when `gpus` is set. */
  gpusIfFree: number;
  upstream: string[];
  downstream: string[];
}

export interface Graph {
  stages: Map<string, ResolvedStage>;
  /** All stage names in a topological order (declaration order among independent stages). */
  order: string[];
}

function fromParams<T>(v: T | ((p: ParamsReader) => T) | undefined, params: ParamsReader, fallback: T): T {
  if (v === undefined) return fallback;
  return typeof v === 'function' ? (v as (p: ParamsReader) => T)(params) : v;
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;

function outRegex(out: string): RegExp {
  return globToRegExp(out.replaceAll('{key}', '*'));
}

/** Does dep spec `dep` consume (part of) out `out`? */
function consumes(dep: string, out: string): boolean {
  const keyed = out.includes('{key}');
  if (isGlob(dep)) {
    const base = globBase(dep);
    const staticOut = keyed ? out.slice(0, out.indexOf('{key}')).replace(/\/$/, '') || '.' : out;
    return isUnder(staticOut, base) || isUnder(base, staticOut);
  }
  if (keyed) {
    const re = outRegex(out);
    const parts = dep.split('/');
    for (let i = parts.length; i > 0; i--) if (re.test(parts.slice(0, i).join('/'))) return true;
    return isUnder(out.slice(0, out.indexOf('{key}')).replace(/\/$/, '') || '.', dep);
  }
  return isUnder(dep, out) || isUnder(out, dep);
}

export function buildGraph(workspace: string, defs: readonly StageDef[], params: ParamsReader): Graph {
  const stages = new Map<string, ResolvedStage>();
  for (const def of defs) {
    if (!def || typeof def.name !== 'string' || !NAME_RE.test(def.name)) {
      throw new UsageError(`pipeline.ts: invalid stage name ${JSON.stringify(def?.name)} (letters, digits, - and _)`);
    }
    if (stages.has(def.name)) throw new UsageError(`pipeline.ts: two stages are named '${def.name}'`);
    if (typeof def.run !== 'function') throw new UsageError(`pipeline.ts: stage '${def.name}' has no run() implementation`);
    const deps = fromParams(def.deps, params, []).map((d) => canonical(workspace, d));
    const outs = fromParams(def.outs, params, []).map((o) => {
      if (!isInside(workspace, o.replaceAll('{key}', 'k'))) {
        throw new UsageError(`pipeline.ts: stage '${def.name}': out '${o}' is outside the workspace; outs must be paths inside ${workspace}`);
      }
      return canonical(workspace, o);
    });
    for (const o of outs) {
      if (isGlob(o)) throw new UsageError(`pipeline.ts: stage '${def.name}': out '${o}' must be a file or directory path, not a glob`);
    }
    const gpus = fromParams(def.gpus, params, 0);
    if (!Number.isInteger(gpus) || gpus < 0) throw new UsageError(`pipeline.ts: stage '${def.name}': gpus must be a whole number ≥ 0, got ${gpus}`);
    const gpusIfFree = fromParams(def.gpusIfFree, params, 0);
    if (!Number.isInteger(gpusIfFree) || gpusIfFree < 0)
      throw new UsageError(`pipeline.ts: stage '${def.name}': gpusIfFree must be a whole number ≥ 0, got ${gpusIfFree}`);
    if (gpus > 0 && gpusIfFree > 0)
      throw new UsageError(`pipeline.ts: stage '${def.name}': gpus and gpusIfFree are both set; a stage either needs GPUs or uses them when free`);
    stages.set(def.name, { name: def.name, def, deps, outs, params: fromParams(def.params, params, []), gpus, gpusIfFree, upstream: [], downstream: [] });
  }

  const all = [...stages.values()];
  for (const a of all) {
    for (const b of all) {
      if (a === b) continue;
      for (const oa of a.outs) {
        for (const ob of b.outs) {
          if (
            a.name < b.name &&
            (isUnder(oa.replaceAll('{key}', '*'), ob.replaceAll('{key}', '*')) || isUnder(ob.replaceAll('{key}', '*'), oa.replaceAll('{key}', '*')))
          ) {
            throw new UsageError(
              `pipeline.ts: stages '${a.name}' and '${b.name}' both write '${oa === ob ? oa : `${oa}' / '${ob}`}'; each out must belong to one stage`,
            );
          }
        }
      }
    }
  }
  for (const s of all) {
    for (const dep of s.deps) {
      for (const p of all) {
        if (p.outs.some((o) => consumes(dep, o))) {
          if (p === s) throw new UsageError(`pipeline.ts: cycle: stage '${s.name}' depends on its own out via '${dep}'`);
          if (!s.upstream.includes(p.name)) {
            s.upstream.push(p.name);
            p.downstream.push(s.name);
          }
        }
      }
    }
  }
  return { stages, order: topoOrder(stages) };
}

function topoOrder(stages: Map<string, ResolvedStage>): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const visit = (name: string, path: string[]) => {
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') {
      const cyc = [...path.slice(path.indexOf(name)), name];
      throw new UsageError(`pipeline.ts: cycle between stages: ${cyc.join(' → ')}`);
    }
    state.set(name, 'visiting');
    for (const u of stages.get(name)!.upstream) visit(u, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of stages.keys()) visit(name, []);
  return order;
}

/** Targets plus everything upstream of them, in topological order. */
export function selectStages(graph: Graph, targets: readonly string[]): string[] {
  if (targets.length === 0) return [...graph.order];
  const wanted = new Set<string>();
  const add = (n: string) => {
    if (wanted.has(n)) return;
    wanted.add(n);
    for (const u of graph.stages.get(n)!.upstream) add(u);
  };
  for (const t of targets) {
    if (!graph.stages.has(t)) {
      throw new UsageError(`unknown stage '${t}'; stages: ${graph.order.join(', ')}`);
    }
    add(t);
  }
  return graph.order.filter((n) => wanted.has(n));
}

/** Everything downstream of the given stages (inclusive). */
export function downstreamOf(graph: Graph, names: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const add = (n: string) => {
    if (out.has(n)) return;
    out.add(n);
    for (const d of graph.stages.get(n)!.downstream) add(d);
  };
  for (const n of names) add(n);
  return out;
}
