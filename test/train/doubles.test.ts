// The LLaMA-Factory doubles are held to LLaMA-Factory's behaviour (issue #12): what the stages see
// of a real run must not be friendlier here than on the GPU box.
import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWorkspace } from '../helpers/workspace.js';
import { DOUBLES, FAKE_CLI } from './fixtures.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function cli(args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(FAKE_CLI, args, { cwd, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

async function trainDir(): Promise<string> {
  const ws = await makeWorkspace({
    'models/base/config.json': '{}',
    'data/dataset_info.json': JSON.stringify({ p: { file_name: 'p.json' } }),
    'data/p.json': JSON.stringify([
      {
        conversations: [
          { from: 'human', value: 'a' },
          { from: 'gpt', value: 'b' },
        ],
      },
    ]),
  });
  dirs.push(ws);
  return ws;
}
const yaml = (ws: string, extra = '') =>
  `model_name_or_path: ${join(ws, 'models/base')}\ndataset: p\ndataset_dir: ${join(ws, 'data')}\noutput_dir: ${join(ws, 'out')}\nmax_steps: 4\nsave_steps: 2\nlogging_steps: 1\n${extra}`;

describe('train double', () => {
  test('rejects an unknown key as HfArgumentParser does; accepts every real one it is given', async () => {
    const ws = await trainDir();
    await writeFile(join(ws, 't.yaml'), yaml(ws, 'lora_alhpa: 16\n'));
    const bad = await cli(['train', join(ws, 't.yaml')], { FAKE_TRAIN_STEP_MS: '1' }, ws);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain("Some specified arguments are not used by the HfArgumentParser: ['lora_alhpa']");
    await writeFile(join(ws, 't.yaml'), yaml(ws, 'lora_alpha: 16\npref_beta: 0.1\nenable_thinking: true\n'));
    expect((await cli(['train', join(ws, 't.yaml')], { FAKE_TRAIN_STEP_MS: '1' }, ws)).code).toBe(0);
    // lora_alpha unset: 2 × lora_rank in the adapter, as FinetuningArguments.__post_init__ does
    await writeFile(join(ws, 't.yaml'), yaml(ws, 'lora_rank: 16\noverwrite_output_dir: true\n'));
    expect((await cli(['train', join(ws, 't.yaml')], { FAKE_TRAIN_STEP_MS: '1' }, ws)).code).toBe(0);
    expect(JSON.parse(await readFile(join(ws, 'out/adapter_config.json'), 'utf8')).lora_alpha).toBe(32);
  });

  test('refuses an output_dir with weights but no checkpoint; other files are no reason; resumes and appends', async () => {
    const ws = await trainDir();
    await writeFile(join(ws, 't.yaml'), yaml(ws));
    await mkdir(join(ws, 'out'));
    await writeFile(join(ws, 'out/notes.txt'), 'not weights');
    expect((await cli(['train', join(ws, 't.yaml')], { FAKE_TRAIN_STEP_MS: '1', FAKE_TRAIN_DIE_AT: '4' }, ws)).code).toBe(1);
    const before = (await readFile(join(ws, 'out/trainer_log.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const resumed = await cli(['train', join(ws, 't.yaml')], { FAKE_TRAIN_STEP_MS: '1' }, ws);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain('Resuming training from');
    const after = (await readFile(join(ws, 'out/trainer_log.jsonl'), 'utf8')).split('\n').filter(Boolean);
    expect(after.slice(0, before.length)).toEqual(before); // old lines kept, new ones appended
    expect(after.length).toBeGreaterThan(before.length);
    await rm(join(ws, 'out'), { recursive: true });
    await mkdir(join(ws, 'out'));
    await writeFile(join(ws, 'out/adapter_model.safetensors'), 'weights');
    const refused = await cli(['train', join(ws, 't.yaml')], { FAKE_TRAIN_STEP_MS: '1' }, ws);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('Output directory already exists and is not empty');
  });

  test('more than one device relaunches through the torchrun on PATH, and fails without one', async () => {
    const ws = await trainDir();
    await writeFile(join(ws, 't.yaml'), yaml(ws));
    const r = await cli(['train', join(ws, 't.yaml')], { FAKE_TRAIN_STEP_MS: '1', CUDA_VISIBLE_DEVICES: '0,1', PATH: '/usr/bin:/bin' }, ws);
    expect(r.code).toBe(1);
    expect(r.out).toContain("No such file or directory: 'torchrun'");
  });
});

describe('api double', () => {
  async function serve(env: Record<string, string>): Promise<{ base: string; log: string; stop: () => void }> {
    const ws = await makeWorkspace({
      'infer.yaml': 'model_name_or_path: m\nadapter_name_or_path: a\ndefault_system: 默认的人设\n',
      'm/config.json': '{}\n',
      'a/adapter_config.json': '{}\n',
    });
    dirs.push(ws);
    const log = join(ws, 'log.jsonl');
    const child = spawn(process.execPath, [join(DOUBLES, 'fake-api.mjs'), join(ws, 'infer.yaml')], {
      env: { ...process.env, API_PORT: '0', FAKE_API_STARTUP_MS: '0', FAKE_API_LOG: log, ...env },
      cwd: ws,
    });
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /running on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr.on('data', () => undefined);
      child.once('exit', () => reject(new Error('api double exited')));
    });
    return { base, log, stop: () => child.kill('SIGTERM') };
  }
  const chat = (base: string, messages: unknown[], headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'm', messages, ...extra }),
    });

  test('its YAML is checked as get_infer_args does: unknown keys, a model without config.json, a missing adapter, vLLM with bnb quantization; no adapter serves the base model', async () => {
    const ws = await makeWorkspace({ 'm/config.json': '{}\n' });
    dirs.push(ws);
    // (FAKE_API_EXIT_BEFORE_LISTEN=3: a YAML that passes the checks exits 3 where it would listen.)
    const api = async (yaml: string) => {
      await writeFile(join(ws, 'infer.yaml'), yaml);
      return cli(['api', join(ws, 'infer.yaml')], { FAKE_API_STARTUP_MS: '0', FAKE_API_EXIT_BEFORE_LISTEN: '3', API_PORT: '0' }, ws);
    };
    const base = await api('model_name_or_path: m\ntemplate: qwen\n');
    expect(base.code).toBe(3);
    expect(base.out).toContain('[INFO] loading model m (no adapter)');
    const unknown = await api('model_name_or_path: m\nmodel_path: m\n');
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain("Some specified arguments are not used by the HfArgumentParser: ['model_path']");
    expect((await api('model_name_or_path: nowhere\n')).out).toContain('nowhere does not appear to have a file named config.json');
    expect((await api('model_name_or_path: m\nadapter_name_or_path: gone\n')).out).toContain("Can't find 'adapter_config.json' at 'gone'");
    const bnb = await api('model_name_or_path: m\ninfer_backend: vllm\nquantization_bit: 4\n');
    expect(bnb.code).toBe(1);
    expect(bnb.out).toContain('vLLM engine does not support bnb quantization');
    expect((await api('model_name_or_path: m\ninfer_backend: vllm\n')).code).toBe(3);
  });

  test('even message count → 400; leading system used, else the YAML default_system; API_KEY; stop ignored; one answer at a time', async () => {
    const s = await serve({ API_KEY: 'k1', FAKE_API_LATENCY_MS: '300' });
    try {
      const auth = { authorization: 'Bearer k1' };
      expect((await chat(s.base, [{ role: 'user', content: 'a' }])).status).toBe(401);
      expect(
        (
          await chat(
            s.base,
            [
              { role: 'user', content: 'a' },
              { role: 'assistant', content: 'b' },
            ],
            auth,
          )
        ).status,
      ).toBe(400);
      const t0 = Date.now();
      const [a, b] = await Promise.all([
        chat(
          s.base,
          [
            { role: 'system', content: '请求里的提示' },
            { role: 'user', content: 'a' },
          ],
          auth,
          { stop: ['。'] },
        ),
        chat(s.base, [{ role: 'user', content: 'b' }], auth),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(600); // two answers of 300 ms, one after the other
      const answers = (await readFile(s.log, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((e) => e.event === 'answer');
      expect(answers.map((e) => [e.system, e.stop_ignored]).sort()).toEqual(
        [
          ['请求里的提示', true],
          ['默认的人设', false],
        ].sort(),
      );
    } finally {
      s.stop();
    }
  }, 30_000);
});
