// A descriptive noun that introduced someone new (`一个陌生的女人`) goes on naming that someone,
// not the character most salient when it comes back (rulesF). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => [u.text, u.speaker]);

describe('an epithet bound to someone new', () => {
  const story = (intro: string) =>
    [
      `车站的长椅上坐着${intro}，膝盖上放着一只旧皮箱。`,
      '',
      '艾雅法拉走过去，轻轻鞠了一躬。“请问，去北坡的车是从这里出发吗？”',
      '',
      '女人抬起头，把皮箱往旁边挪了挪。“是这里。你也去北坡？”',
    ].join('\n');
  test('after `一个陌生的女人`, 女人 is not her, though she is the last one named', () => {
    const u = who(story('一个陌生的女人'));
    expect(u[0]).toEqual(['请问，去北坡的车是从这里出发吗？', 'persona']);
    expect(u[1]![1]).not.toBe('persona');
  });
  test('with no one introduced, 女人 read like a pronoun may still be her', () => {
    const t = ['艾雅法拉走过去，轻轻鞠了一躬。', '', '女人抬起头，把皮箱往旁边挪了挪。“前辈，车是从这里出发吗？”'].join('\n');
    expect(who(t)[0]).toEqual(['前辈，车是从这里出发吗？', 'persona']);
  });
});
