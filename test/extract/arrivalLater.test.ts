// Someone who comes in later in the scene (`凯尔希推门走进来`) was not there before: a line that only
// a pronoun or a descriptive noun gave them before that meant someone else. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (text: string, line: string) => analyzeText(text, opts).segmented.utterances.find((u) => u.text === line)?.speaker ?? null;

const office = (later: string, before = '') =>
  [
    '凯尔希的诊室在走廊尽头，夜里只亮着一盏台灯。',
    '',
    `${before}博士进门时，那个女孩正伏在桌上写着什么。`,
    '',
    '“还没睡？”',
    '',
    '“快写完了”，她回答，没有抬头，“再等我五分钟。”',
    '',
    later,
    '',
    '“这么晚了，病历明天再整理。”',
  ].join('\n');

describe('a line given to someone who only comes in later', () => {
  test('她回答 before 凯尔希 walks in is not 凯尔希', () => {
    const t = office('门又开了，凯尔希推门走进来，手里拿着一叠病历。');
    expect(speakerOf(t, '快写完了')).not.toBe('other:凯尔希');
    expect(speakerOf(t, '再等我五分钟。')).not.toBe('other:凯尔希');
  });
  test('must not fire: no one comes in later (salience still reads 她 as the woman named)', () => {
    const t = office('窗外的风停了，台灯的光晃了一下。');
    expect(speakerOf(t, '快写完了')).toBe('other:凯尔希');
  });
  test('must not fire: a line given to her by name before she comes back (`回来了`)', () => {
    const t = office('过了一会儿，凯尔希回来了，手里拿着一叠病历。', '凯尔希说：“我去拿病历。”\n\n');
    expect(speakerOf(t, '我去拿病历。')).toBe('other:凯尔希');
    expect(speakerOf(t, '快写完了')).toBe('other:凯尔希');
  });
});
