// The rules that read one quote's speaker from the narration right around it (attribute.ts calls
// them for each quote of a paragraph, in this order): an intro clause before it, a tag after it, an
// action beat before or after it, a pronoun tag bridging two quotes, a beat that goes on from the
// quote before. The first that gives a candidate decides; paragraph inheritance and turn-taking
// come later (attribute.ts, turns.ts).
import { bridgeSpeaker, deniesSpeech, goesOnFrom, introducesNextQuote, onlyTagOfQuoteBefore, reactsToQuote, tagSays } from './cues.js';
import type { NameIndex } from './names.js';
import { endsWithColon, firstClause, lastSubject, subjectOf, type Sentence } from './narration.js';
import type { Segment, SpeakerId, Utterance } from './types.js';

export interface QuoteCandidate {
  cand: { id: SpeakerId | null } | undefined;
  rule: string;
  /** The sentence whose subject gave the candidate (intro, tag and beat rules). */
  from?: Sentence;
}

/** The candidate speaker of the quote at segment `k` and the rule that gave it (none: `cand` undefined). */
export function quoteCandidate(
  k: number,
  segs: readonly Segment[],
  narr: ReadonlyArray<Sentence[] | undefined>,
  utts: readonly Utterance[],
  names: NameIndex,
  speechIdx: readonly number[],
): QuoteCandidate {
  // (Bounds checked: reading index -1 or past the end takes a slow generic lookup.)
  const pre = k > 0 ? narr[k - 1] : undefined;
  const post = k + 1 < narr.length ? narr[k + 1] : undefined;
  let cand: { id: SpeakerId | null } | undefined;
  let rule = '';
  let from: Sentence | undefined;
  const lastPre = pre?.at(-1);
  // A: an intro clause right before the quote (`艾雅法拉小声说：` / `她抬起头，`). Its own
  // sentence only: one with no known subject (`老人…才开口：`) is not the sentence before's.
  if (pre && lastPre && !lastPre.complete) {
    cand = lastSubject([lastPre]);
    rule = 'intro';
    from = lastPre;
  }
  // B: a tag right after it (`“…”艾雅法拉说。`), unless that clause introduces the next quote.
  if (!cand && post) {
    const first = post[0]!;
    const introducesNext = introducesNextQuote(post, segs, k);
    const c0 = firstClause(first);
    const subj = c0 ? subjectOf(c0) : undefined;
    const leads = post.length === 1 && !first.complete && k + 2 < segs.length && segs[k + 2]!.kind === 'quote';
    if (!introducesNext && subj && tagSays(first, leads)) {
      cand = subj;
      rule = 'tag';
      from = first;
    }
  }
  // C: an action beat before it (`艾雅法拉合上笔记本。“…”`).
  if (!cand && lastPre && lastPre.complete && !onlyTagOfQuoteBefore(k, segs, narr, utts) && !beatOfQuoteBefore(k, segs, narr, utts)) {
    cand = lastSubject([lastPre]);
    rule = 'beat-before';
    from = lastPre;
  }
  // B': an action beat after it (`“…”艾雅法拉低下头。`), for the paragraph's last quote.
  if (!cand && post && (k === speechIdx.at(-1) || beatBetween(k, segs, post)) && !deniesSpeech(post[0]!) && !reactsToQuote(post[0]!)) {
    const c0 = firstClause(post[0]!);
    const subj = c0 ? subjectOf(c0) : undefined;
    if (subj) {
      cand = subj;
      rule = 'beat-after';
      from = post[0]!;
    }
  }
  // B'': taken aback right after it, looking at someone (`”她愣了一下，抬头看着博士，`): the one looked at said it.
  if (!cand && post && reactsToQuote(post[0]!)) {
    const id = lookedAt(post[0]!);
    if (id) [cand, rule, from] = [{ id }, 'looked-at', post[0]!];
  }
  // An unresolved pronoun tag bridging two quotes: the first quote's speaker's (cues.ts).
  const q = k >= 2 && cand && !cand.id && rule === 'intro' ? segs[k - 2]! : undefined;
  const bridged = q?.kind === 'quote' ? bridgeSpeaker(pre!, (segs[k - 1] as { text: string }).text, utts[q.utt]!.speaker, names) : undefined;
  if (bridged) [cand, rule, from] = [{ id: bridged }, 'bridge', undefined];
  const goesOn = !cand && rule === 'intro' && k >= 2 ? goesOnFrom(k, segs, narr, utts) : undefined;
  if (goesOn) [cand, rule, from] = [{ id: goesOn }, 'goes-on', undefined];
  return { cand, rule, from };
}

/**
 * The narration after the quote at `k` is one complete sentence right before another quote, in the
 * tag position (`“嘘，别出声。”能天使回头冲他摆手。“你们在烤什么？”`): a beat of this quote's
 * speaker, when nothing before gave this quote one (B'); the next quote does not also take it as
 * its beat-before (beatOfQuoteBefore): in a paragraph of glued lines the two are often two speakers.
 */
