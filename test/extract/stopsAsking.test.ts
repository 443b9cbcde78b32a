// Narration after a bare run saying someone stops asking (`博士没有再问，…`): the line right
// before it answered them, so it is the other one's, and turn-taking runs back from it
// (narrationOnly.ts stopsAsking, turns.ts fillByQuestion). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const line = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)!;

const scene = (after: string, last = '……没什么。') =>
  [
    '站台上只剩他们两个人，末班车还有二十分钟。',
    '',
    '艾雅法拉把围巾往上拉了拉，一直看着铁轨的尽头。',
    '',
    '远处的信号灯从红变成了黄，又变回红。',
    '',
    '“在想什么？”',
    '',
    '“在想老师。”',
    '',
    '“想她什么？”',
    '',
    `“${last}”`,
    '',
    after,
  ].join('\n');

describe('someone who stops asking', () => {
  test('博士没有再问: the line before answered him, and the run alternates back from it', () => {
    const t = scene('博士没有再问，把手里的热饮塞进她的口袋。');
    expect(line(t, '……没什么。').speaker).toBe('persona');
    expect(line(t, '想她什么？').speaker).toBe('doctor');
    expect(line(t, '在想老师。').speaker).toBe('persona');
  });
  test('must not fire: narration that does not say he stops asking leaves the run open', () => {
    const t = scene('博士把手里的热饮塞进她的口袋。');
    expect(line(t, '……没什么。').rule).not.toBe('answered');
  });
  test('must not fire: a question right before is no answer to him', () => {
    const t = scene('博士没有再问，把手里的热饮塞进她的口袋。', '您呢？');
    expect(line(t, '您呢？').rule).not.toBe('answered');
  });
});
