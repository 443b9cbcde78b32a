import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trainPreflight } from '../../stages/train/preflight.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { FAKE_CLI, paramsFrom } from './fixtures.js';

const REG = { sources: { persona: { file: 'data/persona.json' } }, datasets: ['persona'] };

describe('train preflight', () => {
  let ws: string;
  beforeEach(async () => {
    ws = await makeWorkspace({
      'models/base/config.json': '{}',
      'models/empty/README.md': 'no config here',
      'data/dataset_info.json': JSON.stringify({ persona: { file_name: 'persona.json' } }),
    });
  });
  afterEach(() => rm(ws, { recursive: true, force: true }));

  const ok = { command: FAKE_CLI, model_name_or_path: 'models/base' };

  test('passes when the trainer, model, GPUs and datasets are all there', async () => {
    expect(await trainPreflight(paramsFrom({ train: ok, register: REG }), { workspace: ws, gpus: ['0'] })).toBeUndefined();
  });

  test('finds a bare command name on PATH and not elsewhere', async () => {
    const bin = join(ws, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'llamafactory-cli'), '#!/bin/sh\n');
    await chmod(join(bin, 'llamafactory-cli'), 0o755);
    const params = paramsFrom({ train: { model_name_or_path: 'models/base' }, register: REG });
    const saved = process.env.PATH;
    try {
      process.env.PATH = `${bin}:/usr/bin:/bin`;
      expect(await trainPreflight(params, { workspace: ws, gpus: ['0'] })).toBeUndefined();
      process.env.PATH = '/usr/bin:/bin';
      const msg = await trainPreflight(params, { workspace: ws, gpus: ['0'] });
      expect(msg).toContain('`llamafactory-cli` was not found on PATH');
      expect(msg).toContain('set `train.command` in pipeline.yaml');
    } finally {
      process.env.PATH = saved;
    }
  });

  test('names every problem with its fix', async () => {
    const params = paramsFrom({
      train: { command: join(ws, 'envs/AICHAT/bin/llamafactory-cli'), model_name_or_path: 'models/empty', finetuning_type: 'full', base_config: 'nope.yaml' },
      register: { sources: { persona: { file: 'x' }, other: { file: 'y' } }, datasets: ['persona', 'other'] },
    });
    const msg = (await trainPreflight(params, { workspace: ws, gpus: [] })) ?? '';
    const lines = msg.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toContain(`${join(ws, 'envs/AICHAT/bin/llamafactory-cli')} does not exist or is not executable`);
    expect(lines[1]).toContain('base model directory models/empty has no config.json');
    expect(lines[2]).toContain('no GPU in the pool: set `gpus: [0]` in pipeline.yaml, pass --gpus 0');
    expect(lines[3]).toContain('train.base_config: nope.yaml does not exist');
    expect(lines[4]).toBe(
      'dataset(s) other not registered in data/dataset_info.json: run `npx pipeline run register`, or remove them from register.datasets in pipeline.yaml',
    );
  });

  test('a missing model directory and too few devices', async () => {
    const params = paramsFrom({ train: { ...ok, model_name_or_path: '/nowhere/model', gpus: 2 }, register: REG });
    const msg = (await trainPreflight(params, { workspace: ws, gpus: ['3'] })) ?? '';
    expect(msg).toContain('base model directory /nowhere/model does not exist');
    expect(msg).toContain('train.gpus is 2 but the pool has 1 device(s) (3)');
  });
});