function beatBetween(k: number, segs: readonly Segment[], post: readonly Sentence[]): boolean {
  // (Not one that announces the next quote, `她…半天才闷闷地应了一声。“嗯。”`: cues.ts introducesNextQuote.)
  return post.length === 1 && post[0]!.complete && segs[k + 2]?.kind === 'quote' && !introducesNextQuote(post, segs, k);
}

/** The narration before the quote at `k` was the beat-after of the quote before it (beatBetween). */
function beatOfQuoteBefore(k: number, segs: readonly Segment[], narr: ReadonlyArray<Sentence[] | undefined>, utts: readonly Utterance[]): boolean {
  const q = k >= 2 ? segs[k - 2] : undefined;
  return q?.kind === 'quote' && utts[q.utt]!.rule === 'beat-after' && narr[k - 1]?.length === 1;
}

/** A line that opens by answering (`嗯，`, `……是的`, `不是的`, `当然`): a reply to a question before it. */
const REPLY_OPEN_RE = /^[\s…．.。—\-~～]*(?:是的|是啊|是呀|嗯|对|不是|没有|当然|可以)/;
/** A line that asks (ends on a question mark, or on 吗 / 呢). */
const ASKS_RE = /(?:[？?]|[吗呢][。…\s]*)[”"’'\s]*$/;
/** How many lines back the question answered may be. */
const ANSWER_REACH = 3;

/**
 * The one answering, where a pronoun-only sentence (`她小声承认`, `她看了博士一眼，`) gave the
 * line to the woman `cand` whose question the line answers: her question is one of the last few
 * lines, no one asked anything since, and the line opens with an answer (`嗯`, `是的`). 她 is
 * then the other woman about (named or heard in the scene, the only other one), not the asker.
 * Undefined when any of that fails. `said`: the scene's paragraphs before this one, in order;
 * `text`: the paragraph's first quote (the one the answer opens).
 */
export function answererOf(
  cand: SpeakerId,
  from: Sentence | undefined,
  text: string,
  said: ReadonlyArray<{ readonly utts: readonly Utterance[] }>,
  present: ReadonlySet<SpeakerId>,
  names: NameIndex,
): SpeakerId | undefined {
  if (!from || names.pronounOf(cand) !== '她' || !REPLY_OPEN_RE.test(text) || !onlyPronouns(from, cand)) return undefined;
  let asked = false;
  let n = 0;
  walk: for (let j = said.length - 1; j >= 0; j--) {
    const lines = said[j]!.utts;
    for (let i = lines.length - 1; i >= 0; i--) {
      const u = lines[i]!;
      if (u.kind !== 'speech') continue;
      if (u.speaker === cand) {
        asked = ASKS_RE.test(u.text);
        break walk;
      }
      // (Someone else asked since: the line may answer them, and be hers.)
      if (ASKS_RE.test(u.text) || ++n >= ANSWER_REACH) return undefined;
    }
  }
  if (!asked) return undefined;
  const others = [...present].filter((id) => id !== cand && !id.endsWith(':?') && names.pronounOf(id) === '她');
  return others.length === 1 ? others[0] : undefined;
}

/** The sentence means `id` only by a bare 她 (no name or descriptive noun of theirs, `她看了博士一眼`). */
function onlyPronouns(s: Sentence, id: SpeakerId): boolean {
  let any = false;
  for (const c of s.clauses)
    for (const r of c.refs) {
      const she = !r.epithet && s.src.slice(c.start + r.index, c.start + r.index + (r.len ?? 1)) === '她';
      if (r.epithet || (!she && r.id === id)) return false;
      if (she) any = true;
    }
  return any;
}

/** The subject of a paragraph's last sentence when it is an intro ending in a colon (`她小声对着花盆说：`), for the quote that opens the next one. */
export function colonIntroSubject(narr: ReadonlyArray<readonly Sentence[] | undefined>): SpeakerId | null | undefined {
  // (The paragraph's very end: not an intro before a written quote inside it, `写道：“…”`.)
  const last = narr.at(-1)?.at(-1);
  // (With a speech verb: `上面是凯尔希的字，整整齐齐：` introduces writing, not a line.)
  if (!last || last.complete || !endsWithColon(last.src, last.start, last.end) || !tagSays(last, false)) return undefined;
  return lastSubject([last])?.id;
}

/** Right before someone: the subject looks at them (`看着博士`, `看向凯尔希`, `转向她`). */
const LOOKS_AT_RE = /(?:看着|看向|望着|望向|盯着|瞪着|转向)$/;

/** The one character a sentence's subject looks at (LOOKS_AT_RE), not the subject itself; undefined if none or several. */
function lookedAt(s: Sentence): SpeakerId | undefined {
  const c0 = firstClause(s);
  const subj = c0 ? subjectOf(c0)?.id : undefined;
  let found: SpeakerId | undefined;
  for (const c of s.clauses)
    for (const r of c.refs) {
      if (!r.id || r.id === subj || !LOOKS_AT_RE.test(s.src.slice(Math.max(c.start, c.start + r.index - 2), c.start + r.index))) continue;
      if (found && found !== r.id) return undefined;
      found = r.id;
    }
  return found;
}
