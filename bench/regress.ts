// Regression-stage benchmark (issue 6): 35 cases against the OpenAI-compatible test double with
// 200 ms latency per request, concurrency 8 (the stage's way) versus one request after another (the
// old script's way), plus a rerun where every answer comes from the per-case cache.
//
//   node bin/pipeline.js --exec bench/regress-main.ts [--cases 35] [--latency-ms 200] [--concurrency 8] [--reps 3]
// Prints a table, the machine load (other work inflates wall times) and a one-line JSON of figures.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseCases, type LoadedCase } from '../stages/regress/cases.js';
import { BenchError } from './lib/benchError.js';
import { describeLoad, machineLoad } from './lib/machineLoad.js';
import { median } from './lib/stats.js';
import { listModels } from '../stages/regress/client.js';
import { planCases, runCases } from '../stages/regress/generate.js';
import { BoundedRegex } from '../stages/regress/regexBound.js';
import { ResponseCache } from '../stages/regress/responseCache.js';

const optionsSchema = z.object({
  cases: z.coerce.number().int().min(1).max(10_000).default(35),
  'latency-ms': z.coerce.number().int().min(0).max(60_000).default(200),
  concurrency: z.coerce.number().int().min(1).max(256).default(8),
  reps: z.coerce.number().int().min(1).max(50).default(3),
  'target-s': z.coerce.number().positive().default(1.2),
  help: z.boolean().default(false),
});

const USAGE = `bench/regress: regression generation against the fake OpenAI server
  --cases N          cases to ask (default 35; the shipped suite, repeated if needed)
  --latency-ms MS    latency of every answer (default 200)
  --concurrency N    requests in flight (default 8)
  --reps N           concurrent runs, each with an empty cache; the median is judged (default 3)
  --target-s S       fail (exit 1) when the concurrent run takes longer (default 1.2)`;

function packageRoot(): string {
  return process.env.PIPELINE_PACKAGE_ROOT ?? resolve('.');
}

async function suite(n: number): Promise<LoadedCase[]> {
  const file = join(packageRoot(), 'data', 'eyjafjalla_regression.jsonl');
  const base = parseCases(await readFile(file, 'utf8'), 'data/eyjafjalla_regression.jsonl');
  return Array.from({ length: n }, (_, i) => {
    const c = base[i % base.length]!;
    return i < base.length ? c : { ...c, id: `${c.id}-r${Math.floor(i / base.length)}` };
  });
}

function startDouble(latencyMs: number): Promise<{ baseUrl: string; stop(): void }> {
  const script = join(packageRoot(), 'test', 'doubles', 'fake-api.mjs');
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, API_HOST: '127.0.0.1', API_PORT: '0', FAKE_API_STARTUP_MS: '0', FAKE_API_LATENCY_MS: String(latencyMs) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /running on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) res({ baseUrl: `${m[1]}/v1`, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => rej(new Error(`fake-api exited (${code}) before listening`)));
  });
}

async function timeRun(
  cases: LoadedCase[],
  baseUrl: string,
  concurrency: number,
  cacheDir: string,
): Promise<{ ms: number; cpuMs: number; p50: number; max: number; generated: number; passed: number }> {
  const cache = new ResponseCache(cacheDir);
  const decoding = { temperature: 0.7, top_p: 0.9, max_tokens: 512 };
  const regex = new BoundedRegex(1000).warm();
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const planned = await planCases(cases, cache, { responder: { endpoint: baseUrl }, model: 'bench', decoding, defaultSystem: null, augmentMinChars: true });
    const results = await runCases(planned, { client: { baseUrl, timeoutMs: 30_000 }, model: 'bench', decoding, concurrency, retries: 0, cache }, regex);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const errors = results.filter((r) => r.error !== null);
    if (errors.length) throw new Error(`${errors.length} cases failed: ${errors[0]!.error}`);
    const lat = results.map((r) => r.latency_ms ?? 0).sort((a, b) => a - b);
    return {
      ms,
      cpuMs,
      p50: lat[Math.floor(lat.length / 2)] ?? 0,
      max: lat.at(-1) ?? 0,
      generated: planned.filter((p) => !p.cached).length,
      passed: results.filter((r) => r.ok).length,
    };
  } finally {
    await regex.close();
  }
}

