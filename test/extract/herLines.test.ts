// Finding her lines and keeping them in samples (#15): speech-tag grammar and the scene passes,
// each piece on its own, on snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
/** The speaker (or kind) of every quote, '?' when open. */
const who = (lines: string[], o = opts) =>
  analyzeText(lines.join('\n\n'), o).segmented.utterances.map((u) => (u.kind === 'speech' ? (u.speaker ?? '?') : u.kind));

describe('speech-tag grammar', () => {
  test('a name starting with a word read as an adverbial (可 of 可露希尔) is still the subject', () => {
    expect(who(['可露希尔抬起头，“要几颗？”'])).toEqual(['other:可露希尔']);
    expect(who(['于是可露希尔抬起头，“要几颗？”'])).toEqual(['other:可露希尔']);
    // (The adverbial itself still goes: 可 before another name is "but".)
    expect(who(['可阿米娅还是摇了摇头，“不行。”'])).toEqual(['other:阿米娅']);
  });
});
