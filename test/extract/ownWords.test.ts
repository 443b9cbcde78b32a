// A bare line taking up its speaker's own earlier words (`我说的半小时，…`) is theirs, even where
// the line before it calls someone else by name (echo.ts fillByOwnWords). Snippets written for
// these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const line = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)!;

const scene = (later: string) =>
  [
    '博士看了看表：“半小时。半小时之后不管采没采完都回来。”',
    '',
    '“好。”艾雅法拉点点头。',
    '',
    '可露希尔把车钥匙转了转：“我在车上等你们，暖气开着。”',
    '',
    '风越刮越大，对讲机里的声音也越来越碎。',
    '',
    '“可露希尔小姐，车停在哪边？”',
    '',
    `“${later}”`,
  ].join('\n');

describe('a line taking up its own earlier words', () => {
  test('我说的半小时: the one who said 半小时 before', () => {
    const u = line(scene('我说的半小时，还剩十分钟。'), '我说的半小时，还剩十分钟。');
    expect([u.speaker, u.rule]).toEqual(['doctor', 'own-words']);
  });
  test('must not fire: words no one said before', () => {
    const u = line(scene('我说的那条路，还能走吗？'), '我说的那条路，还能走吗？');
    expect(u.rule).not.toBe('own-words');
  });
});
