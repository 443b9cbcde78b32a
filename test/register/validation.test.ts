// Each structural rule LLaMA-Factory applies (or crashes on) is an error naming file, sample index
// and field; drop mode leaves such samples out and reports every one of them.
import { readFile } from 'node:fs/promises';
import { StageError } from '../../src/api.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { datasetText, GOOD_A, GOOD_B, GOOD_C, sample } from './fixtures.js';
import { paramsFrom, runRegister } from './stageHarness.js';

const onlyMain = (onInvalid: 'fail' | 'drop') => ({
  sources: { eyjafjalla_sft: { file: 'data/eyjafjalla_sft.json', on_invalid: onInvalid } },
  datasets: ['eyjafjalla_sft'],
});

async function failureOf(samples: unknown[]): Promise<string> {
  const ws = await makeWorkspace({ 'data/eyjafjalla_sft.json': datasetText(samples) });
  try {
    await runRegister(ws, paramsFrom(onlyMain('fail')));
  } catch (e) {
    expect(e).toBeInstanceOf(StageError);
    return (e as Error).message;
  }
  throw new Error('the stage should have failed');
}

/** Line of sample `index` in datasetText(samples) output: each sample starts with "  {" (or "  ["). */
function lineOf(samples: unknown[], index: number): number {
  const lines = datasetText(samples).split('\n');
  let seen = -1;
  for (let i = 0; i < lines.length; i++) if ((lines[i] === '  {' || lines[i] === '  [') && ++seen === index) return i + 1;
  throw new Error('no such sample');
}

describe('register validation (on_invalid: fail)', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    [
      'a wrong role order',
      sample([
        ['gpt', '你好'],
        ['human', '前辈好'],
      ]),
      /field conversations\[0\]\.from: expected "human" or "observation", got "gpt"/,
    ],
    [
      'an odd turn count',
      sample([
        ['human', '你好'],
        ['gpt', '前辈好'],
        ['human', '还有吗'],
      ]),
      /field conversations: has 3 turns; it must end with a "gpt" turn/,
    ],
    [
      'an empty value',
      sample([
        ['human', '你好'],
        ['gpt', '   '],
      ]),
      /field conversations\[1\]\.value: is empty/,
    ],
    ['a missing role key', { conversations: [{ value: '你好' }, { from: 'gpt', value: '嗯' }] }, /field conversations\[0\]\.from: missing role key "from"/],
    ['a non-string system', { system: 42, conversations: GOOD_A.conversations }, /field system: must be a string when present/],
    [
      'an undeclared role',
      sample([
        ['human', '你好'],
        ['assistant', '前辈好'],
      ]),
      /field conversations\[1\]\.from: role "assistant" is not one LLaMA-Factory's ShareGPT format knows \(human, gpt, observation, function_call, system\)/,
    ],
    ['missing conversations', { system: '你是艾雅法拉。' }, /field conversations: missing "conversations"/],
    ['no turns', { conversations: [] }, /field conversations: has no turns/],
    ['a sample that is not an object', ['human', '你好'], /field \(sample\): must be an object/],
  ];

  it.each(cases)('%s names the file, the sample index and the field', async (_what, bad, pattern) => {
    const samples = [GOOD_A, GOOD_B, bad, GOOD_C];
    const msg = await failureOf(samples);
    expect(msg).toContain(`data/eyjafjalla_sft.json:${lineOf(samples, 2)}: sample 2, field `);
    expect(msg).toMatch(pattern);
    expect(msg).not.toMatch(/sample [013],/);
    expect(msg).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('lists every invalid sample, not only the first', async () => {
    const bad = sample([['gpt', '嗯']]);
    const msg = await failureOf([bad, GOOD_A, bad, bad]);
    expect(msg.match(/sample \d+, field conversations\[0\]\.from/g)).toEqual([
      'sample 0, field conversations[0].from',
      'sample 2, field conversations[0].from',
      'sample 3, field conversations[0].from',
    ]);
  });

  it('names file:line:col when the file is not valid JSON', async () => {
    const ws = await makeWorkspace({ 'data/eyjafjalla_sft.json': '[\n  {"conversations": [}\n]\n' });
    await expect(runRegister(ws, paramsFrom(onlyMain('fail')))).rejects.toThrow(
      /data\/eyjafjalla_sft\.json:2:22: element 0 is not valid JSON: expected a value, found "\}"/,
    );
  });

  it('says which source file is missing and how to make it', async () => {
    const ws = await makeWorkspace({ 'data/eyjafjalla_sft.json': datasetText([GOOD_A]) });
    await expect(runRegister(ws, paramsFrom({}))).rejects.toThrow(
      /register\.sources\.eyjafjalla_tongren_sft\.file: data\/eyjafjalla_tongren_sft\.json does not exist \(the extract stage makes it/,
    );
  });
});

describe('register validation (on_invalid: drop)', () => {
  it('leaves invalid samples out, reports every drop and registers a cleaned copy', async () => {
    const samples = [GOOD_A, sample([['gpt', '嗯']]), GOOD_B, { conversations: [{ from: 'human' }] }, GOOD_C, sample([['human', '']])];
    const ws = await makeWorkspace({ 'data/eyjafjalla_sft.json': datasetText(samples) });
    const { logs } = await runRegister(ws, paramsFrom(onlyMain('drop')));
    const report = JSON.parse(await readFile(`${ws}/artifacts/reports/datasets.json`, 'utf8'));
    const d = report.datasets.eyjafjalla_sft;
    expect(d.samples_read).toBe(6);
    expect(d.samples).toBe(3);
    expect(d.dropped).toBe(3);
    expect(d.drops.map((x: { index: number; field: string }) => [x.index, x.field])).toEqual([
      [1, 'conversations[0].from'],
      [1, 'conversations'],
      [3, 'conversations[0].value'],
      [5, 'conversations[0].value'],
      [5, 'conversations'],
    ]);
    expect(d.drops[0].line).toBe(lineOf(samples, 1));
    expect(logs.filter((l) => l.startsWith('dropped: data/eyjafjalla_sft.json:'))).toHaveLength(5);
    // the registered file is the cleaned copy, holding exactly the valid samples
    expect(d.registered_file).toBe('artifacts/register/clean/eyjafjalla_sft.json');
    const clean = JSON.parse(await readFile(`${ws}/artifacts/register/clean/eyjafjalla_sft.json`, 'utf8'));
    expect(clean).toEqual([GOOD_A, GOOD_B, GOOD_C]);
    const owned = JSON.parse(await readFile(`${ws}/artifacts/register/entries.json`, 'utf8'));
    expect(owned.entries.eyjafjalla_sft.file_name).toBe('../artifacts/register/clean/eyjafjalla_sft.json');
  });

  it('registers the original file when nothing was dropped', async () => {
    const ws = await makeWorkspace({ 'data/eyjafjalla_sft.json': datasetText([GOOD_A, GOOD_B]) });
    await runRegister(ws, paramsFrom(onlyMain('drop')));
    const owned = JSON.parse(await readFile(`${ws}/artifacts/register/entries.json`, 'utf8'));
    expect(owned).toEqual({
      dataset_info: 'data/dataset_info.json',
      entries: {
        eyjafjalla_sft: { file_name: 'eyjafjalla_sft.json', formatting: 'sharegpt', columns: { messages: 'conversations', system: 'system' } },
      },
    });
    await expect(readFile(`${ws}/artifacts/register/clean/eyjafjalla_sft.json`)).rejects.toThrow(/ENOENT/);
  });
});
