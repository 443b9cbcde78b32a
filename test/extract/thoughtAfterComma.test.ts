// A thought tag after a comma that follows the closing quote (`”，我在心里这么想着`) marks a
// thought as it does right after the quote (rulesH). Snippets written for these tests.
import { classifyQuote } from '../../stages/extract/quoteKind.js';

describe('a thought tag after a comma', () => {
  test('”，我在心里这么想着 / ”，她暗暗地想: a thought', () => {
    expect(classifyQuote('等雨停了再走吧', '我靠在窗边。', '，我在心里这么想着，慢慢闭上了眼睛。')).toBe('thought');
    expect(classifyQuote('他一定又忘了吃药', '', '，她暗暗地想。')).toBe('thought');
  });
  test('must not fire: a speech tag or 想了想 after the comma is speech', () => {
    expect(classifyQuote('等雨停了再走吧', '', '，她小声说。')).toBe('speech');
    expect(classifyQuote('那就明天吧', '', '，她想了想，又补了一句。')).toBe('speech');
  });
});
