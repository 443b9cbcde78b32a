// Evidence of who speaks read from the words themselves, and from a tag that bridges two quotes:
// a line in which the speaker names themselves (`我叫艾雅法拉。`), and a pronoun tag between two
// parts of one utterance (`“…”她叉着腰，“…”`), which is the first part's speaker; someone's voice
// heard at the end of the narration before a bare quote (`身后传来了博士的笑声。`); whether a tag
// says its subject spoke (not `没有回答`); whom a line calls, for the beat after it; a paragraph
// in which someone thinks or writes instead of speaking; a run whose own words break strict
// alternation.
import { vocativesIn } from './address.js';
import { SPEECH_VERB_RE } from './lexicon.js';
import type { NameIndex } from './names.js';
import { endsWithColon, firstClause, lastNonSpace, lastSubject, nextClauseSep, subjectOf, type Sentence } from './narration.js';
import type { Segment, SpeakerId, Utterance } from './types.js';

/** `我叫X` / `我是X` / `我就是X` / `我名叫X`, X followed by the end of a sentence or a comma (not `我是X的…`, not a question). */
const SELF_NAMED_G = /(?:^|[，,。！!…～~—\s])我(?:叫|是|就是|名叫)([^，,。！!？?…～~—\s]{1,8}?)(?=[，,。！!…～~]|$)/g;

/** The character a line's speaker says they are, if the line says so of exactly one known one. */
export function selfNamed(text: string, names: NameIndex): SpeakerId | undefined {
  if (!text.includes('我') || (!text.includes('我叫') && !text.includes('我是') && !text.includes('我就是') && !text.includes('我名叫'))) return undefined;
  let found: SpeakerId | undefined;
  SELF_NAMED_G.lastIndex = 0;
  for (let m = SELF_NAMED_G.exec(text); m; m = SELF_NAMED_G.exec(text)) {
    const id = names.lookupExact(m[1]!);
    if (!id) continue;
    if (found && found !== id) return undefined;
    found = id;
  }
  return found;
}

/**
 * The speaker of the quote before a tag that only bridges it to the next quote: one sentence, not
 * complete (it ends in a comma or colon), whose pronoun (她 / 他, that speaker's) is unresolved.
 * `“喂！”她叉着腰，“来比一场！”`: the second part is the first part's speaker's.
 */
export function bridgeSpeaker(pre: readonly Sentence[], narr: string, prevSpeaker: SpeakerId | null, names: NameIndex): SpeakerId | undefined {
  if (!prevSpeaker || pre.length !== 1 || pre[0]!.complete) return undefined;
  const pronoun = names.pronounOf(prevSpeaker);
  const t = narr.trimStart();
  // (The pronoun is the tag's subject: it opens the bridge, maybe after a short adverbial.)
  const at = t.indexOf(pronoun);
  if (at < 0 || at > 2 || t.includes(pronoun === '她' ? '他' : '她')) return undefined;
  return prevSpeaker;
}

/** An intro that goes on from the sentence before its quote, with no subject of its own (`然后把屏幕转过来：`). */
const GOES_ON_RE = /^[\s\u3000]*(?:然后|接着|随后|随即|于是|又|再|便)/;

/**
 * The speaker of a quote whose intro has no subject and goes on from before the quote in front of
 * it (`博士…写道：“…”然后把屏幕转给她看：“…”`): that quote's speaker, or — for written text or a
 * thought — whoever the narration before it says wrote or thought it.
 */
export function goesOnFrom(
  k: number,
  segs: readonly Segment[],
  narr: ReadonlyArray<readonly Sentence[] | undefined>,
  utts: readonly Utterance[],
): SpeakerId | undefined {
  const pre = narr[k - 1];
  const q = segs[k - 2];
  if (!pre || pre.length !== 1 || pre[0]!.complete || q?.kind !== 'quote' || !GOES_ON_RE.test(pre[0]!.src)) return undefined;
  const before = utts[q.utt]!;
  if (before.kind === 'speech') return before.speaker ?? undefined;
  const s = k >= 3 ? narr[k - 3]?.at(-1) : undefined;
  return (s && !s.complete ? lastSubject([s])?.id : undefined) ?? undefined;
}

