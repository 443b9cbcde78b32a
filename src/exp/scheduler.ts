// Runs a set of experiments at once, each in its own workspace (expWorkspace.ts) with the user's
// run cache: GPU stages of different experiments share the one GPU pool (disjoint devices), a stale
// stage key is worked on by one experiment while the others wait and then restore it (one extract
// for all), a failed experiment does not stop the others (unless failFast), and the queue records
// where each stands after every change.
import { relative } from 'node:path';
import { UsageError, type PipelineDef } from '../api.js';
import type { StageOutcome } from '../events.js';
import { GpuPool } from '../gpuPool.js';
import type { ChildRegistry } from '../processTree.js';
import { runGraph } from '../runner.js';
import { openSession, type Session } from '../session.js';
import { prepareExperimentWorkspace, seedStatCache } from './expWorkspace.js';
import type { ExperimentBoard } from './live.js';
import { experimentDir, type ExperimentQueue, type QueueEntry } from './queue.js';

export interface SchedulerOptions {
  workspace: string;
  def: PipelineDef;
  /** The user's session: its config file, run cache and GPU pool are the experiments'. */
  user: Session;
  queue: ExperimentQueue;
  entries: QueueEntry[];
  gpuPool: () => Promise<{ pool: GpuPool; from: string }>;
  jobs: number;
  failFast: boolean;
  registry: ChildRegistry;
  signal: AbortSignal;
  runId: string;
  board: ExperimentBoard;
}

/** The stale-key gate shared by all experiments of one run. */
export function keyGate(): (stage: string, key: string) => Promise<{ waited: boolean; release(): void }> {
  const held = new Map<string, Promise<void>>();
  return async (stage, key) => {
    const id = `${stage}\0${key}`;
    let waited = false;
    for (let h = held.get(id); h; h = held.get(id)) {
      waited = true;
      await h;
    }
    let done!: () => void;
    held.set(id, new Promise<void>((r) => (done = r)));
    let released = false;
    return {
      waited,
      release: () => {
        if (released) return;
        released = true;
        held.delete(id);
        done();
      },
    };
  };
}

/** Opens every experiment's session first: a bad override is a usage error before anything runs. */
export async function openExperiments(workspace: string, def: PipelineDef, user: Session, entries: readonly QueueEntry[]): Promise<Map<string, Session>> {
  const sessions = new Map<string, Session>();
  for (const e of entries) {
    const dir = experimentDir(workspace, e.name);
    await seedStatCache(workspace, dir);
    try {
      sessions.set(e.name, await openSession(dir, e.sets, def, { configFile: user.configFile, cacheDir: user.runCache.dir }));
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`experiment '${e.name}': ${err.message}`);
      throw err;
    }
  }
  return sessions;
}

/** Runs the entries; resolves when every one has finished or stopped. */
export async function runExperiments(o: SchedulerOptions): Promise<void> {
  const sessions = await openExperiments(o.workspace, o.def, o.user, o.entries);
  const shareKey = keyGate();
  const stop = new AbortController();
  const signal = AbortSignal.any([o.signal, stop.signal]);
  const one = async (e: QueueEntry): Promise<void> => {
    const session = sessions.get(e.name)!;
    const t0 = performance.now();
    Object.assign(e, { status: 'running', started_at: new Date().toISOString(), finished_at: null, error: null, failed_stage: null, log: null });
    await o.queue.save();
    let outcomes: StageOutcome[] = [];
    let crash: string | undefined;
    try {
      await prepareExperimentWorkspace(o.workspace, session.workspace, session.graph, session.params, o.def);
      outcomes = await runGraph({
        workspace: session.workspace,
        graph: session.graph,
        selected: [...session.graph.order],
        params: session.params,
        statCache: session.statCache,
        runCache: session.runCache,
        dirs: session.dirs,
        logDir: session.logDir,
        reporter: o.board.reporter(e.name),
        cpuOnly: false,
        force: new Set(),
        dryRun: false,
        jobs: o.jobs,
        gpuPool: o.gpuPool,
        registry: o.registry,
        signal,
        runId: o.runId,
        shareKey,
      });
      await session.statCache.save();
    } catch (err) {
      crash = (err as Error).message;
    }
    // A stage that failed on its own, not one stopped by Ctrl-C or --fail-fast (nor those it blocked).
    const bad = outcomes.find((s) => s.status === 'failed' && s.failure.kind !== 'interrupted');
    e.ms = Math.round(performance.now() - t0);
    e.finished_at = new Date().toISOString();
    e.stages = outcomes.map((s) => ({ name: s.name, status: s.status, ...(s.key ? { key: s.key } : {}), ms: s.ms }));
    if (crash !== undefined || bad) {
      e.status = 'failed';
      e.failed_stage = bad?.name ?? null;
      e.error = crash ?? bad?.reason ?? 'failed';
      const log = bad?.status === 'failed' ? bad.log : undefined;
      e.log = log ? relative(o.workspace, log) : null;
      if (o.failFast && !stop.signal.aborted) {
        stop.abort();
        void o.registry.stopAll();
      }
    } else if (outcomes.length === 0 || outcomes.some((s) => s.status !== 'ran' && s.status !== 'fresh' && s.status !== 'restored')) {
      e.status = 'interrupted';
    } else {
      e.status = 'done';
    }
    await o.queue.save();
    o.board.done(e.name, {
      status: e.status,
      ms: e.ms,
      stages: e.stages,
      ...(e.status === 'failed' ? { failed_stage: e.failed_stage, error: e.error, log: e.log } : {}),
    });
  };
  await Promise.all(o.entries.map(one));
}
