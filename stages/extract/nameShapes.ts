// Names recognised by their shape, the way a reader of Chinese fiction knows 老孟, 阿栗, 岑嫂 or
// 钟伯 for people before anyone speaks: 老 / 阿 / 小 and one character, or one character and a
// word of kinship or address (嫂, 叔, 伯, 婶, 姐…). Such a word counts only where it stands as
// someone acting in the narration: opening a clause, or right after 的 (`卖茶的岑嫂提着铜壶`).

/**
 * A shaped word at a clause start or after 的, followed by more text of the clause (group 1).
 * (The character before is kept in the match, so the scan needs no look-behind.)
 */
const SHAPED_G = /(?:^|[。！？!?…”\n，,；;的])[ \t\u3000]*((?:[老阿小][\u4e00-\u9fff])|(?:[\u4e00-\u9fff](?:嫂|叔|伯|婶|姐|哥|爷|婆|姨)))(?=[\u4e00-\u9fff])/g;

/** Words of that shape that are no one's name (小心, 老师, 阿姨, 大姐, 表哥…). */
const COMMON_PREFIXED = new Set(
  (
    '老师 老板 老人 老家 老是 老实 老远 老大 老天 老鼠 老虎 老旧 老式 老年 老婆 老公 老爷 老太 老头 老乡 老兵 老早 老半 老地 老朋 老样 老练 老了 老街 老屋 老树 老井 老坑 老灰 老位 老规 老习 老毛 老话 ' +
    '小心 小声 小时 小孩 小姐 小说 小组 小事 小屋 小路 小刀 小块 小小 小镇 小店 小摊 小狗 小猫 小鸟 小朋 小伙 小子 小家 小型 小片 小口 小跑 小步 小腿 小腹 小臂 小指 小桌 小盒 小瓶 小包 小袋 小碗 小杯 小石 小山 小河 小队 小号 小册 小巧 小气 小菜 小吃 小区 小学 小黑 小白 小红 小草 小羊 小女 小男 小姑 小脸 小手 小脚 小嘴 小声 小会 小半 小段 小截 小团 小堆 小撮 小簇 小孔 小洞 小坑 小门 小窗 小床 小灯 小车 小船 小鱼 小虫 小兔 小熊 小马 小牛 小猪 小鸡 小鸭 小东 小玩 小动 小问 小题 小意 小姨 小叔 小舅 ' +
    '阿姨 阿婆 阿公 阿爸 阿妈 阿伯 阿叔 阿嫂 阿哥 阿姐'
  ).split(' '),
);
/** Before a kinship word, characters that make it a common noun (大姐, 表哥, 师兄, 他哥…). */
const NOT_SURNAME_RE = /[大表堂师学空姑舅亲俩两他她我你的老小阿一二三这那干后继岳公外奶太令家嫂姐哥叔伯婶爷婆姨妈们每各某几]/;

/**
 * A reduplicated name (豆豆, 桃桃) right after the kin word that introduces it (`她儿子豆豆趴在桌角`):
 * reduplicated words are mostly adverbs and kin words themselves (慢慢, 妈妈), so only that frame counts.
 */
const KIN_NAMED_G = /(?:儿子|女儿|孙子|孙女|外孙|弟弟|妹妹|侄子|侄女|小儿子|小女儿)([\u4e00-\u9fff])\1(?=[\u4e00-\u9fff，,])/g;
const COMMON_DOUBLED = new Set(
  '妈妈 爸爸 姐姐 哥哥 弟弟 妹妹 奶奶 爷爷 宝宝 叔叔 伯伯 婶婶 舅舅 姑姑 姥姥 公公 婆婆 太太 娃娃 常常 刚刚 慢慢 轻轻 悄悄 偷偷 默默 好好 天天 人人 也也 都都'.split(
    ' ',
  ),
);

/** Every occurrence of `w` goes on with the same character: part of a longer word (小苏 of 小苏打). */
function goesOn(text: string, w: string): boolean {
  let next: string | undefined;
  for (let i = text.indexOf(w); i >= 0; i = text.indexOf(w, i + w.length)) {
    const c = text[i + w.length] ?? '';
    if (!/[\u4e00-\u9fff]/.test(c) || (next !== undefined && c !== next)) return false;
    next = c;
  }
  return true;
}

/**
 * The shaped words of `text` that open a clause (or follow 的) in it; `known(at)`: a configured
 * name starts at that index (阿米 of 阿米娅 is no name of its own).
 */
export function shapedNames(text: string, known: (at: number) => boolean): string[] {
  const seen = new Map<string, number>();
  SHAPED_G.lastIndex = 0;
  for (let m = SHAPED_G.exec(text); m; m = SHAPED_G.exec(text)) {
    const w = m[1]!;
    if (COMMON_PREFIXED.has(w)) continue;
    if (!/^[老阿小]/.test(w) && NOT_SURNAME_RE.test(w[0]!)) continue;
    if (known(m.index + m[0].length - w.length)) continue;
    seen.set(w, (seen.get(w) ?? 0) + 1);
  }
  KIN_NAMED_G.lastIndex = 0;
  for (let m = KIN_NAMED_G.exec(text); m; m = KIN_NAMED_G.exec(text)) {
    const w = m[1]! + m[1]!;
    if (!COMMON_DOUBLED.has(w) && !known(m.index + m[0].length - 2)) seen.set(w, 1);
  }
  return [...seen.keys()].filter((w) => !goesOn(text, w));
}

/**
 * `他是闻笙的徒弟，叫小柘`: the role a name is introduced by (徒弟, 儿子, 助手…) goes on naming that
 * person in the file (`拍了一下徒弟的后背`). Pairs [role, name] for the names of `found`.
 */
const ROLE_INTRO_G =
  /[他她]是[\u4e00-\u9fff]{2,4}?的(徒弟|学徒|学生|助手|儿子|女儿|孙子|孙女|侄子|侄女|搭档)[，,](?:名字)?叫([\u4e00-\u9fff]{2,3})(?=[，,。！!；;])/g;
export function roleAliases(text: string, found: ReadonlySet<string>): Array<[string, string]> | undefined {
  if (!text.includes('叫')) return undefined;
  let out: Array<[string, string]> | undefined;
  ROLE_INTRO_G.lastIndex = 0;
  for (let m = ROLE_INTRO_G.exec(text); m; m = ROLE_INTRO_G.exec(text)) if (found.has(m[2]!)) (out ??= []).push([m[1]!, m[2]!]);
  return out;
}
