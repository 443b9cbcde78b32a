import { execFile } from 'node:child_process';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { followTrainerLog, formatProgress, parseTrainerLogLine, type TrainerLogEntry } from '../../stages/train/trainerLog.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { FAKE_CLI, PERSONA_SFT } from './fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const line = (o: object) => `${JSON.stringify(o)}\n`;

describe('trainer_log.jsonl', () => {
  let ws: string;
  beforeEach(async () => {
    ws = await makeWorkspace();
  });
  afterEach(() => rm(ws, { recursive: true, force: true }));

  test('parses a step line, the final summary line, and names what is wrong in a bad one', () => {
    const step = parseTrainerLogLine(
      '{"current_steps": 120, "total_steps": 600, "loss": 1.2345, "lr": 9e-05, "epoch": 0.6, "percentage": 20.0, "elapsed_time": "0:10:17", "remaining_time": "0:41:10"}',
    );
    expect(step.entry).toMatchObject({ current_steps: 120, total_steps: 600, loss: 1.2345 });
    expect(formatProgress(step.entry as TrainerLogEntry)).toBe('step 120/600 · loss 1.234 · eta 0:41:10');
    const final = parseTrainerLogLine(
      '{"current_steps": 600, "total_steps": 600, "epoch": 3.0, "percentage": 100, "elapsed_time": "0:51:27", "remaining_time": "0:00:00"}',
    );
    expect(formatProgress(final.entry as TrainerLogEntry, 0.87)).toBe('step 600/600 · loss 0.870 · eta 0:00:00');
    expect(parseTrainerLogLine('{"current_steps": "x", "total_steps": 3}').error).toMatch(/^current_steps: /);
    expect(parseTrainerLogLine('{"current_st').error).toBe('not JSON');
  });

  test('the follower waits for the file, holds a half-written line, and skips bad lines', async () => {
    const path = join(ws, 'out', 'trainer_log.jsonl');
    const seen: number[] = [];
    const bad: string[] = [];
    const f = followTrainerLog(path, (e) => seen.push(e.current_steps), {
      intervalMs: 10,
      onInvalid: (n, why) => bad.push(`${n}:${why}`),
    });
    await sleep(40); // file does not exist yet
    await mkdir(join(ws, 'out'));
    const second = line({ current_steps: 2, total_steps: 4, loss: 1.5 });
    await writeFile(path, line({ current_steps: 1, total_steps: 4, loss: 2 }) + second.slice(0, 10));
    // Until the first line is in (bounded: a loaded machine polls late), then a few more polls.
    for (let t = 0; seen.length === 0 && t < 5000; t += 10) await sleep(10);
    await sleep(60);
    expect(seen).toEqual([1]); // the partial line is not parsed yet
    await appendFile(path, second.slice(10) + 'garbage\n' + line({ current_steps: 3, total_steps: 4 }));
    await appendFile(path, line({ current_steps: 4, total_steps: 4, loss: 1 }));
    await f.stop();
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(bad).toEqual(['3:not JSON']);
  });

  test('follows the log of a real trainer process as it is written', async () => {
    await mkdir(join(ws, 'models', 'm'), { recursive: true });
    await writeFile(join(ws, 'models', 'm', 'config.json'), '{}');
    await mkdir(join(ws, 'data'));
    await writeFile(join(ws, 'data', 'p.json'), JSON.stringify(PERSONA_SFT));
    await writeFile(join(ws, 'data', 'dataset_info.json'), JSON.stringify({ p: { file_name: 'p.json', formatting: 'sharegpt' } }));
    await writeFile(
      join(ws, 't.yaml'),
      `model_name_or_path: ${join(ws, 'models', 'm')}\ntemplate: qwen\ndataset: p\ndataset_dir: ${join(ws, 'data')}\n` +
        `output_dir: ${join(ws, 'out')}\nmax_steps: 6\nlogging_steps: 2\nsave_steps: 100\n`,
    );
    const entries: TrainerLogEntry[] = [];
    const f = followTrainerLog(join(ws, 'out', 'trainer_log.jsonl'), (e) => entries.push(e), { intervalMs: 5 });
    await promisify(execFile)(FAKE_CLI, ['train', join(ws, 't.yaml')], { env: { ...process.env, FAKE_TRAIN_STEP_MS: '40' } });
    const seenWhileRunning = entries.length;
    await f.stop();
    expect(seenWhileRunning).toBeGreaterThanOrEqual(2); // live, not only at the end
    expect(entries.map((e) => e.current_steps)).toEqual([2, 4, 6, 6]);
    expect(entries.every((e) => e.total_steps === 6)).toBe(true);
    expect(entries.at(-1)?.loss).toBeUndefined(); // the summary line
  });
});
