// A bare line answering a stranger's call (turns.ts fillByReply, presence.ts callsLikeAStranger):
// `姑娘，…` / `小姐，…` / `老师，…` is said to her, so the bare line after it is hers, and the call
// itself is no line of hers. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (lines: string[]) =>
  analyzeText(lines.join('\n\n'), opts)
    .segmented.utterances.filter((u) => u.kind === 'speech')
    .map((u) => [u.text, u.speaker]);

describe('the answer to a stranger’s call', () => {
  test('a bare line right after `姑娘，…` is hers, and the call is not', () => {
    const u = who(['傍晚的集市很热闹，艾雅法拉和博士在人群里慢慢往前走。', '“姑娘，尝一块烤年糕吧？刚出锅的！”', '“不、不用了，我们刚吃过饭。”']);
    expect(u[1]).toEqual(['不、不用了，我们刚吃过饭。', 'persona']);
    expect(u[0]![1]).not.toBe('persona');
  });

  test('the call may come before a tag that splits the line: `“艾雅法拉老师，”一个女生问，“…？”`', () => {
    const u = who([
      '讲台下的孩子们一个个举着手，博士坐在最后一排。',
      '“艾雅法拉老师，”前排一个女生站起来问，“岩浆冷下来以后会变成什么？”',
      '“会变成石头。有的很轻，能浮在水上。”',
    ]);
    expect(u[2]).toEqual(['会变成石头。有的很轻，能浮在水上。', 'persona']);
  });

  test('not where the tag between turns to someone else (`又转向博士`): the earlier call is not what is answered', () => {
    const u = who([
      '讲台下的孩子们一个个举着手，博士坐在最后一排。',
      '“艾雅法拉老师，谢谢您！”前排一个女生鞠了一躬，又转向博士，“那您也是老师吗？”',
      '“算是吧。”',
    ]);
    expect(u[2]).toEqual(['算是吧。', 'doctor']);
  });

  test('not where the Doctor’s own line in the scene uses the word: then it is no stranger’s call', () => {
    const u = who(['雨停了，艾雅法拉和博士在屋檐下等车。', '博士学着车站大叔的口气说：“姑娘，你的伞。”', '“谢谢前辈。”', '“姑娘，车来了。”', '“嗯？在哪里？”']);
    expect(u[2]).toEqual(['姑娘，车来了。', 'doctor']);
  });

  test('the word not as a call (`我姐姐…`) says nothing of whom the next line answers', () => {
    const u = who(['傍晚的集市很热闹，艾雅法拉和博士在人群里慢慢往前走。', '卖年糕的小贩笑着说：“我姐姐也爱吃甜的。”', '“是吗？”']);
    expect(u[1]![1]).not.toBe('persona');
  });
});
