// The engine benchmark: the same 4-stage DAG, running the very same stage commands, in `pipeline`,
// `make -r` and `snakemake`, side by side in one run, with the commands alone (one shell script, no
// tool) as the floor, on a generated workspace of 5,000 small text files and a 4 GiB input file.
// Scenarios: cold, no-op, one corpus file added (new content every repetition), `touch` of the
// big file.
//
//   node bin/pipeline.js --exec bench/engine-main.ts [--big-gib 4] [--reps 5] …   (--help)
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { flagHelp, parseBenchArgs, type FlagSpec } from './lib/benchArgs.js';
import { BenchError } from './lib/benchError.js';
import { formatBytes, formatSeconds } from './lib/format.js';
import { sha256WithChunkedReads } from './lib/hashThroughput.js';
import { ensureLargeFile } from './lib/largeFile.js';
import { machineLoad } from './lib/machineLoad.js';
import { firstLineOf, requireTools, type RequiredTool } from './lib/requiredTools.js';
import { median } from './lib/stats.js';
import { describeFailure, hasGnuTime, timeCommand } from './lib/timeCommand.js';
import { addedFileText, corpusFileName, corpusFiles, countLinesAndChars, writeCorpus } from './lib/engine/corpus.js';
import { STAGES, STAGE_OUT, expectedFinal } from './lib/engine/dagFiles.js';
import { describeOutcome, renderReport, type Measurement, type Results, type ScenarioId } from './lib/engine/report.js';
import {
  TOOL_IDS,
  commandsTool,
  makeTool,
  pipelineTool,
  plainOutputVariant,
  snakemakeTool,
  stampOuts,
  type RunOutcome,
  type StageOutcome,
  type ToolId,
  type ToolUnderTest,
} from './lib/engine/toolsUnderTest.js';

const GIB = 1024 ** 3;
const RUN_TIMEOUT_MS = 10 * 60_000;

const FLAGS: FlagSpec = {
  'big-gib': { type: 'string', description: 'size of big.bin in GiB (default 4; e.g. 0.25 while developing)' },
  files: { type: 'string', description: 'number of small corpus files (default 5000)' },
  reps: { type: 'string', description: 'repetitions of the no-op, add and touch scenarios (default 5)' },
  'cold-reps': { type: 'string', description: 'repetitions of the cold scenario (default 3)' },
  tools: { type: 'string', description: 'comma-separated subset of pipeline,make,snakemake,commands (default all)' },
  dir: { type: 'string', description: 'scratch directory, outside the repo (default $TMPDIR/pipeline-bench-engine)' },
  keep: { type: 'boolean', description: 'keep the generated workspaces afterwards (big.bin is always kept for reuse)' },
  help: { type: 'boolean', description: 'show this help' },
};

const optionsSchema = z.object({
  'big-gib': z.coerce.number().positive().max(64).default(4),
  files: z.coerce.number().int().min(1).max(100_000).default(5000),
  reps: z.coerce.number().int().min(1).max(50).default(5),
  'cold-reps': z.coerce.number().int().min(1).max(50).default(3),
  tools: z
    .string()
    .default(TOOL_IDS.join(','))
    .transform((s) =>
      s
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['pipeline', 'make', 'snakemake', 'commands'])).min(1)),
  dir: z.string().default(join(tmpdir(), 'pipeline-bench-engine')),
  keep: z.boolean().default(false),
  help: z.boolean().default(false),
});
type Options = z.infer<typeof optionsSchema>;

const USAGE = `usage: node bin/pipeline.js --exec bench/engine-main.ts [flags]

Runs the same 4-stage DAG (gather → index → big → final) in pipeline, make -r and snakemake on a
generated workspace (N small text files + a big input file, under --dir, never in the repo) and
prints median wall times, ratios, and one line of JSON with every number.

flags:
${flagHelp(FLAGS)}`;

interface Scenario {
  id: ScenarioId;
  title: string;
  reps: number;
  /** Tools it applies to (noop-plain is pipeline only). */
  tools: readonly ToolUnderTest[];
  /** Untimed run of each tool before the first repetition, so it starts up to date. */
  settle: boolean;
  before?(tool: ToolUnderTest, rep: number): Promise<void>;
  after?(tool: ToolUnderTest, rep: number): Promise<void>;
  /** What `pipeline` must report; a difference is a problem (the bench exits 1). */
  pipelineExpects?: StageOutcome;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}

