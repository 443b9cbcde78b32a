// Precision rules of round 2 (#15, lane rulesE): lines of others kept out of her mouth and the
// Doctor's, on snippets written for these tests (never taken from the gold texts).
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { discoverNames } from '../../stages/extract/discover.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { buildNameIndex } from '../../stages/extract/names.js';

const opts = fileOptions(configSchema.parse(undefined));
/** [speaker or kind, text] of every quote. */
const speakers = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => [u.kind === 'speech' ? (u.speaker ?? '?') : u.kind, u.text]);
const baseNames = buildNameIndex(opts.persona, opts.doctor, opts.others);
const found = (t: string) => discoverNames(t, baseNames).names.sort();

describe('character discovery from bodily action', () => {
  test('a name that opens two sentences of bodily action is a character; her line is not given to her after its beat', () => {
    const t = ['林檎推开仓库的门，拎进来两桶水。', '艾雅法拉接过一桶，放在墙角。', '林檎把另一桶搁在桌上，甩了甩手。', '“够用一周了。”'].join('\n\n');
    expect(found(t)).toEqual(['林檎']);
    expect(speakers(t)).toEqual([['other:林檎', '够用一周了。']]);
  });
  test('one such sentence, or a counted group as the subject, names no one', () => {
    expect(found('晚风推开了窗，艾雅法拉抬起头。\n\n“要下雨了。”')).toEqual([]);
    expect(found('几个人放下背包，几个人拿起水壶。几个人放下背包，几个人拿起水壶。')).toEqual([]);
  });
});
