// Issue #12 items 1 and 8: register accepts what LLaMA-Factory's ShareGPT converter accepts, and
// says what LLaMA-Factory would do silently with the system prompts of the mix.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StageError } from '../../src/api.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { datasetText, sample } from './fixtures.js';
import { paramsFrom, runRegister } from './stageHarness.js';

const PERSONA = '你是艾雅法拉。';
const OTHER = '你是一个乐于助人的助手。';
const two = (extra: Record<string, unknown> = {}) => ({
  sources: { curated: { file: 'data/curated.json' }, extracted: { file: 'data/extracted.json' } },
  datasets: ['curated', 'extracted'],
  ...extra,
});
const ok = (value: string, system?: string) =>
  sample(
    [
      ['human', `前辈${value}？`],
      ['gpt', `好的，${value}。`],
    ],
    system,
  );

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function ws(files: Record<string, string>): Promise<string> {
  const d = await makeWorkspace(files);
  dirs.push(d);
  return d;
}
const messages = (r: { logs: string[]; progress: Array<{ message?: string }> }) => [...r.logs, ...r.progress.map((p) => p.message ?? '')].join('\n');

test('datasets of one mix with different system prompts are reported, and refused with mixed_system_prompts: fail', async () => {
  const files = {
    'data/curated.json': datasetText([ok('一', PERSONA), ok('二', PERSONA)]),
    'data/extracted.json': datasetText([ok('三', OTHER)]),
  };
  const w = await ws(files);
  const r = await runRegister(w, paramsFrom(two()));
  expect(messages(r)).toContain(
    'the datasets of the mix use 2 different system prompts: "你是艾雅法拉。" (curated 2); "你是一个乐于助人的助手。" (extracted 1)',
  );
  const report = JSON.parse(await readFile(join(w, 'artifacts/reports/datasets.json'), 'utf8'));
  expect(report.system_prompts).toEqual([
    { prompt: PERSONA, samples: { curated: 2 } },
    { prompt: OTHER, samples: { extracted: 1 } },
  ]);
  await expect(runRegister(await ws(files), paramsFrom(two({ mixed_system_prompts: 'fail' })))).rejects.toThrow(StageError);
  // one prompt everywhere: nothing to say
  const same = await runRegister(
    await ws({ ...files, 'data/extracted.json': datasetText([ok('三', PERSONA)]) }),
    paramsFrom(two({ mixed_system_prompts: 'fail' })),
  );
  expect(messages(same)).not.toContain('different system prompts');
});

test("rows without system in a dataset that declares the column are warned about (LLaMA-Factory gives them the template's prompt)", async () => {
  const w = await ws({ 'data/curated.json': datasetText([ok('一', PERSONA), ok('二')]), 'data/extracted.json': datasetText([ok('三', PERSONA)]) });
  const r = await runRegister(w, paramsFrom(two()));
  expect(messages(r)).toContain('curated: 1 of 2 samples have no "system", but the dataset declares the system column');
  expect(messages(r)).toContain('You are Qwen');
  const report = JSON.parse(await readFile(join(w, 'artifacts/reports/datasets.json'), 'utf8'));
  expect(report.datasets.curated.samples_without_system).toBe(1);
});

test('a leading system turn, observation / function_call turns and a JSON Lines file are accepted, as LLaMA-Factory accepts them', async () => {
  const withTurn = {
    conversations: [
      { from: 'system', value: PERSONA },
      { from: 'human', value: '你好' },
      { from: 'gpt', value: '前辈好。' },
    ],
  };
  const tools = {
    system: PERSONA,
    conversations: [
      { from: 'human', value: '今天火山口多少度？' },
      { from: 'function_call', value: '{"name": "thermometer", "arguments": {}}' },
      { from: 'observation', value: '{"celsius": 412}' },
      { from: 'gpt', value: '前辈，412 度呢。' },
    ],
  };
  const jsonl = [ok('三', PERSONA), ok('四', PERSONA)].map((s) => JSON.stringify(s)).join('\r\n') + '\r\n';
  const w = await ws({ 'data/curated.json': datasetText([withTurn, tools]), 'data/extracted.jsonl': jsonl });
  const reg = { sources: { curated: { file: 'data/curated.json' }, extracted: { file: 'data/extracted.jsonl' } }, datasets: ['curated', 'extracted'] };
  const r = await runRegister(w, paramsFrom(reg));
  // the leading turn is the sample's system prompt: one prompt in the whole mix
  expect(messages(r)).not.toContain('different system prompts');
  const report = JSON.parse(await readFile(join(w, 'artifacts/reports/datasets.json'), 'utf8'));
  expect([report.datasets.curated.samples, report.datasets.extracted.samples]).toEqual([2, 2]);
  const entries = JSON.parse(await readFile(join(w, 'artifacts/register/entries.json'), 'utf8'));
  expect(entries.entries.extracted.file_name).toBe('extracted.jsonl');
});

test('a JSON Lines line that is not JSON names file and line; a system turn later than first is refused', async () => {
  const w = await ws({ 'data/curated.json': datasetText([ok('一', PERSONA)]), 'data/extracted.jsonl': `${JSON.stringify(ok('二'))}\n{"conversations": [\n` });
  const reg = { sources: { curated: { file: 'data/curated.json' }, extracted: { file: 'data/extracted.jsonl' } }, datasets: ['curated', 'extracted'] };
  await expect(runRegister(w, paramsFrom(reg))).rejects.toThrow(/data\/extracted\.jsonl:2:1: not valid JSON/);
  const late = {
    conversations: [
      { from: 'human', value: '你好' },
      { from: 'system', value: PERSONA },
    ],
  };
  const w2 = await ws({ 'data/curated.json': datasetText([late]), 'data/extracted.json': datasetText([ok('二')]) });
  await expect(runRegister(w2, paramsFrom(two()))).rejects.toThrow(/conversations\[1\]\.from: a system turn is only allowed first/);
});