function requiredToolsFor(tools: readonly ToolId[]): RequiredTool[] {
  const req: RequiredTool[] = [];
  if (tools.includes('make')) req.push({ command: 'make', aptPackage: 'make', purpose: 'the make -r column' });
  if (tools.includes('snakemake')) req.push({ command: 'snakemake', aptPackage: 'snakemake', purpose: 'the snakemake column' });
  req.push({ command: 'find', aptPackage: 'findutils', purpose: 'the gather stage command' });
  req.push({ command: 'xargs', aptPackage: 'findutils', purpose: 'the gather stage command' });
  req.push({ command: 'sleep', aptPackage: 'coreutils', purpose: 'the big (train) stage command' });
  return req;
}

function repoRoot(): string {
  const fromEnv = process.env.PIPELINE_PACKAGE_ROOT;
  if (fromEnv) return resolve(fromEnv);
  // Run from dist/build-*/bench/engine.js: the repo is three levels up.
  return resolve(fileURLToPath(new URL('../../..', import.meta.url)));
}

/** The launcher's build directory for the current sources (builds them if needed). */
async function engineBuildDir(repo: string): Promise<string | undefined> {
  const run = await timeCommand({ file: process.execPath, args: [join(repo, 'bin', 'pipeline.js'), '--build-only'], cwd: repo }, { timeoutMs: 120_000 });
  return run.exitCode === 0 ? run.stdout.trim() : undefined;
}

async function checkEngine(repo: string): Promise<string> {
  const bin = join(repo, 'bin', 'pipeline.js');
  const spec = { file: process.execPath, args: [bin, '--version'], cwd: repo };
  const run = await timeCommand(spec, { timeoutMs: 120_000 }).catch((e: unknown) => {
    throw new BenchError(`cannot start the engine (${bin}): ${e instanceof Error ? e.message : String(e)}`);
  });
  if (run.exitCode !== 0) throw new BenchError(`the engine is not usable yet: ${describeFailure(spec, run)}`);
  return run.stdout.trim().split('\n')[0] ?? '';
}

interface OneRun {
  ms: number;
  peakRssKiB?: number;
  cpuSeconds?: number;
  outcome: RunOutcome;
}

