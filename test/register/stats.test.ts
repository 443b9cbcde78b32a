// Stats in artifacts/reports/datasets.json: counts, per-turn character percentiles, duplicates
// within and across datasets, token lengths against cutoff_len with the model's own tokenizer.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LengthHistogram } from '../../stages/register/lengthHistogram.js';
import { expectedMixSamples } from '../../stages/register/report.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { datasetText, GOOD_A, GOOD_B, GOOD_C, sample } from './fixtures.js';
import { paramsFrom, runRegister } from './stageHarness.js';

/** A tiny WordLevel tokenizer.json (whitespace pre-tokenizer) in the Hugging Face format. */
function tinyTokenizer(): string {
  const vocab: Record<string, number> = { '[UNK]': 0, 火山: 1, 前辈: 2, 你好: 3 };
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  });
}

const TWO = {
  sources: {
    main: { file: 'data/main.json', on_invalid: 'fail' },
    extra: { file: 'data/extra.json', on_invalid: 'drop' },
  },
  datasets: ['main', 'extra'],
};

async function report(ws: string) {
  return JSON.parse(await readFile(join(ws, 'artifacts/reports/datasets.json'), 'utf8'));
}

describe('dataset stats', () => {
  it('counts samples and turns and gives exact per-turn character percentiles', async () => {
    // turn lengths: 1..20 characters, in 10 two-turn samples
    const samples = Array.from({ length: 10 }, (_, k) =>
      sample([
        ['human', 'x'.repeat(2 * k + 1)],
        ['gpt', 'y'.repeat(2 * k + 2)],
      ]),
    );
    const ws = await makeWorkspace({ 'data/main.json': datasetText(samples), 'data/extra.json': '[]' });
    await runRegister(ws, paramsFrom(TWO));
    const d = (await report(ws)).datasets.main;
    expect(d.samples).toBe(10);
    expect(d.turns).toBe(20);
    expect(d.chars_per_turn).toEqual({ count: 20, p50: 10, p95: 19, max: 20 });
    expect(d.turns_per_sample).toEqual({ count: 10, p50: 2, p95: 2, max: 2 });
    expect(d.tokens_per_sample).toBeNull();
  });

  it('finds exact duplicates within a dataset and across datasets', async () => {
    const ws = await makeWorkspace({
      'data/main.json': datasetText([GOOD_A, GOOD_B, GOOD_A, GOOD_A]),
      'data/extra.json': datasetText([GOOD_C, GOOD_B, { ...GOOD_B, system: '另一个系统提示。' }]),
    });
    await runRegister(ws, paramsFrom(TWO));
    const r = await report(ws);
    expect(r.datasets.main.duplicates_within).toBe(2);
    expect(r.datasets.main.duplicates_within_examples).toEqual([
      { index: 2, first: 0 },
      { index: 3, first: 0 },
    ]);
    expect(r.datasets.extra.duplicates_within).toBe(0);
    expect(r.datasets.extra.duplicates_across).toBe(1);
    expect(r.datasets.extra.duplicates_across_examples).toEqual([{ index: 1, first: { dataset: 'main', index: 1 } }]);
    expect(r.mix.duplicates_across).toBe(1);
    expect(r.mix.samples).toBe(7);
  });

  it('counts tokens with the base model tokenizer and the samples over cutoff_len', async () => {
    const ws = await makeWorkspace({
      'models/tiny/tokenizer.json': tinyTokenizer(),
      'data/main.json': datasetText([
        sample([
          ['human', '你好'],
          ['gpt', '前辈 你好'],
        ]), // 3 tokens
        sample(
          [
            ['human', '火山 火山 火山'],
            ['gpt', '前辈 火山 你好 前辈'],
          ],
          '你好 前辈',
        ), // 2 + 3 + 4 = 9
        sample([
          ['human', '你好'],
          ['gpt', '火山'],
        ]), // 2
      ]),
      'data/extra.json': '[]',
    });
    const { progress } = await runRegister(ws, paramsFrom(TWO, { model_name_or_path: 'models/tiny', cutoff_len: 4 }));
    const r = await report(ws);
    expect(r.tokenizer).toBe('models/tiny/tokenizer.json');
    expect(r.cutoff_len).toBe(4);
    expect(r.datasets.main.tokens_per_sample).toEqual({ count: 3, p50: 3, p95: 9, max: 9 });
    expect(r.datasets.main.over_cutoff_len).toBe(1);
    expect(r.datasets.main.over_cutoff_len_examples).toEqual([1]);
    expect(r.mix.over_cutoff_len).toBe(1);
    expect(progress.at(-1)!.message).toMatch(/1 over cutoff_len 4/);
  });

  it('says when there is no tokenizer to count with', async () => {
    const ws = await makeWorkspace({ 'data/main.json': datasetText([GOOD_A]), 'data/extra.json': '[]' });
    const { progress } = await runRegister(ws, paramsFrom(TWO, { model_name_or_path: 'models/absent', cutoff_len: 4 }));
    const r = await report(ws);
    expect(r.tokenizer).toBeNull();
    expect(r.tokenizer_note).toBe('models/absent/tokenizer.json not found: token lengths not checked');
    expect(progress.at(-1)!.message).toMatch(/main 1, extra 0; mix concat ≈ 1 samples; .*token lengths not checked/);
  });

  it('applies num_samples and the mix strategy to the expected mix size', async () => {
    const ws = await makeWorkspace({ 'data/main.json': datasetText([GOOD_A, GOOD_B]), 'data/extra.json': datasetText([GOOD_C]) });
    await runRegister(ws, paramsFrom({ ...TWO, mix_strategy: 'interleave_over', interleave_probs: [0.5, 0.5], num_samples: { extra: 4 } }));
    const r = await report(ws);
    expect(r.mix.num_samples).toEqual({ main: 2, extra: 4 });
    expect(r.mix.expected_samples).toBe(8);
    const owned = JSON.parse(await readFile(join(ws, 'artifacts/register/entries.json'), 'utf8'));
    expect(owned.entries.extra).toEqual({ file_name: 'extra.json', formatting: 'sharegpt', columns: { messages: 'conversations' }, num_samples: 4 });
  });
});

describe('expectedMixSamples', () => {
  it('follows concat, interleave_under, interleave_over and interleave_once', () => {
    expect(expectedMixSamples([100, 50], 'concat', undefined)).toBe(150);
    expect(expectedMixSamples([100, 50], 'interleave_once', [0.5, 0.5])).toBe(150);
    expect(expectedMixSamples([100, 50], 'interleave_under', undefined)).toBe(100);
    expect(expectedMixSamples([100, 50], 'interleave_over', undefined)).toBe(200);
    expect(expectedMixSamples([100, 50], 'interleave_under', [0.8, 0.2])).toBe(125);
    expect(expectedMixSamples([100, 50], 'interleave_over', [0.8, 0.2])).toBe(250);
  });
});

describe('LengthHistogram', () => {
  it('gives nearest-rank percentiles and merges', () => {
    const a = new LengthHistogram();
    for (const n of [5, 1, 3]) a.add(n);
    const b = new LengthHistogram();
    b.add(100, 2);
    a.merge(b);
    expect(a.summary()).toEqual({ count: 5, p50: 5, p95: 100, max: 100 });
    expect(new LengthHistogram().summary()).toEqual({ count: 0, p50: 0, p95: 0, max: 0 });
  });
});
