// Someone leaves with no verb of leaving (rulesP, issue #15): a door closing behind them
// (`门在她身后合上了`) or their steps going away (`她的脚步声渐渐远了`) — after it they are not
// about, and 她 no longer means them. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)?.speaker;

/** Three in a storeroom; 炎熔 says goodbye, then `gone` (a sentence), then a bare run of the two left. */
const scene = (gone: string) =>
  [
    '仓库里堆满了纸箱。艾雅法拉坐在一只箱子上核对清单，博士在旁边数着标签。',
    '',
    '炎熔拎起自己的工具包，朝门口走了几步，又回过头。',
    '',
    '“清单我晚上再来对。别等我吃饭。”',
    '',
    gone,
    '',
    '“她今天好像很累。”',
    '',
    '“连着值了两个夜班。”',
    '',
    '“那明天的搬运，我们先替她做一半吧。”',
    '',
    '“你来搬？”',
    '',
    '“我来数。”她晃了晃手里的清单，“搬的话，还是要拜托前辈。”',
  ].join('\n');

describe('a departure told by a door or by steps', () => {
  test('the door closes behind her: 她 after it is the one still there', () => {
    expect(speakerOf(scene('门在她身后轻轻合上了。'), '我来数。')).toBe('persona');
  });
  test('her steps go away down the corridor: the same', () => {
    expect(speakerOf(scene('走廊里，她的脚步声渐渐远了。'), '我来数。')).toBe('persona');
  });
  test('must not fire: she only stops at the door, and stays', () => {
    expect(speakerOf(scene('她在门口停了一下，靠着门框没有动。'), '我来数。')).not.toBe('persona');
  });
  test('must not fire: a door closes, behind no one said', () => {
    expect(speakerOf(scene('风把门吹得合上了。'), '我来数。')).not.toBe('persona');
  });
});
