// Characters a file names that the config does not know, found before attribution so that their
// lines count as another character's instead of falling to her: the subjects of speech tags
// (`桃桃说`, `葛大叔笑着问`), `名字：` script lines, and a first-person narrator who says who they
// are (`我叫炎熔。`). A name must occur at least twice in the file to count.
import type { NameIndex, Referent } from './names.js';
import { roleAliases, shapedNames } from './nameShapes.js';
import { forEachTagClause } from './tagClauses.js';
import type { SpeakerId } from './types.js';
import { isSpace } from './chars.js';

/**
 * A 2–4 character name opening a sentence or following a quote, right before a speech verb
 * (an adverbial `…地` allowed between) or one of a few verbs of action that only people do.
 */
const TAG_SUBJECT_G =
  /[。！？!?…”\n]\s*([\u4e00-\u9fff]{2,4}?)(?:[^，,。！？!?\n“”]{1,8}?地)?(?:轻声|小声|低声|大声|笑着|连忙|赶紧|忍不住|也|又|却|便|就|才)?(?:说|问|答道|回答|喊|嚷|叫道|插嘴|嘟囔|笑道|抱着|指着|拉着|提着|拿着|扒着|凑过|走了过来|走过来|走进|跑过来|点了点头|点点头|摇了摇头|摇摇头|往[^，。]{0,6}塞|递给)/g;
/**
 * A 2–3 character name opening a sentence or clause, right before a verb of bodily action only
 * people do (`铁砧踩上梯子`, `，陶婶端来一碗面`). Counted only where it opens two such clauses, one
 * of them a sentence: once could be a noun phrase that happens to precede the verb.
 */
const ACTION_SUBJECT_G =
  /[。！？!?…”，,\n]\s*(?![一两几每各某])([\u4e00-\u9fff]{2,3}?)(?:把|踩上|蹲下|趴在|伸出|伸手|端来|端着|递过|接过|收起|拿起|放下|抬起|抬手|挠了挠|挠挠|皱了皱|皱着眉|眨了眨|叹了口气|拍了拍|推开|弯下|踮起|扶着|搓着|揉了揉|咧嘴|撇了撇嘴)/g;
/** Adverbs that may stand where ACTION_SUBJECT_G reads a subject (`，顺手把杯子放下`): no names. */
const ACTION_ADVERB_RE =
  /^(?:顺手|随手|顺便|轻轻|慢慢|悄悄|偷偷|默默|连忙|赶紧|急忙|赶快|立刻|马上|随即|重新|再次|小心|用力|使劲|忍不住|不禁|终于|忽然|突然|只好|只能|一边|同时|正要|刚要|先是)/;
/** `名字：` at the start of a line (a script or chat line), timestamps allowed before it. */
const SCRIPT_NAME_G = /^(?:[[［【(（]?\d{1,2}[:：]\d{2}[\]］】)）]?\s*(?:[｜|丨]\s*)?)?([\u4e00-\u9fff]{2,4})(?:[（(][^）)\n]{0,8}[）)])?[：:]/gm;
/** A line that is someone's speech without quote marks: a script or chat line, a radio line. */
const SPOKEN_LINE_RE = /^\s*(?:【|——|[^\s“”：:，,。！？]{1,12}(?:[（(][^）)\n]{0,8}[）)])?[：:])/;
/** A first-person narrator naming themselves (at a sentence or clause start: `不过，我的名字是阿米娅。`). */
export const NARRATOR_RE = /[。！？，,\n]\s*我(?:叫|是|名叫|的名字是)([\u4e00-\u9fff]{2,4}?)(?=[。，,！!；;])/;
/** NARRATOR_RE from 我 on (found first, then what stands before it checked). */
const NARRATOR_TAIL_G = /我(?:叫|是|名叫|的名字是)([\u4e00-\u9fff]{2,4}?)(?=[。，,！!；;])/g;
const NARRATOR_OPEN = new Set([...'。！？，,\n'].map((c) => c.charCodeAt(0)));
/**
 * The first match of NARRATOR_RE (its index and name). A 我 inside another match's name is
 * preceded by a Han character, so it is never one: the tail's non-overlapping scan misses none.
 */
