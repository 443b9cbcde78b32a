// A sentence ending in `…应了一声。` between two quotes announces the second, not the first (rulesF).
// Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => [u.text, u.speaker]);

describe('a counted speech verb ending the narration between two quotes', () => {
  test('`…低低地应了一声。` tags the quote after it', () => {
    const t = '博士把热水递过去。“先喝一口，再说话。”艾雅法拉捧着杯子，过了好一会儿才低低地应了一声。“嗯。”';
    const u = who(t);
    expect(u[0]![1]).not.toBe('persona');
    expect(u[1]).toEqual(['嗯。', 'persona']);
  });
  test('a plain tag after the first quote still tags it', () => {
    const t = '“先喝一口，再说话。”艾雅法拉说，又看了博士一眼。“嗯。”';
    expect(who(t)[0]).toEqual(['先喝一口，再说话。', 'persona']);
  });
});
