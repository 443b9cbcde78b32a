// A beat saying its subject is taken aback (愣了一下, 吃了一惊) right after a quote: a reaction to
// someone else's line, so that line is not read as theirs. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (text: string, line: string) => analyzeText(text, opts).segmented.utterances.find((u) => u.text === line)?.speaker ?? null;
// (Glued lines, `”“`, so no one speaker holds the paragraph.)
const bench = (mid: string) => ['实验台上摆着拆开的助听器。', '', `“电池在哪儿？”“抽屉里。”“装反了。”${mid}“……真的反了。”`].join('\n');

describe('taken aback after a quote', () => {
  test('split by 愣了一下: the quote before is not the one taken aback', () => {
    const t = bench('艾雅法拉愣了一下，低头看了看，');
    expect(speakerOf(t, '……真的反了。')).toBe('persona');
    expect(speakerOf(t, '装反了。')).not.toBe('persona');
  });
  test('a full beat of being taken aback (吃了一惊。) is no beat-after of the quote before', () => {
    const t = ['实验台上摆着拆开的助听器。', '', '“电池在哪儿？”“抽屉里。”“装反了。”艾雅法拉吃了一惊。“让我看看。”“在这里。”'].join('\n');
    expect(speakerOf(t, '装反了。')).not.toBe('persona');
  });
  test('must not fire: a beat that is no reaction runs on into her next part (split)', () => {
    expect(speakerOf(bench('艾雅法拉低头看了看，'), '装反了。')).toBe('persona');
  });
  test('must not fire: a speech tag first (她说完，自己先愣住了) keeps the line hers', () => {
    const t = ['实验台上摆着拆开的助听器。', '', '“装反了。”艾雅法拉说完，自己先愣住了，“……原来是我装的。”'].join('\n');
    expect(speakerOf(t, '装反了。')).toBe('persona');
  });
});

describe('taken aback, looking at someone', () => {
  const lineOf = (t: string, line: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === line);
  const glued = (mid: string) => ['实验台上摆着拆开的助听器。', '', `“电池在哪儿？”“抽屉里。”“这个月的报告我替你写了。”${mid}“……真的吗？”`].join('\n');
  test('the one looked at said the line before (”她愣了一下，抬头看着博士，)', () => {
    const u = lineOf(glued('艾雅法拉愣了一下，抬头看着博士，'), '这个月的报告我替你写了。');
    expect(u?.speaker).toBe('doctor');
    expect(u?.rule).toBe('looked-at');
  });
  test('must not fire: looking at someone without being taken aback', () => {
    expect(lineOf(glued('艾雅法拉抬头看着博士，'), '这个月的报告我替你写了。')?.rule).not.toBe('looked-at');
  });
  test('must not fire: taken aback, looking at no one', () => {
    expect(lineOf(glued('艾雅法拉愣了一下，低头看了看手里的电池，'), '这个月的报告我替你写了。')?.speaker).not.toBe('doctor');
  });
});
