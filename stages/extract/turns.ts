// The scene-level passes of attribution, after every paragraph has had its own evidence read:
// address (whom a line speaks to says who speaks, where only two people are about) and
// turn-taking (a run of bare quotes alternates between two speakers). Both only ever fill lines
// the paragraph pass left open, and both abstain at the first sign of a third person.
import { addresseeIn, runBroken } from './cues.js';
import {
  arrivesAfter,
  assign,
  callsLikeAStranger,
  HER_AND_DOCTOR,
  opensAfterBeat,
  pairsByParagraph,
  pairThrough,
  partnerIn,
  SOMEONE,
  WINDOW,
  type Pair,
  type SceneView,
  type Unit,
} from './presence.js';
import { markBesideHers } from './besideHers.js';
import { actedOn } from './narrationOnly.js';
import { fillByOwnWords } from './echo.js';
import { pointsAtThird, unknownCast } from './castGuards.js';
import { fillByElimination } from './elimination.js';
import type { SpeakerId, Utterance } from './types.js';

/** Longest stretch of bare lines turn-taking fills between two anchors. */
const MAX_BETWEEN = 12;
/** Longest span between two anchors where a third person is about (no pair): up to two bare lines between them. */
const MAX_SPAN_THIRD = 3;
/** Longest reach from one anchor when there is only one (only her and the Doctor about). */
const MAX_ONE_SIDED = 6;
/** Longest reach from one anchor in a scene where a third person has spoken before (they may cut in again). */
const MAX_ONE_SIDED_THIRD = 2;
/**
 * Longest reach back from an anchor with no other one before it: the line right before it (which
 * it answers). Further back, who spoke before the anchor's line is a guess (measured on gold2/tune).
 */
const MAX_ONE_SIDED_AHEAD = 1;

/**
 * V: where only two people are about, a line that addresses one of them is the other's: a name
 * as a vocative (炎熔，…), and between her and the Doctor 前辈 and 您 too (off for the honorific
 * when someone else in the scene uses it).
 */
export function fillByAddress(v: SceneView, pairs: ReadonlyArray<Pair | undefined> = pairsByParagraph(v)): void {
  for (const unit of v.units) {
    if (unit.speaker || unit.utts.some((u) => u.rule?.endsWith('-veto') || u.rule?.endsWith('-unresolved'))) continue;
    const pair = pairs[unit.para];
    if (!pair) continue;
    const to = new Set<SpeakerId>();
    for (const u of unit.utts) {
      if (pair === HER_AND_DOCTOR) {
        const a = v.address.addressee(u.text, !v.sharedHonorific);
        if (a) to.add(a);
      }
      for (const id of v.vocatives(u.text)) to.add(id);
    }
    if (to.size !== 1) continue;
    const id = partnerIn(pair, to.values().next().value!);
    if (!id) continue;
    if (unit.utts.some((u) => v.vetoed(u, id))) continue;
    assign(unit, id, 'addressee');
  }
}

/** A line calling 前辈 (as its opening word, or before a pause): used by turn-taking's third-person guard. */
const SENPAI_CALLED_RE = /(?:^前辈(?=[，,！!？?…～~。—]|$))|前辈(?=[，,！!？?…～~。]|$)/;
export const SENPAI_VOCATIVE_RE = /(?:^|[，,。！!？?…～~—\s])前辈(?=[，,！!？?…～~。]|$)/;
/**
 * R: a bare line right after a line that calls one person (by name, or the Doctor by 前辈 as a
 * vocative where the honorific is hers alone), or whose intro says whom it is said to, is that
 * person's answer, however many are about. Where others use 前辈 too, a line calling 前辈 that
 * talks of the Doctor by name calls her (`前辈，博士平时也这样吗？`), and the other way round.
 */
