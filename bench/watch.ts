// Watch benchmark: with N fan-fiction files watched (default 5,000) under the project's DAG
// (extract + register), how long from writing a new file until data/eyjafjalla_tongren_sft.json
// holds its dialogue. Median of --samples writes, every sample printed, then one line of JSON.
//   node bin/pipeline.js --exec bench/watch-main.ts [--files 5000] [--samples 10] [--debounce MS] [--keep]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { flagHelp, parseBenchArgs, type FlagSpec } from './lib/benchArgs.js';
import { BenchError } from './lib/benchError.js';
import { seededRandom, writeCorpus } from './lib/engine/corpus.js';
import { formatSeconds, renderTable } from './lib/format.js';
import { describeLoad, machineLoad } from './lib/machineLoad.js';
import { median } from './lib/stats.js';

const FLAGS: FlagSpec = {
  files: { type: 'string', description: 'fan-fiction files in the watched folder (default 5000)' },
  samples: { type: 'string', description: 'new files written one at a time and timed (default 10)' },
  debounce: { type: 'string', description: 'watch --debounce in ms (default: the watch default, watch.debounce_ms = 300)' },
  keep: { type: 'boolean', description: 'keep the generated workspace (under $TMPDIR)' },
  help: { type: 'boolean', description: 'show this help' },
};

const optionsSchema = z.object({
  files: z.coerce.number().int().min(1).max(100_000).default(5000),
  samples: z.coerce.number().int().min(1).max(100).default(10),
  debounce: z.coerce.number().int().min(0).max(10_000).optional(),
  keep: z.boolean().default(false),
  help: z.boolean().default(false),
});

const USAGE = `usage: node bin/pipeline.js --exec bench/watch-main.ts [flags]

Generates a workspace under $TMPDIR with N fan-fiction files and the project's DAG, starts
\`pipeline watch --json\`, waits for the first build, then writes new files one at a time and times
how long until the dataset (data/eyjafjalla_tongren_sft.json) holds each one's dialogue.

flags:
${flagHelp(FLAGS)}`;

/** Target of issue 7: the dataset reflects a new file within 1 s of the write (median). */
const TARGET_MS = 1000;
const DATASET = 'data/eyjafjalla_tongren_sft.json';
const SAMPLE_TIMEOUT_MS = 120_000;
const FIRST_BUILD_TIMEOUT_MS = 15 * 60_000;

// ---- the generated corpus: original in-character scenes, written for this benchmark ----------

const DOCTOR_LINES = [
  '今天的数据整理得怎么样了？',
  '外面又开始降灰了，出门记得戴好面罩。',
  '这份报告写得很仔细，辛苦你了。',
  '明天的考察路线，你想先去哪一边？',
  '别太勉强自己，累了就先休息一下。',
  '这块岩石的纹路很特别，是在哪里采到的？',
  '医疗部说你这周的检查结果不错。',
  '要不要一起去甲板上看看日落？',
];

const HER_LINES = [
  '前辈，这一组读数比昨天稳定多了，我已经在图上标出来了。',
  '谢谢前辈！这杯茶的温度刚刚好，像温泉边晒暖的石头一样。',
  '前辈放心，面罩和护目镜我都检查过两遍了，不会忘记的。',
  '我想先去北边的火山口，前辈，那里的地层记录最完整。',
  '我、我还不累！前辈再陪我核对一页就好，真的只要一页。',
  '是在山脚的河床边捡到的，前辈您看，这里还有一圈细细的气孔。',
  '太好了，这样下个月的野外考察我也能去了吧，前辈？',
  '好呀，前辈！日落的时候，远处那座火山的轮廓会变成金色的。',
];

const NARRATION = [
  '观测室的仪器发出低低的嗡鸣声。',
  '窗外的云压得很低，舰桥上的灯一盏一盏亮了起来。',
  '桌上摊着好几本写满数据的笔记。',
  '她把采样瓶按编号排成一列，标签都朝着同一个方向。',
];

const pick = <T>(list: readonly T[], rand: () => number): T => list[Math.floor(rand() * list.length)] as T;

/**
 * One scene: a heading, narration, then 3–5 exchanges (the Doctor asks, she answers). Her first
 * line carries `marker`, so a test can tell whether this file's dialogue reached the dataset.
 */
