// Runs the selected part of the DAG: each stage starts when its upstream is done, is fresh,
// restored from the run cache, or run in a staging area and promoted; CPU work is bounded by
// p-limit, GPU stages draw devices from the pool.
import { randomBytes } from 'node:crypto';
import { appendFileSync, createWriteStream, mkdirSync, statSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { UserError, type ParamsReader, type PublishContext, type StageContext } from './api.js';
import type { Failure, Reporter, StageOutcome } from './events.js';
import { failureMessage } from './events.js';
import { renderReasons, type Reason } from './reasons.js';
import { ContractError, stageParams } from './stageParams.js';
import type { Graph, ResolvedStage } from './graph.js';
import type { GpuPool } from './gpuPool.js';
import { getPath } from './params.js';
import { startPrehash } from './prehash.js';
import { ChildRegistry, loadProcessSupport, runChild, startChild } from './processTree.js';
import { collectStagedOuts, promote, rememberOuts, restoreOuts } from './promote.js';
import type { RunCache, RunRecord } from './runCache.js';
import { evaluate, type EvalEnv, type Evaluation } from './staleness.js';
import type { StatCache } from './statCache.js';
import type { WorkspaceDirs } from './workspaceState.js';
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
  /** Housekeeping a stage leaves behind (its staging dir's removal): awaited before runGraph returns. */
  background?: Array<Promise<unknown>>;
  /**
   * For runs sharing one run cache at once (experiments): a stale stage's work on one key is done
   * by one run. Resolves when this run may do it; `waited` when another run held the key first,
   * and the stage is then evaluated again (restorable, usually). Released when the stage ends.
   */
  shareKey?: (stage: string, key: string) => Promise<{ waited: boolean; release(): void }>;
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
    params: stageParams(stage, params.all, (message) => {
      throw new ContractError(message);
    }),
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
    const ms = () => Math.round(performance.now() - t0);
    const report = (out: StageOutcome): StageOutcome => {
      o.reporter.end(out);
      return out;
    };
    const skipped = (reason: string, wouldWork?: boolean, reasons: Reason[] = []) =>
      report({ name, status: 'skipped', reason, reasons, ms: ms(), ...(wouldWork ? { wouldWork } : {}) });
    const failed = (failure: Failure, key?: string, reasons: Reason[] = []): StageOutcome => {
      const error = failureMessage(failure);
      const logs = failure.kind === 'run' || failure.kind === 'interrupted' ? { log: failure.log, logTail: failure.logTail } : {};
      return report({ name, status: 'failed', failure, error, reason: error, reasons, ms: ms(), ...(key ? { key } : {}), ...logs });
    };
    // On a dry run, the stage's own preview (what it would hand its tool), next to "would run".
    const preview = async (): Promise<void> => {
      const dryRun = stage.def.dryRun;
      if (!dryRun) return;
      try {
        const params = stageParams(stage, o.params.all, (message) => {
          throw new ContractError(message);
        });
        const text = await dryRun({ workspace: o.workspace, params });
        if (text) o.reporter.progress(name, { message: text, summary: true });
      } catch (err) {
        o.reporter.progress(name, { message: `dry run: cannot preview: ${(err as Error).message}`, summary: true });
      }
    };
    const bad = ups.find((u) => u.status === 'failed' || u.status === 'blocked');
    if (bad) return report({ name, status: 'blocked', reason: `upstream '${bad.name}' ${bad.status}`, reasons: [], ms: ms() });
    // --cpu-only comes first: a dry run must not say a GPU stage would run.
    if (o.cpuOnly && stage.gpus > 0) return skipped(`needs ${stage.gpus} GPU(s); --cpu-only`);
    const wouldWork = ups.find((u) => u.status === 'skipped' && u.wouldWork);
    if (o.dryRun && wouldWork) {
      await preview();
      return skipped(`dry run: would run after upstream '${wouldWork.name}'`, true);
    }
    const skippedUp = ups.find((u) => u.status === 'skipped');
    if (skippedUp) return skipped(`upstream '${skippedUp.name}' skipped`);
    if (o.signal.aborted) return skipped('interrupted');

    // GPU stages are bounded by the GPU pool, not by --jobs (which bounds CPU work).
    const slot = <T>(fn: () => Promise<T>): Promise<T> => (stage.gpus > 0 ? fn() : limit(fn));
    let lease: { release(): void } | undefined;
    return slot(async () => {
      let ev: Evaluation;
      const evaluateError = (err: unknown) =>
        failed({ kind: 'evaluate', message: err instanceof UserError ? err.message : `cannot evaluate inputs: ${(err as Error).message}` });
      try {
        trace(`${name}: evaluating`);
        ev = await evaluate(stage, env);
        trace(`${name}: evaluated (${ev.state})`);
      } catch (err) {
        return evaluateError(err);
      }
      const forced = o.force.has(name);
      if (o.shareKey && !o.dryRun && !forced && ev.state === 'stale') {
        const l = await o.shareKey(name, ev.key);
        lease = l;
        try {
          if (l.waited) ev = await evaluate(stage, env);
        } catch (err) {
          return evaluateError(err);
        }
      }
      if (!forced && ev.state === 'fresh') return report({ name, status: 'fresh', reason: 'up to date', reasons: [], ms: ms(), key: ev.shortKey });
      const reasons: Reason[] = forced ? [{ kind: 'forced' }] : ev.state === 'fresh' ? [] : ev.reasons;
      const reason = renderReasons(reasons);
      const cached = !forced && ev.state === 'restorable' ? ev.cached : undefined;
      // Work is due. The checks that need the tools (preflight, GPUs) come only when the stage must
      // actually run: a fresh or restorable stage needs none of them.
      const preflight = async (): Promise<string | undefined> => {
        if (!stage.def.preflight) return undefined;
        const devs: readonly string[] = stage.gpus > 0 ? (await o.gpuPool()).pool.devices : [];
        const params = stageParams(stage, o.params.all, (message) => {
          throw new ContractError(message);
        });
        const msg = await Promise.resolve()
          .then(() => stage.def.preflight!(params, { workspace: o.workspace, gpus: devs }))
          .catch((err: unknown) => (err instanceof UserError || err instanceof ContractError ? err.message : `preflight crashed: ${(err as Error).message}`));
        return msg || undefined;
      };
      if (ev.missingDeps.length > 0 && !o.dryRun) {
        const msg = await preflight();
        return failed(msg ? { kind: 'preflight', message: msg } : { kind: 'missing-deps', paths: ev.missingDeps }, ev.shortKey, reasons);
      }
      if (o.dryRun) {
        await preview();
        return skipped(`dry run: would ${cached ? 'restore' : 'run'} (${reason})`, true, reasons);
      }
      if (cached) {
        o.reporter.working(name, 'restore', reason);
        let restored: boolean;
        try {
          restored = await restoreFromCache(stage, ev, cached, o, env);
        } catch (err) {
          const message = err instanceof UserError ? err.message : `cannot restore from the run cache: ${(err as Error).message}`;
          return failed({ kind: 'restore', message }, ev.shortKey, reasons);
        }
        if (restored) {
          return report({ name, status: 'restored', reason: `restored from run cache (${reason})`, reasons, ms: ms(), key: ev.shortKey });
        }
        await o.runCache.evict(name, ev.key);
        o.reporter.note(name, 'cached outputs were corrupted; evicted them and running instead');
      }
      const preflightError = await preflight();
      if (preflightError) return failed({ kind: 'preflight', message: preflightError }, ev.shortKey, reasons);
      let devices: string[] = [];
      let pool: GpuPool | undefined;
      if (stage.gpus > 0) {
        const { pool: p, from } = await o.gpuPool();
        if (p.size < stage.gpus) return failed({ kind: 'gpus', needed: stage.gpus, available: p.size, from }, ev.shortKey, reasons);
        pool = p;
        o.reporter.note(name, `waiting for ${stage.gpus} GPU(s)`);
        devices = await pool.acquire(stage.gpus);
      }
      try {
        // Interrupted while waiting for devices: nothing was started.
        if (o.signal.aborted) return skipped('interrupted');
        o.reporter.working(name, 'run', reason);
        const res = await execute(stage, ev, devices, o);
        if (!res.ok) return failed(res.failure, undefined, reasons);
        return report({ name, status: 'ran', reason, reasons, ms: ms(), key: ev.shortKey });
      } finally {
        if (pool && devices.length) pool.release(devices);
      }
    }).finally(() => lease?.release());
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
    await o.dirs.writeState(rec, { deps: ev.deps, code: ev.codeEntries });
    if (stage.def.publish) await stage.def.publish(env.publishContext(stage, ev.shortKey, ev.outs));
    return true;
  } finally {
    await rm(outsRoot, { recursive: true, force: true });
  }
}

