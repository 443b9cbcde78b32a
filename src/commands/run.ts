// `pipeline run [targets…]`: bring the targets (and whatever upstream is stale) up to date.
import { UsageError } from '../api.js';
import { parseRunFlags, RUN_USAGE, type RunFlags } from './runFlags.js';
import type { StageOutcome } from '../events.js';
import { discoverGpus, GpuPool } from '../gpuPool.js';
import { selectStages } from '../graph.js';
import { guardedRun } from './guardedRun.js';
import type { ChildRegistry } from '../processTree.js';
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
  const res = await guardedRun(
    workspace,
    {
      holder: `pipeline run ${argv.join(' ')}`.trim(),
      wait: f.wait,
      waitTimeoutMs: f.waitTimeout,
      noLock: f.dryRun,
      onInterrupt: 'interrupted: stopping running stages (Ctrl-C again to quit at once)',
    },
    (g) => runOnce(workspace, f, g.signal, g.registry, g.runId),
  );
  return res.code;
}