/** The narration at `k` is a pronoun tag bridging the quote before it, said by `id`, to the next one (bridgeSpeaker). */
function bridgesTo(segs: readonly Segment[], narr: ReadonlyArray<readonly Sentence[] | undefined>, k: number, id: SpeakerId, names: NameIndex): boolean {
  const s = segs[k];
  const pre = narr[k];
  return s?.kind === 'narr' && pre !== undefined && bridgeSpeaker(pre, s.text, id, names) === id;
}

/**
 * What a paragraph's lines say of their own speakers (`quotes` at segment indexes `at`): a line
 * in which the speaker names themselves is theirs (selfNamed), and so is the next part of it
 * after a pronoun tag (`“…我是X。”她鞠了一躬，“…”`). Two parts split by a pronoun tag are one
 * utterance: where the tag gave the second part a speaker the first part's words forbid
 * (`“蓝铃小姐的心跳……”她睁开眼，“…”` is not 蓝铃's), neither part is read from the tag. A
 * part with no evidence before a beat that runs on, by a comma, into a part someone's beat
 * introduces (`“…”她抽出木盒，掀开盖子，“…”`) is theirs too (splitBy).
 */
export function readOwnWords(
  quotes: readonly Utterance[],
  at: readonly number[],
  segs: readonly Segment[],
  narr: ReadonlyArray<readonly Sentence[] | undefined>,
  names: NameIndex,
  vetoed: (u: Utterance, id: SpeakerId) => boolean,
): void {
  quotes.forEach((u, i) => {
    const next = quotes[i + 1];
    const split = next?.rule === 'intro' && at[i + 1] === at[i]! + 2;
    if (split && !u.speaker && next.speaker && vetoed(u, next.speaker) && bridgesTo(segs, narr, at[i]! + 1, next.speaker, names)) {
      [next.speaker, next.rule] = [null, 'intro-veto'];
      return;
    }
    const id = u.speaker || u.rule?.endsWith('-veto') ? undefined : selfNamed(u.text, names);
    if (!id || vetoed(u, id)) {
      // (The part before a beat that runs on into a part someone's beat introduces, `“…”她抽出木盒，“…”`: theirs too.)
      const before = split && !u.speaker && !u.rule && next.speaker ? splitBy(narr[at[i]! + 1], next.speaker) : undefined;
      if (before && !vetoed(u, before)) [u.speaker, u.rule] = [before, 'split'];
      return;
    }
    [u.speaker, u.rule] = [id, 'self-named'];
    if (split && bridgesTo(segs, narr, at[i]! + 1, id, names) && !vetoed(next, id)) [next.speaker, next.rule] = [id, 'bridge'];
  });
}

/** `id` when the narration between two quotes is one unfinished sentence whose first clause opens on `id`. */
function splitBy(between: readonly Sentence[] | undefined, id: SpeakerId): SpeakerId | undefined {
  const s = between?.length === 1 ? between[0]! : undefined;
  // (Ending in a comma: a beat inside one utterance; a colon introduces someone's next line. Nor one whose only speech verb introduces that next line, `…笑出了声，又小声说“…”`: a reaction to the line before.)
  const c0 = s && !s.complete && !endsWithColon(s.src, s.start, s.end) && !verbOnlyLast(s) && !reactsToQuote(s) ? firstClause(s) : undefined;
  return c0 && subjectOf(c0)?.id === id ? id : undefined;
}

/** Being taken aback (`愣了一下`, `怔住`, `吃了一惊`, `吓了一跳`). */
const TAKEN_ABACK_RE = /愣|怔|吃了一惊|一惊|吓了一跳/;

/**
 * A beat right after a quote whose first clause says its subject is taken aback by it, with no
 * speech verb (`”她愣了一下，抬头看着博士，“…”`): a reaction to someone else's line, so no beat
 * of the quote before (splitBy, quoteCandidate.ts B'). (`”她说完，自己先愣住了`: a tag first.)
 */
export function reactsToQuote(s: Sentence): boolean {
  const c0 = firstClause(s);
  if (!c0) return false;
  const text = s.src.slice(c0.start, c0.end);
  return TAKEN_ABACK_RE.test(text) && !SPEECH_VERB_RE.test(text);
}

/**
 * The narration after the quote at `k` (one sentence, `post`) introduces the next quote rather than
 * tagging this one: it ends in a colon, or it has several clauses and its only speech verb is in
 * the last (`“…”艾雅法拉笑出了声，又捂住嘴，小声说“对不起。”`).
 */
