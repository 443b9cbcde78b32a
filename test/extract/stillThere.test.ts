// Who is still in the room (rulesP, issue #15): someone about earlier in the scene who has not
// left is there though the narration has not named them for a while (elimination among three);
// and a line that speaks of someone (`送炎熔回去吧，她…`): one who is there may answer it. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { spokenOf } from '../../stages/extract/castGuards.js';
import type { SpeakerId } from '../../stages/extract/types.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)?.speaker;

/** She is in the room from the start (`opening`); then the Doctor and 炎熔 talk; then a bare `line` and what follows it. */
const threeInARoom = (opening: string, line: string, last: readonly string[]) =>
  [
    opening,
    '',
    '炎熔趴在窗台上，看着外面的雨。',
    '',
    '“雨停了没有？”博士问。',
    '',
    '“还没呢。”炎熔说。',
    '',
    '她打了个哈欠，把下巴搁在胳膊上。',
    '',
    '“博士，你不饿吗？”炎熔问。',
    '',
    '“还不饿。”博士说。',
    '',
    `“${line}”`,
    ...last,
  ].join('\n');

describe('still in the room, though not named for a while', () => {
  const line = '博士，您先陪炎熔去食堂吧，她早饭都没吃。';
  const after = ['', '“我才不饿！”', '', '炎熔回头看了艾雅法拉一眼。'];
  test('elimination: not the Doctor (called), not 炎熔 (spoken of): hers, who never left', () => {
    const u = analyzeText(threeInARoom('艾雅法拉坐在角落里给岩样贴标签。', line, after), opts).segmented.utterances.find((x) => x.text === line);
    expect([u?.speaker, u?.rule]).toEqual(['persona', 'elimination']);
  });
  test('must not fire: she went out before', () => {
    expect(speakerOf(threeInARoom('艾雅法拉贴完最后一张标签，抱着箱子出去了。', line, after), line)).not.toBe('persona');
  });
});

describe('a line speaking of someone before them (spokenOf)', () => {
  const named = (t: string) =>
    new Set<SpeakerId>(['炎熔', '博士'].filter((n) => t.includes(n)).map((n): SpeakerId => (n === '博士' ? 'doctor' : `other:${n}`)));
  const vocatives = (t: string) => new Set<SpeakerId>(t.startsWith('炎熔，') ? ['other:炎熔'] : []);
  const v = { named, vocatives };
  test('named, then meant by 她: spoken of', () => {
    expect(spokenOf(v, '前辈先陪炎熔去食堂吧，她早饭都没吃。')).toEqual(['other:炎熔']);
  });
  test('must not fire: named as a call, or named with no pronoun', () => {
    expect(spokenOf(v, '炎熔，她刚才找你。')).toEqual([]);
    expect(spokenOf(v, '炎熔去食堂了。')).toEqual([]);
  });
});

describe('a line speaking of someone not there', () => {
  test('must not fire: the Doctor still answers her by alternation', () => {
    const t = [
      '观测室里只有艾雅法拉和博士两个人。',
      '',
      '“前辈，这份记录还差一页。”艾雅法拉说。',
      '',
      '“哪一页？”',
      '',
      '“前辈先给可露希尔回个电话吧，她找了您一上午。”',
      '',
      '“等我看完这页。”',
    ].join('\n');
    expect(speakerOf(t, '等我看完这页。')).toBe('doctor');
  });
});
