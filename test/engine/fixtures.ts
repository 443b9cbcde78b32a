// Shared bits of the engine tests: temp workspaces with their own small pipeline.ts, running the
// real CLI (to completion or in the background), reading its JSON events, and polling for files.
import { spawn, type ChildProcess } from 'node:child_process';
import { pidIn, processGone } from '../helpers/processes.js';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, makeWorkspace, REPO, runCli, type CliResult } from '../helpers/workspace.js';
import { renderReason, type Reason } from '../../src/reasons.js';

export { REPO, BIN };

/** The engine API as a workspace's pipeline.ts imports it (absolute path, rewritten by the loader). */
export const API_IMPORT = JSON.stringify(join(REPO, 'src', 'api.ts'));

/**
 * Helpers every test DAG can call from its stages. They live outside the stages' `run`, so they are
 * not part of any stage's implementation fingerprint.
 * - bump(ctx, name): appends to counts/<name> (outside every out) and returns the new count, so a
 *   test can tell "ran" from "restored" or "fresh".
 * - waitForFile(path, what): polls for a file (bounded), for barriers between stages and tests.
 * - sh(ctx, script, ...args): runs `sh -c script sh args…` through ctx.exec.
 */
const PRELUDE = `
import { z } from 'zod';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { definePipeline, defineStage, StageError } from ${API_IMPORT};

async function bump(ctx: { workspace: string }, name: string): Promise<number> {
  await mkdir(join(ctx.workspace, 'counts'), { recursive: true });
  await appendFile(join(ctx.workspace, 'counts', name), 'x');
  return (await readFile(join(ctx.workspace, 'counts', name), 'utf8')).length;
}

async function waitForFile(path: string, what: string, timeoutMs = 15000): Promise<void> {
  const t0 = Date.now();
  while (!existsSync(path)) {
    if (Date.now() - t0 > timeoutMs) throw new StageError('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function sh(ctx: any, script: string, ...args: string[]) {
  return ctx.exec('sh', ['-c', script, 'sh', ...args]);
}
void bump; void waitForFile; void sh; void readFile; void writeFile; void StageError; void existsSync;
`;

/** A pipeline.ts: the prelude, then `export default definePipeline({ schema, stages })`. */
export function dagSource(schema: string, stages: string, extra = ''): string {
  return `${PRELUDE}\n${extra}\nexport default definePipeline({\n  schema: ${schema},\n  stages: [\n${stages}\n  ],\n});\n`;
}

/**
 * The standard test DAG:
 *   in/ ──one (a.n)──▶ out/one.txt ──two──▶ out/two.txt
 *   in/ ──side (b.m)──▶ out/side.txt
 * Each stage bumps its counter. one writes `n=<a.n>` and every dep file's content; two upper-cases
 * one's out; side writes `m=<b.m>` and the number of dep files.
 */
export const STD_SCHEMA = `z.object({
    a: z.object({ n: z.number().default(1) }).strict().prefault({}),
    b: z.object({ m: z.string().default('x') }).strict().prefault({}),
  }).strict()`;

export const STD_STAGES = `
    defineStage({ name: 'one', deps: ['in'], outs: ['out/one.txt'], params: ['a.n'],
      async run(ctx) {
        await bump(ctx, 'one');
        const parts: string[] = [];
        for (const d of ctx.deps) parts.push(d.path + ':' + (await readFile(join(ctx.workspace, d.path), 'utf8')).trim());
        await writeFile(ctx.out('out/one.txt'), 'n=' + ctx.param('a.n') + '\\n' + parts.join('\\n') + '\\n');
      } }),
    defineStage({ name: 'two', deps: ['out/one.txt'], outs: ['out/two.txt'],
      async run(ctx) {
        await bump(ctx, 'two');
        await writeFile(ctx.out('out/two.txt'), (await readFile(join(ctx.workspace, 'out/one.txt'), 'utf8')).toUpperCase());
      } }),
    defineStage({ name: 'side', deps: ['in'], outs: ['out/side.txt'], params: ['b.m'],
      async run(ctx) {
        await bump(ctx, 'side');
        await writeFile(ctx.out('out/side.txt'), 'm=' + ctx.param('b.m') + ' files=' + ctx.deps.length + '\\n');
      } }),`;

export const STD_PIPELINE_TS = dagSource(STD_SCHEMA, STD_STAGES);

const created: string[] = [];

/** A temp workspace with a pipeline.ts, a pipeline.yaml (default empty) and other files. */
export async function engineWorkspace(pipelineTs: string, files: Record<string, string> = {}): Promise<string> {
  const ws = await makeWorkspace({ 'pipeline.ts': pipelineTs, 'pipeline.yaml': '# test workspace\n', ...files }, 'pl-engine-');
  created.push(ws);
  return ws;
}

/** The standard DAG with in/a.txt. */
export function stdWorkspace(files: Record<string, string> = {}): Promise<string> {
  return engineWorkspace(STD_PIPELINE_TS, { 'in/a.txt': 'alpha\n', ...files });
}

/** Removes every workspace this test file created (call from afterAll). */
export async function removeWorkspaces(): Promise<void> {
  await Promise.all(created.splice(0).map((ws) => rm(ws, { recursive: true, force: true })));
}

/** Environment for CLI runs: deterministic (no inherited cache dir or GPU list). */
export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { PIPELINE_CACHE_DIR: undefined, CUDA_VISIBLE_DEVICES: undefined, ...extra };
}

export interface Summary {
  event: 'summary';
  ok: boolean;
  stages: Array<{ name: string; status: string; reason: string; ms: number; error?: string; key?: string }>;
  [k: string]: unknown;
}

