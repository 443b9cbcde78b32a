// Bench of the extract stage: throughput against the old algorithm on the same generated corpus,
// then the time to re-extract after adding one file to a 500-file corpus (the real workload is
// 37–500 files), through the real CLI (one-shot `pipeline run extract`) and under `pipeline watch`:
// the stage's own work (its timing line: store load, extraction, store save, outputs) against the
// 100 ms floor, in wall and CPU time (CPU is what a loaded machine does not inflate).
//   node bin/pipeline.js --exec bench/extract-main.ts [--files=500] [--reps=5]
//     [--throughput-only | --cli | --watch | --in-process | --wall] [--python] [--pieces=1] [--dedup]
// --memory: the stage's peak RSS (GNU time) cold and from the store, main thread and pool, against the
// corpus's size (bench/extractMemory.ts; --sizes=FILESxPIECES,… --workers=1,auto).
// --wall: the stage's whole job, wall clock, cold, in fresh processes, with and without its worker
// pool, against the old script's whole job in Python (bench/extractWall.ts; --pieces=1,40 by default).
// --python: the old algorithm also in Python (bench/extract_old.py, the old script's language) on the same
// files, one Python rep after each pair of TS reps.
// --pieces=K: each file is K bundled pieces (~2 KB each) instead of one, for files the size of real
// fan-fiction (tens to hundreds of KB) rather than many small ones (throughput only).
// --dedup: every side also deduplicates samples across files, inside the timed loop (the stage
// does, corpus.ts; so did the old script, a sha256 of each sample's JSON): the whole job's cost.
// Generated corpora live under os.tmpdir() and are removed afterwards.
import { existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { configSchema, fileOptions } from '../stages/extract/config.js';
import { extractFile } from '../stages/extract/extractFile.js';
import { stage } from '../stages/extract/stage.js';
import { oldDedup, oldExtract } from './oldExtract.js';
import { makeCorpus } from './extractCorpus.js';
import { benchStageCtx } from './lib/stageCtx.js';
import { wallBench } from './extractWall.js';
import { memoryBench } from './extractMemory.js';

const root = process.env.PIPELINE_PACKAGE_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '..');

const stageLog: string[] = [];

/** A temp workspace using this repo's DAG and pipeline.yaml, with an N-file corpus. */
async function cliWorkspace(files: number): Promise<string> {
  const ws = await mkdtemp(join(tmpdir(), 'pl-bench-extract-cli-'));
  await writeFile(join(ws, 'pipeline.ts'), `export { default } from ${JSON.stringify(join(root, 'pipeline.ts'))};\n`);
  await copyFile(join(root, 'pipeline.yaml'), join(ws, 'pipeline.yaml'));
  await makeCorpus(join(ws, 'Eyjafjalla_data', 'tongren'), files);
  return ws;
}

const newPiece = (tag: string) => `博士问：“新的第${tag}篇怎么样？”\n艾雅法拉说：“新的第${tag}篇也写得很好哦，前辈。”\n`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

interface IncrementalFigures {
  /** The stage's `ms` in the summary: staleness check, run, outs stored, run recorded. */
  stageMs: number[];
  /** The stage's own work, from its timing line in artifacts/logs/extract.log: wall and CPU. */
  ownMs: number[];
  ownCpuMs: number[];
  /** Whole command (one-shot CLI only). */
  commandMs: number[];
}

const ownMsOf = async (ws: string) => {
  const line =
    (await readFile(join(ws, 'artifacts', 'logs', 'extract.log'), 'utf8'))
      .split('\n')
      .filter((l) => l.includes('extract: timing'))
      .at(-1) ?? '';
  const m = /timing (\d+) ms wall, (\d+) ms CPU/.exec(line);
  return { ms: Number(m?.[1] ?? NaN), cpu: Number(m?.[2] ?? NaN), line: line.replace(/^.*extract: timing /, '') };
};

/**
 * Adding one file to an N-file corpus, through the real CLI (`pipeline run extract --json`) in a
 * temp workspace that uses this repo's DAG: the wall time of the command, the stage's `ms` from
 * the summary, and the stage's own timing line from artifacts/logs/extract.log.
 */
