// 姑娘 / 小姑娘 / 丫头 opening a line or a clause is how others call her, never how she calls anyone:
// such a line is not hers (rulesH). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { callsGirl } from '../../stages/extract/address.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)?.speaker;

describe('a line calling someone 姑娘', () => {
  test('right after narration about her alone, 小姑娘… is not hers', () => {
    const t = ['艾雅法拉在摊子前蹲下来，拿起一块石头对着灯看了很久。', '', '“小姑娘眼光不错，这块是今天刚到的。”'].join('\n');
    expect(speakerOf(t, '小姑娘眼光不错，这块是今天刚到的。')).not.toBe('persona');
  });
  test('the shapes: opening the line or a clause', () => {
    expect(callsGirl('姑娘，要不要尝一块？')).toBe(true);
    expect(callsGirl('哎，丫头，慢点跑！')).toBe(true);
  });
  test('must not fire: a girl spoken of with a determiner, or girls in the plural', () => {
    expect(callsGirl('刚才那位姑娘把钱包落下了。')).toBe(false);
    expect(callsGirl('姑娘们都去看烟花了。')).toBe(false);
    const t = ['艾雅法拉在摊子前蹲下来，拿起一块石头对着灯看了很久。', '', '“刚才那位姑娘也看中了这块。”'].join('\n');
    expect(speakerOf(t, '刚才那位姑娘也看中了这块。')).toBe('persona');
  });
});
