// Runs the selected part of the DAG: each stage starts when its upstream is done, is fresh,
// restored from the run cache, or run in a staging area and promoted; CPU work is bounded by
// p-limit, GPU stages draw devices from the pool.
import pLimit from 'p-limit';
import { UserError, type ParamsReader } from './api.js';
import type { Failure, Reporter, StageOutcome } from './events.js';
import { failureMessage } from './events.js';
import { execute, publishContext, restoreFromCache } from './executeStage.js';
import { renderReasons, type Reason } from './reasons.js';
import { ContractError, stageParams } from './stageParams.js';
import type { Graph } from './graph.js';
import type { GpuPool } from './gpuPool.js';
import { startPrehash } from './prehash.js';
import type { ChildRegistry } from './processTree.js';
import type { RunCache } from './runCache.js';
import { evaluate, type EvalEnv, type Evaluation } from './staleness.js';
import type { StatCache } from './statCache.js';
import type { WorkspaceDirs } from './workspaceState.js';
import { trace } from './trace.js';

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
      } else if (stage.gpusIfFree > 0 && !o.cpuOnly) {
        // (Never waited for: the stage runs without when the pool is empty or busy.)
        const { pool: p } = await o.gpuPool();
        const got = p.tryAcquire(stage.gpusIfFree);
        if (got) {
          pool = p;
          devices = got;
        }
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