export function sceneText(title: string, marker: string, rand: () => number): string {
  const parts = [`第${title}章　观测日志`, '', pick(NARRATION, rand), ''];
  const exchanges = 3 + Math.floor(rand() * 3);
  for (let i = 0; i < exchanges; i++) {
    parts.push(`“${pick(DOCTOR_LINES, rand)}”博士问。`, '');
    const her = i === 0 ? `前辈，${marker}的记录我已经核对完了，和上次的结果对得上。` : pick(HER_LINES, rand);
    parts.push(`“${her}”艾雅法拉说。`, '');
  }
  parts.push(pick(NARRATION, rand), '', '本章完', '');
  return parts.join('\n');
}

/** The marker of corpus file `i` / of new file `k`: digits inside a Chinese phrase, unique. */
const corpusMarker = (i: number) => `第${i}号测点`;
const newMarker = (k: number) => `新增第${k}号测点`;

// ---- the watcher child -------------------------------------------------------------------------

const eventSchema = z.looseObject({ event: z.string() });
const buildSchema = z.looseObject({
  event: z.literal('build'),
  n: z.number(),
  ok: z.boolean(),
  ms: z.number(),
  changed: z.array(z.object({ path: z.string(), kind: z.string() })),
  stages: z.array(z.looseObject({ name: z.string(), status: z.string(), ms: z.number().optional() })),
});
type BuildEvent = z.infer<typeof buildSchema>;

interface WatchChild {
  child: ChildProcess;
  /** Events with the time (performance.now()) each line arrived. */
  events: Array<{ at: number; e: z.infer<typeof eventSchema> }>;
  stderr(): string;
  exited: Promise<number | null>;
}