type ExecResult = { ok: true } | { ok: false; failure: Failure };

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
  /** The first way the stage broke its contract: it fails with it even if its code caught the error. */
  let violation: string | undefined;
  const violated = (message: string): never => {
    violation ??= message;
    throw new ContractError(message);
  };
  const params = stageParams(stage, o.params.all, violated);
  const outPath = (relIn: string): string => {
    const rel = relIn.replaceAll('{key}', ev.shortKey).replace(/\/+$/, '');
    if (!ev.outs.includes(rel) && !ev.outs.some((x) => rel.startsWith(`${x}/`))) {
      violated(`stage '${name}' writes '${rel}', which is not one of its outs (${ev.outs.join(', ')})`);
    }
    return join(outsRoot, rel);
  };
  /** Outs written through ctx.writeOut: their hash is known, no need to read them back. */
  const written = new Map<string, { hash: string; size: number; mtimeMs: number }>();
  const ctx: StageContext = {
    name,
    workspace: o.workspace,
    key: ev.key,
    shortKey: ev.shortKey,
    params,
    param<T>(key: string): T {
      if (!stage.params.some((d) => key === d || key.startsWith(`${d}.`))) {
        violated(`stage '${name}' reads param '${key}', which it does not declare in params`);
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
    await loadProcessSupport();
    await stage.def.run(ctx);
    if (violation !== undefined) throw new ContractError(violation);
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
    await o.dirs.writeState(rec, { deps: ev.deps, code: ev.codeEntries });
    trace(`${name}: recorded`);
    log(`# ok`);
    // The stage is done and recorded; removing its scratch space is not part of its time.
    o.background?.push(rm(stagingDir, { recursive: true, force: true }));
    return { ok: true };
  } catch (err) {
    const contract = violation ?? (err instanceof ContractError ? err.message : undefined);
    const expected = err instanceof UserError;
    const message = contract ?? (expected ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`);
    log(`# failed: ${message}`);
    if (!expected && contract === undefined && err instanceof Error && err.stack) log(err.stack);
    await finishLog();
    if (!resumable) await rm(stagingDir, { recursive: true, force: true });
    else await rm(outsRoot, { recursive: true, force: true });
    const logTail = await tail(logFile);
    if (o.signal.aborted) return { ok: false, failure: { kind: 'interrupted', log: logFile, logTail } };
    if (contract !== undefined) return { ok: false, failure: { kind: 'contract', message: contract } };
    return { ok: false, failure: { kind: 'run', message, log: logFile, logTail } };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
