// A file's own cast found the way a reader finds it (rulesO, #15): names by their shape (老X, 阿X,
// X嫂, X伯…), 他叫X introductions, frames only a person fills (看了X一眼), a reduplicated name after
// the kin word that introduces it; and turn-taking that gives no line to another character where
// the cast is not known and no two are alone. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { discoverNames } from '../../stages/extract/discover.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { buildNameIndex } from '../../stages/extract/names.js';
import { shapedNames } from '../../stages/extract/nameShapes.js';

const opts = fileOptions(configSchema.parse(undefined));
const baseNames = buildNameIndex(opts.persona, opts.doctor, opts.others);
const discover = (t: string) => discoverNames(t, baseNames);
const speakers = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => (u.kind === 'speech' ? (u.speaker ?? '?') : u.kind));

describe('names by their shape', () => {
  test('老X / 阿X / X嫂 / X伯 acting in the narration (after a role and 的, or opening a clause) are names', () => {
    const t = [
      '渡口边上，撑船的丁伯把竹篙插进泥里。',
      '“今天水急，过不去。”',
      '“明天呢？”',
      '丁伯摇摇头，卖饼的柳嫂接过话头。',
      '“明天更急。”柳嫂说完，又去翻她的饼。',
      '阿满蹲在一旁，眼睛一直盯着饼看。阿满的肚子叫了一声。',
    ].join('\n\n');
    expect(discover(t).names.sort()).toEqual(['丁伯', '柳嫂', '阿满'].sort());
  });
  test('must not fire: common words of that shape (小心, 老师, 阿姨, 大姐), words that go on (小苏 of 小苏打), a configured name (阿米 of 阿米娅)', () => {
    const t = [
      '小心地把箱子放下以后，老师回头看了看。小心些总没错。',
      '阿姨端来热水，大姐接过杯子。老师点点头。',
      '小苏打放在架子上。小苏打是白色的。',
      '阿米娅走进来。阿米娅笑了。',
    ].join('\n\n');
    const known = (at: number) => baseNames.referents(t.slice(at, at + 8))[0]?.index === 0;
    expect(shapedNames(t, known)).toEqual([]);
    expect(discover(t).names).toEqual([]);
  });
});

describe('introductions and frames only a person fills', () => {
  test('他叫X / ，叫X， introduce a name, and the pronoun that introduces it says 他', () => {
    const t = [
      '“打扰了。”门口的人先开口。他叫石砚，在山下开了二十年的铺子。',
      '跟在后面的年轻人没说话，他是石砚的伙计，叫青枝。',
      '石砚把包袱放在桌上。青枝站在门边。',
    ].join('\n\n');
    const d = discover(t);
    expect(d.names.sort()).toEqual(['石砚', '青枝'].sort());
    expect((d.male ?? []).sort()).toEqual(['石砚', '青枝'].sort());
  });
  test('must not fire: 叫 before a verb or a pronoun (叫醒她, 叫大家) names no one; 她叫X says 她', () => {
    expect(discover('她伸手叫醒她，又叫大家过来。叫醒她以后，大家都笑了。').names).toEqual([]);
    const d = discover('坐在窗边的是一位老人，她叫云禾。云禾给每个人倒了茶。');
    expect(d.names).toEqual(['云禾']);
    expect(d.male ?? []).toEqual([]);
  });
  test('看了X一眼 / 对X说 with X acting as only people do elsewhere: someone; must not fire on a thing looked at (看了手表一眼)', () => {
    expect(discover('博士看了蒲叶一眼。过了一会儿，蒲叶抱着一摞书走开了。').names).toEqual(['蒲叶']);
    expect(discover('艾雅法拉看了手表一眼。手表停了。她又看了手表一眼。').names).toEqual([]);
  });
  test('a reduplicated name after the kin word that introduces it (她女儿圆圆); must not fire on 妈妈', () => {
    expect(discover('摊主低着头，她女儿圆圆趴在桌上。圆圆打了个哈欠。').names).toEqual(['圆圆']);
    expect(discover('她女儿妈妈地叫着。妈妈笑了。').names).toEqual([]);
  });
});

