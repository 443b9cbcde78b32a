// A paragraph that starts afresh for who is about (rulesM, issue #15): after a time skip
// (第二天一早) or `只剩两个人`, someone who spoke before it is not taken to be about to cut in, so
// turn-taking may run its usual reach. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { startsAfresh } from '../../stages/extract/narrationOnly.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => u.speaker);
const narr = (text: string) => [{ kind: 'narr' as const, text }];

const story = (skip: string) =>
  [
    '博士把最后一箱样本搬进仓库，拍了拍手上的灰。',
    '',
    '“明天再贴标签吧。”博士说。',
    '',
    '“好的，前辈。”艾雅法拉说。',
    '',
    `${skip}，炎熔推开仓库的门，看见艾雅法拉蹲在箱子中间写标签。`,
    '',
    '“你在干什么？”炎熔问。',
    '',
    '“贴标签。一共三十箱。”',
    '',
    '“一个人？”',
    '',
    '“嗯，快贴完了。”',
    '',
    '“那我帮你念编号。”',
    '',
    '“谢谢，从这一箱开始。”',
  ].join('\n');

describe('starts afresh', () => {
  test('time skips and two left are read; other openings are not', () => {
    expect(startsAfresh(narr('第二天一早，她又去了温室。'))).toBe(true);
    expect(startsAfresh(narr('三天后，信寄到了。'))).toBe(true);
    expect(startsAfresh(narr('门关上了，走廊里只剩下我们俩。'))).toBe(true);
    expect(startsAfresh(narr('过了一会儿，她又去了温室。'))).toBe(false);
    expect(startsAfresh(narr('她说第二天一早再来。'))).toBe(false);
  });
  test('after a time skip the bare run between her and 炎熔 is filled on; without one it stops short', () => {
    expect(who(story('第二天一早')).slice(2)).toEqual(['other:炎熔', 'persona', 'other:炎熔', 'persona', 'other:炎熔', 'persona']);
    const same = who(story('过了一会儿')).slice(2);
    expect(same.slice(0, 3)).toEqual(['other:炎熔', 'persona', 'other:炎熔']);
    expect(same.slice(3)).toContain(null);
  });
});
