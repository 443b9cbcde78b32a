// A short quote named as words right after it (`“跑调”两个字到了嘴边`) is a term, not a line,
// whatever stands before it (rulesH). Snippets written for these tests.
import { classifyQuote } from '../../stages/extract/quoteKind.js';
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));

describe('a quote named as words', () => {
  test('after a comma, followed by 两个字 / 这几个字 / 一词: a term', () => {
    expect(classifyQuote('算了', '他张了张嘴，', '两个字终究没有说出口。')).toBe('term');
    expect(classifyQuote('下次一定', '她盯着屏幕，', '这几个字看了很久。')).toBe('term');
    expect(classifyQuote('余震', '报告里，', '一词出现了七次。')).toBe('term');
  });
  test('in a story: the quoted words are no line of the Doctor after his intro', () => {
    const t = ['博士低头看着那张表，', '', '他张了张嘴，“不行”两个字却卡在了喉咙里。最后他只是点了点头。', '', '艾雅法拉笑了：“那就说定了，前辈。”'].join('\n');
    const u = analyzeText(t, opts).segmented.utterances;
    expect(u.find((x) => x.text === '不行')?.kind).toBe('term');
    expect(u.find((x) => x.text.startsWith('那就说定了'))?.speaker).toBe('persona');
  });
  test('must not fire: a line followed by narration that only starts with a count (两个人都笑了), or a comma before 两个字', () => {
    expect(classifyQuote('好啊', '艾雅法拉说，', '两个人都笑了。')).toBe('speech');
    expect(classifyQuote('走吧', '博士轻声说：', '，两个字说得很轻。')).toBe('speech');
    expect(classifyQuote('今天的数据不太对。', '她皱起眉，', '两个字一顿。')).toBe('speech');
  });
});