export function introducesNextQuote(post: readonly Sentence[], segs: readonly Segment[], k: number): boolean {
  if (post.length !== 1 || k + 2 >= segs.length || segs[k + 2]!.kind !== 'quote') return false;
  const first = post[0]!;
  return endsWithColon(first.src, first.start, first.end) || verbOnlyLast(first) || saidOnceLast(first);
}

/**
 * A full sentence whose last clause alone holds a speech verb counted once (`她把脸埋进毯子里，
 * 半天才闷闷地应了一声。“嗯。”`): it announces the quote after it, not the one before.
 */
function saidOnceLast(s: Sentence): boolean {
  const n = s.clauses.length;
  if (n < 2 || !s.complete) return false;
  const last = s.clauses[n - 1]!;
  const text = s.src.slice(last.start, s.end);
  return /(?:一声|一句)[。！!…\s]*$/.test(text) && SPEECH_VERB_RE.test(text) && !SPEECH_VERB_RE.test(s.src.slice(s.start, last.start));
}

function verbOnlyLast(s: Sentence): boolean {
  const n = s.clauses.length;
  if (n < 2 || s.complete) return false;
  const last = s.clauses[n - 1]!;
  return SPEECH_VERB_RE.test(s.src.slice(last.start, last.end)) && !SPEECH_VERB_RE.test(s.src.slice(s.start, last.start));
}

/** The end of a sentence saying its subject leaves (`笑着关上门走了。`, `转身离开了。`). */
const LEAVES_RE = /(?:走了|离开了?|出去了|退了出去|下楼了?|回去了)[。！!…\s]*$/;

/** The character a sentence says leaves at its end (its subject), if any: not about after it. */
export function leaverIn(s: Sentence): SpeakerId | undefined {
  if (!LEAVES_RE.test(s.src.slice(s.start, s.end))) return undefined;
  return lastSubject([s])?.id ?? undefined;
}

/** A voice heard: `…的声音`, `…的笑声`. */
const VOICE_G = /的(?:声音|笑声|嗓音|喊声|叫声|咳嗽声)/g;

/**
 * The one character whose voice the sentence hears (`身后就传来了博士的笑声。`): the one who
 * speaks the bare line right after it. A name (or a resolved pronoun) right before `的声音`.
 */
export function voiceIn(s: Sentence, names: NameIndex): SpeakerId | undefined {
  const text = s.src.slice(s.start, s.end);
  if (!text.includes('声')) return undefined;
  let found: SpeakerId | undefined;
  VOICE_G.lastIndex = 0;
  for (let m = VOICE_G.exec(text); m; m = VOICE_G.exec(text)) {
    const at = s.start + m.index;
    let id: SpeakerId | undefined;
    for (const c of s.clauses)
      for (const r of c.refs) {
        const from = c.start + r.index;
        const word = s.src.slice(from, at);
        if (r.id && from < at && (word === '她' || word === '他' || names.lookupExact(word) === r.id)) id = r.id;
      }
    if (!id || (found && found !== id)) return undefined;
    found = id;
  }
  return found;
}

/** Right before a name: the line is said to them (`对阿米娅`, `向她`, `转向艾雅法拉`, `问博士`). */
const TOWARD_RE = /(?:对|向|朝|冲|问)$/;
/** Right after a name: the speaker has come up to them (`走到伊芙利特面前`). */
const BEFORE_FACE_RE = /^(?:面前|跟前)/;
const TOWARD_ANY_RE = /[对向朝冲问]|面前|跟前/;

/** Whom an intro sentence says the quote is said to: one character, not its subject, after 对/向/朝/冲/问. */
export function addresseeIn(s: Sentence): SpeakerId | undefined {
  if (!TOWARD_ANY_RE.test(s.src.slice(s.start, s.end))) return undefined;
  let found: SpeakerId | undefined;
  let subjectSeen = false;
  for (const c of s.clauses)
    for (const r of c.refs) {
      const from = c.start + r.index;
      const toward = TOWARD_RE.test(s.src.slice(Math.max(s.start, from - 1), from)) || faces(s, c.start, r.index);
      // (The first referent is the subject, unless 对/向/… or 面前 make it whom the line is for.)
      if (!subjectSeen) {
        subjectSeen = true;
        if (from === c.start || !toward) continue;
      }
      if (!r.id || !toward) continue;
      if (found && found !== r.id) return undefined;
      found = r.id;
    }
  return found;
}