export async function bench(args: string[]): Promise<void> {
  // Lenient: `npm run bench` hands every benchmark the same flags; the ones of others are ignored.
  const { values } = parseArgs({
    args,
    strict: false,
    allowPositionals: true,
    options: {
      cases: { type: 'string' },
      'latency-ms': { type: 'string' },
      concurrency: { type: 'string' },
      reps: { type: 'string' },
      'target-s': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const known = Object.fromEntries(Object.entries(values).filter(([k]) => k in optionsSchema.shape));
  const parsed = optionsSchema.safeParse(known);
  if (!parsed.success) {
    throw new BenchError(`bad flag value: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n${USAGE}`, 2);
  }
  const opts = parsed.data;
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const cases = await suite(opts.cases);
  const latency = opts['latency-ms'];
  const double = await startDouble(latency);
  const scratch = await mkdtemp(join(tmpdir(), 'bench-regress-'));
  try {
    await listModels({ baseUrl: double.baseUrl, timeoutMs: 5000 }); // the stage's readiness poll does the same
    const load = await machineLoad();
    const concurrent = [];
    for (let i = 0; i < opts.reps; i++) concurrent.push(await timeRun(cases, double.baseUrl, opts.concurrency, join(scratch, `concurrent-${i}`)));
    const cached = await timeRun(cases, double.baseUrl, opts.concurrency, join(scratch, 'concurrent-0'));
    const seq = await timeRun(cases, double.baseUrl, 1, join(scratch, 'sequential'));
    const concMs = median(concurrent.map((c) => c.ms));
    const conc = concurrent[0]!;
    const s = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
    const floor = (Math.ceil(cases.length / opts.concurrency) * latency) / 1000;
    const met = concMs / 1000 <= opts['target-s'];
    process.stdout.write(
      [
        `regress bench: ${cases.length} cases, ${latency} ms per answer (fake OpenAI server on loopback; ${describeLoad(load)})`,
        `  concurrency ${String(opts.concurrency).padEnd(3)} ${s(concMs).padStart(9)}  median of ${opts.reps} (${concurrent.map((c) => s(c.ms)).join(', ')}); floor ${floor.toFixed(3)} s; request p50 ${conc.p50} ms, max ${conc.max} ms`,
        `                  client CPU per run: ${concurrent.map((c) => s(c.cpuMs)).join(', ')}`,
        `  sequential      ${s(seq.ms).padStart(9)}  the old script's way; request p50 ${seq.p50} ms`,
        `  cached rerun    ${s(cached.ms).padStart(9)}  ${cached.generated} requests; client CPU ${s(cached.cpuMs)}`,
        `  speed-up ${(seq.ms / concMs).toFixed(1)}×; ${conc.passed}/${cases.length} cases pass their checks on the double's answers`,
        `  target: concurrent ≤ ${opts['target-s']} s → ${met ? 'met' : 'MISSED'}`,
        JSON.stringify({
          bench: 'regress',
          cases: cases.length,
          latency_ms: latency,
          concurrency: opts.concurrency,
          concurrent_s: concurrent.map((c) => +(c.ms / 1000).toFixed(3)),
          concurrent_median_s: +(concMs / 1000).toFixed(3),
          concurrent_client_cpu_s: concurrent.map((c) => +(c.cpuMs / 1000).toFixed(3)),
          sequential_s: +(seq.ms / 1000).toFixed(3),
          cached_s: +(cached.ms / 1000).toFixed(3),
          target_s: opts['target-s'],
          target_met: met,
          load_1m: load.loadAvg1m,
        }),
        '',
      ].join('\n'),
    );
    if (!met) throw new BenchError(`35-case concurrent run took ${s(concMs)} (median), above the ${opts['target-s']} s target`);
  } finally {
    double.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}