async function runOnce(tool: ToolUnderTest, what: string): Promise<OneRun> {
  const before = await stampOuts(tool.workspace);
  const run = await timeCommand(tool.spec, { resources: true, timeoutMs: RUN_TIMEOUT_MS });
  if (run.exitCode !== 0) throw new BenchError(`${tool.label} failed during ${what}: ${describeFailure(tool.spec, run)}`);
  let outcome: RunOutcome;
  try {
    outcome = await tool.outcome(before, run);
  } catch (e) {
    throw new BenchError(`${tool.label}, ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const result: OneRun = { ms: run.ms, outcome };
  if (run.peakRssKiB !== undefined) result.peakRssKiB = run.peakRssKiB;
  if (run.cpuSeconds !== undefined) result.cpuSeconds = run.cpuSeconds;
  return result;
}

export async function bench(args: string[]): Promise<void> {
  const opts: Options = parseBenchArgs(args, FLAGS, optionsSchema);
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const repo = repoRoot();
  const root = resolve(opts.dir);
  if (isInside(root, repo))
    throw new BenchError(
      `--dir ${root} is inside the repository ${repo}; pick a directory outside it (default: ${join(tmpdir(), 'pipeline-bench-engine')})`,
      2,
    );
  const toolIds = TOOL_IDS.filter((t) => opts.tools.includes(t));
  await requireTools(requiredToolsFor(toolIds));
  const engineVersion = toolIds.includes('pipeline') ? await checkEngine(repo) : undefined;
  // Built before the first timed run; compared at the end, because the launcher rebuilds whenever
  // a source file of the package changes, and such a rebuild would land inside a timed run.
  const buildAtStart = toolIds.includes('pipeline') ? await engineBuildDir(repo) : undefined;
  const versions = {
    node: process.version,
    pipeline: engineVersion,
    make: toolIds.includes('make') ? await firstLineOf('make', ['--version']) : undefined,
    snakemake: toolIds.includes('snakemake') ? await firstLineOf('snakemake', ['--version']) : undefined,
  };
  /** Wrong results or wrong statuses: printed, and the bench exits 1. */
  const problems: string[] = [];
  /** Things that make the numbers less trustworthy: printed only. */
  const warnings: string[] = [];
  const loadAtStart = await machineLoad();

  // ---- inputs -------------------------------------------------------------------------------
  await mkdir(root, { recursive: true });
  const bigBytes = Math.round(opts['big-gib'] * GIB);
  log(`bench: scratch dir ${root}`);
  const big = await ensureLargeFile(join(root, 'big.bin'), bigBytes);
  log(big.reused ? `bench: reusing big.bin (${formatBytes(bigBytes)})` : `bench: wrote big.bin (${formatBytes(bigBytes)}) in ${formatSeconds(big.ms)}`);
  const corpus = corpusFiles(opts.files);
  const corpusBuf = Buffer.concat(corpus.map((f) => Buffer.from(f.text)));
  const counts = countLinesAndChars(corpusBuf);

  // Reference: Node's own sha256 with 1 MiB reads; the first pass also warms the page cache.
  log('bench: node sha256 reference (1 warm-up pass, then timed passes)…');
  const warm = await sha256WithChunkedReads(big.path);
  const refRuns = [];
  for (let i = 0; i < Math.min(3, opts.reps); i++) refRuns.push(await sha256WithChunkedReads(big.path));
  if (refRuns.some((r) => r.hex !== warm.hex)) problems.push('node sha256 of big.bin differed between passes (is something writing to it?)');
  const expected = expectedFinal(counts, bigBytes);

  // ---- workspaces ---------------------------------------------------------------------------
  log(`bench: generating ${toolIds.length} workspace(s) of ${opts.files} files (${formatBytes(corpusBuf.length)}) + big.bin (hard link)…`);
  const inputs = { writeCorpus: (dir: string) => writeCorpus(dir, corpus), bigFile: big.path };
  const tools: ToolUnderTest[] = [];
  for (const id of toolIds) {
    if (id === 'pipeline') tools.push(await pipelineTool(root, repo, inputs));
    if (id === 'make') tools.push(await makeTool(root, inputs));
    if (id === 'snakemake') tools.push(await snakemakeTool(root, inputs));
    if (id === 'commands') tools.push(await commandsTool(root, inputs));
  }
  // The commands alone always redo everything: a floor for the scenarios that run commands.
  const tools_ = tools.filter((t) => t.id !== 'commands');
  const pipeline = tools.find((t) => t.id === 'pipeline');

  const checkOutputs = async (when: string): Promise<void> => {
    for (const t of tools) {
      const got = await readFile(join(t.workspace, STAGE_OUT.final), 'utf8').catch(() => '(missing)');
      if (got !== expected) problems.push(`${t.label}: ${STAGE_OUT.final} after ${when} is ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    }
  };

  const addedFile = (t: ToolUnderTest): string => join(t.workspace, 'corpus', corpusFileName(opts.files));
  const nonce = Date.now().toString(36);
  const scenarios: Scenario[] = [
    { id: 'cold', title: 'cold (no outs, no caches)', reps: opts['cold-reps'], tools, settle: false, before: (t) => t.clean(), pipelineExpects: 'ran' },
    { id: 'noop', title: 'no-op', reps: opts.reps, tools: tools_, settle: true, pipelineExpects: 'fresh' },
    ...(pipeline
      ? [{ id: 'noop-plain', title: 'no-op, plain output', reps: opts.reps, tools: [plainOutputVariant(pipeline)], settle: false } satisfies Scenario]
      : []),
    {
      id: 'add',
      title: 'one corpus file added',
      reps: opts.reps,
      tools,
      settle: true,
      // A different line count every time, so index.json (and so big, final) changes on every
      // repetition and `pipeline` cannot answer any stage from its run cache.
      before: (t, rep) => writeFile(addedFile(t), addedFileText(`${nonce}-${rep}`, 10 + rep)),
      after: async (t, rep) => {
        await rm(addedFile(t), { force: true });
        await runOnce(t, `restoring the corpus after "add" repetition ${rep}`);
      },
      pipelineExpects: 'ran',
    },
    {
      id: 'touch',
      title: 'touch big.bin',
      reps: opts.reps,
      tools: tools_,
      settle: true,
      before: async (t) => {
        const now = new Date();
        await utimes(join(t.workspace, 'big.bin'), now, now);
      },
      pipelineExpects: 'fresh',
    },
  ];

  // ---- measure ------------------------------------------------------------------------------
  const results: Results = {};
  // The no-op floor's unit: a bare `node -e 0`, started the same way, after each no-op repetition.
  const nodeStartMs: number[] = [];
  const nodeStart = { file: process.execPath, args: ['-e', '0'], cwd: root, env: { ...process.env } };
  for (const sc of scenarios) {
    if (sc.settle) for (const t of sc.tools) await runOnce(t, `the untimed run before "${sc.title}"`);
    const perTool: Partial<Record<ToolId, Measurement>> = {};
    for (let rep = 1; rep <= sc.reps; rep++) {
      // Tools take turns within a repetition, so drift on the machine affects all of them alike.
      for (const t of sc.tools) {
        await sc.before?.(t, rep);
        const r = await runOnce(t, `"${sc.title}" repetition ${rep}`);
        const m = (perTool[t.id] ??= { ms: [], peakRssKiB: [], cpuSeconds: [], outcomes: [] });
        m.ms.push(r.ms);
        if (r.peakRssKiB !== undefined) m.peakRssKiB.push(r.peakRssKiB);
        if (r.cpuSeconds !== undefined) m.cpuSeconds.push(r.cpuSeconds);
        m.outcomes.push(r.outcome);
        log(`bench: ${sc.title} ${rep}/${sc.reps}  ${t.label.padEnd(9)} ${formatSeconds(r.ms).padStart(9)}  ${describeOutcome(r.outcome)}`);
        if (t.id === 'pipeline' && sc.pipelineExpects) {
          const wrong = STAGES.filter((s) => r.outcome[s] !== sc.pipelineExpects);
          if (wrong.length > 0)
            problems.push(
              `pipeline, ${sc.title} repetition ${rep}: expected every stage ${sc.pipelineExpects}, got ${wrong.map((s) => `${s} ${r.outcome[s]}`).join(', ')}`,
            );
        }
        await sc.after?.(t, rep);
      }
      if (sc.id === 'noop') {
        const run = await timeCommand(nodeStart, { resources: true, timeoutMs: 60_000 });
        if (run.exitCode !== 0) throw new BenchError(`node -e 0 failed: ${describeFailure(nodeStart, run)}`);
        nodeStartMs.push(run.ms);
        log(`bench: no-op ${rep}/${sc.reps}  node -e 0 ${formatSeconds(run.ms).padStart(9)}`);
      }
    }
    results[sc.id] = perTool;
    await checkOutputs(sc.title);
  }

  if (buildAtStart !== undefined) {
    const buildAtEnd = await engineBuildDir(repo);
    if (buildAtEnd !== buildAtStart) {
      warnings.push(
        `the package's sources changed during the run (build ${buildAtStart} → ${buildAtEnd}): some pipeline timings include a launcher rebuild; rerun from a quiet checkout (e.g. a git clone of HEAD with node_modules linked)`,
      );
    }
  }

  // ---- report -------------------------------------------------------------------------------
  process.stdout.write(
    renderReport({
      command: `node bin/pipeline.js --exec bench/engine-main.ts ${args.join(' ')}`.trim(),
      scenarios,
      tools,
      results,
      workload: { files: opts.files, corpusBytes: corpusBuf.length, bigBytes },
      machine: { cpus: cpus().length, memBytes: totalmem(), loadAtStart, loadAtEnd: await machineLoad() },
      versions,
      reference: { runs: refRuns.length, ms: median(refRuns.map((r) => r.ms)), cpuMs: median(refRuns.map((r) => r.cpuMs)) },
      nodeStartMs,
      resources: await hasGnuTime(),
      scratchDir: `${root}${opts.keep ? ' (workspaces kept)' : ''}`,
      problems,
      warnings,
    }),
  );

  if (!opts.keep) for (const t of tools) await rm(t.workspace, { recursive: true, force: true });
  if (!opts.keep) await rm(join(root, 'pipeline-cache'), { recursive: true, force: true });
  if (problems.length > 0) throw new BenchError(`${problems.length} problem(s), listed above`);
}
