// Peak memory of the extract stage against the corpus's size: one run of the stage in a fresh
// process (bench/extract-job.ts, which hashes the files first, as the engine does, then collects
// that garbage: node --expose-gc) under GNU time (`/usr/bin/time -v`: the maximum resident set
// size), cold (no result store) and then again with the store the cold run wrote (every file from
// it), on the main thread (extract.workers: 1) and with the worker pool (auto), for generated
// corpora of several sizes.
//   node bin/pipeline.js --exec bench/extract-main.ts --memory [--sizes=2000x1,8000x1,16000x1,500x40,2000x40] [--workers=1,auto]
// A size is FILESxPIECES (a piece is ~2 KB: x1 ≈ 2 KB files, x40 ≈ 75 KB). The target: the peak at
// 8,000 or 16,000 small files within ~30 MB of the peak at 2,000. Corpora live under os.tmpdir() and
// are removed afterwards.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { makeCorpus } from './extractCorpus.js';
import { BenchError } from './lib/benchError.js';

const root = process.env.PIPELINE_PACKAGE_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '..');
const GNU_TIME = '/usr/bin/time';

interface Run {
  rssMb: number;
  wallS: number;
  extracted: number;
  dataset: string;
  report: string;
}

/** One run of the stage over `dir` in a fresh process; its peak RSS as GNU time reports it. */
function job(dir: string, workers: string, cache: string): Run {
  const args = [
    '-v',
    process.execPath,
    '--expose-gc',
    join(root, 'bin', 'pipeline.js'),
    '--exec',
    'bench/extract-job.ts',
    dir,
    `--workers=${workers}`,
    `--cache=${cache}`,
  ];
  const r = spawnSync(GNU_TIME, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, CI: 'true' } });
  if (r.status !== 0) throw new BenchError(`extract-job ${dir} --workers=${workers} failed (${r.status}): ${(r.stderr || r.stdout).slice(-800)}`);
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
  if (kb === undefined) throw new BenchError(`no "Maximum resident set size" in GNU time's output: ${r.stderr.slice(-400)}`);
  const line = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { wall_s: number; extracted: number; dataset_sha256: string; report_sha256: string };
  return { rssMb: Number(kb) / 1024, wallS: line.wall_s, extracted: line.extracted, dataset: line.dataset_sha256, report: line.report_sha256 };
}

export async function memoryBench(args: string[]): Promise<void> {
  if (!existsSync(GNU_TIME)) throw new BenchError(`${GNU_TIME} (GNU time) is needed for the memory bench`);
  const sizes = (args.find((a) => a.startsWith('--sizes='))?.slice(8) ?? '2000x1,8000x1,16000x1,500x40,2000x40').split(',').map((s) => {
    const [files, pieces] = s.split('x').map(Number);
    if (!files || !pieces) throw new BenchError(`--sizes: ${s} is not FILESxPIECES`, 2);
    return { files, pieces };
  });
  const workers = (args.find((a) => a.startsWith('--workers='))?.slice(10) ?? '1,auto').split(',');
  const load0 = loadavg();
  const rows: Array<{ files: number; pieces: number; mb: number; workers: string; cold: Run; warm: Run }> = [];
  for (const { files, pieces } of sizes) {
    const scratch = await mkdtemp(join(tmpdir(), 'pl-bench-extract-mem-'));
    try {
      const dir = join(scratch, 'corpus');
      const names = await makeCorpus(dir, files, pieces);
      let bytes = 0;
      for (const n of names) bytes += (await stat(join(dir, n))).size;
      // Warm-up (not counted), once: builds the bench's bundle and the worker script (the files just
      // written are in the page cache).
      if (!rows.length) job(dir, workers[0]!, join(scratch, 'warmup-cache'));
      for (const w of workers) {
        const cache = join(scratch, `cache-${w}`);
        const cold = job(dir, w, cache);
        const warm = job(dir, w, cache);
        if (warm.extracted !== 0) throw new BenchError(`the run with the store extracted ${warm.extracted} files (expected none)`);
        if (cold.dataset !== warm.dataset || cold.report !== warm.report)
          throw new BenchError(`outputs differ between the cold run and the one from the store`);
        if (rows.some((r) => r.files === files && r.pieces === pieces && r.cold.dataset !== cold.dataset))
          throw new BenchError(`outputs differ between workers settings (${files}x${pieces})`);
        rows.push({ files, pieces, mb: bytes / 1e6, workers: w, cold, warm });
        console.log(
          `extract (memory): ${String(files).padStart(6)} files x ~${((bytes / files / 1000) | 0).toString().padStart(3)} KB (${(bytes / 1e6).toFixed(1).padStart(6)} MB), ` +
            `workers ${w.padEnd(4)}: peak RSS cold ${cold.rssMb.toFixed(0).padStart(4)} MB (${cold.wallS.toFixed(1)} s), ` +
            `from the store ${warm.rssMb.toFixed(0).padStart(4)} MB (${warm.wallS.toFixed(1)} s)`,
        );
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  const load1 = loadavg();
  console.log(`extract (memory): load average ${load0.map((x) => x.toFixed(2)).join(' ')} before, ${load1.map((x) => x.toFixed(2)).join(' ')} after`);
  console.log(
    JSON.stringify({
      bench: 'extract-memory',
      loadavg: { before: load0, after: load1 },
      runs: rows.map((r) => ({ files: r.files, pieces: r.pieces, mb: r.mb, workers: r.workers, coldRssMb: r.cold.rssMb, warmRssMb: r.warm.rssMb })),
    }),
  );
}
