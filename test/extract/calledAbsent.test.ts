// A bare line calling someone by name makes them who 她 / 他 means next (they answer it) only
// where they are about: someone called who is not here (a name shouted after her, a voice on a
// note) leaves 她 as it was (rulesH). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)?.speaker;

const scene = (first: string) =>
  [first, '', '“凯尔希医生！……算了，隔着两道门呢。”', '', '她叹了口气，把怀里的文件夹抱得更紧了。', '', '“电梯怎么还不来。”'].join('\n');

describe('a bare line calling someone not about', () => {
  test('凯尔希 never in the narration: 她 after the call is still her', () => {
    expect(speakerOf(scene('艾雅法拉抱着文件夹站在电梯口，博士在一旁看终端。'), '电梯怎么还不来。')).toBe('persona');
  });
  test('must not fire: 凯尔希 in the narration before — the call makes her the one 她 means', () => {
    expect(speakerOf(scene('凯尔希抱着文件夹站在电梯口，博士在一旁看终端。'), '电梯怎么还不来。')).not.toBe('persona');
  });
});