export function narratorIntro(text: string): { index: number; name: string } | undefined {
  NARRATOR_TAIL_G.lastIndex = 0;
  for (let m = NARRATOR_TAIL_G.exec(text); m; m = NARRATOR_TAIL_G.exec(text)) {
    let s = m.index;
    while (s > 0 && isSpace(text.charCodeAt(s - 1))) s--;
    // (The opening punctuation right before the spaces, or else a line break among them.)
    const at = s > 0 && NARRATOR_OPEN.has(text.charCodeAt(s - 1)) ? s - 1 : text.indexOf('\n', s);
    if (at >= 0 && at < m.index) return { index: at, name: m[1]! };
  }
  return undefined;
}
/**
 * Someone introduced by name (`一个叫柯文，`, `名叫X的`, `“我叫艾琳，…”`): the name is exactly
 * what stands between the verb and the punctuation (or 的) after it.
 */
const INTRODUCED_G = /(?:名叫|叫做|叫作|一个叫|一位叫|名字叫|我叫|我名叫|我的名字是|[他她]叫|[，,]叫)([\u4e00-\u9fff]{2,3})(?=[，,。！!、；;的])/g;
/**
 * A frame whose slot is mostly a person: the one someone glances at (`看了菱歌一眼`, `瞪了X一眼`)
 * or speaks to (`对X说`). A thing may be looked at too (`看了手表一眼`): the word counts only where
 * it also opens a clause doing what only people do (PERSON_ACTS_RE).
 */
const PERSON_FRAME_G = /(?:看了(?:看)?|瞥了|瞪了|白了|望了)([\u4e00-\u9fff]{2,3}?)一眼|对([\u4e00-\u9fff]{2,3}?)(?:说|笑了笑|点了点头|眨了眨眼)/g;
/** Right after a clause-opening word: what only people do (`菱歌抱着文件夹钻出来`). */
const PERSON_ACTS_RE =
  /^(?:抱着|指着|拉着|提着|拿着|扒着|捧着|凑过|走了过来|走过来|走进|跑过来|跑进|钻出|钻进|站起|坐下|蹲下|点了点头|点点头|摇了摇头|摇摇头|笑着|笑了|叹了口气|伸手|抬起头|低下头|回过头|挥了挥手|接过)/;
/** `name` opens a clause somewhere in `text` followed by PERSON_ACTS_RE. */
function actsAsPerson(text: string, name: string): boolean {
  for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + name.length))
    if ((i === 0 || /[。！？!?…”，,\n]/.test(text[i - 1]!)) && PERSON_ACTS_RE.test(text.slice(i + name.length, i + name.length + 5))) return true;
  return false;
}

/** Words that stand before a speech verb but are no one's name. */
const NOT_NAMES = new Set([
  '大家',
  '众人',
  '有人',
  '对方',
  '别人',
  '两人',
  '二人',
  '三人',
  '他们',
  '她们',
  '我们',
  '你们',
  '所有人',
  '其他人',
  '终端',
  '广播里',
  '声音',
  '通讯',
  '有谁',
  '谁也',
  '没人',
  '一边',
  '然后',
  '接着',
  '于是',
  '随后',
  '最后',
  '这时',
  '此时',
  '一起',
  '同时',
  '轻轻',
  '低头',
  '抬头',
  '点头',
  '摇头',
  '小声',
  '轻声',
  '低声',
  '大声',
  '笑着',
  '还是',
  '只是',
  '不是',
  '老师',
  '前辈',
  '后辈',
  '姐姐',
  '妹妹',
  '哥哥',
  '弟弟',
  '叔叔',
  '阿姨',
  '孩子',
  '小孩',
  '旁白',
  '附言',
  '备注',
  '批注',
  '场景',
  '时间',
  '地点',
  '人物',
  '标题',
  '系统',
  '提示',
  '公告',
  '留言',
  '注释',
  '作者',
  '日期',
  '天气',
]);
/** A candidate holding one of these is a phrase, not a name. */
const NOT_NAME_CHARS_RE = /[她他我你它的了着过地得是在和与跟对把被向又也都就才还很不没这那哪谁么呢吗吧啊说问道想看听走笑]/;

/** A call sign, code name or nickname the narration gives someone: `她的呼号是“雪原站”`, `艾雅法拉的代号叫“灰烬”`. */
const ALIAS_G = /的(?:呼号|代号|代称|外号|绰号|昵称|化名)(?:是|叫做?|为)“([^“”\n，,。！？!?]{1,8})”/g;

const isId = (r: Referent['ref']): r is SpeakerId => r === 'persona' || r === 'doctor' || r.startsWith('other:');

/**
 * The aliases the narration gives known characters (ALIAS_G): whose it is, the referent right
 * before 的 — a name, or 她 / 他 when the paragraph named exactly one character of that pronoun
 * before it. A script line under the alias (`【雪原站】…`) is then theirs.
 */
