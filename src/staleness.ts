// The one place that decides whether a stage is fresh, stale or restorable — with the reasons.
// A stage's key = hash(name, implementation, the params it declares, the content of every dep).
// Its implementation is the import closure of the module that defines it (source files by
// content, npm packages by version; see dagGraph.ts) plus any explicit `code:` paths.
import { createHash } from 'node:crypto';
import { basename, relative } from 'node:path';
import { statSync } from 'node:fs';
import type { ParamsReader, PublishContext } from './api.js';
import { stageCode } from './dagLoader.js';
import { expand, type FoundFile } from './depFiles.js';
import type { ResolvedStage } from './graph.js';
import { pickParams, stableStringify } from './params.js';
import { isUnder, toAbs } from './pathSpec.js';
import { codeReason, depReasons, PACKAGE_PREFIX, paramReasons, type Reason } from './reasons.js';
import type { RunCache } from './runCache.js';
import { recordProblem, warnState, type RunRecord } from './runRecord.js';
import type { StatCache } from './statCache.js';
import type { WorkspaceDirs } from './workspaceState.js';
import { trace } from './trace.js';

/** A sha256 hex digest. */
export type Hash = string & { readonly __brand: 'sha256' };
/** A full stage key (sha256 hex) and its 12-character short form. */
export type StageKey = string & { readonly __brand: 'StageKey' };

interface EvaluationBase {
  key: StageKey;
  shortKey: string;
  code: string;
  params: Record<string, unknown>;
  /** [recorded path, hash]; paths outside the workspace are recorded as `ext:<basename>/…`. */
  deps: Array<[string, Hash]>;
  /** [file id, hash] and [`npm:<package id>`, version]: what `code` is the hash of. */
  codeEntries: Array<[string, string]>;
  depFiles: Array<{ path: string; abs: string; hash: Hash }>;
  /** Declared outs with `{key}` substituted. */
  outs: string[];
  /** Declared non-glob deps that do not exist. */
  missingDeps: string[];
}

export type Evaluation =
  | (EvaluationBase & { state: 'fresh'; prev: RunRecord })
  | (EvaluationBase & { state: 'stale'; reasons: Reason[]; prev?: RunRecord })
  | (EvaluationBase & { state: 'restorable'; reasons: Reason[]; prev?: RunRecord; cached: RunRecord });

export interface EvalEnv {
  workspace: string;
  params: ParamsReader;
  statCache: StatCache;
  runCache: RunCache;
  dirs: WorkspaceDirs;
  publishContext(stage: ResolvedStage, shortKey: string, outs: string[]): PublishContext;
}

const SHORT = 12;

export function substituteKey(out: string, shortKey: string): string {
  return out.replaceAll('{key}', shortKey);
}

