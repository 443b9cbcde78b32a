// The no-op fast path of `pipeline run`, kept in a module of its own so that a run where nothing
// changed loads neither the DAG, nor the config parser, nor the scheduler (see noopSnapshot.ts).
import { existsSync } from 'node:fs';
import { cacheDirFor } from '../cacheDir.js';
import { argsKey, checkSnapshot } from '../noopSnapshot.js';
import { pickReporter } from '../reporters.js';
import { parseRunFlags, type RunFlags } from './runFlags.js';
import { trace } from '../trace.js';

/** What must be equal for a recorded snapshot to answer this run. */
export function snapshotKeyFor(workspace: string, f: RunFlags): string {
  return argsKey({
    targets: f.targets,
    cpuOnly: f.cpuOnly,
    sets: f.sets,
    gpus: f.gpus ?? null,
    cuda: process.env.CUDA_VISIBLE_DEVICES ?? null,
    cache: cacheDirFor(workspace),
    engine: process.env.PIPELINE_CLI_BUILD ?? null,
  });
}

/** The exit code when the snapshot shows nothing changed; undefined to take the full path. */
export async function tryNoop(workspace: string, argv: readonly string[]): Promise<number | undefined> {
  if (argv.includes('--help') || argv.includes('-h')) return undefined;
  let f: RunFlags;
  try {
    f = parseRunFlags(argv);
  } catch {
    return undefined; // the full path reports the usage error
  }
  if (f.dryRun || f.force === 'targets' || f.force.length > 0) return undefined;
  // A run in progress may be changing things right now: let the full path wait or report it.
  if (existsSync(`${workspace}/.pipeline/lock`)) return undefined;
  const outcomes = checkSnapshot(workspace, snapshotKeyFor(workspace, f));
  trace(outcomes ? 'no-op snapshot holds' : 'no-op snapshot does not hold: full run');
  if (!outcomes) return undefined;
  const reporter = pickReporter(f.json, process.stdout);
  reporter.begin(outcomes.map((o) => o.name));
  const full = outcomes.map((o) => ({ ...o, ms: 0 }));
  for (const o of full) reporter.end(o);
  await reporter.finish(true, full, { unchanged: true });
  return 0;
}
