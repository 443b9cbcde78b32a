// `pipeline demo`: the whole DAG — extract, register, train, regress — in a throwaway copy of the
// workspace, with the stand-ins for LLaMA-Factory and a GPU from test/doubles on PATH. It shows a
// newcomer the training progress and the regression report in about a minute, on any machine.
// Everything it prints and the report it leaves say SIMULATION. This command is the only place
// the product ever puts the doubles on PATH; `run` always calls the real llamafactory-cli.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { moduleDir, UsageError, type CommandDef } from '../../src/api.js';
import { HISTORY_FILE, readHistory } from '../regress/history.js';
import { renderReport, REPORT_FILE } from '../regress/report.js';
import { readCurrentPointer } from '../train/currentAdapter.js';

const HERE = moduleDir(import.meta.url);
const REPO = resolve(HERE, '..', '..');
const DOUBLES = join(REPO, 'test', 'doubles');
const BIN = join(REPO, 'bin', 'pipeline.js');

export const BANNER =
  "SIMULATION (pipeline demo): LLaMA-Factory and the GPU were stand-ins from test/doubles. Nothing was trained; the answers are scripted, not a model's.";

const DEMO_ANSWER = '前辈，我是艾雅法拉，罗德岛的火山学家。（SIMULATION：这是 pipeline demo 的替身写好的回答，不是模型生成的。）';

const USAGE = `Usage: pipeline demo [--dir DIR]

Runs the whole pipeline — extract, register, train, regress — as a simulation: in a throwaway copy
of this workspace (its pipeline.yaml and data; nothing here is changed), with stand-ins for
LLaMA-Factory and a GPU (the test doubles in test/doubles) on PATH. You see the task list, the
training progress and, at the end, the regression report, in about a minute and without a GPU.
Everything it prints and the report are labelled SIMULATION. \`pipeline run\` never uses the
stand-ins.

Options:
  --dir DIR   where the copy goes (must not exist, or be empty); default: a new folder in the
              system temp dir. It is kept so you can open the report; remove it when done.`;

/** Top-level entries not copied: the engine's own code, tests, and every kind of state. */
const NOT_COPIED = new Set([
  '.git',
  'node_modules',
  'dist',
  'cache',
  '.pipeline',
  'artifacts',
  'models',
  'src',
  'stages',
  'test',
  'bench',
  'docs',
  'pipeline.ts',
]);

function parseArgs(argv: readonly string[]): { dir?: string } {
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--dir') {
      dir = argv[++i];
      if (!dir) throw new UsageError('demo: --dir needs a directory');
    } else if (a.startsWith('--dir=')) dir = a.slice('--dir='.length);
    else throw new UsageError(`demo: unknown argument ${JSON.stringify(a)} (see \`pipeline demo --help\`)`);
  }
  return { dir };
}

async function prepare(workspace: string, dir: string | undefined): Promise<string> {
  let dest: string;
  if (dir === undefined) dest = await mkdtemp(join(tmpdir(), 'pipeline-demo-'));
  else {
    dest = isAbsolute(dir) ? dir : resolve(workspace, dir);
    if (existsSync(dest) && (await readdir(dest)).length > 0) throw new UsageError(`demo: ${dir} is not empty; name a new or empty directory`);
    await mkdir(dest, { recursive: true });
  }
  for (const name of await readdir(workspace)) {
    const src = join(workspace, name);
    if (NOT_COPIED.has(name) || src === dest || !relative(src, dest).startsWith('..')) continue;
    await cp(src, join(dest, name), { recursive: true, verbatimSymlinks: true });
  }
  // The copy runs this workspace's DAG, and a base-model stand-in the trainer double accepts.
  await writeFile(join(dest, 'pipeline.ts'), `export { default } from ${JSON.stringify(join(workspace, 'pipeline.ts'))};\n`);
  await mkdir(join(dest, 'models', 'demo-base'), { recursive: true });
  await writeFile(join(dest, 'models', 'demo-base', 'config.json'), '{"model_type": "qwen2", "note": "pipeline demo stand-in"}\n');
  await writeFile(join(dest, 'models', 'demo-base', 'model.safetensors'), 'SIMULATION: no weights\n');
  // The API stand-in's one scripted answer, in character and saying what it is.
  await writeFile(join(dest, '.demo-answers.json'), `${JSON.stringify({ rules: [], default: DEMO_ANSWER })}\n`);
  return dest;
}

function runChild(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolvePromise(code ?? (signal ? 130 : 1));
    });
  });
}

export const demoCommand: CommandDef = {
  summary: 'SIMULATION of the whole pipeline (train + regress on stand-ins, no GPU) in a throwaway copy',
  usage: USAGE,
  async run(ctx) {
    const { dir } = parseArgs(ctx.argv);
    const t0 = Date.now();
    const dest = await prepare(ctx.workspace, dir);
    const line = '='.repeat(78);
    ctx.stdout.write(`${line}\nSIMULATION — pipeline demo in ${dest}\nLLaMA-Factory and the GPU are stand-ins (test/doubles); nothing is trained.\n${line}\n`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${DOUBLES}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      PIPELINE_CACHE_DIR: join(dest, 'cache'),
      CUDA_VISIBLE_DEVICES: '0',
      // The stand-ins' pace: slow enough to watch the progress, quick enough for a demo.
      FAKE_TRAIN_STEP_MS: process.env.FAKE_TRAIN_STEP_MS ?? '150',
      FAKE_API_STARTUP_MS: process.env.FAKE_API_STARTUP_MS ?? '1500',
      FAKE_API_LATENCY_MS: process.env.FAKE_API_LATENCY_MS ?? '150',
      FAKE_API_SCRIPT: join(dest, '.demo-answers.json'),
    };
    const sets = [
      'train.command=llamafactory-cli',
      'train.model_name_or_path=models/demo-base',
      'train.base_config=null',
      'train.logging_steps=2',
      'regress.endpoint=null',
    ].flatMap((s) => ['--set', s]);
    const code = await runChild(dest, ['run', '--gpus', '0', ...sets], env);
    // The report says what it is: re-rendered from the copy's history with the banner on top.
    const { entries } = await readHistory(join(dest, HISTORY_FILE), HISTORY_FILE);
    const report = join(dest, REPORT_FILE);
    if (entries.length > 0) await writeFile(report, renderReport(entries, { banner: BANNER }));
    const current = (await readCurrentPointer(dest).catch(() => undefined)) ?? '';
    const secs = Math.round((Date.now() - t0) / 1000);
    ctx.stdout.write(
      [
        line,
        `SIMULATION finished in ${secs} s (exit ${code}). ${BANNER}`,
        `  copy of the workspace: ${dest}`,
        ...(entries.length > 0 ? [`  regression report:     ${report}`] : []),
        ...(current ? [`  training log:          ${join(dest, 'artifacts', 'adapters', current, 'trainer_log.jsonl')}`] : []),
        `  remove it when done:   rm -rf ${dest}`,
        line,
        '',
      ].join('\n'),
    );
    return code;
  },
};
