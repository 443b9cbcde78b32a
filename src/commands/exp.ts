// `pipeline exp run|resume|show|apply|rm|gc`: experiments, each a set of overrides of the config
// run in its own workspace (src/exp/), on the user's run cache and GPU pool.
import { cpus } from 'node:os';
import { UsageError, type PipelineDef } from '../api.js';
import { intFlag, normalizeGpus, parseArgs } from '../argv.js';
import { loadDag } from '../dagLoader.js';
import { checkGpuFlag, discoverGpus, GpuPool } from '../gpuPool.js';
import { guardedRun } from './guardedRun.js';
import { openSession } from '../session.js';
import { applyExperiment } from '../exp/apply.js';
import { makeBoard, pickMode } from '../exp/live.js';
import { experimentSpecs } from '../exp/matrix.js';
import { experimentDir, ExperimentQueue, type QueueEntry } from '../exp/queue.js';
import { gcExperiments, removeExperiments } from '../exp/remove.js';
import { runExperiments } from '../exp/scheduler.js';
import { showExperiments, writeComparisonReport } from '../exp/show.js';

export const EXP_USAGE = `Usage: pipeline exp run [NAME…] [--set key=v1,v2,…]… [options]
       pipeline exp resume [options]
       pipeline exp show [--json]
       pipeline exp apply NAME
       pipeline exp rm NAME…
       pipeline exp gc

An experiment is a set of overrides of pipeline.yaml, run in its own workspace under
.pipeline/exp/runs/<name>/ (its own state, outs and logs; the run cache is shared, so a
configuration that already ran is restored, not rerun).

run      runs experiments: the product of every --set list (--set train.lora_rank=8,16
         --set train.learning_rate=1e-4,2e-4 is four), the named ones of experiments: in
         pipeline.yaml (all of them when nothing is given), or both; plus whatever the queue
         (.pipeline/exp/queue.json) still holds. GPU stages of different experiments run at once
         on disjoint devices of the pool. Ctrl-C stops them and keeps the queue.
resume   runs what the queue still holds (queued or interrupted); trainings resume from their checkpoints.
show     the experiments: the params they change, status, metrics, duration (best first).
apply    writes an experiment's overrides into pipeline.yaml (comments and layout kept); then
         \`pipeline run\` restores its outputs instead of recomputing them.
rm       forgets experiments and deletes their workspaces.
gc       deletes experiment workspaces the queue no longer names, and the checkpoints of finished ones.

Options of run / resume:
  --set key=v1,v2     values of one key, separated by commas outside brackets and quotes (repeatable)
  --gpus 0,1          the GPU pool (default: gpus: in pipeline.yaml, CUDA_VISIBLE_DEVICES, nvidia-smi -L)
  --jobs N            CPU stages at once per experiment (default: number of CPUs)
  --fail-fast         stop every experiment when one fails
  --json              one JSON event per line, each with "experiment"; the last line is the summary
  --wait              wait for another run's workspace lock instead of stopping
`;

/** apply, rm and gc: under the workspace lock, never waiting for it. */
function locked<T>(workspace: string, holder: string, fn: () => Promise<T>): Promise<T> {
  return guardedRun(workspace, { holder, wait: false, onInterrupt: 'interrupted' }, fn);
}

/** What `exp run` runs: the given experiments, and every one the queue still holds. */
function toRun(queue: ExperimentQueue, given: readonly QueueEntry[]): QueueEntry[] {
  const pending = queue.entries.filter((e) => e.status === 'queued' || e.status === 'interrupted');
  return [...new Set([...given, ...pending])];
}