export function fillByReply(v: SceneView): void {
  const { units } = v;
  for (let i = 1; i < units.length; i++) {
    const unit = units[i]!;
    const prev = units[i - 1]!;
    // (Who said the line before need not be known: a line calling X by name is not X's own.)
    if (unit.speaker || !unit.bare || unit.para - prev.para !== 1) continue;
    const last = prev.utts.at(-1)!;
    const intro = prev.intros?.at(-1);
    const told = intro && addresseeIn(intro);
    // (Its earlier quotes too where the tag between turns to no one: `“艾雅法拉老师，”一个男生问，“…？”`.)
    const line = told ? [last] : lastLine(prev);
    const to = new Set<SpeakerId>(line.flatMap((u) => (spokenToIn(u.text) ? [...v.vocatives(u.text)] : [])));
    // (A stranger's call, `姑娘，再来一串？` / `小姐，车要进站了。`: said to her, the one young woman everyone sees.)
    if (prev.speaker !== 'persona' && line.some((u) => callsLikeAStranger(v, u.text))) to.add('persona');
    if (told) to.add(told);
    // (前辈 only as a vocative: `我交给前辈的报告` talks about him, not to him.)
    if (SENPAI_VOCATIVE_RE.test(last.text)) {
      // Where others use it too, 前辈 is whichever of her and the Doctor the line does not talk about.
      // (Hers, it is the Doctor whoever else uses it.)
      const named = v.sharedHonorific && prev.speaker !== 'persona' ? v.named(last.text) : undefined;
      if (!named) to.add('doctor');
      else if (named.has('doctor') !== named.has('persona') && !v.vocatives(last.text).has(named.has('doctor') ? 'doctor' : 'persona'))
        to.add(named.has('doctor') ? 'persona' : 'doctor');
    }
    if (prev.speaker) to.delete(prev.speaker);
    if (to.size !== 1) continue;
    const id = to.values().next().value!;
    if (id === SOMEONE || unit.utts.some((u) => v.vetoed(u, id) || v.vocatives(u.text).has(id))) continue;
    // (Someone called who comes in only later, `“米格鲁小姐。”` answering who weighed it before she walks in: no answer of theirs.)
    if (arrivesAfter(v, id, unit.para)) continue;
    assign(unit, id, 'reply');
  }
}

/**
 * Whether a line's names may be vocatives for the reply after it: not where it speaks of someone as
 * 她 / 他 and to no one as 你 / 您 (`凯尔希医生……让我到了之后给她打电话。`: she is spoken of, not to).
 */
function spokenToIn(text: string): boolean {
  return /[你您]/.test(text) || !/[她他](?!们)/.test(text);
}

/**
 * The quotes of a paragraph's last line: all of them where they are one speaker's line split by
 * its own tags (`“艾雅法拉老师，”一个男生问，“您刚才说……？”`), else the last one.
 */
function lastLine(prev: Unit): readonly Utterance[] {
  const { utts, adjacent } = prev;
  return adjacent?.includes(true) || utts.some((u) => u.speaker !== utts[0]!.speaker) ? utts.slice(-1) : utts;
}

/**
 * B: quotes back to back inside a paragraph (`“想比赛？”“嗯！”“那换个比法。”`) change speaker:
 * the one after a line is whom that line calls (by name, by the intro, or her 前辈: the Doctor),
 * and the one after that is the first speaker again.
 */
export function fillBackToBack(v: SceneView): void {
  for (const unit of v.units) {
    const { utts, adjacent, intros } = unit;
    if (!adjacent || !intros) continue;
    for (let i = 1; i < utts.length; i++) {
      const u = utts[i]!;
      const prev = utts[i - 1]!;
      if (u.speaker || u.rule || !prev.speaker) continue;
      if (!adjacent[i]) {
        // (After a beat that gave the line before it its speaker, in which they act on one other,
        // `“嘘——”能天使回头冲他摆手。“你们在烤什么？”`: that one speaks.)
        const beat = unit.beats?.[i];
        const to = prev.rule === 'beat-after' && beat ? actedOn(beat, prev.speaker) : undefined;
        if (to && to !== SOMEONE && !v.vetoed(u, to) && !v.vocatives(u.text).has(to)) [u.speaker, u.rule] = [to, 'acted-on'];
        continue;
      }
      const to = new Set<SpeakerId>(v.vocatives(prev.text));
      const intro = intros[i - 1];
      const t = intro && addresseeIn(intro);
      if (t) to.add(t);
      if (prev.speaker === 'persona' && SENPAI_VOCATIVE_RE.test(prev.text)) to.add('doctor');
      to.delete(prev.speaker);
      let id: SpeakerId | undefined = to.size === 1 ? to.values().next().value : undefined;
      const before = utts[i - 2];
      if (!id && before?.speaker && adjacent[i - 1] && before.speaker !== prev.speaker) id = before.speaker;
      // (The first line of the run, given by the beat before it, whose opener acts on one other: they answer it.)
      const beat = unit.beats?.[i - 1];
      if (!id && to.size === 0 && !adjacent[i - 1] && prev.rule === 'beat-before' && beat) id = actedOn(beat, prev.speaker);
      if (!id || id === SOMEONE || v.vetoed(u, id) || v.vocatives(u.text).has(id)) continue;
      // (A third person's lines glued in the paragraph, and the line speaks of the one just heard
      // by name, not to them: `“报告没写完。”“又是报告，博士的夜晚全是报告……”`: said to someone else, by someone else.)
      if (gluedThird(utts, id) && talksOf(v, u.text, prev.speaker)) continue;
      [u.speaker, u.rule] = [id, 'back-to-back'];
    }
  }
}

