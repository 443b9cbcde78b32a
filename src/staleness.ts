// A stage's key and whether it is fresh, stale or restorable — with reasons a person can act on.
import { createHash } from 'node:crypto';
import { hashSync } from 'hasha';
import { basename, relative } from 'node:path';
import { statSync } from 'node:fs';
import type { ParamsReader, PublishContext } from './api.js';
import { expand, type FoundFile } from './depFiles.js';
import type { ResolvedStage } from './graph.js';
import { diffParams, pickParams, stableStringify } from './params.js';
import { isUnder, toAbs } from './pathSpec.js';
import type { RunCache } from './runCache.js';
import { recordProblem, type RunRecord } from './runRecord.js';
import type { StatCache } from './statCache.js';
import type { RecordedDeps, WorkspaceDirs } from './workspaceState.js';
import { trace } from './trace.js';

export interface Evaluation {
  key: string;
  shortKey: string;
  code: string;
  params: Record<string, unknown>;
  /** [recorded path, hash]; paths outside the workspace are recorded as `ext:<basename>/…`. */
  deps: Array<[string, string]>;
  depFiles: Array<{ path: string; abs: string; hash: string }>;
  /** Declared outs with `{key}` substituted. */
  outs: string[];
  missingDeps: string[];
  /** What the inputs looked like on disk (deps, their directories, code files): the no-op fast path. */
  inputStats: FoundFile[];
  state: 'fresh' | 'stale' | 'restorable';
  reasons: string[];
  prev?: RunRecord;
  cached?: RunRecord;
}

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

async function codeFingerprint(stage: ResolvedStage, env: EvalEnv, seen: FoundFile[]): Promise<string> {
  const code = stage.def.code;
  if (!code || code.length === 0) return hashSync(stage.def.run.toString(), { algorithm: 'sha256' });
  const parts: string[] = [];
  for (const [i, entry] of code.entries()) {
    const abs = toAbs(env.workspace, entry);
    const { files, dirs } = await expand(env.workspace, [abs]);
    seen.push(...files, ...dirs);
    for (const f of files) parts.push(`${i}:${relative(abs, f.abs) || basename(f.abs)}:${await env.statCache.hash(f.abs, f.st)}`);
  }
  return hashSync(parts.join('\n'), { algorithm: 'sha256' });
}