export interface JsonRun extends CliResult {
  events: Array<Record<string, unknown>>;
  summary: Summary;
  /** name → status */
  statuses: Record<string, string>;
  stage(name: string): Summary['stages'][number];
}

/** Parses stdout of `run --json` strictly: every non-empty line must be a JSON object. */
export function parseRunJson(res: CliResult): JsonRun {
  const lines = res.stdout.split('\n').filter((l) => l !== '');
  const events = lines.map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new Error(`stdout line ${i + 1} is not JSON: ${l}\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`);
    }
  });
  const summary = events.at(-1) as Summary | undefined;
  if (!summary || summary.event !== 'summary') {
    throw new Error(`no summary as the last line (exit ${res.code})\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`);
  }
  const statuses = Object.fromEntries(summary.stages.map((s) => [s.name, s.status]));
  return {
    ...res,
    events,
    summary,
    statuses,
    stage(name) {
      const s = summary.stages.find((x) => x.name === name);
      if (!s) throw new Error(`no stage '${name}' in summary: ${JSON.stringify(summary)}`);
      return s;
    },
  };
}

/** `pipeline run --json …args`, parsed. */
export async function runJson(ws: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<JsonRun> {
  return parseRunJson(await runCli(ws, ['run', '--json', ...args], { env: cliEnv(env) }));
}

/** `pipeline …args` with the deterministic environment. */
export function cli(ws: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(ws, args, { env: cliEnv(env) });
}

export interface StageStatus {
  state: 'fresh' | 'stale' | 'restorable';
  reasons: string[];
}

export interface StageStatusJson {
  name: string;
  state: 'fresh' | 'stale' | 'restorable';
  /** Present when there are reasons. */
  reason?: string;
  reasons: Reason[];
}

/** `pipeline status --json …args` as printed: name → { name, state, reason, reasons: [{kind…}] }. */
export async function statusValues(ws: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<Record<string, StageStatusJson>> {
  const res = await runCli(ws, ['status', '--json', ...args], { env: cliEnv(env) });
  if (res.code !== 0) throw new Error(`status exited ${res.code}\n${res.stderr}`);
  const lines = res.stdout.split('\n').filter(Boolean);
  if (lines.length !== 1) throw new Error(`status --json printed ${lines.length} lines:\n${res.stdout}`);
  const parsed = JSON.parse(lines[0]!) as { stages: StageStatusJson[] };
  return Object.fromEntries(parsed.stages.map((s) => [s.name, s]));
}

/** `pipeline status --json …args` → name → { state, reasons as people read them }. */
export async function statusJson(ws: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<Record<string, StageStatus>> {
  const all = await statusValues(ws, args, env);
  return Object.fromEntries(
    Object.values(all).map(({ name, state, reason, reasons }) => {
      const texts = reasons.map(renderReason);
      // The human `reason` is exactly the rendered values, joined.
      if (texts.join('; ') !== (reason ?? ''))
        throw new Error(`status --json: reason ${JSON.stringify(reason)} is not its reasons rendered: ${JSON.stringify(texts)}`);
      return [name, { state, reasons: texts }];
    }),
  );
}

export interface BackgroundCli {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited (code, or the signal that ended it). */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `pipeline …args` in the background (for lock, kill and signal tests). */
export function startCli(ws: string, args: string[], env: Record<string, string | undefined> = {}): BackgroundCli {
  const full: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, CI: 'true', NO_COLOR: '1', ...cliEnv(env) })) if (v !== undefined) full[k] = v;
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ws, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
  if (child.pid === undefined) throw new Error('could not start the CLI');
  return { child, pid: child.pid, stdout: () => out, stderr: () => err, done };
}

/** Polls until `cond` holds; fails with `what` after the timeout. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Kills a leftover process a test caused (best effort, by pid) so a failing test leaves nothing behind. */
export function killIfAlive(pid: number | undefined): void {
  if (pid === undefined || processGone(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** Reads a pid a stage's child wrote to a file. */
export function readPid(path: string): number {
  const n = pidIn(path);
  if (n === undefined) throw new Error(`${path} does not hold a pid`);
  return n;
}

export { pidIn };

/** How many times a stage of the test DAG actually ran (its bump counter). */
export async function runsOf(ws: string, name: string): Promise<number> {
  return (await readFile(join(ws, 'counts', name), 'utf8').catch(() => '')).length;
}

export function read(ws: string, rel: string): Promise<string> {
  return readFile(join(ws, rel), 'utf8');
}

export function exists(ws: string, rel: string): boolean {
  return existsSync(join(ws, rel));
}

/** Every file below a directory (relative paths), [] when it does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  await walk(dir, '');
  return out.sort();
}

/** Total bytes of the files below a directory. */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await listFiles(dir)) total += (await stat(join(dir, f))).size;
  return total;
}

/** A stack trace line (`    at fn (file:1:2)`) anywhere in the text. */
export const STACK_LINE = /^\s+at .*(:\d+:\d+\)?|<anonymous>\)?)$/m;

/** A standard workspace after one successful run of every stage. */
export async function ranOnce(files: Record<string, string> = {}): Promise<string> {
  const ws = await stdWorkspace(files);
  const r = await runJson(ws);
  if (r.code !== 0 || r.summary.stages.some((s) => s.status !== 'ran')) {
    throw new Error(`the first run of the standard DAG did not run every stage: ${JSON.stringify(r.summary)}\n${r.stderr}`);
  }
  return ws;
}

export { processGone };