/** The paragraph's lines already hold two speakers (SOMEONE aside) other than `id`: a third one's lines are glued in. */
function gluedThird(utts: readonly Utterance[], id: SpeakerId): boolean {
  return new Set(utts.flatMap((u) => (u.speaker && u.speaker !== SOMEONE && u.speaker !== id ? [u.speaker] : []))).size >= 2;
}

/** The line names `id` but does not call them: it speaks of them (`是艾雅法拉在烤`), not to them. */
function talksOf(v: SceneView, text: string, id: SpeakerId): boolean {
  return v.named(text).has(id) && !v.vocatives(text).has(id);
}

/**
 * Q: a bare question calling no one right after narration about one of the two people about
 * (`她摇了摇头。` / `“药呢？”`) is asked of them, and a bare line after a beat they answer
 * (Unit.answers) is said to them: the other one's.
 */
export function fillByQuestion(v: SceneView, pairs: ReadonlyArray<Pair | undefined>): void {
  for (const unit of v.units) {
    const of = unit.askedOf ?? unit.answers ?? unit.answered;
    if (unit.speaker || !of || !unit.bare) continue;
    const id = partnerIn(pairs[unit.para], of);
    // (`博士没有接话。` / `“这次……”`: rule answers-beat; `“……不知道。”` / `博士没有再问。`: answered.)
    if (id && !unit.utts.some((u) => v.vetoed(u, id))) assign(unit, id, unit.askedOf ? 'asked' : unit.answers ? 'answers-beat' : 'answered');
  }
}

/** The scene passes, in order: each fills only what the ones before left open. */
export function fillScene(v: SceneView): void {
  // (Nothing left open: no pass has anything to fill.)
  if (!v.units.some((u) => u.speaker === null)) return;
  v.strangerVeto = true;
  const pairs = pairsByParagraph(v);
  fillByAddress(v, pairs);
  fillByQuestion(v, pairs);
  fillByOwnWords(v);
  fillByReply(v);
  fillBackToBack(v);
  // (Who is about read again: the passes before filled lines, and who spoke them is about.)
  fillTurns(v, pairsByParagraph(v));
  // (Among three, elimination; the replies to the lines it decided.)
  fillByElimination(v);
  fillByReply(v);
  // Once more, with who is about read again from the lines just filled (anchors included).
  if (v.units.some((u) => u.speaker === null)) fillTurns(v, pairsByParagraph(v));
  markBesideHers(v);
}

/**
 * An intro saying a line is for a group (`转向学生们`, `对孩子们说`, `朝大家喊`, `又转向另外两个人`):
 * 对 / 向 / 朝 / 冲 and a few words ending in 们 (not 我们 / 咱们: the speaker is one of them), 大家,
 * 众人, 所有人, 两个人 ….
 */
const GROUP_TOWARD_RE = /(?:对|向|朝|冲)着?[^，,。：:！!？?\s“”「」]{0,6}?(?:(?<![我咱])们|大家|众人|所有人|[两三几]个人|人群)/;

/** The unit before unit `i`, in the paragraph right before it, ends with a line its intro says is for a group (GROUP_TOWARD_RE). */
function saidToGroup(units: readonly Unit[], i: number): boolean {
  const prev = units[i - 1];
  if (!prev || prev.para !== units[i]!.para - 1) return false;
  const intro = prev.intros?.at(-1);
  return intro !== undefined && GROUP_TOWARD_RE.test(intro.src.slice(intro.start, intro.end));
}

interface Anchor {
  speaker: SpeakerId;
  /** Steps from the line being filled. */
  dist: number;
  index: number;
}

/** The nearest attributed unit in direction `dir` across adjacent bare units, within `max` steps. */
function anchorFrom(units: readonly Unit[], i: number, dir: -1 | 1, max: number): Anchor | undefined {
  for (let j = i, dist = 0; dist < max; dist++) {
    const next = j + dir;
    const b = units[next];
    if (!b || Math.abs(b.para - units[j]!.para) !== 1) return undefined;
    j = next;
    // (Ahead, a line turn-taking filled is no anchor: read through as the bare line it was, so
    // the second pass does not reach further back than MAX_ONE_SIDED_AHEAD.)
    if (b.speaker && (dir === -1 || b.utts[0]!.rule !== 'turn-taking')) return { speaker: b.speaker, dist: dist + 1, index: j };
    if (!b.bare && !b.speaker) return undefined;
  }
  return undefined;
}

