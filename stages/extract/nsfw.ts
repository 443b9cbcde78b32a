// Paragraph-level content filter. Explicit words always trip it; ambiguous ones (高潮, 插入, …)
// only when no innocent context (a concert, a card, a wound) stands within a few characters.

interface Rule {
  word: string;
  /** Context within WINDOW characters on either side that makes the word innocent. */
  innocent?: RegExp;
}

const WINDOW = 12;

const RULES: Rule[] = [
  { word: '做爱' },
  { word: '性交' },
  { word: '射精' },
  { word: '阴茎' },
  { word: '阴道' },
  { word: '强上' },
  { word: '进入体内' },
  { word: '男朋友该做的事' },
  { word: '疯狂了一整晚' },
  { word: '乳房', innocent: /检查|体检|医学|病/ },
  { word: '脱光', innocent: /叶子|树|羊毛|毛/ },
  {
    word: '高潮',
    innocent:
      /音乐|演出|乐章|乐曲|曲子|歌|剧|故事|情节|比赛|全场|演唱|节目|小说|电影|戏|赛|庆典|活动|派对|晚会|讨论|研讨|会议|喷发|火山|报告|论文|剧情|高潮部分|推向|进入了?高潮|迎来了?高潮|达到了?高潮的(?:演|乐|剧)/,
  },
  {
    word: '插入',
    innocent:
      /卡|U盘|u盘|钥匙|芯片|槽|接口|书签|话题|插入语|一句|插话|数据|文件|表格|图片|页|段落|终端|电脑|机器|仪器|探针|传感器|记录仪|样本|试管|采样|地层|岩层|注释|脚注|硬盘|存储/,
  },
  { word: '胸部', innocent: /中弹|受伤|伤|护甲|疼|痛|绷带|听诊|检查|X光|骨折|撞|挤压|起伏|呼吸/ },
  { word: '呻吟', innocent: /伤|痛|疼|病|发烧|烧|晕|咳|梦|累|疲|哀|苦|呻吟着醒|昏迷|打了?一针/ },
];

const ANY_RE = new RegExp(RULES.map((r) => r.word).join('|'), 'g');
const BY_WORD = new Map(RULES.map((r) => [r.word, r]));

export interface NsfwVerdict {
  /** The paragraph must be dropped. */
  explicit: boolean;
  /** Keyword hits excused by their context. */
  excused: number;
}

/** The first characters of every rule word: a paragraph without any of them trips nothing. */
const FIRST_CHARS_RE = new RegExp(`[${[...new Set(RULES.map((r) => r.word[0]!))].join('')}]`);

/** Whether `text` holds the first character of some rule word (else no part of it can trip). */
export const mayTrip = (text: string): boolean => FIRST_CHARS_RE.test(text);

export function checkParagraph(text: string): NsfwVerdict {
  if (!FIRST_CHARS_RE.test(text)) return { explicit: false, excused: 0 };
  let excused = 0;
  ANY_RE.lastIndex = 0;
  for (let m = ANY_RE.exec(text); m; m = ANY_RE.exec(text)) {
    const rule = BY_WORD.get(m[0])!;
    if (!rule.innocent) return { explicit: true, excused };
    const around = text.slice(Math.max(0, m.index - WINDOW), m.index) + text.slice(m.index + m[0].length, m.index + m[0].length + WINDOW);
    if (rule.innocent.test(around)) excused++;
    else return { explicit: true, excused };
  }
  return { explicit: false, excused };
}