/**
 * For each spoken quote (segment indexes `speech`), whether it follows the one before back to back,
 * with nothing but whitespace between (`“想比赛？”“嗯！”`): a change of speaker.
 */
export function adjacentQuotes(segs: readonly Segment[], speech: readonly number[]): boolean[] {
  return speech.map((k, i) => {
    if (i === 0) return false;
    const prev = speech[i - 1]!;
    for (let j = prev + 1; j < k; j++) {
      const s = segs[j]!;
      if (s.kind !== 'narr' || lastNonSpace(s.text, 0, s.text.length) >= 0) return false;
    }
    return true;
  });
}

/** The referent at `index` of the clause starting at `start` is followed by 面前 / 跟前. */
function faces(s: Sentence, start: number, index: number): boolean {
  const at = start + index;
  for (let n = 1; n <= 5; n++) if (BEFORE_FACE_RE.test(s.src.slice(at + n, at + n + 2))) return true;
  return false;
}

const SPEECH_VERB_G = new RegExp(SPEECH_VERB_RE.source, 'g');
/** Right before a speech verb: it is denied (`没有回答`, `不说话`, `并未开口`). */
const NEGATED_RE = /(?:没有?|不|未|别|没再|不再)$/;

/** Whether a sentence denies that its subject spoke (`博士没有回答`, `她没说话`): no beat of a speaker. */
export function deniesSpeech(s: Sentence): boolean {
  const text = s.src.slice(s.start, s.end);
  if (!text.includes('没') && !text.includes('不') && !text.includes('未')) return false;
  SPEECH_VERB_G.lastIndex = 0;
  for (let m = SPEECH_VERB_G.exec(text); m; m = SPEECH_VERB_G.exec(text)) if (NEGATED_RE.test(text.slice(Math.max(0, m.index - 2), m.index))) return true;
  return /没(?:有)?(?:吭声|作声|出声|开口|说话)/.test(text);
}

/**
 * Whether a tag sentence after a quote says its subject spoke: a speech verb that is not denied
 * (`”博士没有回答。` is no tag), and, where the sentence runs on into the next quote
 * (`leadsIntoQuote`: it does not end, a quote follows), one in its first clause — a verb later
 * on introduces that next quote (`”她笑出了声，又小声说“…”`), not the one before.
 */
export function tagSays(s: Sentence, leadsIntoQuote: boolean): boolean {
  const end = leadsIntoQuote ? (s.clauses.find((c) => lastNonSpace(c.src, c.start, c.end) >= c.start)?.end ?? s.end) : s.end;
  const text = s.src.slice(s.start, end);
  SPEECH_VERB_G.lastIndex = 0;
  for (let m = SPEECH_VERB_G.exec(text); m; m = SPEECH_VERB_G.exec(text)) {
    if (NEGATED_RE.test(text.slice(Math.max(0, m.index - 2), m.index))) continue;
    if (text.startsWith('不出', m.index + m[0].length)) continue;
    return true;
  }
  return false;
}

const NO_ONE: readonly SpeakerId[] = [];

/**
 * Whom a line calls by name, as salient for the narration right after it: a beat there is
 * theirs (`“伊芙利特，…”小女孩撇了撇嘴`), but not a speech tag, whose subject is the one who
 * called them (`“艾雅法拉，你在这儿。”那女孩压低声音说`).
 */
export function calledBeforeBeat(line: string, next: Segment, names: NameIndex): Iterable<SpeakerId> {
  if (next.kind === 'narr') {
    const t = next.text;
    let from = 0;
    while (from < t.length && nextClauseSep(t, from) === from) from++;
    const clause = t.slice(from, Math.min(nextClauseSep(t, from), t.length));
    if (SPEECH_VERB_RE.test(clause)) return NO_ONE;
  }
  return vocativesIn(line, names);
}

/**
 * A paragraph in which someone thinks or writes (`她心想：“…”`, `在报告里写道：“…”`) instead of
 * speaking: the bare line after it is not said to be theirs (they did not speak; the other one
 * often does).
 */
export function thinksOrWrites(segs: readonly Segment[], utts: readonly Utterance[]): boolean {
  for (const s of segs) if (s.kind === 'quote' && (utts[s.utt]!.kind === 'thought' || utts[s.utt]!.kind === 'sign')) return true;
  return false;
}