/**
 * Whom the anchor `a` was talking with, read from the conversation itself where who is about (by
 * mentions) does not say. Before the line (`dir` -1): the last speaker before `a`, within WINDOW
 * paragraphs, with nothing between them said by someone unknown. After it (`dir` 1): the speaker
 * right after `a`, and the narration just before the bare lines names no one else. Either way, no
 * narration from there to the line names a third person and no line between `a` and the line
 * (this one too) calls one by name. (`栗苗问：“…”` / `艾雅法拉答：“…”` / bare lines: they alternate.)
 */
export function conversationPartner(v: SceneView, a: Anchor, line: number, dir: -1 | 1): SpeakerId | undefined {
  const { units, mentions } = v;
  const from = units[a.index]!;
  let b: Unit | undefined;
  if (dir === -1) {
    for (let j = a.index - 1; j >= 0 && !b; j--) {
      const u = units[j]!;
      if (from.para - u.para > WINDOW || !u.speaker) return undefined;
      if (u.speaker !== a.speaker) b = u;
    }
  } else {
    const u = units[a.index + 1];
    if (u?.speaker && u.speaker !== a.speaker && u.para === from.para + 1) b = u;
  }
  if (!b || b.speaker === SOMEONE) return undefined;
  const pair = new Set([a.speaker, b.speaker]);
  let first = b.para;
  let last = from.para;
  if (dir === 1) {
    let j = line;
    while (j > 0 && units[j - 1]!.bare && units[j - 1]!.para === units[j]!.para - 1) j--;
    [first, last] = [Math.max(0, units[j]!.para - 1), b.para];
  }
  // (Whoever the intro of b's line names beside the one it is said to is no third speaker: `芙蓉看着她的背影，对博士说：`.)
  const intro = b.intros?.at(-1);
  const toldA = dir === -1 && intro !== undefined && addresseeIn(intro) === a.speaker;
  for (let p = first; p <= last; p++) if (!(toldA && p === b.para)) for (const id of mentions[p] ?? []) if (!pair.has(id)) return undefined;
  // The lines between the anchor and this one (this one too) call no one but the two.
  const [lo, hi] = dir === -1 ? [a.index + 1, line] : [line, a.index - 1];
  for (let j = lo; j <= hi; j++) for (const u of units[j]!.utts) for (const id of v.vocatives(u.text)) if (!pair.has(id)) return undefined;
  if (dir === -1 && pointsAtThird(v, from, pair)) return undefined;
  return b.speaker!;
}

/**
 * E: turn-taking. A bare line between two anchors takes the speaker strict alternation gives,
 * when the anchors agree with it: two different speakers an odd number of steps apart, or the
 * same speaker an even number apart with the partner known (only her and the Doctor about). With
 * one anchor only, it fills a few lines, alternating with the partner: the other one of the two
 * people about, or else the one the anchor was talking with (conversationPartner). Any
 * paragraph with narration or other evidence ends a run (anchors are searched across bare ones).
 */