function listNames(names: string[], max = 5): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} (+${names.length - max} more)`;
}

/**
 * What changed between the deps of the last run and now. Both lists come sorted by path, so one
 * merge walk finds it without building maps of thousands of entries; anything unsorted (records of
 * older versions) falls back to a map.
 */
export function depReasons(prev: RecordedDeps, cur: ReadonlyArray<readonly [string, string]>): string[] {
  const added: string[] = [];
  const removed: string[] = [];
  const modified: string[] = [];
  const n = prev.length;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = prev.path(i - 1) < prev.path(i);
  for (let j = 1; j < cur.length && sorted; j++) sorted = cur[j - 1]![0] < cur[j]![0];
  if (sorted) {
    let i = 0;
    let j = 0;
    while (i < n || j < cur.length) {
      const a = i < n ? prev.path(i) : undefined;
      const b = j < cur.length ? cur[j]![0] : undefined;
      if (b === undefined || (a !== undefined && a < b)) {
        removed.push(a!);
        i++;
      } else if (a === undefined || b < a) {
        added.push(b);
        j++;
      } else {
        if (!prev.hashIs(i, cur[j]![1])) modified.push(b);
        i++;
        j++;
      }
    }
  } else {
    const at = new Map<string, number>();
    for (let i = 0; i < n; i++) at.set(prev.path(i), i);
    const now = new Set<string>();
    for (const [p, h] of cur) {
      now.add(p);
      const i = at.get(p);
      if (i === undefined) added.push(p);
      else if (!prev.hashIs(i, h)) modified.push(p);
    }
    for (let i = 0; i < n; i++) if (!now.has(prev.path(i))) removed.push(prev.path(i));
  }
  const out: string[] = [];
  if (added.length) out.push(`deps added: ${listNames(added)}`);
  if (removed.length) out.push(`deps removed: ${listNames(removed)}`);
  if (modified.length) out.push(`deps modified: ${listNames(modified)}`);
  return out;
}

/** Checks recorded outs against the workspace; returns reasons (missing / modified). */
export async function outReasons(rec: RunRecord, env: EvalEnv): Promise<string[]> {
  const missing: string[] = [];
  const modified: string[] = [];
  for (const o of rec.outs) {
    const abs = toAbs(env.workspace, o.path);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st || !st.isFile()) missing.push(o.path);
    else if (st.size !== o.size || (await env.statCache.hash(abs, st)) !== o.hash) modified.push(o.path);
  }
  for (const d of rec.declaredOuts) {
    if (!rec.outs.some((o) => isUnder(o.path, d))) {
      const st = statSync(toAbs(env.workspace, d), { throwIfNoEntry: false });
      if (!st) missing.push(d);
    }
  }
  const out: string[] = [];
  if (missing.length) out.push(`outs missing: ${listNames(missing)}`);
  if (modified.length) out.push(`outs modified: ${listNames(modified)}`);
  return out;
}

export async function evaluate(stage: ResolvedStage, env: EvalEnv): Promise<Evaluation> {
  const inputStats: FoundFile[] = [];
  const code = await codeFingerprint(stage, env, inputStats);
  const params = pickParams(env.params.all as Record<string, unknown>, stage.params);
  const { files, missing, dirs } = await expand(env.workspace, stage.deps);
  trace(`${stage.name}: ${files.length} deps listed`);
  inputStats.push(...files, ...dirs);
  const depFiles: Evaluation['depFiles'] = [];
  const deps: Array<[string, string]> = [];
  for (const f of files) {
    const hash = env.statCache.lookup(f.abs, f.st, f.path.startsWith('/') ? undefined : f.path) ?? (await env.statCache.hash(f.abs, f.st));
    depFiles.push({ path: f.path, abs: f.abs, hash });
    deps.push([recordedName(f, stage.deps), hash]);
  }
  // One update of one string: thousands of small updates cost more than the hashing itself.
  let text = `pipeline-key-v2\0${stage.name}\0${code}\0${stableStringify(params)}\0`;
  for (const [p, dh] of deps) text += `${p}\0${dh}\n`;
  const key = createHash('sha256').update(text).digest('hex');
  const shortKey = key.slice(0, SHORT);
  trace(`${stage.name}: key`);
  const outs = stage.outs.map((o) => substituteKey(o, shortKey));
  const prev = await env.dirs.readState(stage.name);
  const ev: Evaluation = { key, shortKey, code, params, deps, depFiles, outs, missingDeps: missing, inputStats, state: 'stale', reasons: [], prev };
  // The outs are the stage's, re-derived for this key: a record naming others is not trusted.
  const prevProblem = prev && prev.key === key ? recordProblem(prev, stage.name, key, outs) : undefined;

  if (prevProblem) {
    ev.prev = undefined;
    ev.reasons.push(`the last run's record does not fit the stage (${prevProblem})`);
  } else if (prev && prev.key === key) {
    const reasons = await outReasons(prev, env);
    if (reasons.length === 0 && stage.def.verifyPublished) {
      reasons.push(...(await stage.def.verifyPublished(env.publishContext(stage, shortKey, outs))));
    }
    if (reasons.length === 0) {
      ev.state = 'fresh';
      return ev;
    }
    ev.reasons = reasons;
  } else if (prev) {
    if (prev.code !== code) ev.reasons.push('code changed');
    ev.reasons.push(...diffParams(prev.params, params));
    const prevDeps = await env.dirs.readStateDeps(stage.name);
    trace(`${stage.name}: previous deps read`);
    if (prevDeps) ev.reasons.push(...depReasons(prevDeps, deps));
    if (ev.reasons.length === 0) ev.reasons.push('inputs changed');
  } else {
    ev.reasons.push('never ran in this workspace');
  }
  trace(`${stage.name}: reasons`);
  if (missing.length) ev.reasons.unshift(`deps missing: ${listNames(missing)}`);
  const cached = missing.length ? undefined : await env.runCache.get(stage.name, key, outs);
  if (cached) {
    ev.cached = cached;
    ev.state = 'restorable';
  }
  return ev;
}
