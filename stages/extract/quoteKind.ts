// What a quote is — speech, a thought, a term or written text — from the narration right before
// and right after it.
import { EDIT_TERM_RE, SIGN_INTRO_RE, SPEECH_VERB_RE, TERM_INTRO_RE, THOUGHT_INTRO_RE, THOUGHT_TAG_RE, TYPED_INTRO_RE } from './lexicon.js';
import { isSpace } from './chars.js';
import { addressCheck, vocativesIn } from './address.js';
import type { NameIndex } from './names.js';
import type { Paragraph, QuoteKind, Utterance } from './types.js';

const TERMINAL_IN_QUOTE_RE = /[。！？!?…～~]/;
const LEADING_COMMA_RE = /^\s*[，,]/;
/** A count of characters or words right after a quote (`两个字`, `这几个字`, `一词`). */
const WORDS_AFTER_RE = /^(?:[一两二三四五六七八九十几]个?字|这[两几]?个(?:字|词)|一词|二字)/;
const CHAT_SYSTEM_RE = /^\s*(?:撤回了(?:一条)?消息|拍了拍|加入了群聊|退出了群聊|修改了群名|邀请.{1,12}加入了群聊)/;

/**
 * The end of `pre` the intro regexes can match: they are anchored at the end and match at most
 * INTRO_MAX characters before the trailing whitespace, so testing the tail is the same as testing
 * the whole (and does not rescan long narration).
 */
const INTRO_MAX = 24;
function introTail(pre: string): string {
  let ws = 0;
  while (ws < pre.length && isSpace(pre.charCodeAt(pre.length - 1 - ws))) ws++;
  const keep = INTRO_MAX + ws;
  return pre.length > keep ? pre.slice(pre.length - keep) : pre;
}

/** 想 心 默 暗 念: a thought tag holds one of them (checked before the regexes). */
function mayBeThoughtTag(post: string): boolean {
  for (let i = 0; i < post.length; i++) {
    const c = post.charCodeAt(i);
    if (c === 0x60f3 || c === 0x5fc3 || c === 0x9ed8 || c === 0x6697 || c === 0x5ff5) return true;
  }
  return false;
}
function lastNonSpaceIn(s: string): number {
  let i = s.length - 1;
  while (i > 0 && isSpace(s.charCodeAt(i))) i--;
  return i;
}

export function classifyQuote(text: string, fullPre: string, post: string): QuoteKind {
  const pre = introTail(fullPre);
  if (THOUGHT_INTRO_RE.test(pre)) return 'thought';
  if (post !== '' && mayBeThoughtTag(post)) {
    // (Punctuation may stand between the quote and its tag, `”，我在心里这么想着`.)
    if (THOUGHT_TAG_RE.test(post) || THOUGHT_TAG_RE.test(post.replace(LEADING_COMMA_RE, ''))) return 'thought';
    // A thought split by its tag: `“…”她默默地想，“…”` (the tag introduces the next part).
    const last = post.charCodeAt(lastNonSpaceIn(post));
    if ((last === 0xff0c || last === 0x2c || last === 0xff1a || last === 0x3a) && THOUGHT_INTRO_RE.test(introTail(post))) return 'thought';
  }
  if (SIGN_INTRO_RE.test(pre) || TYPED_INTRO_RE.test(pre)) return 'sign';
  const compact = text.trim();
  // A chat app's system line about a name (`“艾雅法拉”撤回了一条消息`, `“博士”拍了拍…`).
  if (compact.length <= 12 && !/[，,。！？!?…～~]/.test(compact) && CHAT_SYSTEM_RE.test(post)) return 'term';
  if (TERM_INTRO_RE.test(pre) || EDIT_TERM_RE.test(pre)) return 'term';
  // A short quote without sentence punctuation, embedded mid-sentence (narration right before it
  // does not end in punctuation, and the sentence goes on after it): a term or a name.
  if (compact.length <= 12 && !TERMINAL_IN_QUOTE_RE.test(compact)) {
    const before = pre.slice(-1);
    const after = post.slice(0, 1);
    const midBefore = before !== '' && !/[，,。！？!?：:；;…—\s]/.test(before);
    const midAfter = after !== '' && !/[，,。！？!?；;…—\s]/.test(after);
    // (Named as words right after it, `“跑调”两个字到了嘴边`: a term whatever stands before it.)
    if (WORDS_AFTER_RE.test(post)) return 'term';
    if (midBefore && !SPEECH_VERB_RE.test(pre.slice(-3)) && (midAfter || after === '')) return 'term';
    if (midBefore && /^(?:的|之|等|这|那|一词|二字|两个字|这个)/.test(post)) return 'term';
    // The object of a verb that is no speech verb, ending the sentence (`把“每小时”改成了“每半小时”。`).
    if (midBefore && /^[。；;]/.test(after) && !SPEECH_VERB_RE.test(pre.slice(-6))) return 'term';
    // A form of address or a sound reported mid-sentence (`叫了我一声“阿米娅小姐”，我才…`).
    if (midBefore && /^[，,]/.test(after) && /一声$/.test(pre) && post.length > 1) return 'term';
  }
  return 'speech';
}

