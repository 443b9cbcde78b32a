// The train stage through the real CLI, with the llamafactory-cli double standing in for
// LLaMA-Factory: YAML and env the trainer receives, live progress, devices, preflight.
import { lstat, mkdir, readdir, readFile, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_PIPELINE_TS, makeWorkspace, parseJsonEvents, runCli } from '../helpers/workspace.js';
import {
  DOUBLES,
  expectExit,
  readRecords,
  sampleFanFiction,
  stageOf,
  trainWorkspaceFiles,
  trainWorkspace,
  removeTrainWorkspaces,
  trackTrainWorkspace,
} from './fixtures.js';

const workspace = trainWorkspace;
afterAll(removeTrainWorkspaces);

describe('train stage (end to end, llamafactory-cli double)', () => {
  test('trains on one pinned GPU with the rendered YAML, shows live progress, promotes the adapter', async () => {
    const { ws, record, env } = await workspace();
    const r = await runCli(ws, ['run', 'train', '--json'], { env });
    expectExit(r, 0);
    const { events, summary } = parseJsonEvents(r.stdout);
    expect(stageOf(summary, 'register').status).toBe('ran');
    expect(stageOf(summary, 'train').status).toBe('ran');

    const starts = (await readRecords(record)).filter((e) => e.event === 'start');
    expect(starts).toHaveLength(1);
    const start = starts[0]!;
    expect(start.env).toEqual({ CUDA_VISIBLE_DEVICES: '0', FORCE_TORCHRUN: null, NPROC_PER_NODE: null, WORLD_SIZE: '1' });
    expect(start.config).not.toHaveProperty('lora_alpha'); // unset: LLaMA-Factory's 2 × lora_rank
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
    const key = stageOf(summary, 'train');
    const yamlPath = join(ws, 'artifacts', 'train', `${key.key}.yaml`);
    expect(start.argv).toEqual([yamlPath]);
    expect(parse(await readFile(yamlPath, 'utf8'))).toEqual(start.config);

    const progress = events.filter((e) => e.event === 'progress' && e.stage === 'train' && typeof e.current === 'number');
    expect(progress.map((e) => e.current)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 8]);
    expect(progress[2]).toMatchObject({ total: 8, message: expect.stringMatching(/^step 3\/8 · loss \d\.\d{3} · eta \d+:\d\d:\d\d$/) });

    const adapter = join(ws, 'artifacts', 'adapters', key.key);
    expect((await readdir(adapter)).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'all_results.json',
      'train_config.yaml',
      'train_results.json',
      'trainer_log.jsonl',
      'trainer_state.json',
      'training_loss.png',
    ]);
    // current: a relative link to the adapter, usable as adapter_name_or_path outside the pipeline.
    expect((await lstat(join(ws, 'artifacts', 'adapters', 'current'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(ws, 'artifacts', 'adapters', 'current'))).toBe(key.key);
    expect(await readFile(join(ws, 'artifacts', 'adapters', 'current', 'adapter_config.json'), 'utf8')).toBe(
      await readFile(join(adapter, 'adapter_config.json'), 'utf8'),
    );
    expect(JSON.parse(await readFile(join(adapter, 'adapter_config.json'), 'utf8')).r).toBe(8);

    // Same inputs again: nothing runs.
    const again = await runCli(ws, ['run', 'train', '--json'], { env });
    expect(stageOf(parseJsonEvents(again.stdout).summary, 'train')?.status).toBe('fresh');
    expect((await readRecords(record)).filter((e) => e.event === 'start')).toHaveLength(1);
    // Pointing train.command at another install does not make the adapter stale.
    const moved = await runCli(ws, ['status', 'train', '--json', '--set', 'train.command=/opt/envs/AICHAT/bin/llamafactory-cli'], { env });
    expect(JSON.parse(moved.stdout)).toEqual({
      stages: [
        { name: 'register', state: 'fresh', reasons: [] },
        { name: 'train', state: 'fresh', reasons: [] },
      ],
    });
  });

  test('two devices, train.command in a conda env that is not activated: the env’s torchrun runs (its bin first on PATH)', async () => {
    const { ws, record, env } = await workspace('  gpus: 2');
    const bin = join(ws, 'envs', 'AICHAT', 'bin');
    await mkdir(bin, { recursive: true });
    await symlink(join(DOUBLES, 'llamafactory-cli'), join(bin, 'llamafactory-cli'));
    await symlink(join(DOUBLES, 'torchrun'), join(bin, 'torchrun'));
    // neither llamafactory-cli nor torchrun on PATH
    const r = await runCli(ws, ['run', 'train', '--json', '--set', `train.command=${join(bin, 'llamafactory-cli')}`], {
      env: { ...env, PATH: '/usr/bin:/bin' },
    });
    expectExit(r, 0);
    const recs = await readRecords(record);
    expect(recs.find((e) => e.role === 'torchrun')).toMatchObject({ path: join(bin, 'torchrun') });
    expect(
      recs
        .filter((e) => e.event === 'process')
        .map((e) => e.role)
        .sort(),
    ).toEqual(['launcher', 'torchrun', 'worker-0', 'worker-1']);
  });

  test('two devices: CUDA_VISIBLE_DEVICES=0,1, FORCE_TORCHRUN=1, NPROC_PER_NODE=2', async () => {
    const { ws, record, env } = await workspace('  gpus: 2');
    const r = await runCli(ws, ['run', 'train', '--json'], { env });
    expectExit(r, 0);
    const recs = await readRecords(record);
    expect(
      recs
        .filter((e) => e.event === 'process')
        .map((e) => e.role)
        .sort(),
    ).toEqual(['launcher', 'torchrun', 'worker-0', 'worker-1']);
    expect(recs.find((e) => e.event === 'start')?.env).toEqual({
      CUDA_VISIBLE_DEVICES: '0,1',
      FORCE_TORCHRUN: '1',
      NPROC_PER_NODE: '2',
      WORLD_SIZE: '2',
    });
  });

  test('a workspace path with spaces: the multi-GPU launcher still gets a path without spaces', async () => {
    const { ws, record, env } = await workspace('  gpus: 2', 'pl train ');
    const r = await runCli(ws, ['run', 'train', '--json'], { env });
    expectExit(r, 0);
    const start = (await readRecords(record)).find((e) => e.event === 'start');
    expect(start?.argv).toHaveLength(1);
    expect(start?.argv?.[0]).not.toMatch(/\s/);
    const key = stageOf(parseJsonEvents(r.stdout).summary, 'train').key;
    // The copy kept for reruns by hand is still under artifacts/train/.
    expect(parse(await readFile(join(ws, 'artifacts', 'train', `${key}.yaml`), 'utf8'))).toEqual(start?.config);
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
    trackTrainWorkspace(ws);
    const r = await runCli(ws, ['run', '--json'], { env: { PATH: process.env.PATH } });
    expectExit(r, 1);
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
});
