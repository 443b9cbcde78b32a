// What the user waits for: the extract stage's whole job (files read → dataset and report written),
// wall clock, cold (a fresh process, no result store), against the old script's whole job in
// Python (bench/extract_old.py --job: read, extract, dedup, write) on the same generated files.
//   node bin/pipeline.js --exec bench/extract-main.ts --wall [--files=2000] [--reps=5] [--pieces=1,40]
// Each rep runs, one after the other: the stage with its worker pool (extract.workers: auto), the
// stage on the main thread alone (workers: 1), and Python; the figures are medians over the reps.
// Both wall times are measured inside the process (the job itself, from the start of the stage's
// run / of Python's main: no interpreter start-up); the whole process's wall time is shown beside
// them. The dataset and report of both runs of the stage must be byte-identical.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { makeCorpus } from './extractCorpus.js';
import { BenchError } from './lib/benchError.js';
import { median } from './lib/stats.js';

const root = process.env.PIPELINE_PACKAGE_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '..');

interface JobFigures {
  wall_s: number;
  cpu_s: number;
  rss_mb: number;
  /** Spawn to exit. */
  process_s: number;
  dataset_sha256?: string;
  report_sha256?: string;
  timing?: string;
  samples?: number;
}

function runJob(cmd: string, args: string[]): JobFigures {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, CI: 'true' } });
  const process_s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new BenchError(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout).slice(0, 600)}`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  return { ...(JSON.parse(last) as Omit<JobFigures, 'process_s'>), process_s };
}

const ours = (dir: string, workers: string) =>
  runJob(process.execPath, [join(root, 'bin', 'pipeline.js'), '--exec', 'bench/extract-job.ts', dir, `--workers=${workers}`]);
const python = (dir: string, out: string) => runJob('python3', [join(root, 'bench', 'extract_old.py'), dir, '--job', out]);

interface SizeResult {
  pieces: number;
  files: number;
  mb: number;
  pool: JobFigures[];
  single: JobFigures[];
  py: JobFigures[];
}

const med = (xs: JobFigures[], k: 'wall_s' | 'cpu_s' | 'rss_mb' | 'process_s') => median(xs.map((x) => x[k]));

async function oneSize(files: number, pieces: number, reps: number): Promise<SizeResult> {
  const scratch = await mkdtemp(join(tmpdir(), 'pl-bench-extract-wall-'));
  try {
    const dir = join(scratch, 'corpus');
    const names = await makeCorpus(dir, files, pieces);
    let bytes = 0;
    for (const n of names) bytes += (await stat(join(dir, n))).size;
    const out = join(scratch, 'python-out.json');
    // Warm-up (not counted): builds the bench's bundle and the worker script, fills the page cache.
    ours(dir, 'auto');
    python(dir, out);
    const res: SizeResult = { pieces, files, mb: bytes / 1e6, pool: [], single: [], py: [] };
    for (let r = 0; r < reps; r++) {
      res.pool.push(ours(dir, 'auto'));
      res.single.push(ours(dir, '1'));
      res.py.push(python(dir, out));
      const a = res.pool.at(-1)!;
      const b = res.single.at(-1)!;
      if (a.dataset_sha256 !== b.dataset_sha256 || a.report_sha256 !== b.report_sha256)
        throw new BenchError(`the stage's outputs differ between the worker pool and the main thread (${files} files of ${pieces} pieces)`);
    }
    return res;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function wallBench(args: string[]): Promise<void> {
  const files = Number(args.find((a) => a.startsWith('--files='))?.slice(8) ?? 2000);
  const reps = Number(args.find((a) => a.startsWith('--reps='))?.slice(7) ?? 5);
  const sizes = (args.find((a) => a.startsWith('--pieces='))?.slice(9) ?? '1,40').split(',').map(Number);
  const load0 = loadavg();
  const results: SizeResult[] = [];
  for (const pieces of sizes) {
    const s = await oneSize(files, pieces, reps);
    results.push(s);
    const mbps = (f: JobFigures[]) => (s.mb / med(f, 'wall_s')).toFixed(1);
    const kb = ((s.mb * 1000) / s.files).toFixed(0);
    console.log(`extract (wall, cold, ${s.files} files of ~${kb} KB, ${s.mb.toFixed(1)} MB, median of ${reps}):`);
    for (const [what, f] of [
      ['stage, worker pool', s.pool],
      ['stage, main thread', s.single],
      ['old script (Python)', s.py],
    ] as const)
      console.log(
        `  ${what.padEnd(20)} ${med(f, 'wall_s').toFixed(3)} s (${mbps(f)} MB/s; process ${med(f, 'process_s').toFixed(3)} s, CPU ${med(f, 'cpu_s').toFixed(2)} s, peak RSS ${med(f, 'rss_mb').toFixed(0)} MB)`,
      );
    console.log(
      `  ratio to Python (wall): pool ${(med(s.py, 'wall_s') / med(s.pool, 'wall_s')).toFixed(2)}x, main thread ${(med(s.py, 'wall_s') / med(s.single, 'wall_s')).toFixed(2)}x` +
        `; whole processes: pool ${(med(s.py, 'process_s') / med(s.pool, 'process_s')).toFixed(2)}x`,
    );
    console.log(`  stage timing (pool, last rep): ${s.pool.at(-1)!.timing ?? '?'}`);
  }
  const load1 = loadavg();
  const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`extract (wall): load average ${fmt(load0)} before, ${fmt(load1)} after, ${availableParallelism()} cores`);
  console.log(
    JSON.stringify({
      bench: 'extract-wall',
      reps,
      cores: availableParallelism(),
      loadavg: { before: load0, after: load1 },
      sizes: results.map((s) => ({
        files: s.files,
        pieces: s.pieces,
        mb: s.mb,
        medianWallS: { pool: med(s.pool, 'wall_s'), mainThread: med(s.single, 'wall_s'), python: med(s.py, 'wall_s') },
        medianProcessS: { pool: med(s.pool, 'process_s'), mainThread: med(s.single, 'process_s'), python: med(s.py, 'process_s') },
        medianRssMb: { pool: med(s.pool, 'rss_mb'), mainThread: med(s.single, 'rss_mb'), python: med(s.py, 'rss_mb') },
        ratioWall: { pool: med(s.py, 'wall_s') / med(s.pool, 'wall_s'), mainThread: med(s.py, 'wall_s') / med(s.single, 'wall_s') },
      })),
    }),
  );
}
