// The pieces added for her recall by rules alone (#15): each on its own, on short snippets
// written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
/** The speaker (or kind) of every quote, '?' when open. */
const who = (lines: string[], o = opts) =>
  analyzeText(lines.join('\n\n'), o).segmented.utterances.map((u) => (u.kind === 'speech' ? (u.speaker ?? '?') : u.kind));

describe('turn-taking with the partner read from the conversation', () => {
  const scene = ['博士把报告放下就走了，芙蓉和艾雅法拉留在实验室。', '芙蓉问：“这是什么？”', '艾雅法拉答：“玄武岩。”', '“好黑啊。”', '“因为里面的铁多。”'];
  test('two anchors who answer each other: the bare lines after them alternate between those two, whoever else was named before', () => {
    expect(who(scene)).toEqual(['other:芙蓉', 'persona', 'other:芙蓉', 'persona']);
  });
  test('a bare line that calls a third person by name stops it', () => {
    const third = [...scene.slice(0, 3), '“凯尔希，您看这块。”', '“因为里面的铁多。”'];
    expect(who(third).slice(2)).toEqual(['?', '?']);
  });
  test('narration between the two anchors naming a third person stops it', () => {
    const t = [scene[0]!, scene[1]!, '凯尔希从门口经过。', scene[2]!, scene[3]!];
    expect(who(t).at(-1)).toBe('?');
  });
  test('an anchor only after the bare lines does not say who its partner was before', () => {
    const t = ['博士把报告放下就走了，芙蓉和艾雅法拉留在实验室。', '“这是什么？”', '“玄武岩。”', '芙蓉问：“好黑啊。”', '艾雅法拉答：“因为里面的铁多。”'];
    expect(who(t).slice(0, 2)).toEqual(['?', '?']);
  });
});
