// Someone called by name who only comes in later is not the one answering (rulesM, issue #15):
// a bare name given as an answer (`“炎熔。”`) before she walks in is no call she answers; and
// `挤进来` / `冲进来` are arrivals. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)?.speaker;

const scene = (opening: string, call: string, next: string) =>
  [
    opening,
    '',
    '博士翻了翻借用登记表，抬起头。',
    '',
    '“最后一个借走它的是谁？”',
    '',
    `“${call}”`,
    '',
    `“${next}”`,
    '',
    '话音刚落，门被推开了。炎熔抱着一个纸箱挤了进来。',
    '',
    '“你们找我？”',
  ].join('\n');

describe('called, but arrives later', () => {
  test('she walks in only after: the line after the name is not hers', () => {
    const t = scene('艾雅法拉蹲在柜子前，把每一格都翻了一遍，还是没找到那台测温仪。', '炎熔。', '那就去问问她吧。');
    expect(speakerOf(t, '那就去问问她吧。')).not.toBe('other:炎熔');
  });
  test('must not fire: she is there from the start, called by name she answers', () => {
    const t = scene('艾雅法拉蹲在柜子前翻找测温仪，炎熔靠在门边看着她。', '炎熔，你见过那台测温仪吗？', '在我箱子里，昨天借的。');
    expect(speakerOf(t, '在我箱子里，昨天借的。')).toBe('other:炎熔');
  });
});
