// The open line right before or after a line of hers (besideHers.ts): a new paragraph of
// speech is a new speaker, so it is someone's other than hers, and what she answers it with is kept
// in a sample. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const read = (lines: string[]) => {
  const a = analyzeText(lines.join('\n\n'), opts);
  const utts = a.segmented.utterances.filter((u) => u.kind === 'speech');
  const inSamples = new Set(a.windows.flatMap((w) => w.flatMap((t) => t.sources)));
  return { utts, inSamples };
};
// (Three people about: no scene pass can say who asks.)
const ROOM = '艾雅法拉、炎熔和博士站在温室里，看着架子上的一排花盆。';
const ANSWER = '是我种的。土是从火山口带回来的，所以长得特别快。';

describe('the open line right before hers', () => {
  test('is not hers: its speaker stays open, and her tagged answer to it is in a sample', () => {
    const { utts, inSamples } = read([ROOM, '“这盆番茄是谁种的？”', `“${ANSWER}”艾雅法拉小声说。`]);
    expect(utts[0]).toMatchObject({ speaker: null, notHer: true });
    expect(utts[1]).toMatchObject({ text: ANSWER, speaker: 'persona' });
    expect(inSamples.has(utts[1]!.id)).toBe(true);
  });
  test('where her line opens after a beat of her own, only if the open paragraph is only quotes (else she may be going on)', () => {
    // (A bare line, then her beat and her answer: she answers it; rulesO, 5 of 6 such lines on gold2/tune not hers.)
    const bare = read([ROOM, '“这盆番茄是谁种的？”', `艾雅法拉放下水壶，小声说：“${ANSWER}”`]);
    expect(bare.utts[1]!.speaker).toBe('persona');
    expect(bare.utts[0]!.notHer).toBe(true);
    expect(bare.inSamples.has(bare.utts[1]!.id)).toBe(true);
    const { utts, inSamples } = read([ROOM, '“这盆番茄，”花架上的水珠滴了下来，“是谁种的？”', `艾雅法拉放下水壶，小声说：“${ANSWER}”`]);
    expect(utts[2]!.speaker).toBe('persona');
    expect(utts[1]!.notHer).toBeFalsy();
    expect(inSamples.has(utts[2]!.id)).toBe(false);
  });
  test('not across a paragraph of narration', () => {
    const { utts } = read([ROOM, '“这盆番茄是谁种的？”', '温室里安静了一会儿。', `“${ANSWER}”艾雅法拉小声说。`]);
    expect(utts[0]!.notHer).toBeFalsy();
  });
});

describe('the open line right after hers', () => {
  const TOLD = '这盆是我种的。土是从火山口带回来的。';
  test('a paragraph of bare quotes right after her line is not hers', () => {
    const { utts } = read([ROOM, `“${TOLD}”艾雅法拉小声说。`, '“怪不得长得这么快。”', '“嗯，下个月就能结果了。”']);
    expect(utts[0]!.speaker).toBe('persona');
    expect(utts[1]).toMatchObject({ speaker: null, notHer: true });
  });
  test('not a paragraph with narration of its own that left it open (`门口传来一声轻笑，“…”`)', () => {
    const { utts } = read([ROOM, `“${TOLD}”艾雅法拉小声说。`, '门口传来一声轻笑，“怪不得长得这么快。”']);
    expect(utts[1]!.speaker).toBeNull();
    expect(utts[1]!.notHer).toBeFalsy();
  });
});
