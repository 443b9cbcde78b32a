// A narration paragraph that reports what someone said (indirect speech) is answered by the bare
// line after it, not continued by them (rulesF). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => [u.text, u.speaker]);

describe('reported speech before a bare line', () => {
  test('`阿米娅说明天要下雨。` then a bare line: not put in 阿米娅’s mouth', () => {
    const t = ['阿米娅说明天要下雨，观测最好提前到今晚。', '', '“那我现在就去收拾仪器。”'].join('\n');
    expect(who(t)[0]![1]).not.toBe('other:阿米娅');
  });
  test('an action of hers before a bare line still makes it hers', () => {
    const t = ['阿米娅把雨衣叠好，放进了背包最上面。', '', '“那我现在就去收拾仪器。”'].join('\n');
    expect(who(t)[0]).toEqual(['那我现在就去收拾仪器。', 'other:阿米娅']);
  });
});
