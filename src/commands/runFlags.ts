// The flags of `pipeline run`, shared by the full path and the no-op fast path.
import { intFlag, normalizeGpus, parseArgs } from '../argv.js';
import { checkGpuFlag } from '../gpuPool.js';
import { parseDuration } from '../lock.js';

export const RUN_USAGE = `Usage: pipeline run [targets…] [options]

Brings the targets (default: every stage) up to date, running only stale stages: each is fresh
(nothing to do), restored from the run cache, or run.

Options:
  --cpu-only          run every non-GPU stage; report GPU stages as skipped
  --force [=a,b]      run even if fresh: bare --force forces the targets (all stages when no
                      targets are given); --force=a,b forces the named stages
  --dry-run           say what would run, do nothing
  --jobs N            stages run concurrently at most (default: number of CPUs)
  --gpus 0,1          the GPU pool (default: gpus: in pipeline.yaml, CUDA_VISIBLE_DEVICES, nvidia-smi -L)
  --set key=value     override a value of pipeline.yaml for this run (repeatable)
  --max-cases N       regress: ask only the first N cases (same as --set regress.max_cases=N)
  --json              one JSON event per line on stdout; the last line is the summary
  --wait              if another run holds the workspace lock, wait for it instead of stopping
                      (says every 30 s whom it waits for)
  --wait-timeout T    with --wait (implied): give up after T (90, 90s, 5m, 2h); default: no limit
`;

export interface RunFlags {
  targets: string[];
  cpuOnly: boolean;
  force: string[] | 'targets';
  dryRun: boolean;
  jobs?: number;
  gpus?: string[];
  sets: string[];
  json: boolean;
  wait: boolean;
  /** ms; undefined: wait without limit. */
  waitTimeout?: number;
  /** A named target that is skipped (a GPU stage under --cpu-only) fails the run (exit 1); `run` sets it, watch does not. */
  requireTargets?: boolean;
}

export function parseRunFlags(argv: readonly string[]): RunFlags {
  const { positionals, flags } = parseArgs(
    argv,
    {
      'cpu-only': 'bool',
      force: 'optional',
      'dry-run': 'bool',
      jobs: 'string',
      gpus: 'string',
      set: 'list',
      json: 'bool',
      wait: 'bool',
      'wait-timeout': 'string',
      'max-cases': 'string',
    },
    'run',
  );
  const force = flags.force;
  const sets = (flags.set as string[] | undefined) ?? [];
  // Domain sugar: the regress stage's smoke test of the first N cases.
  const maxCases = intFlag(flags['max-cases'], 'max-cases');
  if (maxCases !== undefined) sets.push(`regress.max_cases=${maxCases}`);
  return {
    targets: positionals,
    cpuOnly: flags['cpu-only'] === true,
    // A bare --force anywhere forces the targets; otherwise every --force=a,b adds names.
    force:
      force === true
        ? 'targets'
        : ((force as string[] | undefined) ?? []).flatMap((v) =>
            v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          ),
    dryRun: flags['dry-run'] === true,
    jobs: intFlag(flags.jobs, 'jobs'),
    gpus: typeof flags.gpus === 'string' ? checkGpuFlag(normalizeGpus(flags.gpus)) : undefined,
    sets,
    json: flags.json === true,
    wait: flags.wait === true || typeof flags['wait-timeout'] === 'string',
    waitTimeout: typeof flags['wait-timeout'] === 'string' ? parseDuration(flags['wait-timeout']) : undefined,
    requireTargets: true,
  };
}