function aliasesIn(text: string, names: NameIndex): Array<[string, SpeakerId]> | undefined {
  if (!/号|称|化名/.test(text)) return undefined;
  let out: Array<[string, SpeakerId]> | undefined;
  ALIAS_G.lastIndex = 0;
  for (let m = ALIAS_G.exec(text); m; m = ALIAS_G.exec(text)) {
    const alias = m[1]!;
    if (names.lookupExact(alias) || NOT_NAMES.has(alias)) continue;
    const before = text.slice(text.lastIndexOf('\n', m.index) + 1, m.index);
    const refs = names.referents(before);
    const last = refs.at(-1);
    if (!last || last.index + last.len !== before.length) continue;
    let id: SpeakerId | undefined;
    if (isId(last.ref)) id = last.ref;
    else if (last.ref === '她' || last.ref === '他') {
      const p = last.ref;
      const cands = new Set(refs.map((r) => r.ref).filter((r): r is SpeakerId => isId(r) && names.pronounOf(r) === p));
      if (cands.size === 1) id = cands.values().next().value!;
    }
    if (id) (out ??= []).push([alias, id]);
  }
  return out;
}

export interface Discovered {
  /** Names to index as other characters (configured names excluded). */
  names: string[];
  /** Who 我 is when the narrator says so (`我叫炎熔`); undefined: not stated. */
  narrator?: SpeakerId;
  /** Her aliases this file uses for an animal (`一只小羊`): not her in this file's narration. */
  animalAliases?: string[];
  /** Discovered names the file refers to with 他 (maleIn). */
  male?: string[];
  /** Aliases the narration gives known characters (`她的呼号是“雪原站”`): alias → whose. */
  aliases?: Array<[string, SpeakerId]>;
}

/**
 * Whether the file speaks of `name` as 他 rather than 她: the pronoun that opens the clause right
 * after it (`老石放下桶，他…`) or reports their words or thoughts (`老石说他活了六十年`), or an
 * honorific after it (`衡舟先生`, `芮禾小姐`), else the pronoun opening the next sentence
 * (nextSentencePronoun), by majority.
 */
function maleIn(text: string, name: string): boolean {
  let he = 0;
  let she = 0;
  for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + name.length)) {
    // (Introduced by the pronoun of the sentence it names: `他叫闻笙，`, `他是闻笙的徒弟，叫小柘`.)
    const intro = INTRODUCED_BY_RE.exec(text.slice(Math.max(0, i - 16), i));
    if (intro) {
      if (intro[1] === '他') he++;
      else she++;
      continue;
    }
    const after = text.slice(i + name.length, i + name.length + 16);
    // (An honorific after the name says it too: `衡舟先生`, `蓝芷小姐`.)
    const h = HONORIFIC_AFTER_RE.exec(after);
    if (h) {
      if (h[1]) he++;
      else she++;
      continue;
    }
    const m = PRONOUN_AFTER_RE.exec(after);
    if (m?.[1] === '他') he++;
    else if (m) she++;
    else {
      const n = nextSentencePronoun(text, i, name);
      if (n === '他') he++;
      else if (n) she++;
    }
  }
  return he > she;
}
/**
 * The pronoun opening the sentence right after one that `name` opens, where that sentence does not
 * use the pronoun itself (`苏教授问起她……答了。然后他停了一下`: 他 is 苏教授; `X看了他一眼。他…`
 * says nothing), or undefined. A sentence cut by a quote says nothing.
 */
function nextSentencePronoun(text: string, i: number, name: string): '他' | '她' | undefined {
  if (i > 0 && !/[。！？!?\n]/.test(text[i - 1]!)) return undefined;
  // (A sentence of narration is short: a window, not the rest of the file.)
  const end = text.slice(i, i + 240).search(/[。！？!?\n“”「」]/);
  if (end < 0 || !/[。！？!?]/.test(text[i + end]!)) return undefined;
  const sentence = text.slice(i + name.length, i + end);
  const m = NEXT_OPENS_RE.exec(text.slice(i + end + 1, i + end + 8));
  if (!m || sentence.includes(m[1]!)) return undefined;
  return m[1] as '他' | '她';
}
/** Right before a name: the sentence's subject is 他 / 她, and the name is what they are called (`他是闻笙的徒弟，叫`). */
const INTRODUCED_BY_RE = /(?:^|[。！？!?\n“”，,])\s*([他她])(?:是[^。！？!?“”\n]{0,12}[，,])?(?:叫|名叫|叫做)$/;
const NEXT_OPENS_RE = /^(?:然后|接着|随后|于是|又|便)?([他她])(?![们])/;
/** An honorific right after a name: a man's (group 1) or a woman's. */
const HONORIFIC_AFTER_RE = /^(?:(先生|大叔|叔叔|大哥|哥哥|爷爷|伯伯|老爷)|小姐|姐姐|大姐|阿姨|女士|奶奶|婶婶|太太)/;
const PRONOUN_AFTER_RE = /^(?:(?:说|觉得|以为|认为|想|知道)|[^，,。！？!?“”\n]{0,8}[，,])([他她])(?![们])/;

