// A descriptive noun first met with her trait (羊角少女) goes on naming her when it comes back bare
// (少女), even where salience had bound it to another woman. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const withTraits = fileOptions(configSchema.parse(undefined));
const noTraits = fileOptions(configSchema.parse({ persona: { names: ['艾雅法拉', '阿黛尔', '小羊', '艾雅'] } }));
const speakerOf = (text: string, line: string, opts = withTraits) => analyzeText(text, opts).segmented.utterances.find((u) => u.text === line)?.speaker ?? null;

const clinic = (later: string) =>
  [
    '诊室里只有凯尔希一个人在写记录。',
    '',
    '羊角少女在门口站了一会儿，小声说：“凯尔希医生，我来复查。”',
    '',
    '凯尔希放下笔：“坐吧。”',
    '',
    `${later}“最近耳朵没有再疼了。”`,
  ].join('\n');

describe('a descriptive noun bound by her trait', () => {
  test('the bare noun after 羊角少女 is her, not the woman named before', () => {
    expect(speakerOf(clinic('少女在椅子上坐好，轻声说：'), '最近耳朵没有再疼了。')).toBe('persona');
  });
  test('must not fire: without her traits configured the noun names no one of hers', () => {
    expect(speakerOf(clinic('少女在椅子上坐好，轻声说：'), '最近耳朵没有再疼了。', noTraits)).not.toBe('persona');
  });
  test('must not fire: a noun of another age (女人) is not bound by her trait', () => {
    expect(speakerOf(clinic('女人在椅子上坐好，轻声说：'), '最近耳朵没有再疼了。')).not.toBe('persona');
  });
});
