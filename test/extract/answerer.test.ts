// A pronoun tag on a line that answers another woman's question: 她 is the one answering, not the
// asker named last (quoteCandidate.ts answererOf). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (text: string, line: string) => analyzeText(text, opts).segmented.utterances.find((u) => u.text === line)?.speaker ?? null;

const scene = (opening: string, ...rest: string[]) =>
  [opening, '', '“这两条路线，你觉得哪条更安全？”凯尔希问。', '', ...rest.flatMap((p) => [p, ''])].join('\n').trimEnd();
const OPENING = '凯尔希把两张地图摊在桌上，艾雅法拉凑过来，低头看了很久。';

describe('her answer to another woman’s question, tagged 她', () => {
  test('a tag with 她 after the question: the answering woman', () => {
    const t = scene(OPENING, '“嗯……北边那条。”她小声说。');
    expect(speakerOf(t, '嗯……北边那条。')).toBe('persona');
  });
  test('an intro beat with 她 that names a man, the answer split around it', () => {
    const t = scene(OPENING, '“是的，”她看了博士一眼，“北边那条有避风的地方。”');
    expect(speakerOf(t, '北边那条有避风的地方。')).toBe('persona');
    expect(speakerOf(t, '是的，')).toBe('persona');
  });
  test('must not fire: the line does not open with an answer', () => {
    const t = scene(OPENING, '“北边那条有避风的地方。”她小声说。');
    expect(speakerOf(t, '北边那条有避风的地方。')).not.toBe('persona');
  });
  test('must not fire: a third woman is about (who answers is open)', () => {
    const t = scene('凯尔希把两张地图摊在桌上，艾雅法拉和阿米娅凑过来，低头看了很久。', '“嗯……北边那条。”她小声说。');
    expect(speakerOf(t, '嗯……北边那条。')).not.toBe('persona');
  });
  test('must not fire: someone else asked a question since', () => {
    const t = scene(OPENING, '“南边那条呢？”博士问。', '“嗯……也可以。”她小声说。');
    expect(speakerOf(t, '嗯……也可以。')).not.toBe('persona');
  });
  test('must not fire: the tag names the asker', () => {
    const t = scene(OPENING, '“嗯……北边那条。”凯尔希自己答道。');
    expect(speakerOf(t, '嗯……北边那条。')).toBe('other:凯尔希');
  });
});