async function cliIncremental(files: number, reps: number): Promise<IncrementalFigures> {
  const ws = await cliWorkspace(files);
  const fig: IncrementalFigures = { stageMs: [], ownMs: [], ownCpuMs: [], commandMs: [] };
  try {
    const bin = join(root, 'bin', 'pipeline.js');
    // CPU time of the command (user+system, via /usr/bin/time when present): the machine may be loaded.
    const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
    const run = () => {
      const t0 = performance.now();
      const argv = [bin, 'run', 'extract', '--json'];
      const r = timeBin
        ? spawnSync(timeBin, ['-f', 'TIME %U %S %M', process.execPath, ...argv], {
            cwd: ws,
            encoding: 'utf8',
            env: { ...process.env, CI: 'true' },
            maxBuffer: 1 << 26,
          })
        : spawnSync(process.execPath, argv, { cwd: ws, encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 1 << 26 });
      const wall = performance.now() - t0;
      if (r.status !== 0) throw new Error(`pipeline run extract failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { stages: Array<{ status: string; ms: number }> };
      const m = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
      const cpu = m ? `CPU ${(Number(m[1]) + Number(m[2])).toFixed(2)} s, peak RSS ${(Number(m[3]) / 1024).toFixed(0)} MB` : 'CPU n/a';
      return { wall, stage: summary.stages[0]!, cpu };
    };
    const cold = run();
    const noop = run();
    console.log(
      `extract (CLI, ${files} files): cold ${(cold.wall / 1000).toFixed(2)} s (stage ${cold.stage.ms} ms; ${cold.cpu}); no-op ${(noop.wall / 1000).toFixed(3)} s (${noop.stage.status}; ${noop.cpu})`,
    );
    for (let r = 0; r < reps; r++) {
      await writeFile(join(ws, 'Eyjafjalla_data', 'tongren', `zz_new_${r}.txt`), newPiece(String(r)));
      const add = run();
      if (add.stage.status !== 'ran') throw new Error(`extract did not run after adding a file: ${add.stage.status}`);
      const own = await ownMsOf(ws);
      fig.stageMs.push(add.stage.ms);
      fig.ownMs.push(own.ms);
      fig.ownCpuMs.push(own.cpu);
      fig.commandMs.push(Math.round(add.wall));
      console.log(`extract (CLI): add one file: command ${(add.wall / 1000).toFixed(3)} s (${add.cpu}), stage ${add.stage.ms} ms; stage's own: ${own.line}`);
    }
  } finally {
    await rm(ws, { recursive: true, force: true });
  }
  return fig;
}

/**
 * Adding one file to an N-file corpus under `pipeline watch extract --json` (the process stays up,
 * so no start-up, DAG load or cold code): the extract stage's `ms` from each build event.
 */
async function watchIncremental(files: number, reps: number): Promise<IncrementalFigures> {
  const ws = await cliWorkspace(files);
  const fig: IncrementalFigures = { stageMs: [], ownMs: [], ownCpuMs: [], commandMs: [] };
  const child = spawn(process.execPath, [join(root, 'bin', 'pipeline.js'), 'watch', 'extract', '--json'], {
    cwd: ws,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const builds: Array<{ changed: Array<{ path: string }>; stages: Array<{ name: string; status: string; ms: number }> }> = [];
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const e = JSON.parse(line) as { event?: string };
        if (e.event === 'build') builds.push(e as (typeof builds)[number]);
      } catch {
        /* not an event */
      }
    }
  });
  const waitBuild = async (n: number, what: string) => {
    const t0 = Date.now();
    while (builds.length < n) {
      if (child.exitCode !== null) throw new Error(`watch exited (${child.exitCode}) before ${what}:\n${stderr}`);
      if (Date.now() - t0 > 600_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return builds[n - 1]!;
  };
  try {
    await waitBuild(1, 'the first build');
    for (let r = 0; r < reps; r++) {
      const name = `zz_watch_${r}.txt`;
      await writeFile(join(ws, 'Eyjafjalla_data', 'tongren', name), newPiece(`w${r}`));
      const b = await waitBuild(builds.length + 1, `the build after ${name}`);
      const st = b.stages.find((s) => s.name === 'extract')!;
      if (st.status !== 'ran' || !b.changed.some((c) => c.path.endsWith(name))) throw new Error(`unexpected build: ${JSON.stringify(b)}`);
      const own = await ownMsOf(ws);
      fig.stageMs.push(st.ms);
      fig.ownMs.push(own.ms);
      fig.ownCpuMs.push(own.cpu);
      console.log(`extract (watch): add one file: stage ${st.ms} ms; stage's own: ${own.line}`);
    }
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    await rm(ws, { recursive: true, force: true });
  }
  return fig;
}

/** The floor for the stage's own work after one file is added to a 500-file corpus (#11). */
const FLOOR_MS = 100;

export async function bench(args: string[]): Promise<void> {
  const files = Number(args.find((a) => a.startsWith('--files='))?.slice(8) ?? 500);
  const reps = Number(args.find((a) => a.startsWith('--reps='))?.slice(7) ?? 5);
  const only = (f: string) => args.includes(f);
  if (only('--cli') || only('--watch')) {
    const cli = only('--cli') ? await cliIncremental(files, reps) : undefined;
    const watch = only('--watch') ? await watchIncremental(files, reps) : undefined;
    report(files, cli, watch);
    return;
  }
  if (only('--wall')) {
    await wallBench(args);
    return;
  }
  if (only('--memory')) {
    await memoryBench(args);
    return;
  }
  if (only('--in-process')) {
    await throughput(files, ['--incremental-only']);
    return;
  }
  await throughput(files, [
    '--throughput-only',
    ...args.filter((a) => a.startsWith('--reps=') || a.startsWith('--pieces=') || a === '--python' || a === '--dedup'),
  ]);
  if (only('--throughput-only')) return;
  report(files, await cliIncremental(files, reps), await watchIncremental(files, reps));
}

function report(files: number, cli?: IncrementalFigures, watch?: IncrementalFigures): void {
  const line = (what: string, f: IncrementalFigures) =>
    `extract: add one file to ${files} (${what}, median of ${f.stageMs.length}): stage ${median(f.stageMs)} ms with the engine's checks and records, ` +
    `${median(f.ownMs)} ms wall / ${median(f.ownCpuMs)} ms CPU the stage's own work (floor ${FLOOR_MS} ms: ${median(f.ownMs) <= FLOOR_MS ? 'met' : median(f.ownCpuMs) <= FLOOR_MS ? 'met in CPU time, not in wall time' : 'NOT met'})` +
    `${f.commandMs.length ? `, ${median(f.commandMs)} ms the whole command` : ''}`;
  console.log(
    `extract: load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores`,
  );
  if (cli) console.log(line('one-shot `pipeline run extract`', cli));
  if (watch) console.log(line('`pipeline watch`', watch));
  console.log(
    JSON.stringify({
      bench: 'extract-incremental',
      files,
      floorMs: FLOOR_MS,
      loadavg: loadavg(),
      ...(cli
        ? {
            cli: {
              stageMs: cli.stageMs,
              ownMs: cli.ownMs,
              ownCpuMs: cli.ownCpuMs,
              commandMs: cli.commandMs,
              medianStageMs: median(cli.stageMs),
              medianOwnMs: median(cli.ownMs),
              medianOwnCpuMs: median(cli.ownCpuMs),
            },
          }
        : {}),
      ...(watch
        ? {
            watch: {
              stageMs: watch.stageMs,
              ownMs: watch.ownMs,
              ownCpuMs: watch.ownCpuMs,
              medianStageMs: median(watch.stageMs),
              medianOwnMs: median(watch.ownMs),
              medianOwnCpuMs: median(watch.ownCpuMs),
            },
          }
        : {}),
    }),
  );
}

/**
 * Throughput against the old algorithm (`--throughput-only`), or the stage called in-process with a
 * stand-in context, cold / one file added / unchanged (`--incremental-only`).
 */
async function throughput(files: number, args: string[]): Promise<void> {
  const ws = await mkdtemp(join(tmpdir(), 'pl-bench-extract-'));
  try {
    const inputRel = 'corpus';
    const pieces = Number(args.find((a) => a.startsWith('--pieces='))?.slice(9) ?? 1);
    const names = await makeCorpus(join(ws, inputRel), files, pieces);
    const bufs = await Promise.all(names.map((n) => readFile(join(ws, inputRel, n))));
    const mb = bufs.reduce((s, b) => s + b.length, 0) / 1e6;
    const config = configSchema.parse({ input_dir: inputRel });
    const opts = fileOptions(config);

    const skipThroughput = args.includes('--incremental-only');
    const dedup = args.includes('--dedup');
    const reps = Number(args.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3);
    // Throughput, one core, files already in memory (both sides the same). CPU time (user+system
    // of this process) is what counts on a loaded machine; wall time is shown next to it. Best of
    // `reps` alternating runs.
    const time = (f: () => void) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      f();
      const c = process.cpuUsage(c0);
      return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
    };
    // The old algorithm in Python (bench/extract_old.py) on the same files: the CPU time of its
    // timed loop, one rep per call, so that each rep runs beside the TS reps (the machine is shared:
    // a ratio is only worth something between figures measured at the same time).
    const python = args.includes('--python');
    const runPython = (n: number) => {
      const pyArgs = [join(root, 'bench', 'extract_old.py'), join(ws, inputRel), '--reps', String(n), ...(dedup ? ['--dedup'] : [])];
      const py = spawnSync('python3', pyArgs, { encoding: 'utf8' });
      if (py.status !== 0) throw new Error(`python3 bench/extract_old.py failed (${py.status}): ${py.stderr.slice(0, 400)}`);
      return JSON.parse(py.stdout.trim().split('\n').at(-1)!) as { cpu_s: number; samples: number };
    };
    let bestPy: { cpu_s: number; samples: number } | undefined;
    let bestNewCpu: number | undefined;
    if (!skipThroughput) {
      time(() => bufs.slice(0, 200).forEach((b) => extractFile(b, opts)));
      time(() => bufs.slice(0, 200).forEach((b) => oldExtract(b)));
      let samples = 0;
      let oldSamples = 0;
      let bestNew = { wall: Infinity, cpu: Infinity };
      let bestOld = { wall: Infinity, cpu: Infinity };
      for (let r = 0; r < reps; r++) {
        samples = 0;
        oldSamples = 0;
        const n = time(() => {
          // --dedup: across files, as the stage does (corpus.ts: the JSON of each sample in a Set).
          const seen = dedup ? new Set<string>() : undefined;
          for (const b of bufs) {
            const own = extractFile(b, opts).samples;
            if (!seen) samples += own.length;
            else
              for (const x of own) {
                const k = JSON.stringify(x);
                if (seen.has(k)) continue;
                seen.add(k);
                samples++;
              }
          }
        });
        const o = time(() => {
          // --dedup: across files, as the old script did (oldDedup: a sha256 of each sample's JSON).
          if (dedup) oldSamples = oldDedup(bufs.flatMap((b) => oldExtract(b).samples)).length;
          else for (const b of bufs) oldSamples += oldExtract(b).samples.length;
        });
        if (n.cpu < bestNew.cpu) bestNew = n;
        if (o.cpu < bestOld.cpu) bestOld = o;
        if (python) {
          const py = runPython(1);
          if (!bestPy || py.cpu_s < bestPy.cpu_s) bestPy = py;
        }
      }
      bestNewCpu = bestNew.cpu;
      console.log(`extract: corpus ${files} files of ${pieces} piece(s), ${mb.toFixed(1)} MB (generated under ${tmpdir()}), best of ${reps}`);
      console.log(
        `extract: throughput (CPU time) new ${(mb / bestNew.cpu).toFixed(1)} MB/s (${samples} samples), old algorithm (TS reimplementation) ${(mb / bestOld.cpu).toFixed(1)} MB/s (${oldSamples} samples); ratio ${(bestOld.cpu / bestNew.cpu).toFixed(2)}x`,
      );
      console.log(
        `extract: throughput (wall) new ${(mb / bestNew.wall).toFixed(1)} MB/s, old ${(mb / bestOld.wall).toFixed(1)} MB/s; ratio ${(bestOld.wall / bestNew.wall).toFixed(2)}x`,
      );
    }
    if (python) {
      const r = bestPy ?? runPython(reps);
      console.log(
        `extract: throughput (CPU time) old algorithm in Python ${(mb / r.cpu_s).toFixed(1)} MB/s (${r.samples} samples)` +
          (bestNewCpu ? `; new is ${(r.cpu_s / bestNewCpu).toFixed(2)}x the Python` : ''),
      );
    }
    if (args.includes('--throughput-only')) return;

    // Incremental path: the stage itself, with deps as the engine hands them (content hashes).
    const deps = names.map((n, i) => ({ path: `${inputRel}/${n}`, hash: createHash('sha256').update(bufs[i]!).digest('hex') }));
    await mkdir(join(ws, 'stage-cache'), { recursive: true });
    let t0 = performance.now();
    await stage.run(benchStageCtx(ws, deps, config, stageLog));
    const cold = (performance.now() - t0) / 1000;
    const extra = `${inputRel}/zz_new.txt`;
    const body = '博士问：“新的一篇怎么样？”\n艾雅法拉说：“新的一篇也写得很好哦，前辈。”\n';
    await writeFile(join(ws, extra), body);
    const deps2 = [...deps, { path: extra, hash: createHash('sha256').update(body).digest('hex') }];
    t0 = performance.now();
    await stage.run(benchStageCtx(ws, deps2, config, stageLog));
    const warm = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await stage.run(benchStageCtx(ws, deps2, config, stageLog));
    const again = (performance.now() - t0) / 1000;
    const timings = stageLog.filter((l) => l.includes('extract: timing')).map((l) => l.replace('extract: timing ', ''));
    console.log(`extract: stage timings (cold, added one, unchanged):\n  ${timings.join('\n  ')}`);
    console.log(
      `extract: stage run over ${files} files cold ${cold.toFixed(2)} s; after adding one file ${warm.toFixed(3)} s, unchanged rerun ${again.toFixed(3)} s (result store; hashing is the engine's stat cache, not included)`,
    );
    console.log(`extract: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    await rm(ws, { recursive: true, force: true });
  }
}