async function runSub(workspace: string, def: PipelineDef, argv: readonly string[], resume: boolean): Promise<number> {
  const cmd = resume ? 'exp resume' : 'exp run';
  const { positionals, flags } = parseArgs(argv, { set: 'list', gpus: 'string', jobs: 'string', 'fail-fast': 'bool', json: 'bool', wait: 'bool' }, cmd);
  const sets = (flags.set as string[] | undefined) ?? [];
  if (resume && (positionals.length > 0 || sets.length > 0)) throw new UsageError('exp resume takes no experiments: it runs what the queue holds');
  const gpus = typeof flags.gpus === 'string' ? checkGpuFlag(normalizeGpus(flags.gpus)) : undefined;
  const jobs = intFlag(flags.jobs, 'jobs') ?? Math.max(1, cpus().length);
  const json = flags.json === true;
  const user = await openSession(workspace, [], def);
  const guard = {
    holder: `pipeline ${cmd} ${argv.join(' ')}`.trim(),
    wait: flags.wait === true,
    onInterrupt: 'interrupted: stopping every experiment (the queue is kept; `pipeline exp resume` continues)',
  };
  return guardedRun(workspace, guard, async ({ signal, registry, runId }) => {
    const queue = new ExperimentQueue(workspace).load();
    const pendingBefore = queue.entries.some((e) => e.status === 'queued' || e.status === 'interrupted');
    const nothingGiven = positionals.length === 0 && sets.length === 0;
    const specs = resume || (nothingGiven && pendingBefore) ? [] : experimentSpecs(user.experiments, positionals, sets);
    if (!resume && nothingGiven && !pendingBefore && specs.length === 0) {
      throw new UsageError('exp run: nothing to run: give --set key=v1,v2 (a matrix) or name experiments of experiments: in pipeline.yaml');
    }
    const given = specs.map((s) => queue.upsert(s.name, s.sets));
    const entries = toRun(queue, given);
    if (entries.length === 0) {
      process.stdout.write(json ? `${JSON.stringify({ event: 'summary', ok: true, experiments: [] })}\n` : 'exp: the queue is empty; nothing to run\n');
      return 0;
    }
    for (const e of entries) if (e.status !== 'interrupted') e.status = 'queued';
    await queue.save();
    let poolPromise: Promise<{ pool: GpuPool; from: string }> | undefined;
    const gpuPool = () => (poolPromise ??= discoverGpus(gpus, user.configGpus, user.configName).then((s) => ({ pool: new GpuPool(s.devices), from: s.from })));
    const board = makeBoard(
      pickMode(json, process.stdout),
      process.stdout,
      entries.map((e) => e.name),
    );
    try {
      await runExperiments({
        workspace,
        def,
        user,
        queue,
        entries,
        gpuPool,
        jobs,
        failFast: flags['fail-fast'] === true,
        registry,
        signal,
        runId,
        board,
      });
    } finally {
      board.close();
    }
    const ok = entries.every((e) => e.status === 'done');
    const report = signal.aborted
      ? undefined
      : await writeComparisonReport(workspace, def, user, queue).catch((err: Error) => {
          process.stderr.write(`pipeline: warning: the comparison report could not be written: ${err.message}\n`);
          return undefined;
        });
    const summary = entries.map((e) => ({
      name: e.name,
      status: e.status,
      ms: e.ms,
      ...(e.status === 'failed' ? { failed_stage: e.failed_stage, error: e.error, log: e.log } : {}),
    }));
    if (json) process.stdout.write(`${JSON.stringify({ event: 'summary', ok, experiments: summary, ...(report ? { report } : {}) })}\n`);
    else {
      const counts = new Map<string, number>();
      for (const e of entries) counts.set(e.status, (counts.get(e.status) ?? 0) + 1);
      process.stdout.write(`${ok ? 'ok' : 'FAILED'}: ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}${report ? `; report: ${report}` : ''}\n`);
      for (const e of entries.filter((x) => x.status === 'failed'))
        process.stdout.write(`  ${e.name}: ${e.failed_stage ?? ''} ${e.error ?? ''}${e.log ? ` (log: ${e.log})` : ''}\n`);
    }
    return signal.aborted ? 130 : ok ? 0 : 1;
  });
}

export async function expCommand(workspace: string, argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(EXP_USAGE);
    return sub ? 0 : 2;
  }
  const known = ['run', 'resume', 'show', 'apply', 'rm', 'gc'];
  if (!known.includes(sub)) throw new UsageError(`exp: unknown subcommand '${sub}' (${known.join(', ')})`);
  const def = await loadDag(workspace);
  if (sub === 'run' || sub === 'resume') return runSub(workspace, def, rest, sub === 'resume');
  if (sub === 'show') {
    const { flags } = parseArgs(rest, { json: 'bool' }, 'exp show');
    return showExperiments(workspace, def, flags.json === true, process.stdout);
  }
  if (sub === 'apply') {
    const { positionals } = parseArgs(rest, {}, 'exp apply');
    if (positionals.length !== 1) throw new UsageError('exp apply takes one experiment name');
    return locked(workspace, `pipeline exp apply ${positionals[0]}`, () => applyExperiment(workspace, def, positionals[0]!, process.stdout));
  }
  if (sub === 'rm') {
    const { positionals } = parseArgs(rest, {}, 'exp rm');
    if (positionals.length === 0) throw new UsageError('exp rm needs the names of the experiments to remove');
    for (const n of positionals) experimentDir(workspace, n);
    return locked(workspace, `pipeline exp rm ${positionals.join(' ')}`, () => removeExperiments(workspace, positionals, process.stdout));
  }
  parseArgs(rest, {}, 'exp gc');
  return locked(workspace, 'pipeline exp gc', () => gcExperiments(workspace, process.stdout));
}
