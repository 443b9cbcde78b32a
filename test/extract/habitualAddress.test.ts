// Her habitual address for the Doctor as evidence (rulesF, issue #15): where she calls him 前辈
// and never by name, a bare line calling him 博士 is not put in her mouth. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => [u.text, u.speaker]);

const story = (herWord: string) =>
  [
    `艾雅法拉把岩样放进袋子里。“${herWord}，这是今天的第三块。”`,
    '',
    '博士看了一眼。“放左边那格。”',
    '',
    `“${herWord}，左边已经满了。”艾雅法拉说。`,
    '',
    '博士没有回答。',
    '',
    '“博士，楼下那箱样本袋我给您搬上来了。”',
    '',
    '“放门口吧。”',
  ].join('\n');

describe('habitual address', () => {
  test('she says 前辈: a bare line calling him 博士 is left open, not hers', () => {
    const u = who(story('前辈'));
    expect(u[0]).toEqual(['前辈，这是今天的第三块。', 'persona']);
    expect(u[2]).toEqual(['前辈，左边已经满了。', 'persona']);
    expect(u[3]![1]).not.toBe('persona');
  });
  test('she calls him 博士 herself: the same bare line may be hers', () => {
    const u = who(story('博士'));
    expect(u[2]).toEqual(['博士，左边已经满了。', 'persona']);
    expect(u[3]).toEqual(['博士，楼下那箱样本袋我给您搬上来了。', 'persona']);
  });
});
