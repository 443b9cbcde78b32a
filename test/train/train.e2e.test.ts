// The train stage through the real CLI, with the llamafactory-cli double standing in for
// LLaMA-Factory: YAML and env the trainer receives, live progress, resume, cache, preflight.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BIN, PROJECT_PIPELINE_TS, makeWorkspace, parseJsonEvents, runCli } from '../helpers/workspace.js';
import { DOUBLES_PATH, processAlive, readRecords, sampleFanFiction, trainWorkspaceFiles } from './fixtures.js';

const workspaces: string[] = [];
async function workspace(yamlExtra = ''): Promise<{ ws: string; record: string; env: Record<string, string> }> {
  const ws = await makeWorkspace({ ...trainWorkspaceFiles(yamlExtra), 'pipeline.ts': PROJECT_PIPELINE_TS }, 'pl-train-');
  workspaces.push(ws);
  const record = join(ws, 'trainer-record.jsonl');
  return { ws, record, env: { FAKE_TRAIN_RECORD: record, FAKE_TRAIN_STEP_MS: '20', PATH: DOUBLES_PATH } };
}
afterAll(async () => {
  for (const ws of workspaces) await rm(ws, { recursive: true, force: true });
});

function stageOf(summary: ReturnType<typeof parseJsonEvents>['summary'], name: string) {
  return summary.stages.find((s) => s.name === name);
}

