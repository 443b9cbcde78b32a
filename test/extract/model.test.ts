// attribution: model — the lines the rules leave open are asked of an OpenAI-compatible endpoint
// (the fake-api double, real HTTP on loopback), its labels kept only where the line's own words
// allow them, the answers cached in the stage's cache dir and reused when the endpoint is gone.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configSchema } from '../../stages/extract/config.js';
import type { InputFile } from '../../stages/extract/corpus.js';
import { extractTexts } from '../helpers/extractTexts.js';
import { parseAnswer } from '../../stages/extract/model.js';
import { chatRequests, readRequests, startFakeApi, writeScript, type RunningFake } from '../regress/fakeApi.js';
import { tempDirs } from '../helpers/workspace.js';
import { OPEN_SCENE, openSceneRules } from './openScene.js';

const temp = tempDirs();
afterAll(temp.removeAll);

const STORY = OPEN_SCENE;
// The last answer is contradicted by the line itself (it addresses the Doctor as 前辈): never kept.
const RULES = openSceneRules('博士');

let dir: string;
let fake: RunningFake | undefined;
let log: string;
beforeAll(async () => {
  dir = await temp.make('pl-extract-model-');
  await mkdir(join(dir, 'in'));
  await mkdir(join(dir, 'cache'));
  await writeFile(join(dir, 'in', 'a.txt'), STORY);
  log = join(dir, 'fake.log');
  fake = await startFakeApi({ FAKE_API_SCRIPT: await writeScript(dir, RULES, '{"speaker": "不确定"}'), FAKE_API_LOG: log });
});
afterAll(async () => {
  await fake?.stop();
});

async function run(extract: Record<string, unknown>, cacheDir = join(dir, 'cache')) {
  const buf = await readFile(join(dir, 'in', 'a.txt'));
  const files: InputFile[] = [{ name: 'a.txt', abs: join(dir, 'in', 'a.txt'), hash: createHash('sha256').update(buf).digest('hex') }];
  const config = configSchema.parse({ input_dir: 'in', system_prompt: 'sys', ...extract });
  return extractTexts(files, { config, cacheDir });
}

const pairs = (r: Awaited<ReturnType<typeof run>>) => r.samples.map((s) => s.conversations.map((t) => `${t.from}:${t.value}`));

test('rules alone leave every line open: no samples', async () => {
  const r = await run({});
  expect(r.totals.utterances).toMatchObject({ persona: 0, uncertain: 4 });
  expect(r.samples).toEqual([]);
  expect(r.model).toBeUndefined();
});

test('attribution: model without an endpoint falls back to the rules and says so', async () => {
  const r = await run({ attribution: 'model' });
  expect(r.samples).toEqual([]);
  expect(r.warnings.join('\n')).toMatch(/attribution: model, but extract\.endpoint is not set.*rules only/);
});

test('the model labels open lines at temperature 0; a label the line contradicts is dropped; answers are cached and reused', async () => {
  const endpoint = { url: fake!.baseUrl, model: 'base-7b' };
  const first = await run({ attribution: 'model', endpoint });
  const asked = chatRequests(await readRequests(log));
  expect(asked).toHaveLength(4);
  for (const q of asked) {
    expect(q.body).toMatchObject({ model: 'base-7b', temperature: 0 });
    // The question holds the text around the line and the people who may say it.
    expect(q.body!.messages!.at(-1)!.content).toMatch(/候选人：艾雅法拉、博士、.*凯尔希/);
  }
  expect(first.model).toEqual({ questions: 4, asked: 4, failed: 0, labelled: 4 });
  // 前辈们也要早点休息 stays open (the model's 博士 contradicts its 前辈), so it is in no turn.
  expect(first.totals.utterances).toMatchObject({ persona: 1, doctor: 2, uncertain: 1 });
  expect(pairs(first)).toEqual([['human:样本都到齐了吗？', 'gpt:都到齐了，一共十二袋，每一袋都写好了采集地点。']]);
  const cache = JSON.parse(await readFile(join(dir, 'cache', 'model-answers.json'), 'utf8')) as { answers: Record<string, string | null> };
  expect(Object.values(cache.answers).sort()).toEqual(['博士', '博士', '博士', '艾雅法拉']);

  // The endpoint gone: the same samples from the cache, nothing asked.
  await fake!.stop();
  const gone = { url: endpoint.url, model: 'base-7b', timeout_ms: 2000 };
  // (max_turns 4: another option set, so the file is extracted again, not served from the result store.)
  const again = await run({ attribution: 'model', endpoint: gone, max_turns: 4 });
  expect(again.model).toMatchObject({ questions: 4, asked: 0, failed: 0 });
  expect(pairs(again)).toEqual(pairs(first));
  expect(again.warnings).toEqual([]);

  // Another model: its own questions; the endpoint is down, so the rules decide and the run says so.
  const other = await run({ attribution: 'model', endpoint: { ...gone, model: 'other-7b' } });
  expect(other.model).toMatchObject({ questions: 4, asked: 0, failed: 4 });
  expect(other.samples).toEqual([]);
  expect(other.warnings.join('\n')).toMatch(/4 of 4 questions unanswered \(cannot reach .*\): those lines stay to the rules/);
});

