// `pipeline chat` / `webchat` through the real CLI with the llamafactory-cli double.
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BIN, PROJECT_PIPELINE_TS, makeWorkspace, parseJsonEvents, runCli } from '../helpers/workspace.js';
import { DOUBLES, DOUBLES_PATH, processAlive, readRecords, stageOf, trainWorkspaceFiles } from './fixtures.js';

let ws: string;
let record: string;
let env: Record<string, string>;
let firstKey: string;
let secondKey: string;

beforeAll(async () => {
  ws = await makeWorkspace(
    {
      ...trainWorkspaceFiles(),
      'pipeline.ts': PROJECT_PIPELINE_TS,
      'pipeline.yaml': `${trainWorkspaceFiles()['pipeline.yaml']}\ninference:\n  default_system: 你是艾雅法拉，说话温柔。\n  temperature: 0.4\n`,
    },
    'pl-chat-',
  );
  record = join(ws, 'trainer-record.jsonl');
  env = { FAKE_TRAIN_RECORD: record, FAKE_TRAIN_STEP_MS: '1', PATH: DOUBLES_PATH };
  const a = await runCli(ws, ['run', 'train', '--json', '--set', 'train.lora_rank=4'], { env });
  firstKey = stageOf(parseJsonEvents(a.stdout).summary, 'train').key;
  const b = await runCli(ws, ['run', 'train', '--json'], { env });
  secondKey = stageOf(parseJsonEvents(b.stdout).summary, 'train').key;
});
afterAll(() => rm(ws, { recursive: true, force: true }));

describe('pipeline chat / webchat', () => {
  test('--dry-run prints the inference YAML for the current adapter and the command, runs nothing', async () => {
    const r = await runCli(ws, ['chat', '--dry-run'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('sliders');
    const yamlPath = join(ws, 'artifacts', 'infer', 'chat.yaml');
    const [yamlPart, commandPart] = r.stdout.split('# command:\n');
    expect(parse(yamlPart ?? '')).toEqual({
      model_name_or_path: join(ws, 'models', 'base'),
      adapter_name_or_path: join(ws, 'artifacts', 'adapters', secondKey),
      template: 'qwen',
      finetuning_type: 'lora',
      quantization_bit: 4,
      quantization_method: 'bnb',
      quantization_type: 'nf4',
      double_quantization: true,
      // decoding keys left unset are not rendered: LLaMA-Factory's own defaults apply
      temperature: 0.4,
      default_system: '你是艾雅法拉，说话温柔。',
    });
    expect(commandPart).toBe(`CUDA_VISIBLE_DEVICES=0 ${join(DOUBLES, 'llamafactory-cli')} chat ${yamlPath}\n`);
    expect(parse(await readFile(yamlPath, 'utf8'))).toEqual(parse(yamlPart ?? ''));
    expect((await readRecords(record)).filter((e) => e.event === 'chat')).toEqual([]);
  });

  test('--adapter KEY and --gpu pick the adapter and the device; bad values are usage errors', async () => {
    const r = await runCli(ws, ['webchat', '--dry-run', '--adapter', firstKey, '--gpu', '1'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`adapter_name_or_path: ${join(ws, 'artifacts', 'adapters', firstKey)}\n`);
    expect(r.stdout).toContain(`CUDA_VISIBLE_DEVICES=1 ${join(DOUBLES, 'llamafactory-cli')} webchat ${join(ws, 'artifacts', 'infer', 'webchat.yaml')}`);
    // the web UI's sliders override the YAML's decoding keys: said, for webchat only
    expect(r.stderr).toContain('in webchat the sliders of the web UI set temperature (starts at 0.95), top_p (0.7) and max_new_tokens (1024)');

    const badGpu = await runCli(ws, ['chat', '--dry-run', '--gpu', '5'], { env });
    expect(badGpu.code).toBe(2);
    expect(badGpu.stderr).toContain('--gpu 5 is not in the GPU pool (0,1)');
    const badAdapter = await runCli(ws, ['chat', '--adapter', 'ffffffffffff'], { env });
    expect(badAdapter.code).toBe(1);
    expect(badAdapter.stderr).toContain('--adapter ffffffffffff: neither artifacts/adapters/ffffffffffff/ nor');
    const badFlag = await runCli(ws, ['chat', '--temperature', '1'], { env });
    expect(badFlag.code).toBe(2);
  });

  test('chat runs llamafactory-cli chat on one pinned GPU with the terminal attached', async () => {
    const r = await runCli(ws, ['chat', '--gpu', '1'], { env, input: '你今天去了哪里？\nexit\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Assistant: ');
    expect(r.stdout).toContain('你今天去了哪里？');
    const chats = (await readRecords(record)).filter((e) => e.event === 'chat');
    expect(chats).toHaveLength(1);
    expect(chats[0]?.env).toEqual({ CUDA_VISIBLE_DEVICES: '1' });
    expect(chats[0]?.config?.adapter_name_or_path).toBe(join(ws, 'artifacts', 'adapters', secondKey));
  });

  test('a signal to `pipeline webchat` alone still stops the web UI server it started', async () => {
    const child = spawn(process.execPath, [BIN, 'webchat'], { cwd: ws, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      const deadline = Date.now() + 50_000;
      while (!out.includes('Running on local URL')) {
        if (Date.now() > deadline) throw new Error(`webchat did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // The double's launcher does not pass signals on: only a tree-wide stop reaches the server.
      child.kill('SIGTERM');
      expect(await exited).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
    const server = (await readRecords(record)).filter((e) => e.event === 'webchat').at(-1);
    expect(server?.env).toEqual({ CUDA_VISIBLE_DEVICES: '0' });
    expect(await processAlive(server?.pid ?? -1)).toBe(false);
    expect(out).toContain('closing server');
  });
});
