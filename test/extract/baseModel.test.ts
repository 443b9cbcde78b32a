// attribution: model without extract.endpoint, through the real CLI: the extract stage serves the
// base model (train.model_name_or_path, no adapter) with the llamafactory-cli double's `api` on the
// GPU it takes when one is free, asks the open lines, and stops the server; with no GPU
// (--cpu-only) the lines stay to the rules and the run is provisional, so the next run asks them.
// Cached answers need no GPU at all.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWorkspace, parseJsonEvents, REPO, runCli } from '../helpers/workspace.js';
import { chatRequests, FAKE_CLI_DIR, readRequests, writeScript } from '../regress/fakeApi.js';
import { alive } from '../regress/fixtures.js';
import { OPEN_SCENE, openSceneRules } from './openScene.js';

const DAG = `import { z } from 'zod';
import { definePipeline } from ${JSON.stringify(join(REPO, 'src', 'api.ts'))};
import * as train from ${JSON.stringify(join(REPO, 'stages', 'train', 'index.ts'))};
import * as extract from ${JSON.stringify(join(REPO, 'stages', 'extract', 'index.ts'))};
import { personaSchema } from ${JSON.stringify(join(REPO, 'stages', 'persona', 'index.ts'))};
export default definePipeline({
  schema: z.object({ persona: personaSchema, extract: extract.configSchema, train: train.configSchema, inference: train.inferenceSchema }),
  stages: [extract.stage],
});
`;

const STORY = OPEN_SCENE;
// 前辈们 is hers by the model and by its own 前辈.
const RULES = openSceneRules('艾雅法拉');

const YAML = [
  'gpus: [0]',
  'train:',
  '  model_name_or_path: models/base',
  '  template: qwen',
  '  quantization_bit: 4',
  'extract:',
  '  input_dir: in',
  '  output: data/out.json',
  '  report: artifacts/extract.json',
  '  system_prompt: sys',
  '  attribution: model',
  '',
].join('\n');