test('an unreadable answer cache is a warning and a fresh start, not a crash', async () => {
  const cacheDir = join(dir, 'cache2');
  await mkdir(cacheDir);
  await writeFile(join(cacheDir, 'model-answers.json'), '{"version": 1, "answers": [');
  const r = await run({ attribution: 'model', endpoint: { url: 'http://127.0.0.1:9/v1', model: 'base-7b', timeout_ms: 2000 } }, cacheDir);
  expect(r.warnings.join('\n')).toMatch(/cached model answers .* unreadable/);
  expect(r.model).toMatchObject({ failed: 4 });
});

test('parseAnswer reads the JSON in an answer and nothing else', () => {
  expect(parseAnswer('{"speaker": "艾雅法拉"}')).toBe('艾雅法拉');
  expect(parseAnswer('```json\n{"speaker":"博士"}\n```')).toBe('博士');
  expect(parseAnswer('{"speaker": "不确定"}')).toBeNull();
  expect(parseAnswer('艾雅法拉')).toBeNull();
  expect(parseAnswer('{"who": "博士"}')).toBeNull();
  expect(parseAnswer('{"speaker": 3}')).toBeNull();
});

test('Ctrl-C during a long ask keeps the answers given so far in the cache', async () => {
  const slowLog = join(dir, 'slow.log');
  const slow = await startFakeApi({
    FAKE_API_SCRIPT: await writeScript(dir, RULES, '{"speaker": "不确定"}'),
    FAKE_API_LOG: slowLog,
    FAKE_API_LATENCY_MS: '400',
  });
  const cacheDir = join(dir, 'cache-interrupted');
  await mkdir(cacheDir);
  const ac = new AbortController();
  const buf = await readFile(join(dir, 'in', 'a.txt'));
  const files: InputFile[] = [{ name: 'a.txt', abs: join(dir, 'in', 'a.txt'), hash: createHash('sha256').update(buf).digest('hex') }];
  const config = configSchema.parse({
    input_dir: 'in',
    system_prompt: 'sys',
    attribution: 'model',
    endpoint: { url: slow.baseUrl, model: 'slow-7b', concurrency: 1 },
  });
  try {
    // Interrupted once the first answer is out: the run fails, the answer stays.
    let answered = 0;
    const running = extractTexts(files, { config, cacheDir, signal: ac.signal, onAnswer: (n) => ((answered = n), ac.abort()) });
    await expect(running).rejects.toThrow(/interrupted/);
    expect(answered).toBeGreaterThanOrEqual(1);
    const cache = JSON.parse(await readFile(join(cacheDir, 'model-answers.json'), 'utf8')) as { answers: Record<string, string | null> };
    expect(Object.keys(cache.answers).length).toBeGreaterThanOrEqual(1);
    expect(Object.keys(cache.answers).length).toBeLessThan(4);
  } finally {
    await slow.stop();
  }
});

test("其他人 (none of the names offered) makes a line someone's: a labelled human turn, from the endpoint and from the cache; another of her names is hers", async () => {
  const elseLog = join(dir, 'else.log');
  // (And her line answered by another of her names, 阿黛尔: hers all the same.)
  const rules = [
    { contains: '台词：“样本都到齐了吗', response: '{"speaker": "其他人"}' },
    { contains: '台词：“都到齐了', response: '{"speaker": "阿黛尔"}' },
    ...openSceneRules('博士').slice(2),
  ];
  const other = await startFakeApi({ FAKE_API_SCRIPT: await writeScript(dir, rules, '{"speaker": "不确定"}'), FAKE_API_LOG: elseLog });
  const cacheDir = join(dir, 'cache-else');
  await mkdir(cacheDir);
  try {
    const first = await run({ attribution: 'model', endpoint: { url: other.baseUrl, model: 'else-7b' } }, cacheDir);
    expect(chatRequests(await readRequests(elseLog))[0]!.body!.messages!.at(-1)!.content).toMatch(/候选人：.*、其他人、不确定$/);
    expect(first.totals.utterances).toMatchObject({ persona: 1, doctor: 1 });
    expect(pairs(first)).toEqual([['human:【某人】样本都到齐了吗？', 'gpt:都到齐了，一共十二袋，每一袋都写好了采集地点。']]);
    await other.stop();
    const again = await run({ attribution: 'model', endpoint: { url: other.baseUrl, model: 'else-7b', timeout_ms: 2000 }, max_turns: 4 }, cacheDir);
    expect(again.model).toMatchObject({ asked: 0, failed: 0 });
    expect(pairs(again)).toEqual(pairs(first));
  } finally {
    await other.stop();
  }
});
