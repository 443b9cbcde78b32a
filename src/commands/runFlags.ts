// The flags of `pipeline run`, shared by the full path and the no-op fast path.
import { intFlag, normalizeGpus, parseArgs } from '../argv.js';

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
}

export function parseRunFlags(argv: readonly string[]): RunFlags {
  const forceList: string[] = [];
  let forceBare = false;
  const rest: string[] = [];
  for (const a of argv) {
    if (a === '--force') forceBare = true;
    else if (a.startsWith('--force=')) forceList.push(...a.slice(8).split(',').map((s) => s.trim()).filter(Boolean));
    else rest.push(a);
  }
  const { positionals, flags } = parseArgs(rest, { 'cpu-only': 'bool', 'dry-run': 'bool', jobs: 'string', gpus: 'string', set: 'list', json: 'bool', wait: 'bool', 'max-cases': 'string' }, 'run');
  const sets = (flags.set as string[] | undefined) ?? [];
  const maxCases = intFlag(flags['max-cases'], 'max-cases');
  if (maxCases !== undefined) sets.push(`regress.max_cases=${maxCases}`);
  return {
    targets: positionals,
    cpuOnly: flags['cpu-only'] === true,
    force: forceBare ? 'targets' : forceList,
    dryRun: flags['dry-run'] === true,
    jobs: intFlag(flags.jobs, 'jobs'),
    gpus: typeof flags.gpus === 'string' ? normalizeGpus(flags.gpus) : undefined,
    sets,
    json: flags.json === true,
    wait: flags.wait === true,
  };
}

