// A name at the head of a line that goes on to speak of that person as 她 / 他, and to no one as
// 你 / 您 (`阿米娅……说她晚上要来。`), is spoken of, not called: the line after it is no reply of
// theirs (rulesH). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const line = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)!;

const scene = (hers: string) =>
  ['阿米娅刚从实验室门口探了下头又走了。艾雅法拉把终端放下，看着博士。', '', `艾雅法拉说：“${hers}”`, '', '“那我们等她一会儿。”'].join('\n');

describe('a name spoken of, not called', () => {
  test('阿米娅……说她晚上要来: the line after is not 阿米娅’s reply', () => {
    expect(line(scene('阿米娅……说她晚上还要来拿样本。'), '那我们等她一会儿。').speaker).not.toBe('other:阿米娅');
  });
  test('must not fire: 阿米娅，你… — she is called, and the line after is her reply', () => {
    const u = line(scene('阿米娅，你晚上还要来拿样本吗？'), '那我们等她一会儿。');
    expect([u.speaker, u.rule]).toEqual(['other:阿米娅', 'reply']);
  });
});
