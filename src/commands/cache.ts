// `pipeline cache gc [--max-size SIZE]` and `pipeline cache dir`.
import { UsageError } from '../api.js';
import { parseArgs, parseSize } from '../argv.js';
import { RunCache } from '../runCache.js';
import { cacheDirFor } from '../session.js';
import { ExperimentQueue } from '../exp/queue.js';

export const CACHE_USAGE = `Usage: pipeline cache gc [--max-size SIZE]
       pipeline cache dir

gc removes objects no run record references, then the least recently used run records (and
their objects) until the store is at most SIZE (e.g. 500M, 20G); runs of the experiments in the
queue (\`pipeline exp show\`) are kept. dir prints the cache directory
(PIPELINE_CACHE_DIR, default ./cache).
`;

function human(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

export async function cacheCommand(workspace: string, argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(CACHE_USAGE);
    return sub ? 0 : 2;
  }
  const dir = cacheDirFor(workspace);
  if (sub === 'dir') {
    process.stdout.write(`${dir}\n`);
    return 0;
  }
  if (sub !== 'gc') throw new UsageError(`cache: unknown subcommand '${sub}' (gc, dir)`);
  const { flags } = parseArgs(rest, { 'max-size': 'string' }, 'cache gc');
  const max = typeof flags['max-size'] === 'string' ? parseSize(flags['max-size']) : Number.POSITIVE_INFINITY;
  // A run an experiment of the queue recorded stays: its adapter is what `exp apply` restores.
  const kept = new Set<string>();
  try {
    for (const e of new ExperimentQueue(workspace).load().entries) for (const s of e.stages) if (s.key) kept.add(`${s.name}\0${s.key.slice(0, 12)}`);
  } catch (err) {
    throw new UsageError(`cache gc: cannot tell which runs experiments use: ${(err as Error).message}`);
  }
  const r = await new RunCache(dir).gc(max, (rec) => kept.has(`${rec.stage}\0${rec.key.slice(0, 12)}`));
  process.stdout.write(`cache ${dir}: ${human(r.before)} → ${human(r.after)} (removed ${r.removedRuns} run record(s), ${r.removedObjects} object(s))\n`);
  return 0;
}