/** How a dep file is named in records: workspace-relative, or relative to its external spec. */
function recordedName(f: FoundFile, specs: readonly string[]): string {
  if (!f.path.startsWith('/')) return f.path;
  const spec = specs.find((s) => s.startsWith('/') && isUnder(f.path, s));
  if (!spec) return `ext:${basename(f.path)}`;
  return `ext:${basename(spec)}${f.path === spec ? '' : `/${relative(spec, f.path)}`}`;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function hashOf(env: EvalEnv, abs: string): Promise<Hash | undefined> {
  const st = statSync(abs, { throwIfNoEntry: false });
  return st?.isFile() ? ((await env.statCache.hash(abs, st)) as Hash) : undefined;
}

/** The stage's code entries, sorted by id, and their fingerprint. */
async function codeFingerprint(stage: ResolvedStage, env: EvalEnv): Promise<{ code: string; entries: Array<[string, string]> }> {
  const entries: Array<[string, string]> = [];
  const closure = stageCode(stage.def);
  if (closure) {
    for (const f of closure.files) entries.push([f.id, (await hashOf(env, f.abs)) ?? 'missing']);
    for (const p of closure.packages) entries.push([`${PACKAGE_PREFIX}${p.id}`, p.version]);
  } else {
    // Not loaded from a bundle (no import graph): the functions' own text.
    const fns = [stage.def.run, stage.def.preflight, stage.def.publish, stage.def.verifyPublished];
    entries.push(['(functions)', sha256(fns.map((f) => f?.toString() ?? '').join('\0'))]);
  }
  for (const [i, entry] of (stage.def.code ?? []).entries()) {
    const abs = toAbs(env.workspace, entry);
    const { files } = await expand(env.workspace, [abs]);
    for (const f of files) {
      const id = f.path.startsWith('/') ? `code${i}:${relative(abs, f.abs) || basename(f.abs)}` : f.path;
      entries.push([id, await env.statCache.hash(f.abs, f.st)]);
    }
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { code: sha256(entries.map(([id, h]) => `${id}\0${h}`).join('\n')), entries };
}

/** Checks recorded outs against the workspace: missing / modified. */
async function outReasons(rec: RunRecord, env: EvalEnv): Promise<Reason[]> {
  const missing: string[] = [];
  const modified: string[] = [];
  for (const o of rec.outs) {
    const abs = toAbs(env.workspace, o.path);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st || !st.isFile()) missing.push(o.path);
    else if (st.size !== o.size || (await env.statCache.hash(abs, st)) !== o.hash) modified.push(o.path);
  }
  for (const d of rec.declaredOuts) {
    if (!rec.outs.some((o) => isUnder(o.path, d)) && !statSync(toAbs(env.workspace, d), { throwIfNoEntry: false })) missing.push(d);
  }
  const out: Reason[] = [];
  if (missing.length) out.push({ kind: 'out-missing', paths: missing });
  if (modified.length) out.push({ kind: 'out-modified', paths: modified });
  return out;
}

export async function evaluate(stage: ResolvedStage, env: EvalEnv): Promise<Evaluation> {
  const { code, entries: codeEntries } = await codeFingerprint(stage, env);
  const params = pickParams(env.params.all as Record<string, unknown>, stage.params);
  const { files, missing } = await expand(env.workspace, stage.deps);
  trace(`${stage.name}: ${files.length} deps listed`);
  const depFiles: EvaluationBase['depFiles'] = [];
  const deps: Array<[string, Hash]> = [];
  for (const f of files) {
    const hash = (env.statCache.lookup(f.abs, f.st, f.path.startsWith('/') ? undefined : f.path) ?? (await env.statCache.hash(f.abs, f.st))) as Hash;
    depFiles.push({ path: f.path, abs: f.abs, hash });
    deps.push([recordedName(f, stage.deps), hash]);
  }
  // One update of one string: thousands of small updates cost more than the hashing itself.
  let text = `pipeline-key-v3\0${stage.name}\0${code}\0${stableStringify(params)}\0`;
  for (const [p, dh] of deps) text += `${p}\0${dh}\n`;
  const key = sha256(text) as StageKey;
  const shortKey = key.slice(0, SHORT);
  trace(`${stage.name}: key`);
  const outs = stage.outs.map((o) => substituteKey(o, shortKey));
  let prev = await env.dirs.readState(stage.name);
  // The outs are the stage's, re-derived for this key: a record naming others is not trusted.
  const prevProblem = prev && prev.key === key ? recordProblem(prev, stage.name, key, outs) : undefined;
  if (prev && prevProblem) {
    warnState(relative(env.workspace, env.dirs.stateFile(stage.name)), `unusable run record (${prevProblem})`, 'ignored, the stage counts as not run');
    prev = undefined;
  }
  const base: EvaluationBase = { key, shortKey, code, params, deps, codeEntries, depFiles, outs, missingDeps: missing };

  const reasons: Reason[] = [];
  if (prev && prev.key === key) {
    if (prev.provisional !== undefined) reasons.push({ kind: 'provisional', message: prev.provisional });
    reasons.push(...(await outReasons(prev, env)));
    if (reasons.length === 0 && stage.def.verifyPublished) {
      for (const message of await stage.def.verifyPublished(env.publishContext(stage, shortKey, outs))) reasons.push({ kind: 'published', message });
    }
    if (reasons.length === 0) return { ...base, state: 'fresh', prev };
  } else if (prev) {
    const recorded = await env.dirs.readInputs(stage.name);
    trace(`${stage.name}: previous inputs read`);
    if (!recorded) reasons.push({ kind: 'never-ran' });
    else {
      if (prev.code !== code) reasons.push(codeReason(recorded.code, codeEntries));
      reasons.push(...paramReasons(prev.params, params));
      reasons.push(...depReasons(recorded.deps, deps));
      if (reasons.length === 0) reasons.push({ kind: 'inputs-changed' });
    }
  } else {
    reasons.push({ kind: 'never-ran' });
  }
  trace(`${stage.name}: reasons`);
  if (missing.length) reasons.unshift({ kind: 'dep-missing', paths: missing });
  const cached = missing.length ? undefined : await env.runCache.get(stage.name, key, outs);
  if (cached) return { ...base, state: 'restorable', reasons, prev, cached };
  return { ...base, state: 'stale', reasons, prev };
}
