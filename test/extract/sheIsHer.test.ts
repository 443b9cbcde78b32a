// Narration that never names her nor any other woman: 她 with nothing before it is her (rulesF).
// Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => [u.text, u.speaker]);

const story = (extra: string) =>
  [
    `我推开观测站的门，${extra}炉子上的水壶刚刚响起来。`,
    '',
    '她正趴在桌上写记录，我走过去时我看了一眼纸上的数字。',
    '',
    '我把外套挂好，在桌子对面坐下，我问今天的数据怎么样。',
    '',
    '她把记录本推过来。“今天的震级比昨天小一点。”',
  ].join('\n');

describe('她 in a story the Doctor narrates', () => {
  test('no woman named at all: 她 is her', () => {
    expect(who(story(''))[0]).toEqual(['今天的震级比昨天小一点。', 'persona']);
  });
  test('the same in the third person, the Doctor named', () => {
    const t = ['博士推开观测站的门。', '', '她正趴在桌上写记录，听见门响才抬起头。“今天的震级比昨天小一点。”'].join('\n');
    expect(who(t)[0]).toEqual(['今天的震级比昨天小一点。', 'persona']);
  });
  test('another woman named in the narration: 她 is left to the usual reading', () => {
    expect(who(story('凯尔希不在，'))[0]![1]).not.toBe('persona');
  });
});
