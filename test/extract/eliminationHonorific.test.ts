// Elimination among three does not give a line calling someone 前辈 to a third person where no one
// but her uses the honorific (rulesH). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { callsHerHonorific } from '../../stages/extract/elimination.js';

const opts = fileOptions(configSchema.parse(undefined));
const line = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)!;

const scene = (first: string) =>
  [
    `可露希尔把账本推过来：“${first}”`,
    '',
    '“涨了多少？”博士问。',
    '',
    '“前辈，您别这样看着我。”',
    '',
    '艾雅法拉低下头，小声说：“……是我的加热炉，它开了一整晚。”',
  ].join('\n');

describe('elimination and her honorific', () => {
  test('a bare 前辈 line between the Doctor and her beat: not the third woman’s', () => {
    const u = line(scene('这个月的电费又涨了。'), '前辈，您别这样看着我。');
    expect(u.speaker).not.toBe('other:可露希尔');
  });
  test('must not fire: a line without 前辈 between the same two is still the third woman’s', () => {
    const t = scene('这个月的电费又涨了。').replace('“前辈，您别这样看着我。”', '“您别这样看着我。”');
    expect(line(t, '您别这样看着我。').speaker).toBe('other:可露希尔');
  });
  test('must not fire: the honorific shared in the scene, a stranger about, 前辈 only as a quoted word, or the one left is her', () => {
    const v = { sharedHonorific: false, strangers: false };
    expect(callsHerHonorific(v, [{ text: '前辈，您别这样看着我。' }], 'other:可露希尔')).toBe(true);
    expect(callsHerHonorific({ ...v, sharedHonorific: true }, [{ text: '前辈，您别这样看着我。' }], 'other:可露希尔')).toBe(false);
    expect(callsHerHonorific({ ...v, strangers: true }, [{ text: '前辈，您别这样看着我。' }], 'other:可露希尔')).toBe(false);
    expect(callsHerHonorific(v, [{ text: '她总叫他‘前辈’。' }], 'other:可露希尔')).toBe(false);
    expect(callsHerHonorific(v, [{ text: '前辈，您别这样看着我。' }], 'persona')).toBe(false);
  });
});
