// Glued quotes of three people in one wall-of-text paragraph (rulesQ): a line calling her 前辈
// that a 少女 bound by salience gave another woman is open again for her honorific
// (honorific.ts reopenCalledByPronoun), and back-to-back alternation does not give a line that
// speaks of the one just heard by name to the one before them (turns.ts fillBackToBack).
// Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const line = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)!;

// Two young women about; the second 少女 is bound to whoever salience chose first.
const wall = (call: string, after: string) =>
  [
    '傍晚的资料室里只剩一盏台灯。',
    '',
    `艾雅法拉坐在桌边整理标本卡，能天使趴在另一头翻旧画册。“这张也是你画的？”能天使把画册举起来晃了晃。艾雅法拉小声说：“嗯，那次在山上随手画的。”“画得真好，借我看两天。”能天使说着就把画册塞进了包里。少女把卡片收进盒子，又轻声问：“${call}”“快写完了。”“${after}”`,
    '',
    '“前辈早点休息。”',
  ].join('\n');

describe('a glued run with a third person in it', () => {
  test('a 前辈 call a salience-bound 少女 gave another woman is hers by the honorific', () => {
    const u = line(wall('前辈，您今晚还要写报告吗？', '写完了就来看画册嘛。'), '前辈，您今晚还要写报告吗？');
    expect(u.speaker).toBe('persona');
  });
  test('must not fire: a line without the call stays with whom the 少女 was bound to', () => {
    const u = line(wall('您今晚还要写报告吗？', '写完了就来看画册嘛。'), '您今晚还要写报告吗？');
    expect(u.speaker).not.toBe('persona');
  });
  test('a line speaking of the one just heard by name is not given back to the one before by alternation', () => {
    const t = wall('前辈，您今晚还要写报告吗？', '博士每天都这么说，然后写到半夜。');
    expect(line(t, '快写完了。').speaker).toBe('doctor');
    expect(line(t, '博士每天都这么说，然后写到半夜。').speaker).not.toBe('persona');
  });
  test('must not fire: a line that does not name him alternates back to her', () => {
    const t = wall('前辈，您今晚还要写报告吗？', '那我再陪您一会儿。');
    expect(line(t, '那我再陪您一会儿。').speaker).toBe('persona');
  });
});
