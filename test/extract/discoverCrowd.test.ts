// Character discovery in a crowd scene (rulesF): `一个男生问` and `后排有人喊` name no one; a
// real name in a tag still counts. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { discoverNames } from '../../stages/extract/discover.js';
import { buildNameIndex } from '../../stages/extract/names.js';

const opts = fileOptions(configSchema.parse(undefined));
const baseNames = buildNameIndex(opts.persona, opts.doctor, opts.others);

describe('discovery among unnamed students', () => {
  test('a counted student or a place before 有人 is no name; 柏川 is', () => {
    const t = [
      '“老师，”一个男生问，“岩浆是红色的吗？”',
      '“刚出来的时候是。”',
      '后排有人喊：“那冷了呢？”',
      '“冷了就变黑了。”',
      '“老师，黑的还烫吗？”一个男生问。',
      '后排有人喊：“烫！”',
      '“不一定烫。”柏川问：“那能摸吗？”',
      '柏川问完就笑了。',
    ].join('\n\n');
    expect(discoverNames(t, baseNames).names).toEqual(['柏川']);
  });
});