describe('train stage (end to end, llamafactory-cli double)', () => {
  test('trains on one pinned GPU with the rendered YAML, shows live progress, promotes the adapter', async () => {
    const { ws, record, env } = await workspace();
    const r = await runCli(ws, ['run', 'train', '--json'], { env });
    expect(r.code).toBe(0);
    const { events, summary } = parseJsonEvents(r.stdout);
    expect(stageOf(summary, 'register')?.status).toBe('ran');
    expect(stageOf(summary, 'train')?.status).toBe('ran');

    const starts = (await readRecords(record)).filter((e) => e.event === 'start');
    expect(starts).toHaveLength(1);
    const start = starts[0]!;
    expect(start.env).toEqual({ CUDA_VISIBLE_DEVICES: '0', FORCE_TORCHRUN: null, NPROC_PER_NODE: null, WORLD_SIZE: '1' });
    expect(start.config).toMatchObject({
      model_name_or_path: join(ws, 'models', 'base'),
      finetuning_type: 'lora',
      lora_rank: 8,
      quantization_bit: 4,
      quantization_method: 'bnb',
      quantization_type: 'nf4',
      double_quantization: true,
      dataset: 'persona',
      dataset_dir: join(ws, 'data'),
      mix_strategy: 'concat',
      overwrite_output_dir: false,
      plot_loss: true,
      max_steps: 8,
    });
    // The trainer got the YAML kept under artifacts/train/<key>.yaml, a path without spaces.
    const key = stageOf(summary, 'train') as unknown as { key: string };
    const yamlPath = join(ws, 'artifacts', 'train', `${key.key}.yaml`);
    expect(start.argv).toEqual([yamlPath]);
    expect(parse(await readFile(yamlPath, 'utf8'))).toEqual(start.config);

    const progress = events.filter((e) => e.event === 'progress' && e.stage === 'train' && typeof e.current === 'number');
    expect(progress.map((e) => e.current)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 8]);
    expect(progress[2]).toMatchObject({ total: 8, message: expect.stringMatching(/^step 3\/8 · loss \d\.\d{3} · eta \d+:\d\d:\d\d$/) });

    const adapter = join(ws, 'artifacts', 'adapters', key.key);
    expect((await readdir(adapter)).sort()).toEqual([
      'adapter_config.json', 'adapter_model.safetensors', 'all_results.json', 'train_config.yaml',
      'train_results.json', 'trainer_log.jsonl', 'trainer_state.json', 'training_loss.png',
    ]);
    expect(await readFile(join(ws, 'artifacts', 'adapters', 'current'), 'utf8')).toBe(`${key.key}\n`);
    expect(JSON.parse(await readFile(join(adapter, 'adapter_config.json'), 'utf8')).r).toBe(8);

    // Same inputs again: nothing runs.
    const again = await runCli(ws, ['run', 'train', '--json'], { env });
    expect(stageOf(parseJsonEvents(again.stdout).summary, 'train')?.status).toBe('fresh');
    expect((await readRecords(record)).filter((e) => e.event === 'start')).toHaveLength(1);
  });

  test('two devices: CUDA_VISIBLE_DEVICES=0,1, FORCE_TORCHRUN=1, NPROC_PER_NODE=2', async () => {
    const { ws, record, env } = await workspace('  gpus: 2');
    const r = await runCli(ws, ['run', 'train', '--json'], { env });
    expect(r.code).toBe(0);
    const recs = await readRecords(record);
    expect(recs.filter((e) => e.event === 'process').map((e) => e.role).sort()).toEqual(['launcher', 'worker-0', 'worker-1']);
    expect(recs.find((e) => e.event === 'start')?.env).toEqual({
      CUDA_VISIBLE_DEVICES: '0,1',
      FORCE_TORCHRUN: '1',
      NPROC_PER_NODE: '2',
      WORLD_SIZE: '2',
    });
  });

  test('a run killed at step k resumes from its checkpoint; another key starts from step 1', async () => {
    const { ws, record, env } = await workspace();
    const died = await runCli(ws, ['run', 'train', '--json'], { env: { ...env, FAKE_TRAIN_DIE_AT: '7' } });
    expect(died.code).toBe(1);
    expect(stageOf(parseJsonEvents(died.stdout).summary, 'train')?.status).toBe('failed');
    expect(died.stdout + died.stderr).toContain('checkpoint-6 is kept: rerun `npx pipeline run train` with the same config to resume from it');
    expect(died.stdout + died.stderr).toContain('CUDA out of memory');
    expect(died.stdout + died.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace

    // A different key never sees that checkpoint.
    const other = await runCli(ws, ['run', 'train', '--json', '--set', 'train.lora_rank=4'], { env });
    expect(other.code).toBe(0);
    // The original key resumes after checkpoint-6 instead of starting over.
    const resumed = await runCli(ws, ['run', 'train', '--json'], { env });
    expect(resumed.code).toBe(0);
    const starts = (await readRecords(record)).filter((e) => e.event === 'start');
    expect(starts.map((s) => [s.config?.lora_rank, s.first_step, s.resumed_from])).toEqual([
      [8, 1, null],
      [4, 1, null],
      [8, 7, 'checkpoint-6'],
    ]);
    const key = (stageOf(parseJsonEvents(resumed.stdout).summary, 'train') as unknown as { key: string }).key;
    const log = (await readFile(join(ws, 'artifacts', 'adapters', key, 'trainer_log.jsonl'), 'utf8')).trim().split('\n');
    // steps 1..6 from the first attempt, 7..8 and the summary line from the resumed one
    expect(log.map((l) => (JSON.parse(l) as { current_steps: number }).current_steps)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 8]);
    expect(existsSync(join(ws, '.pipeline', 'staging', `train-${key}`))).toBe(false);
  });

  test('lora_rank 16 trains; going back to 8 restores the first adapter without training', async () => {
    const { ws, record, env } = await workspace();
    const first = await runCli(ws, ['run', 'train', '--json'], { env });
    const key8 = (stageOf(parseJsonEvents(first.stdout).summary, 'train') as unknown as { key: string }).key;
    const adapter8 = await readFile(join(ws, 'artifacts', 'adapters', key8, 'adapter_model.safetensors'));
    const r16 = await runCli(ws, ['run', 'train', '--json', '--set', 'train.lora_rank=16'], { env });
    const s16 = stageOf(parseJsonEvents(r16.stdout).summary, 'train') as unknown as { key: string; status: string };
    expect(s16.status).toBe('ran');
    expect(await readFile(join(ws, 'artifacts', 'adapters', 'current'), 'utf8')).toBe(`${s16.key}\n`);
    await rm(join(ws, 'artifacts', 'adapters', key8), { recursive: true });

    const back = await runCli(ws, ['run', 'train', '--json'], { env });
    const s8 = stageOf(parseJsonEvents(back.stdout).summary, 'train') as unknown as { key: string; status: string };
    expect(s8).toMatchObject({ status: 'restored', key: key8 });
    expect(await readFile(join(ws, 'artifacts', 'adapters', 'current'), 'utf8')).toBe(`${key8}\n`);
    expect(await readFile(join(ws, 'artifacts', 'adapters', key8, 'adapter_model.safetensors'))).toEqual(adapter8);
    expect((await readRecords(record)).filter((e) => e.event === 'start')).toHaveLength(2);
  });

  test('llamafactory-cli missing: exit 1 with the fix, extract and register still complete', async () => {
    // The project's default mix: the hand-curated set plus what extract makes of the sample text.
    const ws = await makeWorkspace(
      {
        ...sampleFanFiction(),
        'data/eyjafjalla_sft.json': trainWorkspaceFiles()['data/persona.json'] ?? '',
        'models/base/config.json': '{}',
        'pipeline.yaml': 'gpus: [0]\ntrain:\n  model_name_or_path: models/base\n',
        'pipeline.ts': PROJECT_PIPELINE_TS,
      },
      'pl-train-',
    );
    workspaces.push(ws);
    const r = await runCli(ws, ['run', '--json'], { env: { PATH: process.env.PATH } });
    expect(r.code).toBe(1);
    const { summary } = parseJsonEvents(r.stdout);
    expect(summary.stages.map((s) => [s.name, s.status])).toEqual([
      ['extract', 'ran'],
      ['register', 'ran'],
      ['train', 'failed'],
      ['regress', 'blocked'],
    ]);
    const out = r.stdout + r.stderr;
    expect(out).toContain('`llamafactory-cli` was not found on PATH');
    expect(out).toContain('set `train.command` in pipeline.yaml to the full path of llamafactory-cli');
    expect(out).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(Object.keys(JSON.parse(await readFile(join(ws, 'data', 'dataset_info.json'), 'utf8')))).toEqual(
      expect.arrayContaining(['eyjafjalla_sft', 'eyjafjalla_tongren_sft']),
    );
  });

  test('Ctrl-C ends the trainer’s whole process tree and exits 130', async () => {
    const { ws, record, env } = await workspace('  gpus: 2');
    const child = spawn(process.execPath, [BIN, 'run', 'train'], {
      cwd: ws,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env, FAKE_TRAIN_STEP_MS: '2000' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const deadline = Date.now() + 20_000;
    while ((await readRecords(record)).filter((e) => e.event === 'process').length < 3) {
      if (Date.now() > deadline) throw new Error('trainer did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const pids = (await readRecords(record)).filter((e) => e.event === 'process').map((e) => e.pid);
    const survivors: number[] = [];
    for (const pid of pids) if (await processAlive(pid)) survivors.push(pid);
    expect(survivors).toEqual([]);
  });
});
