// Runs the selected part of the DAG: each stage starts when its upstream is done, is fresh,
// restored from the run cache, or run in a staging area and promoted; CPU work is bounded by
// p-limit, GPU stages draw devices from the pool.
import { randomBytes } from 'node:crypto';
import { appendFileSync, createWriteStream, mkdirSync, statSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { isUserError, UserError, type ParamsReader, type PublishContext, type StageContext } from './api.js';
import type { Reporter, StageOutcome } from './events.js';
import type { Graph, ResolvedStage } from './graph.js';
import type { GpuPool } from './gpuPool.js';
import { getPath } from './params.js';
import { startPrehash } from './prehash.js';
import { ChildRegistry, runChild, startChild } from './processTree.js';
import { collectStagedOuts, promote, rememberOuts, restoreOuts } from './promote.js';
import type { RunCache, RunRecord } from './runCache.js';
import { evaluate, type EvalEnv, type Evaluation } from './staleness.js';
import type { StatCache } from './statCache.js';
import type { WorkspaceDirs } from './workspaceState.js';
import type { SnapshotBuilder } from './noopSnapshot.js';
import { trace } from './trace.js';
import { writeHashing } from './writeHashing.js';

export interface RunOptions {
  workspace: string;
  graph: Graph;
  selected: string[];
  params: ParamsReader;
  statCache: StatCache;
  runCache: RunCache;
  dirs: WorkspaceDirs;
  logDir: string;
  reporter: Reporter;
  cpuOnly: boolean;
  /** Stages to run even when fresh. */
  force: Set<string>;
  dryRun: boolean;
  jobs: number;
  /** Resolved lazily: only when a GPU stage actually needs devices. */
  gpuPool: () => Promise<{ pool: GpuPool; from: string }>;
  registry: ChildRegistry;
  signal: AbortSignal;
  runId: string;
  /** Collects what this run depended on, for the no-op fast path of the next run. */
  snapshot?: SnapshotBuilder;
  /** Housekeeping a stage leaves behind (its staging dir's removal): awaited before runGraph returns. */
  background?: Array<Promise<unknown>>;
}

export function makeEvalEnv(o: Pick<RunOptions, 'workspace' | 'params' | 'statCache' | 'runCache' | 'dirs' | 'logDir'>): EvalEnv {
  return {
    workspace: o.workspace,
    params: o.params,
    statCache: o.statCache,
    runCache: o.runCache,
    dirs: o.dirs,
    publishContext: (stage, shortKey, outs) => publishContext(o.workspace, o.params, o.logDir, stage, shortKey, outs),
  };
}

function publishContext(workspace: string, params: ParamsReader, logDir: string, stage: ResolvedStage, shortKey: string, outs: string[]): PublishContext {
  return {
    name: stage.name,
    workspace,
    shortKey,
    params,
    outs,
    // Publishing happens after the stage ran (or was restored): its lines go to the end of its log.
    log: (line) => {
      try {
        mkdirSync(logDir, { recursive: true });
        appendFileSync(join(logDir, `${stage.name}.log`), `${line}\n`);
      } catch {
        /* a log line is not worth failing the stage for */
      }
    },
  };
}

function paramAllowed(declared: readonly string[], key: string): boolean {
  return declared.some((d) => key === d || key.startsWith(`${d}.`) || d.startsWith(`${key}.`));
}

async function tail(file: string, n = 20): Promise<string[]> {
  try {
    const lines = (await readFile(file, 'utf8')).split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  }
}

export async function runGraph(opts: RunOptions): Promise<StageOutcome[]> {
  const background: Array<Promise<unknown>> = [];
  const o: RunOptions = { ...opts, background };
  const env = makeEvalEnv(o);
  const limit = pLimit(Math.max(1, o.jobs));
  const outcomes = new Map<string, Promise<StageOutcome>>();
  o.reporter.begin(o.selected);
  const prehash = startPrehash(o.workspace, o.graph, o.selected, o.statCache);

  const runOne = async (name: string): Promise<StageOutcome> => {
    const stage = o.graph.stages.get(name)!;
    const ups = await Promise.all(stage.upstream.filter((u) => outcomes.has(u)).map((u) => outcomes.get(u)!));
    const t0 = performance.now();
    const done = (status: StageOutcome['status'], reason: string, extra: Partial<StageOutcome> = {}): StageOutcome => {
      const out: StageOutcome = { name, status, reason, ms: Math.round(performance.now() - t0), ...extra };
      o.reporter.end(out);
      return out;
    };
    const bad = ups.find((u) => u.status === 'failed' || u.status === 'blocked');
    if (bad) return done('blocked', `upstream '${bad.name}' ${bad.status}`);
    // --cpu-only comes first: a dry run must not say a GPU stage would run.
    if (o.cpuOnly && stage.gpus > 0) return done('skipped', `needs ${stage.gpus} GPU(s); --cpu-only`);
    const wouldWork = ups.find((u) => u.wouldWork);
    if (o.dryRun && wouldWork) {
      return done('skipped', `dry run: would run after upstream '${wouldWork.name}'`, { wouldWork: true });
    }
    const skippedUp = ups.find((u) => u.status === 'skipped');
    if (skippedUp) return done('skipped', `upstream '${skippedUp.name}' skipped`);
    if (o.signal.aborted) return done('skipped', 'interrupted');

    // GPU stages are bounded by the GPU pool, not by --jobs (which bounds CPU work).
    const slot = <T>(fn: () => Promise<T>): Promise<T> => (stage.gpus > 0 ? fn() : limit(fn));
    return slot(async () => {
      let ev: Evaluation;
      try {
        trace(`${name}: evaluating`);
        ev = await evaluate(stage, env);
        trace(`${name}: evaluated (${ev.state})`);
      } catch (err) {
        const msg = isUserError(err) ? err.message : `cannot evaluate inputs: ${(err as Error).message}`;
        return done('failed', msg, { error: msg });
      }
      const forced = o.force.has(name);
      let devices: string[] = [];
      let pool: GpuPool | undefined;
      const remember = (outs: readonly { path: string }[]) => {
        const snap = o.snapshot;
        if (!snap) return;
        for (const f of ev.inputStats) snap.add(f.path, f.st);
        for (const out of outs) snap.addPath(out.path);
        if (stage.def.verifyPublished && !stage.def.sharedFiles) snap.disable();
        const shared = stage.def.sharedFiles;
        if (shared) for (const p of typeof shared === 'function' ? shared(o.params) : shared) snap.addPath(p);
      };
      if (!forced && ev.state === 'fresh') {
        remember(ev.prev?.outs ?? []);
        return done('fresh', 'up to date', { key: ev.shortKey });
      }
      const reason = forced ? 'forced' : ev.reasons.join('; ');
      // Work is due. The checks that need the tools (preflight, GPUs) come only when the stage must
      // actually run: a fresh or restorable stage needs none of them.
      const preflight = async (): Promise<string | undefined> => {
        if (!stage.def.preflight) return undefined;
        const devs: readonly string[] = stage.gpus > 0 ? (await o.gpuPool()).pool.devices : [];
        const msg = await Promise.resolve(stage.def.preflight(o.params, { workspace: o.workspace, gpus: devs })).catch((err: unknown) =>
          isUserError(err) ? err.message : `preflight crashed: ${(err as Error).message}`,
        );
        return msg || undefined;
      };
      if (ev.missingDeps.length > 0 && !o.dryRun) {
        const msg = (await preflight()) ?? `dep ${ev.missingDeps.map((d) => `'${d}'`).join(', ')} does not exist and no selected stage produces it`;
        return done('failed', msg, { error: msg, key: ev.shortKey });
      }
      if (o.dryRun) {
        return done('skipped', `dry run: would ${!forced && ev.cached ? 'restore' : 'run'} (${reason})`, { key: ev.shortKey, wouldWork: true });
      }
      if (!forced && ev.cached) {
        o.reporter.working(name, 'restore', reason);
        let restored: boolean;
        try {
          restored = await restoreFromCache(stage, ev, ev.cached, o, env);
        } catch (err) {
          const msg = isUserError(err) ? err.message : `cannot restore from the run cache: ${(err as Error).message}`;
          return done('failed', msg, { error: msg, key: ev.shortKey });
        }
        if (restored) {
          remember(ev.cached.outs);
          return done('restored', `restored from run cache (${reason})`, { key: ev.shortKey });
        }
        await o.runCache.evict(name, ev.key);
        o.reporter.note(name, 'cached outputs were corrupted; evicted them and running instead');
      }
      const preflightError = await preflight();
      if (preflightError) return done('failed', preflightError, { error: preflightError, key: ev.shortKey });
      if (stage.gpus > 0) {
        const { pool: p, from } = await o.gpuPool();
        if (p.size < stage.gpus) {
          const msg = `needs ${stage.gpus} GPU(s) but the pool has ${p.size} (${from}). Give it devices with \`gpus: [0]\` in pipeline.yaml or \`--gpus 0\`, or pass --cpu-only to skip GPU stages.`;
          return done('failed', msg, { error: msg, key: ev.shortKey });
        }
        pool = p;
        o.reporter.note(name, `waiting for ${stage.gpus} GPU(s)`);
        devices = await pool.acquire(stage.gpus);
      }
      try {
        o.reporter.working(name, 'run', reason);
        const res = await execute(stage, ev, devices, o);
        if (res.ok) remember(res.outs ?? []);
        return done(res.ok ? 'ran' : 'failed', res.ok ? reason : res.error!, res.ok ? { key: ev.shortKey } : { error: res.error, log: res.log, logTail: res.tail });
      } finally {
        if (pool && devices.length) pool.release(devices);
      }
    });
  };

  for (const name of o.selected) outcomes.set(name, runOne(name));
  const results = await Promise.all(o.selected.map((n) => outcomes.get(n)!));
  await Promise.all([...background, prehash.stop()]);
  return results;
}

async function restoreFromCache(stage: ResolvedStage, ev: Evaluation, rec: RunRecord, o: RunOptions, env: EvalEnv): Promise<boolean> {
  const outsRoot = join(o.dirs.stagingRoot, `${stage.name}-restore-${randomBytes(4).toString('hex')}`);
  try {
    const ok = await restoreOuts(o.workspace, rec, outsRoot, o.runCache, o.statCache, o.dirs);
    if (!ok) return false;
    await rememberOuts(o.workspace, rec.outs, o.statCache);
    await o.runCache.touch(rec);
    await o.dirs.writeState(rec, ev.deps);
    if (stage.def.publish) await stage.def.publish(env.publishContext(stage, ev.shortKey, ev.outs));
    return true;
  } finally {
    await rm(outsRoot, { recursive: true, force: true });
  }
}

interface ExecResult {
  ok: boolean;
  outs?: readonly { path: string }[];
  error?: string;
  log?: string;
  tail?: string[];
}

async function execute(stage: ResolvedStage, ev: Evaluation, devices: string[], o: RunOptions): Promise<ExecResult> {
  const name = stage.name;
  const resumable = stage.def.resumable === true;
  const stagingDir = join(o.dirs.stagingRoot, resumable ? `${name}-${ev.shortKey}` : `${name}-${ev.shortKey}-${process.pid}-${randomBytes(3).toString('hex')}`);
  // Leftovers of crashed attempts of this stage (not the resumable dir of this key) go first.
  for (const d of await readdir(o.dirs.stagingRoot).catch(() => [] as string[])) {
    if (d.startsWith(`${name}-`) && d !== `${name}-${ev.shortKey}` && !/^[0-9a-f]{12}$/.test(d.slice(name.length + 1))) {
      await rm(join(o.dirs.stagingRoot, d), { recursive: true, force: true });
    }
  }
  const outsRoot = join(stagingDir, 'outs');
  await rm(outsRoot, { recursive: true, force: true });
  await mkdir(outsRoot, { recursive: true });
  const stageCacheDir = join(o.runCache.dir, 'stage', name);
  await mkdir(stageCacheDir, { recursive: true });
  const logFile = join(o.logDir, `${name}.log`);
  await mkdir(o.logDir, { recursive: true });
  const logStream: WriteStream = createWriteStream(logFile, { flags: 'w' });
  let logClosed = false;
  const log = (line: string) => {
    if (logClosed) appendFileSync(logFile, `${line}\n`);
    else logStream.write(`${line}\n`);
  };
  log(`# ${name} ${new Date().toISOString()} key ${ev.shortKey}${devices.length ? ` gpus ${devices.join(',')}` : ''}`);

  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) baseEnv[k] = v;
  baseEnv.CUDA_VISIBLE_DEVICES = devices.join(',');
  baseEnv.PIPELINE_RUN_ID = o.runId;
  baseEnv.PIPELINE_STAGE = name;

  const children: Array<{ stop(): Promise<void> }> = [];
  const outPath = (relIn: string): string => {
    const rel = relIn.replaceAll('{key}', ev.shortKey).replace(/\/+$/, '');
    const p = join(outsRoot, rel);
    if (!ev.outs.includes(rel) && !ev.outs.some((x) => rel.startsWith(`${x}/`))) {
      throw new Error(`stage '${name}' writes '${rel}', which is not one of its outs (${ev.outs.join(', ')})`);
    }
    return p;
  };
  /** Outs written through ctx.writeOut: their hash is known, no need to read them back. */
  const written = new Map<string, { hash: string; size: number; mtimeMs: number }>();
  const ctx: StageContext = {
    name,
    workspace: o.workspace,
    key: ev.key,
    shortKey: ev.shortKey,
    params: o.params,
    param<T>(key: string): T {
      if (!paramAllowed(stage.params, key)) {
        throw new Error(`stage '${name}' reads param '${key}' but does not declare it in params`);
      }
      return getPath(o.params.all, key) as T;
    },
    out: outPath,
    async writeOut(rel, data) {
      const path = outPath(rel);
      const { hash, size } = writeHashing(path, data);
      written.set(path, { hash, size, mtimeMs: statSync(path).mtimeMs });
      return hash;
    },
    outs: ev.outs,
    stagingDir,
    stageCacheDir,
    // Read-only to the stage (DepFile); no copy of thousands of entries.
    deps: ev.depFiles,
    gpus: devices,
    env: baseEnv,
    signal: o.signal,
    log,
    warn: (message) => {
      log(`warning: ${message}`);
      o.reporter.warn?.(name, message);
    },
    progress: (u) => o.reporter.progress(name, u),
    exec: (file, args, opts = {}) => runChild(file, args, { ...opts, baseEnv, registry: o.registry, log, signal: o.signal }),
    spawn: (file, args, opts = {}) => {
      const h = startChild(file, args, { ...opts, baseEnv, registry: o.registry, log, signal: o.signal });
      children.push(h);
      return h;
    },
    hashFile: (abs) => o.statCache.hash(abs),
  };
  // ctx.out must be able to create parents for nested outs.
  for (const out of ev.outs) await mkdir(join(outsRoot, out, '..'), { recursive: true });

  let logDone: Promise<void> | undefined;
  const finishLog = () =>
    (logDone ??= new Promise<void>((r) => {
      logClosed = true;
      logStream.end(r);
    }));
  trace(`${name}: running`);
  try {
    await stage.def.run(ctx);
    if (o.signal.aborted) throw new UserError('interrupted', 130);
    trace(`${name}: ran`);
    const outFiles = await collectStagedOuts(outsRoot, ev.outs, o.runCache, written);
    trace(`${name}: outs hashed and stored`);
    await promote(o.workspace, outsRoot, ev.outs, o.dirs);
    const rec: RunRecord = {
      v: 1,
      stage: name,
      key: ev.key,
      code: ev.code,
      params: ev.params,
      declaredOuts: ev.outs,
      outs: outFiles,
      ms: 0,
      finishedAt: new Date().toISOString(),
    };
    await rememberOuts(o.workspace, outFiles, o.statCache);
    // The stage's own log is closed first: publish appends its lines to the same file.
    await finishLog();
    if (stage.def.publish) await stage.def.publish(publishContext(o.workspace, o.params, o.logDir, stage, ev.shortKey, ev.outs));
    // The run record is written last: a crash before this point leaves the stage stale.
    await o.runCache.put(rec);
    await o.dirs.writeState(rec, ev.deps);
    trace(`${name}: recorded`);
    log(`# ok`);
    // The stage is done and recorded; removing its scratch space is not part of its time.
    o.background?.push(rm(stagingDir, { recursive: true, force: true }));
    return { ok: true, outs: outFiles };
  } catch (err) {
    const expected = isUserError(err);
    const message = expected ? (err as Error).message : `internal error: ${(err as Error)?.message ?? String(err)}`;
    log(`# failed: ${message}`);
    if (!expected && err instanceof Error && err.stack) log(err.stack);
    await finishLog();
    if (!resumable) await rm(stagingDir, { recursive: true, force: true });
    else await rm(outsRoot, { recursive: true, force: true });
    return { ok: false, error: o.signal.aborted ? 'interrupted' : message, log: logFile, tail: await tail(logFile) };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