describe('turn-taking where the cast is the file’s own', () => {
  test('no two alone and someone unknown about: alternation gives no line to another character', () => {
    // 丁伯 and 柳嫂 anchor a short run; she is there too, so the lines between may be hers.
    const t = ['艾雅法拉走到渡口，撑船的丁伯和卖饼的柳嫂都在。', '丁伯说：“今天水急。”', '“有多急？”', '“船都靠不了岸。”', '柳嫂说：“明天就好了。”'].join(
      '\n\n',
    );
    const s = speakers(t);
    expect(s[0]).toBe('other:丁伯');
    expect(s[3]).toBe('other:柳嫂');
    expect(s.slice(1, 3).filter((x) => x.startsWith('other:'))).toEqual([]);
  });
  test('must not fire: her and one unknown character alone still alternate', () => {
    const t = ['渡口只有艾雅法拉和丁伯两个人。', '丁伯问：“去对岸？”', '“是的。”', '“水急，坐稳。”', '“好。”'].join('\n\n');
    expect(speakers(t)).toEqual(['other:丁伯', 'persona', 'other:丁伯', 'persona']);
  });
});

describe('two other characters are not alone once she has been about', () => {
  const cast = { ...opts, others: [...opts.others, { names: ['丁伯'], pronoun: '他' as const }, { names: ['柳嫂'], pronoun: '她' as const }] };
  const who = (t: string[]) => analyzeText(t.join('\n\n'), cast).segmented.utterances.map((u) => u.speaker ?? '?');
  const talk = ['丁伯说：“今天水急。”', '“有多急？”', '“船都靠不了岸。”', '“那就等明天。”', '“明天也难说。”', '“那后天呢？”', '柳嫂说：“后天一定行。”'];
  test('she came to the ferry first: the run between 丁伯 and 柳嫂 is not theirs alone', () => {
    const t = ['艾雅法拉走到渡口。', '渡口上，丁伯在补网，柳嫂在烙饼。', '天色暗了下来，河面上起了雾。', '风一阵一阵地吹过来。', ...talk];
    expect(
      who(t)
        .slice(1, 6)
        .filter((x) => x === 'other:丁伯' || x === 'other:柳嫂'),
    ).toEqual([]);
  });
  test('must not fire: she was never about, the two of them take turns', () => {
    const t = ['渡口上，丁伯在补网，柳嫂在烙饼。', '天色暗了下来，河面上起了雾。', ...talk];
    expect(who(t).slice(1, 6)).toEqual(['other:柳嫂', 'other:丁伯', 'other:柳嫂', 'other:丁伯', 'other:柳嫂']);
  });
});

describe('an open bare line right before her line that opens after her own beat', () => {
  const open = (t: string[]) => analyzeText(t.join('\n\n'), opts).segmented.utterances.map((u) => u.speaker ?? (u.notHer ? 'notHer' : '?'));
  const scene = ['艾雅法拉、丁伯和柳嫂坐在船头，柳嫂在剥豆子。', '丁伯说：“今天风大。”'];
  test('is someone else’s (a paragraph of quotes only is a new speaker): what she answers is kept', () => {
    expect(open([...scene, '“这块石头是哪来的？”', '艾雅法拉低头看了看：“是浮石，从火山里来的。”'])).toEqual(['other:丁伯', 'notHer', 'persona']);
  });
  test('must not fire: the open paragraph has narration of its own (she may be going on)', () => {
    expect(open([...scene, '“这块石头，”风把后半句吹散了，“是哪来的？”', '艾雅法拉低头看了看：“是浮石，从火山里来的。”'])).toEqual([
      'other:丁伯',
      '?',
      '?',
      'persona',
    ]);
  });
});

describe('a line that points at someone else there (这位就是博士吧？)', () => {
  const visit = (gift: string) =>
    speakers(
      [
        '茶室里，丁伯给艾雅法拉倒了一杯茶。',
        '丁伯问：“山上冷不冷？”',
        '艾雅法拉说：“有一点冷。”',
        '门口传来敲门声，博士走了进来。',
        '“打扰了。艾雅法拉，车到了。”',
        '“好的，前辈。”',
        `丁伯站起身，把一包茶叶递过去：“${gift}”`,
        '“谢谢。”',
      ].join('\n\n'),
    ).at(-1);
  test('is not answered by the one he was talking with before: the one pointed at may answer', () => {
    expect(visit('这位就是博士吧？一点心意。')).toBe('?');
  });
  test('must not fire: a line pointing at no one else goes on with the one he was talking with', () => {
    expect(visit('路上喝吧，一点心意。')).toBe('persona');
  });
});

