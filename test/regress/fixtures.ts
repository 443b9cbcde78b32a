// A workspace for the regress stage alone: a DAG with just `regress` (built from this repo's
// modules), a trained-adapter stand-in behind artifacts/adapters/current, a small original case
// file, and the fake OpenAI server behind the llamafactory-cli double.
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, makeWorkspace, parseJsonEvents, REPO, type CliResult } from '../helpers/workspace.js';
import { FAKE_CLI_DIR, writeScript, type FakeRule } from './fakeApi.js';

export const ADAPTER_KEY = 'a1b2c3d4e5f6';

export const REGRESS_DAG_TS = `import { z } from 'zod';
import { definePipeline } from ${JSON.stringify(join(REPO, 'src', 'api.ts'))};
import * as train from ${JSON.stringify(join(REPO, 'stages', 'train', 'index.ts'))};
import * as regress from ${JSON.stringify(join(REPO, 'stages', 'regress', 'index.ts'))};
import { personaSchema } from ${JSON.stringify(join(REPO, 'stages', 'persona', 'index.ts'))};
export default definePipeline({
  schema: z.object({ persona: personaSchema, train: train.configSchema, inference: train.inferenceSchema, regress: regress.configSchema }),
  stages: [regress.stage],
  commands: { ...regress.commands },
});
`;

export interface CaseSpec {
  id: string;
  tags?: string[];
  messages?: Array<{ role: 'user' | 'assistant'; content: string }>;
  user?: string;
  checks?: Record<string, unknown>;
  system_override?: string;
}

export function casesJsonl(cases: CaseSpec[]): string {
  return (
    cases
      .map(({ user, messages, ...c }) => JSON.stringify({ ...c, messages: messages ?? [{ role: 'user', content: user ?? c.id }], checks: c.checks ?? {} }))
      .join('\n') + '\n'
  );
}

/** Four original cases and the double's scripted answers: three pass, `care-1` fails `too_short`. */
export const SAMPLE_CASES: CaseSpec[] = [
  { id: 'identity-1', tags: ['identity'], user: '你是谁呀？', checks: { must_contain_any: ['艾雅法拉', '阿黛尔'], must_not_contain: ['AI'] } },
  { id: 'tone-1', tags: ['tone'], user: '实验失败了，好沮丧。', checks: { must_contain: ['前辈'] } },
  { id: 'care-1', tags: ['care'], user: '凌晨三点还在加班。', checks: { min_chars: 40 } },
  {
    id: 'multi-1',
    tags: ['multi_turn'],
    messages: [
      { role: 'user', content: '我叫林远。' },
      { role: 'assistant', content: '林远前辈，你好呀。' },
      { role: 'user', content: '我叫什么来着？' },
    ],
    checks: { must_contain: ['林远'] },
  },
];

export const SAMPLE_RULES: FakeRule[] = [
  { contains: '你是谁', response: '前辈好，我是艾雅法拉，罗德岛的火山学家。' },
  { contains: '实验失败', response: '前辈已经很努力了，我们明天再一起试试吧。' },
  { contains: '凌晨三点', response: '前辈，该休息了。' },
  { contains: '我叫什么', response: '前辈是林远呀，我记得的。' },
];

export interface RegressWorkspace {
  ws: string;
  /** The fake server's event log. */
  log: string;
  pidFile: string;
  env: Record<string, string>;
}

export async function regressWorkspace(
  opts: { cases?: CaseSpec[]; casesText?: string; rules?: FakeRule[]; yaml?: string[]; topYaml?: string[]; env?: Record<string, string> } = {},
): Promise<RegressWorkspace> {
  const ws = await makeWorkspace(
    {
      'pipeline.ts': REGRESS_DAG_TS,
      'pipeline.yaml':
        [
          'gpus: [0, 1]',
          ...(opts.topYaml ?? []),
          'train:',
          '  model_name_or_path: models/base',
          'regress:',
          '  cases: data/cases.jsonl',
          ...(opts.yaml ?? []),
        ].join('\n') + '\n',
      'models/base/config.json': '{"model_type": "qwen2"}\n',
      [`artifacts/adapters/${ADAPTER_KEY}/adapter_config.json`]: '{"r": 8, "peft_type": "LORA"}\n',
      [`artifacts/adapters/${ADAPTER_KEY}/adapter_model.safetensors`]: 'adapter weights stand-in v1\n',
      'artifacts/adapters/current': `${ADAPTER_KEY}\n`,
      'data/cases.jsonl': opts.casesText ?? casesJsonl(opts.cases ?? SAMPLE_CASES),
    },
    'pl-regress-',
  );
  const log = join(ws, '.fake-api.jsonl');
  const pidFile = join(ws, '.fake-api.pid');
  const script = await writeScript(ws, opts.rules ?? SAMPLE_RULES);
  return {
    ws,
    log,
    pidFile,
    env: {
      PATH: `${FAKE_CLI_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      FAKE_API_LOG: log,
      FAKE_API_PIDFILE: pidFile,
      FAKE_API_SCRIPT: script,
      FAKE_API_STARTUP_MS: '300',
      ...opts.env,
    },
  };
}

/** True while `pid` is a live (non-zombie) process. */
export async function alive(pid: number): Promise<boolean> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every file below `dir` (for "the key appears nowhere" checks). */
export async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else if (e.isFile() || (await stat(p)).isFile()) out.push(p);
  }
  return out;
}

export async function readJsonl<T = Record<string, unknown>>(p: string): Promise<T[]> {
  return (await readFile(p, 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** Starts `pipeline run …` in the background (for Ctrl-C tests). */
export function startCli(cwd: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code, signal) => res(code ?? (signal ? 128 : null))));
  return { child, exited, output: () => output };
}

/** Asserts a CLI exit code; on a mismatch the failure shows what the CLI printed. */
export function expectExit(r: CliResult, code: number): void {
  if (r.code !== code) throw new Error(`expected exit ${code}, got ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

const made: string[] = [];

/** regressWorkspace, remembered for removal by `removeWorkspaces` (call it from afterAll). */
export async function setup(...args: Parameters<typeof regressWorkspace>): Promise<RegressWorkspace> {
  const w = await regressWorkspace(...args);
  made.push(w.ws);
  return w;
}

export async function removeWorkspaces(): Promise<void> {
  for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
}

/** The regress stage's entry in a `run --json` summary. */
export const regressOf = (stdout: string) => parseJsonEvents(stdout).summary.stages.find((s) => s.name === 'regress');

/** A stack frame in output: expected failures must not show one. */
export const noStack = /\n\s+at .*\.(js|ts):\d+/;