/**
 * Whether a unit strictly between the anchor (`from`, said by `speaker`) and unit `to` is one
 * whose own words forbid the speaker strict alternation gives it (`“谢谢博士！”` where the
 * Doctor's turn would be): then the run is no exchange of those two. `other`: the other speaker,
 * if known (else only the anchor's turns are checked).
 */
export function runBroken(
  units: ReadonlyArray<{ utts: readonly Utterance[] }>,
  vetoed: (u: Utterance, id: SpeakerId) => boolean,
  from: number,
  to: number,
  speaker: SpeakerId,
  other: SpeakerId | undefined,
): boolean {
  const [lo, hi] = from < to ? [from + 1, to] : [to + 1, from];
  for (let j = lo; j < hi; j++) {
    const expect = Math.abs(j - from) % 2 === 0 ? speaker : other;
    if (expect && units[j]!.utts.some((u) => vetoed(u, expect))) return true;
  }
  return false;
}

/** The longest tag read as no more than a tag (`博士问。`, `她小声说。`): a subject and a speech verb. */
const MAX_BARE_TAG = 8;

/**
 * The narration before the quote at `k` is one short sentence that was the tag of a question before
 * it (`“放哪里？”博士问。“…”`): it says who asked, not who answers (no beat). (After a statement,
 * `“…。”芙蓉说。“…”`, the speaker often goes on: read as before.)
 */
export function onlyTagOfQuoteBefore(
  k: number,
  segs: readonly Segment[],
  narr: ReadonlyArray<readonly Sentence[] | undefined>,
  utts: readonly Utterance[],
): boolean {
  const pre = narr[k - 1];
  const q = k >= 2 ? segs[k - 2] : undefined;
  if (pre?.length !== 1 || q?.kind !== 'quote' || utts[q.utt]!.rule !== 'tag' || !/[？?][…～~]*$/.test(utts[q.utt]!.text.trimEnd())) return false;
  const s = pre[0]!;
  return s.src.slice(s.start, s.end).trim().length <= MAX_BARE_TAG;
}

/**
 * Whether a 她 (or a descriptive noun, 少女) at `abs` is the one who has a trait the text gives
 * her alone — a worn device or horns (`她扶了扶助听器`, `戴着助听器的她`, `她的羊角`, `羊角少女`):
 * the pronoun's own clause says it, and names no one after the pronoun (`她把助听器递给艾雅法拉`
 * is someone else handing hers over). Her traits: NameIndex.personaTraits (persona.traits).
 */
export function ownsTrait(text: string, abs: number, len: number, clauseEnd: number, names: NameIndex): boolean {
  const traits = names.personaTraits;
  if (!traits) return false;
  const re = traitRes(traits);
  const after = text.slice(abs + len, clauseEnd);
  const noOne = (t: string) => !names.referents(t).some((r) => r.ref !== '她' && r.ref !== '他' && r.ref !== '我');
  if (re.before.test(text.slice(Math.max(0, abs - 8), abs)) || re.after.test(after)) return noOne(after);
  // (Or the clause after it, with no subject of its own, is about something on her: `她筛得很认真，羊角上沾了面粉`.)
  const c = text.charCodeAt(clauseEnd);
  if (c !== 0xff0c && c !== 0x2c) return false;
  const next = text.slice(clauseEnd + 1, nextClauseSep(text, clauseEnd + 1));
  return re.on.test(next) && noOne(after) && noOne(next);
}
const traitCache = new WeakMap<RegExp, { before: RegExp; after: RegExp; on: RegExp }>();
function traitRes(traits: RegExp): { before: RegExp; after: RegExp; on: RegExp } {
  let re = traitCache.get(traits);
  if (!re) {
    const t = traits.source;
    re = {
      // `戴着助听器的` / `羊角` right before the referent.
      before: new RegExp(`(?:(?:戴着|别着|顶着|长着)(?:${t})的|(?:${t}))$`),
      // `的助听器` / `扶了扶（耳边的）助听器` opening what follows it.
      after: new RegExp(
        `^(?:的|[^，,。！？]{0,4}?(?:扶了扶|摸了摸|碰了碰|按了按|理了理|扶|摸|碰|按|戴[上好回着]|摘[下掉])(?:了|一下)?(?:耳[边上朵里畔]的?|[左右]耳的?)?)(?:新)?(?:${t})`,
      ),
      // `羊角上沾了…` / `助听器上的灯…` opening a clause.
      on: new RegExp(`^(?:${t})上`),
    };
    traitCache.set(traits, re);
  }
  return re;
}