describe('elimination among three, where a fourth was about earlier in the scene', () => {
  const cast = { ...opts, others: [...opts.others, ...['丁伯', '柳嫂', '阿满'].map((n) => ({ names: [n], pronoun: '她' as const }))] };
  const last3 = ['艾雅法拉和柳嫂都看着河面。', '丁伯说：“水涨了。”', '“涨了多少？”', '“不少。”柳嫂说。'];
  const quiet = ['河面上起了雾。', '风一阵一阵地吹。', '远处传来汽笛声。'];
  const bareLine = (t: string[]) => {
    const u = analyzeText(t.join('\n\n'), cast).segmented.utterances;
    return u.find((x) => x.text === '涨了多少？')!.speaker ?? '?';
  };
  test('is not made: someone out of the window is not out of the room (阿满 asked earlier and never left)', () => {
    expect(bareLine(['渡口上，艾雅法拉、丁伯和柳嫂说着话。', '阿满问：“船什么时候来？”', '丁伯说：“快了。”', ...quiet, ...last3])).toBe('?');
  });
  test('must not fire: only the three were ever about', () => {
    expect(bareLine(['渡口上，艾雅法拉、丁伯和柳嫂说着话。', '丁伯说：“船快来了。”', ...quiet, ...last3])).toBe('persona');
  });
});

describe('a narration paragraph whose last sentence has no subject of its own', () => {
  const lastOf = (t: string[]) => speakers(t.join('\n\n')).at(-1);
  const room = '洗衣房里，凯尔希和艾雅法拉在叠衣服。';
  test('进来的是X: the one who comes in speaks next', () => {
    expect(lastOf([room, '门又开了。这回进来的是博士，手里拎着一把伞。', '“还开着吗？”'])).toBe('doctor');
  });
  test('a trait only she has, acting for her (一对羊角探进来): she speaks next', () => {
    expect(lastOf(['凌晨两点，洗衣房里只有凯尔希一个人在叠衣服。', '门口探进来一对弯弯的羊角。', '“打扰了，我来取衣服。”'])).toBe('persona');
  });
  test('must not fire: no one comes, nothing of hers acts', () => {
    expect(lastOf([room, '门又开了，风把一把伞吹了进来。', '“还开着吗？”'])).toBe('?');
    expect(lastOf(['凌晨两点，洗衣房里只有凯尔希一个人在叠衣服。', '门口探进来一把湿漉漉的伞。', '“打扰了，我来取衣服。”'])).toBe('?');
  });
});

describe('the role a discovered name is introduced by', () => {
  test('他是X的学生，叫Y: 学生 names Y in the file', () => {
    const t = '门口站着两个人。年长的那位先开口，他叫石砚。跟在后面的年轻人，他是石砚的学生，叫青枝。石砚拍了拍学生的肩膀。青枝点点头。';
    const d = discover(t);
    expect(d.aliases).toEqual([['学生', 'other:青枝']]);
    const idx = buildNameIndex(opts.persona, opts.doctor, opts.others, d.names, d.male, d.aliases);
    expect(idx.referents('石砚拍了拍学生的肩膀。').map((r) => r.ref)).toEqual(['other:石砚', 'other:青枝']);
  });
  test('must not fire: a role with no name introduced after it, or a name the file never uses again', () => {
    expect(discover('他是石砚的学生，一直没说话。石砚笑了。石砚拍了拍学生的肩膀。').aliases).toBeUndefined();
    expect(discover('他是石砚的学生，叫青枝。石砚笑了。石砚点点头。').aliases).toBeUndefined();
  });
});

describe('a narration sentence in which one character acts on others', () => {
  const deck = '甲板上，艾雅法拉、博士和丁伯在看星星，丁伯提着一盏灯。';
  const lastOf = (beat: string, line: string) => speakers([deck, beat, line].join('\n\n')).at(-1);
  test('the one acting speaks next; the others are only objects or possessors (照了照博士的脸, 朝丁伯挥了挥手)', () => {
    expect(lastOf('丁伯把灯转过去，照了照博士的脸。', '“你上次也这么说。”')).toBe('other:丁伯');
    expect(lastOf('艾雅法拉把手套塞进口袋，朝丁伯挥了挥手。', '“明天见！”')).toBe('persona');
  });
  test('must not fire: looking at someone (who may answer), or another character opening a clause of their own', () => {
    expect(lastOf('丁伯转过头，看了看博士的脸。', '“你上次也这么说。”')).toBe('?');
    expect(lastOf('丁伯把灯递给博士，博士接了过去。', '“你上次也这么说。”')).toBe('?');
  });
});

describe('a bare line that names whom its 她 means before it', () => {
  const lastOf = (line: string) => speakers(['博士坐在窗边，艾雅法拉在给花盆松土。', '她低头摸了摸花盆的边。', line].join('\n\n')).at(-1);
  test('does not speak of the one the narration was about (`妈妈以前也说过。她说…`): hers, after narration about her', () => {
    expect(lastOf('“妈妈以前也说过这样的话。她说土是慢慢活过来的。”')).toBe('persona');
  });
  test('must not fire: 她 with no one named before it in the line speaks of her', () => {
    expect(lastOf('“她说土是慢慢活过来的。”')).toBe('?');
  });
});
