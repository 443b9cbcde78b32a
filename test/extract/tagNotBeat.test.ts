// A bare tag after a question (`“放哪里？”博士问。`) says who asked it, not who says the next
// one in the paragraph: it is no action beat for it (rulesH). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const line = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)!;
const para = (between: string) =>
  `艾雅法拉把最后一个样本袋封好，举起来看了看。“这一袋要单独放。”“单独放在哪儿？”${between}“放进冷藏箱最上面那层吧，别和别的压在一起。”`;

describe('a bare tag between two quotes', () => {
  test('“…？”博士问。“…”: the second line is not the Doctor’s by a beat', () => {
    const u = line(para('博士问。'), '放进冷藏箱最上面那层吧，别和别的压在一起。');
    expect(u.speaker).not.toBe('doctor');
    expect(line(para('博士问。'), '单独放在哪儿？').speaker).toBe('doctor');
  });
  test('must not fire: after a statement, not a question, the tag’s subject goes on (`“…。”她说。“…”`)', () => {
    const t = '“这一袋要单独放。”艾雅法拉说。“我去拿一张新的标签。”';
    expect(line(t, '我去拿一张新的标签。').speaker).toBe('persona');
  });
  test('must not fire: a real beat after the tag (a second sentence, or a longer one) still gives the next line to its subject', () => {
    expect(line(para('博士问。他顺手把箱盖掀开了。'), '放进冷藏箱最上面那层吧，别和别的压在一起。').speaker).toBe('doctor');
    expect(line(para('博士一边问一边把箱盖掀开了。'), '放进冷藏箱最上面那层吧，别和别的压在一起。').speaker).toBe('doctor');
  });
});
