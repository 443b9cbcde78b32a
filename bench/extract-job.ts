// One cold run of the extract stage, in a fresh process, for the wall-clock bench (bench/extractWall.ts):
//   node bin/pipeline.js --exec bench/extract-job.ts DIR [--workers=auto|N]
// The stage's run over DIR's files with an empty stage cache (no result store), as the engine
// calls it after hashing the deps (hashed here first, not timed): files read → dataset and report
// written. Prints one JSON line: wall and CPU seconds of the run, this process's peak RSS, the
// sha256 of the dataset and report written, the stage's timing line.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_SYSTEM_PROMPT } from '../stages/extract/config.js';
import { stage } from '../stages/extract/stage.js';
import { BenchError, runBenchMain } from './lib/benchError.js';
import { benchStageCtx } from './lib/stageCtx.js';

async function main(args: string[]): Promise<void> {
  const dir = args[0] && resolve(args[0]);
  if (!dir) throw new BenchError('usage: --exec bench/extract-job.ts DIR [--workers=auto|N]', 2);
  const w = args.find((a) => a.startsWith('--workers='))?.slice(10) ?? 'auto';
  const workers = w === 'auto' ? w : Number(w);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.txt'));
  const deps = await Promise.all(
    names.map(async (n) => ({
      path: `${dir}/${n}`,
      hash: createHash('sha256')
        .update(await readFile(join(dir, n)))
        .digest('hex'),
    })),
  );
  const ws = await mkdtemp(join(tmpdir(), 'pl-bench-extract-job-'));
  try {
    const config = { input_dir: dir, system_prompt: DEFAULT_SYSTEM_PROMPT, workers };
    const log: string[] = [];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await stage.run(benchStageCtx(ws, deps, config, log));
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const sha = async (rel: string) =>
      createHash('sha256')
        .update(await readFile(join(ws, 'staging', rel)))
        .digest('hex');
    console.log(
      JSON.stringify({
        files: names.length,
        wall_s: wall,
        cpu_s: (c.user + c.system) / 1e6,
        rss_mb: process.resourceUsage().maxRSS / 1024,
        dataset_sha256: await sha('data/eyjafjalla_tongren_sft.json'),
        report_sha256: await sha('artifacts/reports/extraction.json'),
        timing: log.find((l) => l.includes('extract: timing'))?.replace(/^extract: timing /, ''),
      }),
    );
  } finally {
    await rm(ws, { recursive: true, force: true });
  }
}

await runBenchMain(() => main(process.argv.slice(2)));
