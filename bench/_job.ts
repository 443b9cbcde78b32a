// One cold run of the extract stage, in a fresh process, for the wall-clock bench (bench/extractWall.ts):
//   node bin/pipeline.js --exec bench/extract-job.ts DIR [--workers=auto|N] [--cache=DIR]
// The stage's run over DIR's files with an empty stage cache (no result store; --cache: that stage
// cache dir, kept, so a second run reads the store the first one wrote), as the engine
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
  const cache = args.find((a) => a.startsWith('--cache='))?.slice(8);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.txt')).sort();
  // One file at a time (the engine's stat cache hashes them before the stage runs): the bench must
  // not hold the corpus, or its peak RSS is the corpus's size, not the stage's.
  const deps: Array<{ path: string; hash: string }> = [];
  for (const n of names)
    deps.push({
      path: `${dir}/${n}`,
      hash: createHash('sha256')
        .update(await readFile(join(dir, n)))
        .digest('hex'),
    });
  // Run with --expose-gc (the memory bench does): the hashing's garbage is gone before the stage starts.
  (globalThis as { gc?: () => void }).gc?.();
  const ws = await mkdtemp(join(tmpdir(), 'pl-bench-extract-job-'));
  try {
    const config = { input_dir: dir, system_prompt: DEFAULT_SYSTEM_PROMPT, workers };
    const log: string[] = [];
    const { readdirSync, readFileSync: rf } = await import('node:fs');
    const seen = new Map<string, number>();
    const tick = () => { for (const t of readdirSync('/proc/self/task')) { try { const st = rf(`/proc/self/task/${t}/stat`, 'utf8'); const comm = rf(`/proc/self/task/${t}/comm`, 'utf8').trim(); const f = st.slice(st.lastIndexOf(')') + 2).split(' '); seen.set(`${t} ${comm}`, (Number(f[11]) + Number(f[12])) * 10); } catch {} } };
    const iv = setInterval(tick, 50);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await stage.run(benchStageCtx(ws, deps, config, log, cache && resolve(cache)));
    const wall = (performance.now() - t0) / 1000;
    tick(); clearInterval(iv);
    console.error([...seen].filter(([, v]) => v > 20).map(([k, v]) => `${k}: ${v} ms`).join('\n'));
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
        extracted: Number(/\((\d+) read/.exec(log.find((l) => l.includes(' samples; her ')) ?? '')?.[1] ?? NaN),
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
