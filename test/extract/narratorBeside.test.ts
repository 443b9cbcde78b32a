// A first-person narrator set beside the Doctor in one sentence of narration (`我把杯子递给博士`)
// is not the Doctor, and, unnamed, is someone about all the same (rulesH). Snippets written for
// these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (text: string) => new Map(analyzeText(text, opts).segmented.utterances.map((u) => [u.text, u.speaker]));

const story = (beside: string) =>
  [
    '我把最后一箱矿石卸下车，我擦了擦手上的灰。',
    '',
    `${beside}`,
    '',
    '我走到桌边，我看了看那张图。“这一块放哪儿？”我问。',
    '',
    '艾雅法拉指了指墙角：“放那边就好，谢谢你。”',
    '',
    '“您慢一点，这箱很沉。”',
  ].join('\n');

describe('a narrator set beside the Doctor', () => {
  test('我 next to 博士 in one sentence: the narrator is not the Doctor, their tagged line is no Doctor line', () => {
    const w = who(story('博士跟在我后面进了屋，我回头看了他一眼。'));
    expect(w.get('这一块放哪儿？')).not.toBe('doctor');
    expect(w.get('放那边就好，谢谢你。')).toBe('persona');
  });
  test('and a bare line calling someone 您 is not read as one of a pair of two: the narrator is about', () => {
    const w = who(story('博士跟在我后面进了屋，我回头看了他一眼。'));
    expect(w.get('您慢一点，这箱很沉。')).toBeNull();
  });
  test('must not fire: the Doctor only in other sentences than 我 — 我 dominates, the narrator is the Doctor', () => {
    const w = who(story('屋里很安静。窗外的风把门吹得吱呀作响。'));
    expect(w.get('这一块放哪儿？')).toBe('doctor');
  });
});
