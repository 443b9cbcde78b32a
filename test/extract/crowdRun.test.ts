// Turn-taking through a crowded stretch (presence.ts pairThrough): the alternation that gives a bare
// line its speaker is counted through the lines between it and its anchor; where one of them has
// a third person about (no pair), the run is not a two-person exchange there, and the line is
// filled as in a crowd (not across more than MAX_SPAN_THIRD). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (lines: string[]) =>
  new Map(
    analyzeText(lines.join('\n\n'), opts)
      .segmented.utterances.filter((u) => u.kind === 'speech')
      .map((u) => [u.text, u.speaker]),
  );

const run = ['艾雅法拉回头看了看博士。', '“前辈……”', '博士说：“来两块。”'];

describe('a bare run next to a third person', () => {
  test('the line after a stall-keeper’s bare answer is not given to the Doctor by alternation', () => {
    const u = who([
      '午后的集市很热闹，凯尔希站在卖烤饼的摊位后面帮忙，把一盘刚出炉的饼放到台上。',
      '“尝一块？”凯尔希说。',
      ...run,
      '“好嘞。”',
      '“我也要一块！”',
      '“你刚吃过午饭了。”',
      '“那是午饭，这是点心。”',
      '艾雅法拉笑着把手里的饼递了过去：“给你吧，我吃不完。”',
    ]);
    expect(u.get('来两块。')).toBe('doctor');
    expect(u.get('好嘞。')).toBeNull();
    expect(u.get('我也要一块！')).toBeNull();
  });
  test('with only the two about, the same run alternates between them (must not fire)', () => {
    const u = who([
      '午后的集市很热闹，艾雅法拉和博士在卖烤饼的摊位前停下来。',
      ...run,
      '“两块会不会太多？”',
      '“不多。”',
      '“那我吃一块半。”',
      '“剩下半块呢？”',
      '艾雅法拉笑着把手里的饼递了过去：“给您吧。”',
    ]);
    expect(u.get('两块会不会太多？')).toBe('persona');
    expect(u.get('不多。')).toBe('doctor');
    expect(u.get('那我吃一块半。')).toBe('persona');
    expect(u.get('剩下半块呢？')).toBe('doctor');
  });
});