function startWatch(repo: string, ws: string, debounce: number | undefined): WatchChild {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'PIPELINE_CACHE_DIR' && k !== 'CUDA_VISIBLE_DEVICES') env[k] = v;
  env.CI = 'true';
  env.NO_COLOR = '1';
  const args = [join(repo, 'bin', 'pipeline.js'), 'watch', '--json', ...(debounce === undefined ? [] : ['--debounce', String(debounce)])];
  const child = spawn(process.execPath, args, { cwd: ws, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: WatchChild['events'] = [];
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    const at = performance.now();
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      try {
        const parsed = eventSchema.safeParse(JSON.parse(line));
        if (parsed.success) events.push({ at, e: parsed.data });
      } catch {
        err += `(stdout, not JSON) ${line}\n`;
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, events, stderr: () => err, exited };
}

async function waitForEvent<T>(
  w: WatchChild,
  from: number,
  pick: (e: unknown) => T | undefined,
  what: string,
  timeoutMs: number,
): Promise<{ at: number; e: T }> {
  const deadline = performance.now() + timeoutMs;
  let exited = false;
  void w.exited.then(() => (exited = true));
  for (;;) {
    for (const ev of w.events.slice(from)) {
      const hit = pick(ev.e);
      if (hit !== undefined) return { at: ev.at, e: hit };
    }
    if (exited) throw new BenchError(`pipeline watch exited while waiting for ${what}\n${w.stderr()}`);
    if (performance.now() > deadline) throw new BenchError(`timed out after ${timeoutMs} ms waiting for ${what}\n${w.stderr()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const asBuild = (e: unknown): BuildEvent | undefined => {
  const p = buildSchema.safeParse(e);
  return p.success ? p.data : undefined;
};

/** CPU time (user + system) a process has used so far, from /proc (undefined where there is none). */
async function processCpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line (11 and 12 after the command name), in ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Polls the dataset (stat every 2 ms; read only when it was replaced) until it contains `needle`. */
async function waitForDataset(w: WatchChild, file: string, needle: Buffer, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let seen = '';
  let exited = false;
  void w.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new BenchError(`pipeline watch exited while waiting for ${DATASET} to contain ${needle.toString()}\n${w.stderr()}`);
    const st = await stat(file).catch(() => undefined);
    const id = st ? `${st.ino}:${st.mtimeMs}:${st.size}` : '';
    if (id !== seen) {
      seen = id;
      const buf = await readFile(file).catch(() => undefined);
      if (buf?.includes(needle)) return performance.now();
    }
    if (performance.now() > deadline) throw new BenchError(`timed out after ${timeoutMs} ms waiting for ${DATASET} to contain ${needle.toString()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

// ---- the benchmark -----------------------------------------------------------------------------

/** The package root: set by the launcher (bin/pipeline.js); else the first parent with bin/pipeline.js. */
function repoRoot(): string {
  if (process.env.PIPELINE_PACKAGE_ROOT) return resolve(process.env.PIPELINE_PACKAGE_ROOT);
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'pipeline.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new BenchError('cannot find the package root (bin/pipeline.js); run through node bin/pipeline.js --exec');
    dir = up;
  }
  return dir;
}

interface Sample {
  k: number;
  /** Write start → dataset holds the new dialogue. */
  datasetMs: number;
  /** Write start → the watcher's build event (extract and register done). */
  buildEventMs: number;
  /** Build duration as the watcher reports it (after the debounce). */
  buildMs: number;
  /** CPU time the watcher process used from the write to its build event (undefined without /proc). */
  cpuMs?: number;
  extract: string;
  register: string;
}

export async function bench(args: string[]): Promise<void> {
  const opts = parseBenchArgs(args, FLAGS, optionsSchema);
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const repo = repoRoot();
  const ws = await mkdtemp(join(tmpdir(), 'pl-bench-watch-'));
  const loadAtStart = await machineLoad();
  let w: WatchChild | undefined;
  try {
    // The workspace: the project's DAG, extract reading tongren/, the hand-curated dataset.
    await writeFile(join(ws, 'pipeline.ts'), `export { default } from ${JSON.stringify(join(repo, 'pipeline.ts'))};\n`);
    await writeFile(join(ws, 'pipeline.yaml'), 'extract:\n  input_dir: tongren\n');
    await mkdir(join(ws, 'data'), { recursive: true });
    for (const f of ['eyjafjalla_sft.json', 'dataset_info.json']) await copyFile(join(repo, 'data', f), join(ws, 'data', f));
    const rand = seededRandom(20250707);
    const files = Array.from({ length: opts.files }, (_, i) => ({
      name: `${String(i).padStart(5, '0')}.txt`,
      text: sceneText(String(i), corpusMarker(i), rand),
    }));
    const tGen = performance.now();
    await writeCorpus(join(ws, 'tongren'), files);
    const genMs = performance.now() - tGen;
    const corpusBytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
    process.stdout.write(`watch bench: ${opts.files} files (${(corpusBytes / 1048576).toFixed(1)} MiB) in ${ws}, written in ${formatSeconds(genMs)}\n`);

    const tStart = performance.now();
    w = startWatch(repo, ws, opts.debounce);
    const ready = await waitForEvent(
      w,
      0,
      (e) => ((e as { event?: string }).event === 'watching' ? e : undefined),
      'the watcher to be ready',
      FIRST_BUILD_TIMEOUT_MS,
    );
    const first = await waitForEvent(
      w,
      0,
      (e) => {
        const b = asBuild(e);
        return b?.n === 1 ? b : undefined;
      },
      'the first build',
      FIRST_BUILD_TIMEOUT_MS,
    );
    if (!first.e.ok) throw new BenchError(`the first build failed: ${JSON.stringify(first.e.stages)}\n${w.stderr()}`);
    process.stdout.write(`watcher ready after ${formatSeconds(ready.at - tStart)}; first build (all ${opts.files} files) ${formatSeconds(first.e.ms)}\n`);
    const datasetSchema = z.array(z.object({ conversations: z.array(z.object({ from: z.enum(['human', 'gpt']), value: z.string() })).min(2) }));
    const firstDataset = datasetSchema.safeParse(JSON.parse(await readFile(join(ws, DATASET), 'utf8')));
    if (!firstDataset.success)
      throw new BenchError(
        `${DATASET} after the first build is not a ShareGPT dataset: ${firstDataset.error.issues[0]?.path.join('.')}: ${firstDataset.error.issues[0]?.message}`,
      );
    const probe = corpusMarker(opts.files - 1);
    if (!firstDataset.data.some((s) => s.conversations.some((t) => t.value.includes(probe)))) {
      throw new BenchError(`the first build's dataset lacks the dialogue of the last corpus file (${probe})`);
    }
    process.stdout.write(`dataset after the first build: ${firstDataset.data.length} samples\n`);

    const samples: Sample[] = [];
    for (let k = 1; k <= opts.samples; k++) {
      const from = w.events.length;
      const marker = Buffer.from(newMarker(k));
      const name = `new-${String(k).padStart(2, '0')}.txt`;
      const text = sceneText(`新${k}`, newMarker(k), seededRandom(k));
      const cpu0 = await processCpuMs(w.child.pid);
      const t0 = performance.now();
      await writeFile(join(ws, 'tongren', name), text);
      const seen = waitForDataset(w, join(ws, DATASET), marker, SAMPLE_TIMEOUT_MS);
      seen.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      const built = await waitForEvent(
        w,
        from,
        (e) => {
          const b = asBuild(e);
          return b?.changed.some((c) => c.path === `tongren/${name}`) ? b : undefined;
        },
        `the build of ${name}`,
        SAMPLE_TIMEOUT_MS,
      );
      const cpu1 = await processCpuMs(w.child.pid);
      const tDataset = await seen;
      const status = (s: string) => built.e.stages.find((x) => x.name === s)?.status ?? '—';
      if (!built.e.ok || status('extract') !== 'ran') throw new BenchError(`the build of ${name} did not run extract: ${JSON.stringify(built.e)}`);
      const sample: Sample = {
        k,
        datasetMs: tDataset - t0,
        buildEventMs: built.at - t0,
        buildMs: built.e.ms,
        extract: status('extract'),
        register: status('register'),
      };
      if (cpu0 !== undefined && cpu1 !== undefined) sample.cpuMs = cpu1 - cpu0;
      samples.push(sample);
      // Let the watcher settle (no pending events) before the next write.
      await new Promise((r) => setTimeout(r, 200));
    }

    const med = median(samples.map((s) => s.datasetMs));
    const debounceMs = opts.debounce ?? 300;
    process.stdout.write(
      `\n${renderTable(
        ['sample', 'write → dataset', 'write → build event', 'build (after debounce)', 'watcher CPU', 'extract', 'register'],
        samples.map((s) => [
          String(s.k),
          formatSeconds(s.datasetMs),
          formatSeconds(s.buildEventMs),
          formatSeconds(s.buildMs),
          formatSeconds(s.cpuMs),
          s.extract,
          s.register,
        ]),
      )}\n\n`,
    );
    const loadAtEnd = await machineLoad();
    const cpuSamples = samples.flatMap((s) => (s.cpuMs === undefined ? [] : [s.cpuMs]));
    const cpuMed = cpuSamples.length ? median(cpuSamples) : undefined;
    process.stdout.write(
      `median write → dataset: ${formatSeconds(med)} over ${samples.length} samples (debounce ${debounceMs} ms; target ≤ ${formatSeconds(TARGET_MS)}: ${med <= TARGET_MS ? 'met' : 'NOT met'})\n` +
        (cpuMed === undefined
          ? ''
          : `median CPU time of the watcher per rebuild (extract + register, in-process): ${formatSeconds(cpuMed)}; on a machine with a core to spare, write → build event ≈ debounce + that\n`) +
        `machine: ${cpus().length} CPUs; ${describeLoad(loadAtStart)} at start, ${describeLoad(loadAtEnd)} at end\n`,
    );
    process.stdout.write(
      `${JSON.stringify({
        bench: 'watch',
        files: opts.files,
        corpusBytes,
        debounceMs,
        firstBuildMs: Math.round(first.e.ms),
        medianMs: Math.round(med),
        targetMs: TARGET_MS,
        met: med <= TARGET_MS,
        samplesMs: samples.map((s) => Math.round(s.datasetMs)),
        buildMs: samples.map((s) => Math.round(s.buildMs)),
        watcherCpuMs: cpuSamples,
        medianWatcherCpuMs: cpuMed,
        cpus: cpus().length,
        loadAtStart,
        loadAtEnd,
      })}\n`,
    );
  } finally {
    if (w && w.child.exitCode === null) {
      w.child.kill('SIGINT');
      const timer = setTimeout(() => w?.child.kill('SIGKILL'), 15_000);
      await w.exited;
      clearTimeout(timer);
    }
    if (opts.keep) process.stdout.write(`workspace kept: ${ws}\n`);
    else await rm(ws, { recursive: true, force: true });
  }
}
