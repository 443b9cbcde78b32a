// The three tools the engine benchmark compares, each in its own workspace: how to run it, how to
// make it cold, and what a run re-executed.
import { link, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CommandSpec, TimedRun } from '../timeCommand.js';
import { STAGES, STAGE_OUT, makefile, pipelineTs, scriptFiles, snakefile, type StageName } from './dagFiles.js';

/** `commands`: the four stage commands run in order by one shell script, no tool at all (the floor). */
export type ToolId = 'pipeline' | 'make' | 'snakemake' | 'commands';
export const TOOL_IDS: readonly ToolId[] = ['pipeline', 'make', 'snakemake', 'commands'];

/** What a run did to a stage: pipeline's own statuses; for make/snakemake `ran` = out rewritten. */
export type StageOutcome = 'ran' | 'fresh' | 'restored' | 'skipped' | 'failed' | 'blocked';
export type RunOutcome = Record<StageName, StageOutcome>;

/** Per-out (mtime ns, inode) before a run, to see which outs a run rewrote. */
export type OutStamps = Partial<Record<StageName, string>>;

export interface ToolUnderTest {
  id: ToolId;
  /** Column label, e.g. `make -r`. */
  label: string;
  workspace: string;
  /** The timed command (never a TTY; output captured). */
  spec: CommandSpec;
  /** Removes outs and every cache the tool keeps, so the next run is cold. */
  clean(): Promise<void>;
  /** Outcome per stage of a finished run (`before` = stamps taken just before it). */
  outcome(before: OutStamps, run: TimedRun): Promise<RunOutcome>;
}

export async function stampOuts(workspace: string): Promise<OutStamps> {
  const stamps: OutStamps = {};
  for (const s of STAGES) {
    const st = await stat(join(workspace, STAGE_OUT[s]), { bigint: true }).catch(() => undefined);
    if (st) stamps[s] = `${st.mtimeNs}:${st.ino}`;
  }
  return stamps;
}

/** Outcome per stage from which outs changed since `before`. */
export async function outcomeFromStamps(workspace: string, before: OutStamps): Promise<RunOutcome> {
  const after = await stampOuts(workspace);
  const result = {} as RunOutcome;
  for (const s of STAGES) result[s] = after[s] === undefined ? 'failed' : after[s] !== before[s] ? 'ran' : 'fresh';
  return result;
}

const summaryLine = z.object({
  event: z.literal('summary'),
  ok: z.boolean(),
  stages: z.array(z.object({ name: z.string(), status: z.enum(['ran', 'fresh', 'restored', 'skipped', 'failed', 'blocked']) }).loose()),
});

/** Stage statuses from the last line of `pipeline run --json`; throws with the output if absent. */
export function pipelineOutcome(stdout: string): RunOutcome {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  let json: unknown;
  try {
    json = JSON.parse(last);
  } catch {
    json = undefined;
  }
  const parsed = summaryLine.safeParse(json);
  if (!parsed.success) throw new Error(`no summary line at the end of \`pipeline run --json\` output:\n${stdout.slice(-2000)}`);
  const result = {} as RunOutcome;
  for (const s of STAGES) {
    const found = parsed.data.stages.find((x) => x.name === s);
    if (!found) throw new Error(`\`pipeline run --json\` summary has no stage "${s}": ${last}`);
    result[s] = found.status;
  }
  return result;
}

export interface WorkspaceInputs {
  /** Writes the corpus into `<workspace>/corpus`. */
  writeCorpus(dir: string): Promise<void>;
  /** The shared big file, hard-linked into each workspace as big.bin. */
  bigFile: string;
}

async function prepareWorkspace(workspace: string, inputs: WorkspaceInputs, files: Record<string, string>): Promise<void> {
  await rm(workspace, { recursive: true, force: true });
  await mkdir(workspace, { recursive: true });
  await inputs.writeCorpus(join(workspace, 'corpus'));
  await link(inputs.bigFile, join(workspace, 'big.bin'));
  await mkdir(join(workspace, 'cmd'), { recursive: true });
  for (const [rel, text] of Object.entries({ ...scriptFiles(), ...files })) await writeFile(join(workspace, rel), text);
}

function baseEnv(): Record<string, string | undefined> {
  return { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: undefined };
}

export async function pipelineTool(root: string, repo: string, inputs: WorkspaceInputs): Promise<ToolUnderTest> {
  const workspace = join(root, 'ws-pipeline');
  const cacheDir = join(root, 'pipeline-cache');
  await prepareWorkspace(workspace, inputs, { 'pipeline.ts': pipelineTs(join(repo, 'src', 'api.ts')), 'pipeline.yaml': '{}\n' });
  await rm(cacheDir, { recursive: true, force: true });
  const spec: CommandSpec = {
    file: process.execPath,
    args: [join(repo, 'bin', 'pipeline.js'), 'run', '--json'],
    cwd: workspace,
    env: { ...baseEnv(), PIPELINE_CACHE_DIR: cacheDir },
  };
  return {
    id: 'pipeline',
    label: 'pipeline',
    workspace,
    spec,
    async clean() {
      for (const p of ['out', '.pipeline', 'artifacts']) await rm(join(workspace, p), { recursive: true, force: true });
      await rm(cacheDir, { recursive: true, force: true });
    },
    outcome: async (_before, run) => pipelineOutcome(run.stdout),
  };
}

/** The same pipeline workspace run with its plain (non-TTY) output instead of --json. */
export function plainOutputVariant(tool: ToolUnderTest): ToolUnderTest {
  return {
    ...tool,
    label: `${tool.label} (plain output)`,
    spec: { ...tool.spec, args: tool.spec.args.filter((a) => a !== '--json') },
    outcome: (before) => outcomeFromStamps(tool.workspace, before),
  };
}

export async function makeTool(root: string, inputs: WorkspaceInputs): Promise<ToolUnderTest> {
  const workspace = join(root, 'ws-make');
  await prepareWorkspace(workspace, inputs, { Makefile: makefile() });
  return {
    id: 'make',
    label: 'make -r',
    workspace,
    spec: { file: 'make', args: ['-r', '-s'], cwd: workspace, env: baseEnv() },
    async clean() {
      await rm(join(workspace, 'out'), { recursive: true, force: true });
    },
    outcome: (before) => outcomeFromStamps(workspace, before),
  };
}

export async function snakemakeTool(root: string, inputs: WorkspaceInputs): Promise<ToolUnderTest> {
  const workspace = join(root, 'ws-snakemake');
  await prepareWorkspace(workspace, inputs, { Snakefile: snakefile() });
  return {
    id: 'snakemake',
    label: 'snakemake',
    workspace,
    spec: { file: 'snakemake', args: ['-c1', '-q'], cwd: workspace, env: baseEnv() },
    async clean() {
      for (const p of ['out', '.snakemake']) await rm(join(workspace, p), { recursive: true, force: true });
    },
    outcome: (before) => outcomeFromStamps(workspace, before),
  };
}

/** The stage commands alone, in order, by one shell script: what any tool adds is on top of this. */
export async function commandsTool(root: string, inputs: WorkspaceInputs): Promise<ToolUnderTest> {
  const workspace = join(root, 'ws-commands');
  await prepareWorkspace(workspace, inputs, {});
  return {
    id: 'commands',
    label: 'commands alone',
    workspace,
    spec: { file: 'sh', args: ['cmd/all.sh'], cwd: workspace, env: baseEnv() },
    async clean() {
      await rm(join(workspace, 'out'), { recursive: true, force: true });
    },
    outcome: (before) => outcomeFromStamps(workspace, before),
  };
}