/** An alias counted (一只…, 两头…) or in the plural (…们) names animals or things, not her. */
function countedAs(text: string, alias: string): boolean {
  for (let i = text.indexOf(alias); i >= 0; i = text.indexOf(alias, i + 1)) {
    const before = text.charCodeAt(i - 1);
    // 只 头 群 条
    if (before === 0x53ea || before === 0x5934 || before === 0x7fa4 || before === 0x6761) return true;
    if (text.charCodeAt(i + alias.length) === 0x4eec) return true; // 们
  }
  return false;
}

/** How many prefixes one file's tag clauses may have counted (each count reads the whole text). */
const MAX_COUNTED = 400;

function count(text: string, s: string): number {
  let n = 0;
  for (let i = text.indexOf(s); i >= 0; i = text.indexOf(s, i + s.length)) n++;
  return n;
}

/**
 * The name a clause opens with, when it has none of the words that end one: the shortest prefix
 * (2 characters or more) that occurs in the file more often than the prefix one character longer
 * (葛大叔笑着问: 葛大 occurs as often as 葛大叔, so the name goes on; 葛大叔笑 is rarer).
 */
function nameAt(text: string, clause: string, counted: (s: string) => number): string | undefined {
  let len = 2;
  for (let n = counted(clause.slice(0, 2)); len < Math.min(4, clause.length); len++) {
    const longer = clause.slice(0, len + 1);
    if (NOT_NAME_CHARS_RE.test(longer[len]!)) break;
    const m = counted(longer);
    if (m < n) break;
    n = m;
  }
  return clause.length >= len ? clause.slice(0, len) : undefined;
}

/** Descriptive nouns and role words that stand before a speech verb but name no one for sure. */
const DESCRIPTIVE_RE =
  /女孩|姑娘|少女|女人|女子|女士|女生|男生|学生|男孩|少年|男人|男子|前辈|后辈|学姐|学长|师姐|师兄|干员|医生|队长|指挥官|长官|教官|学者|研究员/;

function occurrences(text: string, name: string, atLeast: number): boolean {
  let n = 0;
  for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + name.length)) if (++n >= atLeast) return true;
  return false;
}

