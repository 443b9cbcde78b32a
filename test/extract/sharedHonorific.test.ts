// Her honorific shared (rulesM, issue #15): a line that calls her by name and still says 前辈 is
// someone else's use of it, so 前辈 is no evidence of her in that scene. Snippets written for these tests.
import { addressCheck } from '../../stages/extract/address.js';
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { buildNameIndex } from '../../stages/extract/names.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => [u.text, u.speaker]);
const address = addressCheck(buildNameIndex(opts.persona, opts.doctor, opts.others));

describe('someone else uses her honorific', () => {
  test('a line calling her by name that says 前辈 shares it; her own lines and signed notes do not', () => {
    expect(address.sharesHonorific('艾雅法拉小姐，您也管他叫前辈吗？')).toBe(true);
    expect(address.sharesHonorific('前辈说了，阿黛尔，明天不用早起。')).toBe(true);
    expect(address.sharesHonorific('艾雅法拉前辈，早。')).toBe(true);
    expect(address.sharesHonorific('前辈，这块岩样的编号写错了。')).toBe(false);
    expect(address.sharesHonorific('前辈：我去仓库了，钥匙在抽屉里。——艾雅法拉')).toBe(false);
    expect(address.sharesHonorific('艾雅法拉小姐，您的伞。')).toBe(false);
    // (A junior's 艾雅姐: her name with 姐 is a call too; said of her, `跟艾雅姐说过`, it is none.)
    expect(address.sharesHonorific('艾雅姐，前辈让你过去一趟。')).toBe(true);
    expect(address.persona('艾雅姐，早！')).toBe(true);
    expect(address.persona('我跟艾雅姐说过了。')).toBe(false);
  });

  const scene = (junior: string) =>
    [
      '仓库门口堆着十几箱还没拆的仪器。博士蹲在最前面那箱旁边数螺丝。',
      '',
      '“前辈，这一箱少了两颗。”',
      '',
      '“再数一遍。”',
      '',
      `“${junior}”`,
      '',
      '艾雅法拉抱着登记本走过来，在箱子上敲了敲。“前辈，登记本上写的是四十颗。”',
    ].join('\n');

  test('with such a line in the scene, a bare 前辈 line is not put in her mouth', () => {
    const u = who(scene('艾雅法拉小姐，您也叫他前辈呀？那我数错的事别告诉别人。'));
    expect(u[0]![1]).not.toBe('persona');
    expect(u[3]).toEqual(['前辈，登记本上写的是四十颗。', 'persona']);
  });
  test('without it (only she says 前辈), the bare 前辈 line is hers', () => {
    const u = who(scene('真的少了两颗，我已经数了三遍了。'));
    expect(u[0]).toEqual(['前辈，这一箱少了两颗。', 'persona']);
  });

  const run = (first: string) =>
    [
      '天快黑了，码头上只剩最后一排集装箱没有点完。博士拿着清单，一个一个地对编号。',
      '',
      `“${first}”`,
      '',
      '一阵风把清单吹起了一角。',
      '',
      '“前辈！”',
      '',
      '“又怎么了？”博士头也不抬地问。',
    ].join('\n');

  test('turn-taking does not put a bare call of 前辈 in her mouth where someone unknown calls him so too', () => {
    const shared = who(run('艾雅法拉小姐，原来您也喊前辈呀？'));
    expect(shared[1]![0]).toBe('前辈！');
    expect(shared[1]![1]).toBeNull();
    const hers = who(run('清单上写的是三十二个，我数到三十一个。'));
    expect(hers[1]).toEqual(['前辈！', 'persona']);
  });
});
