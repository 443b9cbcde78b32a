// `pipeline run [targets…]`: bring the targets (and whatever upstream is stale) up to date.
import { randomBytes } from 'node:crypto';
import { UsageError } from '../api.js';
import { parseRunFlags, RUN_USAGE, type RunFlags } from './runFlags.js';
import type { StageOutcome } from '../events.js';
import { discoverGpus, GpuPool } from '../gpuPool.js';
import { selectStages } from '../graph.js';
import { describeHolder, WorkspaceLock } from '../lock.js';
import { ChildRegistry } from '../processTree.js';
import { pickReporter } from '../reporters.js';
import { runGraph } from '../runner.js';
import { openSession, type Session } from '../session.js';
import { trace } from '../trace.js';
import type { Reporter } from '../events.js';
import { cpus } from 'node:os';

export type { RunFlags };

export interface RunResult {
  code: number;
  outcomes: StageOutcome[];
}

/** Runs once. `signal` aborts the run (SIGINT); returns the exit code. */
export async function runOnce(
  workspace: string,
  f: RunFlags,
  signal: AbortSignal,
  registry: ChildRegistry,
  runId: string,
  reporter: Reporter = pickReporter(f.json, process.stdout),
  session?: Session,
): Promise<RunResult> {
  session ??= await openSession(workspace, f.sets);
  trace('session open (DAG, config, stat cache)');
  const selected = selectStages(session.graph, f.targets);
  for (const s of f.force === 'targets' ? [] : f.force) {
    if (!session.graph.stages.has(s)) throw new UsageError(`--force: unknown stage '${s}'; stages: ${session.graph.order.join(', ')}`);
  }
  const force = new Set(f.force === 'targets' ? (f.targets.length ? f.targets : selected) : f.force);
  let poolPromise: Promise<{ pool: GpuPool; from: string }> | undefined;
  const gpuPool = () =>
    (poolPromise ??= discoverGpus(f.gpus, session.configGpus, session.configName).then((s) => ({ pool: new GpuPool(s.devices), from: s.from })));
  const outcomes = await runGraph({
    workspace,
    graph: session.graph,
    selected,
    params: session.params,
    statCache: session.statCache,
    runCache: session.runCache,
    dirs: session.dirs,
    logDir: session.logDir,
    reporter,
    cpuOnly: f.cpuOnly,
    force,
    dryRun: f.dryRun,
    jobs: f.jobs ?? Math.max(1, cpus().length),
    gpuPool,
    registry,
    signal,
    runId,
  });
  trace('stages done');
  await session.statCache.save();
  trace('stat cache saved');
  // A stage the user named that was skipped (--cpu-only on a GPU stage) is a stage that could not run.
  const notRun = f.dryRun || !f.requireTargets ? [] : outcomes.filter((o) => o.status === 'skipped' && f.targets.includes(o.name) && !signal.aborted);
  const ok = outcomes.every((o) => o.status !== 'failed' && o.status !== 'blocked') && notRun.length === 0 && !signal.aborted;
  await reporter.finish(ok, outcomes, {
    ...(f.dryRun ? { dryRun: true } : {}),
    ...(notRun.length ? { notRun: notRun.map((o) => `requested stage '${o.name}' could not run: ${o.reason}`) } : {}),
  });
  return { code: signal.aborted ? 130 : ok ? 0 : 1, outcomes };
}

export async function runCommand(workspace: string, argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  const f = parseRunFlags(argv);
  const runId = randomBytes(8).toString('hex');
  const controller = new AbortController();
  const lock = new WorkspaceLock(`${workspace}/.pipeline/lock`);
  const registry = new ChildRegistry({ onStart: (pid) => lock.addChild(pid), onExit: (pid) => lock.removeChild(pid) });
  let interrupted = 0;
  const onSignal = () => {
    interrupted++;
    controller.abort();
    void registry.stopAll();
    if (interrupted > 1) {
      void lock.release().finally(() => process.exit(130));
    } else {
      process.stderr.write('\ninterrupted: stopping running stages (Ctrl-C again to quit at once)\n');
      // In-process stages cannot be cancelled; do not wait for them forever.
      setTimeout(() => void lock.release().finally(() => process.exit(130)), 10_000).unref();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (!f.dryRun) {
      await lock.acquire(`pipeline run ${argv.join(' ')}`.trim(), runId, {
        wait: f.wait,
        timeoutMs: f.waitTimeout,
        signal: controller.signal,
        onWait: (h, ms) =>
          process.stderr.write(`${ms ? `still waiting (${Math.round(ms / 1000)}s)` : 'waiting'} for the workspace lock held by ${describeHolder(h)}\n`),
      });
    }
    const res = await runOnce(workspace, f, controller.signal, registry, runId);
    return res.code;
  } finally {
    await registry.stopAll();
    await lock.release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
