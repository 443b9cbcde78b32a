// The train stage through the real CLI, with the llamafactory-cli double standing in for
// LLaMA-Factory: resuming a crashed run, restoring from the run cache, Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, parseJsonEvents, runCli } from '../helpers/workspace.js';
import { expectExit, processAlive, readRecords, stageOf, trainWorkspace, removeTrainWorkspaces } from './fixtures.js';

const workspace = trainWorkspace;
afterAll(removeTrainWorkspaces);

describe('train stage: resume, run cache, interruption (end to end)', () => {
  test('a run killed at step k resumes from its checkpoint; another key starts from step 1', async () => {
    const { ws, record, env } = await workspace();
    const died = await runCli(ws, ['run', 'train', '--json'], { env: { ...env, FAKE_TRAIN_DIE_AT: '7' } });
    expectExit(died, 1);
    expect(stageOf(parseJsonEvents(died.stdout).summary, 'train')?.status).toBe('failed');
    expect(died.stdout + died.stderr).toContain('checkpoint-6 is kept: rerun `npx pipeline run train` with the same config to resume from it');
    expect(died.stdout + died.stderr).toContain('CUDA out of memory');
    expect(died.stdout + died.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace

    // A different key never sees that checkpoint.
    const other = await runCli(ws, ['run', 'train', '--json', '--set', 'train.lora_rank=4'], { env });
    expectExit(other, 0);
    // The original key resumes after checkpoint-6 instead of starting over.
    const resumed = await runCli(ws, ['run', 'train', '--json'], { env });
    expectExit(resumed, 0);
    const starts = (await readRecords(record)).filter((e) => e.event === 'start');
    expect(starts.map((s) => [s.config?.lora_rank, s.first_step, s.resumed_from])).toEqual([
      [8, 1, null],
      [4, 1, null],
      [8, 7, 'checkpoint-6'],
    ]);
    const key = stageOf(parseJsonEvents(resumed.stdout).summary, 'train').key;
    const log = (await readFile(join(ws, 'artifacts', 'adapters', key, 'trainer_log.jsonl'), 'utf8')).trim().split('\n');
    // steps 1..6 from the first attempt, 7..8 and the summary line from the resumed one
    expect(log.map((l) => (JSON.parse(l) as { current_steps: number }).current_steps)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 8]);
    expect(existsSync(join(ws, '.pipeline', 'staging', `train-${key}`))).toBe(false);
  });

  test('lora_rank 16 trains; going back to 8 restores the first adapter without training', async () => {
    const { ws, record, env } = await workspace();
    const first = await runCli(ws, ['run', 'train', '--json'], { env });
    const key8 = stageOf(parseJsonEvents(first.stdout).summary, 'train').key;
    const adapter8 = await readFile(join(ws, 'artifacts', 'adapters', key8, 'adapter_model.safetensors'));
    const r16 = await runCli(ws, ['run', 'train', '--json', '--set', 'train.lora_rank=16'], { env });
    const s16 = stageOf(parseJsonEvents(r16.stdout).summary, 'train');
    expect(s16.status).toBe('ran');
    // The link was replaced by one to the new adapter (renamed over the old: no temp entry left).
    expect(await readlink(join(ws, 'artifacts', 'adapters', 'current'))).toBe(s16.key);
    expect((await readdir(join(ws, 'artifacts', 'adapters'))).sort()).toEqual([key8, s16.key, 'current'].sort());
    await rm(join(ws, 'artifacts', 'adapters', key8), { recursive: true });

    const back = await runCli(ws, ['run', 'train', '--json'], { env });
    const s8 = stageOf(parseJsonEvents(back.stdout).summary, 'train');
    expect(s8).toMatchObject({ status: 'restored', key: key8 });
    expect(await readlink(join(ws, 'artifacts', 'adapters', 'current'))).toBe(key8);
    expect(await readFile(join(ws, 'artifacts', 'adapters', key8, 'adapter_model.safetensors'))).toEqual(adapter8);
    expect((await readRecords(record)).filter((e) => e.event === 'start')).toHaveLength(2);

    // An old-form pointer (a text file holding the key) is replaced by the link; nothing trains.
    await rm(join(ws, 'artifacts', 'adapters', 'current'));
    await writeFile(join(ws, 'artifacts', 'adapters', 'current'), `${key8}\n`);
    const status = JSON.parse((await runCli(ws, ['status', 'train', '--json'], { env })).stdout) as { stages: Array<{ name: string; reasons: string[] }> };
    expect(JSON.stringify(status.stages.find((s) => s.name === 'train'))).toContain('artifacts/adapters/current is a file (older form), to become a link');
    const migrated = await runCli(ws, ['run', 'train', '--json'], { env });
    expect(stageOf(parseJsonEvents(migrated.stdout).summary, 'train')).toMatchObject({ status: 'restored', key: key8 });
    expect(await readlink(join(ws, 'artifacts', 'adapters', 'current'))).toBe(key8);
    expect((await readRecords(record)).filter((e) => e.event === 'start')).toHaveLength(2);
  });

  test('Ctrl-C ends the trainer’s whole process tree and exits 130', async () => {
    const { ws, record, env } = await workspace('  gpus: 2');
    const child = spawn(process.execPath, [BIN, 'run', 'train'], {
      cwd: ws,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env, FAKE_TRAIN_STEP_MS: '2000' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      const deadline = Date.now() + 45_000;
      while ((await readRecords(record)).filter((e) => e.event === 'process').length < 3) {
        if (Date.now() > deadline) throw new Error('trainer did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const pids = (await readRecords(record)).filter((e) => e.event === 'process').map((e) => e.pid);
    const survivors: number[] = [];
    for (const pid of pids) if (await processAlive(pid)) survivors.push(pid);
    expect(survivors).toEqual([]);
  });
});