let ws: string;
let env: Record<string, string>;
let log: string;
beforeAll(async () => {
  ws = await makeWorkspace(
    { 'pipeline.ts': DAG, 'pipeline.yaml': YAML, 'in/a.txt': STORY, 'models/base/config.json': '{"model_type": "qwen2"}\n' },
    'pl-extract-base-',
  );
  log = join(ws, '.fake-api.jsonl');
  env = {
    PATH: `${FAKE_CLI_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    FAKE_API_LOG: log,
    FAKE_API_PIDFILE: join(ws, '.fake-api.pid'),
    FAKE_API_SCRIPT: await writeScript(ws, RULES),
    FAKE_API_STARTUP_MS: '300',
  };
});

async function run(args: string[]) {
  const r = await runCli(ws, ['run', '--json', ...args], { env: { ...env, PIPELINE_CACHE_DIR: undefined, CUDA_VISIBLE_DEVICES: undefined } });
  const { summary } = parseJsonEvents(r.stdout);
  return { ...r, extract: summary.stages.find((s) => s.name === 'extract')! };
}
const conversations = async () =>
  (JSON.parse(await readFile(join(ws, 'data/out.json'), 'utf8')) as Array<{ conversations: Array<{ from: string; value: string }> }>).map((s) =>
    s.conversations.map((t) => `${t.from}:${t.value}`),
  );
const starts = async () => (await readRequests(log).catch(() => [])).filter((e) => e.event === 'start');

test('no GPU: the rules, a warning, a provisional run; a GPU: the base model answers, and the run is final', async () => {
  const cpu = await run(['--cpu-only']);
  expect(cpu.code).toBe(0);
  expect(cpu.extract.status).toBe('ran');
  expect(cpu.stdout).toMatch(/4 of 4 questions unanswered \(no GPU was free for the stage to serve the base model.*extract\.endpoint is not set\)/);
  expect(await conversations()).toEqual([]);
  expect(await starts()).toEqual([]);
  // Nothing changed, yet it is due: the lines are still to be asked.
  const st = await runCli(ws, ['status', '--json'], { env });
  expect(st.stdout).toMatch(/its last run was provisional: 4 of 4 lines for the model went unanswered/);

  const gpu = await run([]);
  expect(gpu.code).toBe(0);
  expect(gpu.extract.status).toBe('ran');
  expect(gpu.extract.reason).toMatch(/provisional/);
  const [start, ...more] = await starts();
  expect(more).toEqual([]);
  // The base model alone, as train has it (absolute path, template, quantization), on the stage's GPU.
  expect(start!.argv![0]).toMatch(/extract_base_model\.yaml$/);
  expect(start!.config).toEqual({ model_name_or_path: join(ws, 'models/base'), template: 'qwen', quantization_bit: 4 });
  expect(start!.env).toMatchObject({ CUDA_VISIBLE_DEVICES: '0', API_HOST: '127.0.0.1' });
  const asked = chatRequests(await readRequests(log));
  expect(asked).toHaveLength(4);
  // What the user sees while the model works.
  expect(gpu.stdout).toContain('the model has answered 1 question so far');
  for (const q of asked) expect(q.body).toMatchObject({ temperature: 0 });
  // 前辈们 is hers by the model and by its own 前辈; 都到齐了 is hers by the model alone.
  expect(await conversations()).toEqual([
    ['human:样本都到齐了吗？', 'gpt:都到齐了，一共十二袋，每一袋都写好了采集地点。'],
    ['human:样本都到齐了吗？', 'gpt:都到齐了，一共十二袋，每一袋都写好了采集地点。', 'human:那就好，今天早点休息。', 'gpt:前辈们也要早点休息哦。'],
  ]);
  // The server is gone with the stage.
  const pid = Number(await readFile(env.FAKE_API_PIDFILE!, 'utf8'));
  expect(await alive(pid)).toBe(false);
  expect((await run(['--cpu-only'])).extract.status).toBe('fresh');

  // A new file and no GPU: the cached answers serve the old one, the new one has no open line.
  await writeFile(join(ws, 'in/b.txt'), '艾雅法拉抬起头说：“前辈，火山灰的样本我已经分好类了，晚上就能出结果。”\n');
  const cached = await run(['--cpu-only']);
  expect(cached.extract.status).toBe('ran');
  expect(cached.stdout + cached.stderr).not.toMatch(/unanswered/);
  expect(await starts()).toHaveLength(1);
  expect((await run(['--cpu-only'])).extract.status).toBe('fresh');

  // Another base model: the stage is due (its answers are another model's).
  await writeFile(join(ws, 'pipeline.yaml'), YAML.replace('template: qwen', 'template: qwen3'));
  const other = await run(['--cpu-only']);
  expect(other.extract.reason).toMatch(/param train\.template: "qwen" → "qwen3"/);
  // (Its answers are not known yet and there is no GPU: a.txt's lines stay to the rules; b.txt's is tagged.)
  expect(other.stdout).toMatch(/4 of 4 questions unanswered/);
  expect(await conversations()).toEqual([['human:艾雅法拉，在忙吗？', 'gpt:前辈，火山灰的样本我已经分好类了，晚上就能出结果。']]);
}, 60_000);

test('a base model the server cannot load: the rules, a warning with its error, a provisional run, no stack', async () => {
  const bad = await makeWorkspace({ 'pipeline.ts': DAG, 'pipeline.yaml': YAML, 'in/a.txt': STORY }, 'pl-extract-base-bad-');
  const r = await runCli(bad, ['run'], { env: { ...env, FAKE_API_LOG: join(bad, '.log'), PIPELINE_CACHE_DIR: undefined, CUDA_VISIBLE_DEVICES: undefined } });
  expect(r.code).toBe(0);
  expect(r.stderr + r.stdout).toMatch(
    /4 of 4 questions unanswered \(the base model server did not start: .*exited with code 1.*models\/base does not appear to have a file named config\.json/s,
  );
  expect(r.stderr).not.toMatch(/^\s+at /m);
  const st = await runCli(bad, ['status', '--json'], { env });
  expect(st.stdout).toMatch(/its last run was provisional/);
  // No llamafactory-cli at all: said so, with the fix.
  const none = await runCli(bad, ['run'], {
    env: { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin', PIPELINE_CACHE_DIR: undefined, CUDA_VISIBLE_DEVICES: undefined },
  });
  expect(none.code).toBe(0);
  expect(none.stderr + none.stdout).toMatch(
    /cannot serve the base model: `llamafactory-cli` was not found on PATH: .*train\.command.*; or set extract\.endpoint/,
  );
}, 30_000);

test('with attribution: rules the base model is no input of extract: editing it leaves extract fresh', async () => {
  const rulesYaml = YAML.replace('  attribution: model\n', '');
  const w = await makeWorkspace({ 'pipeline.ts': DAG, 'pipeline.yaml': rulesYaml, 'in/a.txt': STORY }, 'pl-extract-base-rules-');
  const opts = { env: { ...env, PIPELINE_CACHE_DIR: undefined, CUDA_VISIBLE_DEVICES: undefined } };
  expect((await runCli(w, ['run'], opts)).code).toBe(0);
  expect((await runCli(w, ['dag'], opts)).stdout).toMatch(/^extract\n/m);
  await writeFile(join(w, 'pipeline.yaml'), rulesYaml.replace('template: qwen', 'template: qwen3'));
  const r = parseJsonEvents((await runCli(w, ['run', '--json'], opts)).stdout);
  expect(r.summary.stages.find((s) => s.name === 'extract')?.status).toBe('fresh');
  await writeFile(join(w, 'pipeline.yaml'), `${rulesYaml.replace('system_prompt: sys', 'system_prompt: sys\n  attribution: model')}`);
  expect((await runCli(w, ['dag'], opts)).stdout).toMatch(/^extract \(1 GPU if free\)\n/m);
  const dry = await runCli(w, ['run', '--dry-run'], opts);
  expect(dry.stdout + dry.stderr).toContain(
    `would serve the base model with llamafactory-cli api on a free GPU, for answers not cached, inference YAML:\nmodel_name_or_path: ${join(w, 'models/base')}\ntemplate: qwen\nquantization_bit: 4`,
  );
}, 30_000);

test('the engine decides how many questions are in flight: vLLM batches them, the huggingface engine takes one at a time; vLLM with bnb quantization is refused up front', async () => {
  const vllmYaml = `${YAML}inference:\n  infer_backend: vllm\n`;
  const w = await makeWorkspace(
    { 'pipeline.ts': DAG, 'pipeline.yaml': vllmYaml, 'in/a.txt': STORY, 'models/base/config.json': '{"model_type": "qwen2"}\n' },
    'pl-extract-base-engine-',
  );
  const wlog = join(w, '.fake-api.jsonl');
  const opts = { env: { ...env, FAKE_API_LOG: wlog, FAKE_API_LATENCY_MS: '400', PIPELINE_CACHE_DIR: undefined, CUDA_VISIBLE_DEVICES: undefined } };
  // (get_infer_args: "vLLM engine does not support bnb quantization": no server is started for it.)
  const refused = await runCli(w, ['run'], opts);
  expect(refused.code).toBe(0);
  expect(refused.stdout + refused.stderr).toMatch(
    /4 of 4 questions unanswered \(cannot serve the base model: inference\.infer_backend: vllm with quantization_bit: 4: .*refuses bnb quantization .*: use infer_backend: huggingface, or set extract\.endpoint/,
  );
  expect(await readRequests(wlog).catch(() => [])).toEqual([]);
  // The requests' arrival times: together with vLLM, one answer (400 ms) apart with huggingface.
  const spread = async () => {
    const t = chatRequests(await readRequests(wlog)).map((e) => e.t as number);
    expect(t).toHaveLength(4);
    return Math.min(...t.slice(1).map((x, i) => x - t[i]!));
  };
  await writeFile(join(w, 'pipeline.yaml'), vllmYaml.replace('  quantization_bit: 4\n', ''));
  expect((await runCli(w, ['run'], opts)).code).toBe(0);
  expect(await spread()).toBeLessThan(300);
  await writeFile(wlog, '');
  await writeFile(join(w, 'pipeline.yaml'), vllmYaml.replace('  quantization_bit: 4\n', '').replace('infer_backend: vllm', 'infer_backend: huggingface'));
  expect((await runCli(w, ['run'], opts)).code).toBe(0);
  expect(await spread()).toBeGreaterThanOrEqual(380);
}, 60_000);
