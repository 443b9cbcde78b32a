// Lines of hers the rules only infer (samples.ts INFERRED_RULES: turn-taking, addressee) are no
// training target unless `extract.her_by_inference` is on or, with `attribution: model`, the model
// says they are hers (#15: turn-taking may put a line in gpt only at a measured precision ≥ 0.95;
// on unseen gold it was 0.84). On snippets written for these tests; the endpoint is the fake-api
// double on loopback.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import type { InputFile } from '../../stages/extract/corpus.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { herLinesSummary } from '../../stages/extract/samples.js';
import { extractTexts } from '../helpers/extractTexts.js';
import { startFakeApi, writeScript, type RunningFake } from '../regress/fakeApi.js';
import { tempDirs } from '../helpers/workspace.js';

const temp = tempDirs();
afterAll(temp.removeAll);

/** Two tagged lines, then a bare back-and-forth that only the order of turns attributes. */
const TURNS = [
  '博士走进实验室，艾雅法拉正在看显微镜。',
  '博士问：“这是什么？”',
  '艾雅法拉答：“火山灰，今天早上刚从样本袋里取出来的。”',
  '“哪里来的？”',
  '“北边那座山的山脚下，我们上周一起去过的地方。”',
].join('\n\n');
/** A line that is hers only because it calls the Doctor 前辈 where the two of them are about. */
const ADDRESS = ['博士走进实验室，艾雅法拉正在看显微镜。', '“前辈，您来得正好，这些火山灰的颗粒比我想的还要细。”', '博士点点头。'].join('\n\n');

const defaults = fileOptions(configSchema.parse(undefined));
const inferring = fileOptions(configSchema.parse({ her_by_inference: true }));
const turnsOf = (text: string, o = defaults) => analyzeText(text, o).windows.map((w) => w.map((t) => `${t.role}:${t.text}`));

test('a line of hers by turn-taking is attributed, counted, and no gpt turn by default; her_by_inference makes it one', () => {
  const a = analyzeText(TURNS, defaults);
  expect(a.segmented.utterances.map((u) => `${u.speaker}/${u.rule}`)).toEqual(['doctor/intro', 'persona/intro', 'doctor/turn-taking', 'persona/turn-taking']);
  // (The line she answers stays: the tagged pair is a sample; her inferred reply ends the run.)
  expect(turnsOf(TURNS)).toEqual([['human:这是什么？', 'gpt:火山灰，今天早上刚从样本袋里取出来的。']]);
  expect(a.drops).toMatchObject({ her_inferred: 1, uncertain_speaker: 1 });
  expect(herLinesSummary(2, a.drops as unknown as Record<string, number>)).toBe(
    'extract: her lines 2: 1 in samples, not kept: inferred 1 (known only by turn order or address: extract.attribution: model asks your base model about them, extract.her_by_inference keeps them all)',
  );
  expect(turnsOf(TURNS, inferring)).toContainEqual([
    'human:这是什么？',
    'gpt:火山灰，今天早上刚从样本袋里取出来的。',
    'human:哪里来的？',
    'gpt:北边那座山的山脚下，我们上周一起去过的地方。',
  ]);
  expect(analyzeText(TURNS, inferring).drops.her_inferred).toBe(0);
});

test('a line of hers by whom it addresses (前辈 where she and the Doctor are about) is gated the same way', () => {
  const a = analyzeText(ADDRESS, defaults);
  expect(a.segmented.utterances.map((u) => `${u.speaker}/${u.rule}`)).toEqual(['persona/addressee']);
  expect(a.drops.her_inferred).toBe(1);
  expect(a.windows).toEqual([]);
  expect(turnsOf(ADDRESS, inferring)).toEqual([['human:艾雅法拉，在忙吗？', 'gpt:前辈，您来得正好，这些火山灰的颗粒比我想的还要细。']]);
});

test('a line of hers with evidence of its own (a tag) is a gpt turn whatever the setting', () => {
  const tagged = TURNS.replace('“北边那座山的山脚下，我们上周一起去过的地方。”', '“北边那座山的山脚下，我们上周一起去过的地方。”艾雅法拉说。');
  const a = analyzeText(tagged, defaults);
  expect(a.segmented.utterances.at(-1)).toMatchObject({ speaker: 'persona', rule: 'tag' });
  expect(a.drops.her_inferred).toBe(0);
  expect(turnsOf(tagged)).toContainEqual([
    'human:这是什么？',
    'gpt:火山灰，今天早上刚从样本袋里取出来的。',
    'human:哪里来的？',
    'gpt:北边那座山的山脚下，我们上周一起去过的地方。',
  ]);
});

describe('with attribution: model', () => {
  let dir: string;
  let fake: RunningFake | undefined;
  beforeAll(async () => {
    dir = await temp.make('pl-extract-inferred-');
    await mkdir(join(dir, 'in'));
    await writeFile(join(dir, 'in', 'turns.txt'), TURNS);
    await writeFile(join(dir, 'in', 'address.txt'), ADDRESS);
    const rules = [
      // The model agrees the turn-taking line is hers; it gives the addressed line to the Doctor,
      // which the line's own 前辈 contradicts (so that label is not kept either).
      { contains: '台词：“北边那座山', response: '{"speaker": "艾雅法拉"}' },
      { contains: '台词：“前辈，您来得正好', response: '{"speaker": "博士"}' },
    ];
    fake = await startFakeApi({ FAKE_API_SCRIPT: await writeScript(dir, rules, '{"speaker": "不确定"}'), FAKE_API_LOG: join(dir, 'fake.log') });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  async function run(name: string) {
    const abs = join(dir, 'in', name);
    const files: InputFile[] = [
      {
        name,
        abs,
        hash: createHash('sha256')
          .update(await readFile(abs))
          .digest('hex'),
      },
    ];
    const config = configSchema.parse({ input_dir: 'in', system_prompt: 'sys', attribution: 'model', endpoint: { url: fake!.baseUrl, model: 'base-7b' } });
    return extractTexts(files, { config, cacheDir: join(dir, `cache-${name}`) });
  }

  test('an inferred line of hers the model confirms is a gpt turn; one it does not stays out', async () => {
    const turns = await run('turns.txt');
    expect(turns.samples.map((s) => s.conversations.map((t) => t.value))).toContainEqual([
      '这是什么？',
      '火山灰，今天早上刚从样本袋里取出来的。',
      '哪里来的？',
      '北边那座山的山脚下，我们上周一起去过的地方。',
    ]);
    expect(turns.totals.dropped.her_inferred).toBe(0);
    const address = await run('address.txt');
    expect(address.samples).toEqual([]);
    expect(address.totals.utterances).toMatchObject({ persona: 1, doctor: 0 });
    expect(address.totals.dropped.her_inferred).toBe(1);
  });
});