/** The paragraph's last part (trailing punctuation aside) is a thought or written text. */
export function endsInUnsaid(segs: Readonly<Paragraph['segments']>, utts: readonly Utterance[]): boolean {
  for (let k = segs.length - 1; k >= 0; k--) {
    const s = segs[k]!;
    if (s.kind === 'narr') {
      if (/^[\s，,。.！!？?…—～~、；;：:]*$/.test(s.text)) continue;
      return false;
    }
    const kind = utts[s.utt]!.kind;
    return kind === 'thought' || kind === 'sign';
  }
  return false;
}

/**
 * A question that calls no one by name or honorific (`“好吃吗？”`, `“十分钟？”`) and is not about
 * its own speaker (我 without 你): right after a narration paragraph about someone, it may as well
 * be asked of them as by them.
 */
export function askedOfThem(text: string, names: NameIndex): boolean {
  const t = text.trimEnd();
  // (A question about its own speaker, `“我……要一直站着吗？”`, is theirs: asked by them, not of them.)
  if (t.includes('我') && !/[你您]/.test(t)) return false;
  return (
    /[？?][…～~）)]*$/.test(t) &&
    !addressCheck(names).doctor(t) &&
    !addressCheck(names).persona(t) &&
    vocativesIn(t, names).size === 0 &&
    !opensOnTitledName(t, names)
  );
}

/** Polite titles after a name (or ending an alias, 凯尔希医生) that put a question to that person (`塞雷娅小姐连这个都算好了吗？`). */
const POLITE_TITLE = '小姐|先生|医生|老师|阿姨|大叔|教官';
const TITLE_AFTER_RE = new RegExp(`^(?:${POLITE_TITLE})`);
const TITLE_END_RE = new RegExp(`(?:${POLITE_TITLE})$`);

/** The line opens on a known name with a polite title: it is said to them (as a vocative would be). */
function opensOnTitledName(t: string, names: NameIndex): boolean {
  const r = names.containsAny(t) ? names.referents(t)[0] : undefined;
  if (!r || r.index !== 0 || r.ref === '她' || r.ref === '他' || r.ref === '我' || r.word !== undefined) return false;
  return TITLE_AFTER_RE.test(t.slice(r.len)) || TITLE_END_RE.test(t.slice(0, r.len));
}

/**
 * A request that calls no one and says nothing of its own speaker (no 我): its first clause ends
 * in 吧 (`放下来吧，…`) or it opens on 别 / 不要 / 不用 / 小心 (`别抱那么紧。`). Right after narration
 * about someone doing something, it may as well be said to them as by them (askedOfThem).
 */
export function toldToThem(text: string, names: NameIndex): boolean {
  const t = text.trim();
  if (t.includes('我') || t.includes('咱')) return false;
  const first = /^[^，,。！!？?…～~]*/.exec(t)![0];
  if (!/吧$/.test(first) && !/^(?:别|不要|不用|小心)/.test(t)) return false;
  return !addressCheck(names).doctor(t) && !addressCheck(names).persona(t) && vocativesIn(t, names).size === 0;
}

/** The narration a paragraph ends with when it ends in a colon (`白板上写着一行字：`), else ''. */
export function colonIntro(p: Paragraph | undefined): string {
  const last = p?.segments.at(-1);
  if (!last || last.kind !== 'narr' || p!.scriptName !== undefined) return '';
  const c = last.text.charCodeAt(lastNonSpaceIn(last.text));
  return c === 0xff1a || c === 0x3a ? last.text : '';
}

/** A line introduced by `pre` as a thought or as writing (`白板上写着：` + `炎熔：…`). */
export function unsaidLine(text: string, pre: string): boolean {
  if (pre === '') return false;
  const kind = classifyQuote(text, pre, '');
  return kind === 'sign' || kind === 'thought';
}