export function discoverNames(text: string, names: NameIndex): Discovered {
  const found = new Set<string>();
  const tried = new Set<string>();
  // (`after`: what follows the candidate, so that 红发 of 红发女孩 is no name.)
  const consider = (cand: string, after = '') => {
    if (DESCRIPTIVE_RE.test(cand + after.slice(0, 2))) return;
    if (tried.has(cand)) return;
    tried.add(cand);
    if (cand.length < 2 || NOT_NAMES.has(cand) || NOT_NAME_CHARS_RE.test(cand)) return;
    // (Someone unnamed: `后排有人`, `一个男生`.)
    if (/有人|[一两几每某][个位名]/.test(cand)) return;
    if (names.lookupExact(cand) !== undefined || names.containsAny(cand)) return;
    if (occurrences(text, cand, 2)) found.add(cand);
  };
  // (The text after a newline, so that its first line starts at a boundary like every other.)
  const lined = `\n${text}`;
  TAG_SUBJECT_G.lastIndex = 0;
  for (let m = TAG_SUBJECT_G.exec(lined); m; m = TAG_SUBJECT_G.exec(lined)) {
    const at = m.index + m[0].indexOf(m[1]!) + m[1]!.length;
    consider(m[1]!, lined.slice(at, at + 2));
  }
  if (text.includes('叫') || text.includes('名字是')) {
    INTRODUCED_G.lastIndex = 0;
    for (let m = INTRODUCED_G.exec(text); m; m = INTRODUCED_G.exec(text)) consider(m[1]!);
  }
  PERSON_FRAME_G.lastIndex = 0;
  for (let m = PERSON_FRAME_G.exec(text); m; m = PERSON_FRAME_G.exec(text)) {
    const w = (m[1] ?? m[2])!;
    if (actsAsPerson(text, w)) consider(w);
  }
  for (const w of shapedNames(text, (at) => names.referents(text.slice(at, at + 8))[0]?.index === 0)) consider(w);
  // (A name that opens two clauses of bodily action, one a sentence: counted by those openings, not by occurrences.)
  const acting = new Map<string, { n: number; opens: boolean }>();
  ACTION_SUBJECT_G.lastIndex = 0;
  for (let m = ACTION_SUBJECT_G.exec(lined); m; m = ACTION_SUBJECT_G.exec(lined)) {
    if (ACTION_ADVERB_RE.test(m[1]!)) continue;
    const a = acting.get(m[1]!) ?? { n: 0, opens: false };
    a.n++;
    // (Opening a sentence at least once, not only a clause after a comma.)
    if (m[0][0] !== '，' && m[0][0] !== ',') a.opens = true;
    acting.set(m[1]!, a);
  }
  for (const [cand, a] of acting) if (a.n >= 2 && a.opens) consider(cand);
  // (Each prefix counted once, and at most MAX_COUNTED of them: a whole scan of the text each.)
  const counts = new Map<string, number>();
  const counted = (x: string) => {
    let n = counts.get(x);
    if (n === undefined) counts.set(x, (n = count(text, x)));
    return n;
  };
  forEachTagClause(text, (clause) => {
    if (NOT_NAME_CHARS_RE.test(clause.slice(0, 2)) || names.containsAny(clause.slice(0, 4)) || DESCRIPTIVE_RE.test(clause.slice(0, 4))) return true;
    if (counts.size >= MAX_COUNTED) return false;
    const name = nameAt(text, clause, counted);
    // (Not a possessor or a place: `厨房的阿姨说`, `屋里有人问`.)
    if (name && !DESCRIPTIVE_RE.test(name) && !/^(?:[的里内外中边]|有人)/.test(clause.slice(name.length))) consider(name);
    return true;
  });
  if (text.includes('：') || text.includes(':')) {
    SCRIPT_NAME_G.lastIndex = 0;
    for (let m = SCRIPT_NAME_G.exec(text); m; m = SCRIPT_NAME_G.exec(text)) consider(m[1]!);
  }
  let narrator: SpeakerId | undefined;
  let me = text.includes('我叫') || text.includes('我是') || text.includes('我名叫') || text.includes('我的名字是') ? narratorIntro(lined) : undefined;
  // (Only narration counts: `“我叫艾雅法拉。”` is someone speaking.)
  if (me && lined.lastIndexOf('“', me.index) > lined.lastIndexOf('”', me.index)) me = undefined;
  // (Nor does a line said without quotes: `名字：…`, `【名字】…`, a radio line led by ——.)
  if (me && SPOKEN_LINE_RE.test(lined.slice(lined.lastIndexOf('\n', me.index) + 1))) me = undefined;
  if (me) {
    const n = me.name;
    const known = names.lookupExact(n);
    if (known) narrator = known;
    else if (!NOT_NAMES.has(n) && !NOT_NAME_CHARS_RE.test(n)) {
      narrator = `other:${n}`;
      found.add(n);
    }
  }
  // A name found cut short (石大 of 石大伯, from a tag read with the shortest subject) is dropped
  // where every occurrence of it goes on into the longer one.
  for (const n of found) for (const l of found) if (l !== n && l.startsWith(n) && count(text, l) === count(text, n)) found.delete(n);
  // (An alias of someone known is no new character: `【雪原站】` is her line where she is 雪原站.)
  const aliases = aliasesIn(text, names);
  if (aliases) for (const [a] of aliases) found.delete(a);
  const animalAliases = names.personaNames.filter((n) => countedAs(text, n));
  const male = [...found].filter((n) => maleIn(text, n));
  const out: Discovered =
    animalAliases.length && animalAliases.length < names.personaNames.length ? { names: [...found], narrator, animalAliases } : { names: [...found], narrator };
  if (male.length) out.male = male;
  if (aliases) out.aliases = aliases;
  // (A role a discovered name is introduced by names them too: `他是闻笙的徒弟，叫小柘`.)
  const roles = roleAliases(text, found);
  if (roles) (out.aliases ??= []).push(...roles.map(([r, n]): [string, SpeakerId] => [r, `other:${n}`]));
  return out;
}
