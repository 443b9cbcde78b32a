import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectAdapter, prepareOutputDir } from '../../stages/train/adapterFiles.js';
import { makeWorkspace } from '../helpers/workspace.js';

describe('trainer output_dir', () => {
  let ws: string;
  let out: string;
  beforeEach(async () => {
    ws = await makeWorkspace();
    out = join(ws, 'staging', 'trainer-output');
  });
  afterEach(() => rm(ws, { recursive: true, force: true }));

  async function checkpoint(step: number, complete: boolean): Promise<void> {
    const dir = join(out, `checkpoint-${step}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'adapter_model.safetensors'), 'w');
    if (complete) await writeFile(join(dir, 'trainer_state.json'), JSON.stringify({ global_step: step }));
  }

  test('keeps complete checkpoints to resume from and drops one cut off while saving', async () => {
    await checkpoint(100, true);
    await checkpoint(200, true);
    await checkpoint(300, false);
    await writeFile(join(out, 'trainer_log.jsonl'), '{"current_steps": 310, "total_steps": 600}\n');
    const logged: string[] = [];
    expect(await prepareOutputDir(out, (l) => logged.push(l))).toBe(200);
    expect((await readdir(out)).sort()).toEqual(['checkpoint-100', 'checkpoint-200', 'trainer_log.jsonl']);
    expect(logged).toEqual(['removed checkpoint-300: incomplete (no trainer_state.json), probably cut off while saving']);
  });

  test('without a checkpoint the leftovers of an attempt are cleared (LLaMA-Factory refuses a non-empty dir)', async () => {
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'trainer_log.jsonl'), '{"current_steps": 5, "total_steps": 600}\n');
    await checkpoint(10, false);
    expect(await prepareOutputDir(out)).toBeUndefined();
    expect(await readdir(out)).toEqual([]);
  });

  test('collectAdapter moves the adapter files and reports missing required ones', async () => {
    await mkdir(out, { recursive: true });
    const dest = join(ws, 'adapter');
    await writeFile(join(out, 'adapter_config.json'), '{}');
    expect(await collectAdapter(out, dest)).toEqual(['adapter_model.safetensors']);
    for (const f of ['adapter_model.safetensors', 'trainer_state.json', 'training_args.bin', 'README.md']) await writeFile(join(out, f), f);
    expect(await collectAdapter(out, dest)).toEqual([]);
    expect((await readdir(dest)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'trainer_state.json']);
  });
});