export function fillTurns(v: SceneView, pairs: ReadonlyArray<Pair | undefined> = pairsByParagraph(v)): void {
  const { units } = v;
  const decided: Array<SpeakerId | null> = [];
  // Someone other than the two spoke before the run (from its root anchor on) and not in it: they may cut in again.
  const thirdSpoke = (i: number, root: number, a: SpeakerId, b: SpeakerId) => {
    const inRun = new Set(units.slice(root, i).map((u) => u.speaker));
    // (Not before a paragraph that starts afresh, `第二天一早，…`: they are not about since.)
    let from = 0;
    for (let j = root; j > 0 && !from; j--) for (let p = units[j - 1]!.para + 1; p <= units[j]!.para; p++) if (v.afresh?.[p]) from = j;
    return units.slice(from, root).some((u) => u.speaker && u.speaker !== SOMEONE && u.speaker !== a && u.speaker !== b && !inRun.has(u.speaker));
  };
  // How far the line is from the anchor of the run's own evidence (its root), read back through
  // the lines turn-taking filled.
  const rootOf = (a: Anchor) => {
    let j = a.index;
    while (j > 0 && units[j]!.utts[0]!.rule === 'turn-taking' && units[j - 1]!.para === units[j]!.para - 1) j--;
    return j;
  };
  // (A line sharing her honorific, address.ts sharesHonorific, that no one is known to have said.)
  const sharerUnknown = v.sharedHonorific && units.some((u) => !u.speaker && u.utts.some((x) => v.address.sharesHonorific(x.text)));
  units.forEach((unit, i) => {
    decided[i] = null;
    if (unit.speaker || !unit.bare) return;
    const back = anchorFrom(units, i, -1, MAX_BETWEEN);
    const fwd = anchorFrom(units, i, 1, MAX_BETWEEN);
    // (Counted through to the anchor whose speaker an even number of steps gives the line, else the nearer.)
    const from = back && fwd ? (back.dist % 2 === 0 ? back : fwd.dist % 2 === 0 ? fwd : back.dist <= fwd.dist ? back : fwd) : (back ?? fwd);
    const pair = pairThrough(units, pairs, i, from?.index);
    const partnerOf = (id: SpeakerId) => partnerIn(pair, id);
    let id: SpeakerId | undefined;
    // (An anchor ahead whose line opens after narration, `我接过箱子。…她小声说了句“…”`, may be the
    // same speaker going on after a beat: where it disagrees with the one before, the line before
    // is answered, one-sided.)
    const agree = back && fwd && (back.speaker !== fwd.speaker) === ((back.dist + fwd.dist) % 2 === 1);
    if (back && fwd && (agree || !opensAfterBeat(units[fwd.index]!))) {
      const span = back.dist + fwd.dist;
      if (!pair && span > MAX_SPAN_THIRD) {
        // (A third person about: no longer run between two anchors.)
      } else if (back.speaker !== fwd.speaker) {
        if (span % 2 === 1) id = back.dist % 2 === 0 ? back.speaker : fwd.speaker;
      } else if (span % 2 === 0) {
        // (The partner: the other one of the two about, else the one the anchor was talking with.)
        id = back.dist % 2 === 0 ? back.speaker : pair ? partnerOf(back.speaker) : conversationPartner(v, back, i, -1);
      }
    } else {
      const a = back ?? fwd;
      // (Back from an anchor ahead, further than the line it answers only where the two about are known.)
      if (a && a.dist <= (a === back || pair ? MAX_ONE_SIDED : MAX_ONE_SIDED_AHEAD)) {
        const partner = pair ? partnerOf(a.speaker) : conversationPartner(v, a, i, a === back ? -1 : 1);
        // (Someone else has spoken in the scene: no further than two lines from an anchor of the
        // line's own evidence, lines turn-taking filled counted as the bare lines they were.)
        const root = a === back ? rootOf(a) : i;
        const far = a === back ? a.dist + a.index - root : a.dist;
        if (partner && (far <= MAX_ONE_SIDED_THIRD || !thirdSpoke(i, root, a.speaker, partner))) id = a.dist % 2 === 0 ? a.speaker : partner;
      }
    }
    if (!id || (!pair && unknownCast(v, id)) || unit.utts.some((u) => v.vetoed(u, id))) return;
    // (A line right after one said to a group, `她转向学生们：`, is one of theirs: whoever of them, no one's here.)
    if (saidToGroup(units, i)) return;
    // (A line calling 前辈, her word alone here, in an exchange with the Doctor is hers, no one else's.)
    const withDoctor = back?.speaker === 'doctor' || fwd?.speaker === 'doctor';
    if (id !== 'persona' && withDoctor && !v.sharedHonorific && unit.utts.some((u) => SENPAI_CALLED_RE.test(u.text))) return;
    // (Where someone no one knows shares the honorific, a line calling 前辈 may be theirs: not hers by alternation alone.
    // A known character who shares it is followed by who is about.)
    if (id === 'persona' && sharerUnknown && unit.utts.some((u) => SENPAI_CALLED_RE.test(u.text))) return;
    // (A line between the anchor and this one whose words forbid the speaker alternation gives it breaks the run: cues.ts.)
    const a = back ?? fwd;
    if (a && runBroken(units, v.vetoed, a.index, i, a.speaker, id !== a.speaker ? id : partnerOf(a.speaker))) return;
    decided[i] = id;
  });
  // (Assigned after the pass, so a filled line never serves as an anchor for the next.)
  units.forEach((unit, i) => {
    const id = decided[i];
    if (id) assign(unit, id, 'turn-taking');
  });
}
