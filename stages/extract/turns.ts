// The scene-level passes of attribution, after every paragraph has had its own evidence read:
// address (whom a line speaks to says who speaks, where only two people are about) and
// turn-taking (a run of bare quotes alternates between two speakers). Both only ever fill lines
// the paragraph pass left open, and both abstain at the first sign of a third person.
import type { AddressCheck } from './address.js';
import { addresseeIn, runBroken } from './cues.js';
import type { Sentence } from './narration.js';
import type { SpeakerId, Utterance } from './types.js';

/** One paragraph of speech, as the scene passes see it. */
export interface Unit {
  para: number;
  speaker: SpeakerId | null;
  /** Only quotes (and punctuation), with no evidence of its own. */
  bare: boolean;
  utts: Utterance[];
  /**
   * The intro sentence of each quote, if it has one (whom it is said to: `对阿米娅说：`,
   * `又转向艾雅法拉，`, read when needed, cues.ts addresseeIn); whether each quote follows the
   * one before back to back (`“…”“…”`).
   */
  intros?: ReadonlyArray<Sentence | undefined>;
  adjacent?: readonly boolean[];
}

export interface SceneView {
  units: Unit[];
  /** Characters named, meant or heard in each paragraph (index = paragraph). */
  mentions: ReadonlyArray<ReadonlySet<SpeakerId> | undefined>;
  /** Who leaves at the end of each paragraph (`博士关上门走了。`): not about after it, unless seen again. */
  left?: ReadonlyArray<SpeakerId | undefined>;
  address: AddressCheck;
  vetoed: (u: Utterance, id: SpeakerId) => boolean;
  /** Someone other than her uses her honorific for the Doctor in this scene. */
  sharedHonorific: boolean;
  /** Someone the config does not know is about in this scene (names.ts isStranger). */
  strangers?: boolean;
  /** The characters a line calls by name (address.ts vocativesIn). */
  vocatives: (text: string) => ReadonlySet<SpeakerId>;
  /** The characters a line names at all (by a name, not a pronoun). */
  named: (text: string) => ReadonlySet<SpeakerId>;
}

/** How far (paragraphs) back a scene pass looks from a line for who is about (4: a character gone for longer has left). */
const WINDOW = 4;
/** How far (paragraphs) ahead of a line a scene pass looks for who is about: someone who comes in later was not there yet. */
const AHEAD = 2;
/** Longest stretch of bare lines turn-taking fills between two anchors. */
const MAX_BETWEEN = 12;
/** Longest reach from one anchor when there is only one (only her and the Doctor about). */
const MAX_ONE_SIDED = 6;
/**
 * Longest reach back from an anchor with no other one before it: the line right before it (which
 * it answers). Further back, who spoke before the anchor's line is a guess (measured on gold2/tune).
 */
const MAX_ONE_SIDED_AHEAD = 1;

/** The two people a scene pass lets a line be shared between, or none. */
export type Pair = readonly [SpeakerId, SpeakerId];

/** Stands for a character named only by a descriptive noun (attribute.ts): always a third person. */
const SOMEONE: SpeakerId = 'other:?';
const HER_AND_DOCTOR: Pair = ['persona', 'doctor'];

/**
 * For each paragraph with a line still open (the only ones a scene pass reads: they never unset a
 * speaker), the two people about within WINDOW paragraphs (named in narration or speaking), or
 * undefined when a third one is, or someone unnamed. Nobody but her and the Doctor named: those
 * two. Her (or the Doctor) and one other character: those two. One other character alone:
 * undefined (her or the Doctor may be the unnamed partner).
 */
export function pairsByParagraph(v: SceneView): Array<Pair | undefined> {
  let last = v.mentions.length;
  for (const u of v.units) if (u.para + 1 > last) last = u.para + 1;
  // Who speaks in each paragraph (read after who is named in it).
  const speakers: Array<SpeakerId[] | undefined> = new Array<SpeakerId[] | undefined>(last);
  for (const u of v.units) if (u.speaker) (speakers[u.para] ??= []).push(u.speaker);
  const out: Array<Pair | undefined> = new Array<Pair | undefined>(last);
  // The people about around a paragraph, in the order first met (a plain list: it never holds more than a few).
  let seen: SpeakerId[] = [];
  const see = (id: SpeakerId) => {
    if (!seen.includes(id)) seen.push(id);
  };
  // (Whether the Doctor has been about in the scene by each paragraph, and whether anyone else has:
  // with others about and no sign of him yet, a line is not his by default: doctorAbsent.)
  const absent = doctorAbsent(v, speakers, last);
  const anyLeft = v.left?.some((x) => x !== undefined) === true;
  for (const unit of v.units) {
    if (unit.speaker) continue;
    const p = unit.para;
    seen = [];
    // (The partner of a pair that is not her and the Doctor must be there already: seen by `p`.)
    let before = 0;
    for (let q = Math.max(0, p - WINDOW); q < Math.min(last, p + AHEAD + 1) && (seen.length <= 2 || anyLeft); q++) {
      const m = v.mentions[q];
      if (m) for (const id of m) see(id);
      const s = speakers[q];
      if (s) for (const id of s) see(id);
      const gone = q < p ? v.left?.[q] : undefined;
      if (gone) seen = seen.filter((id) => id !== gone);
      if (q === p) before = seen.length;
    }
    if (seen.length > 2 || seen.includes(SOMEONE)) continue;
    const others = seen.filter((id) => id !== 'persona' && id !== 'doctor');
    if (others.length === 0) {
      if (!absent(p)) out[p] = HER_AND_DOCTOR;
    } else if (seen.length === 2 && before === 2) out[p] = [seen[0]!, seen[1]!];
  }
  return out;
}

/** For each paragraph: someone but her and the Doctor was about earlier in the scene, and he not by AHEAD after it. */
function doctorAbsent(v: SceneView, speakers: ReadonlyArray<readonly SpeakerId[] | undefined>, last: number): (p: number) => boolean {
  let doctorBy = Infinity;
  let otherBy = Infinity;
  const note = (id: SpeakerId, q: number) => {
    if (id === 'doctor') doctorBy = Math.min(doctorBy, q);
    else if (id !== 'persona') otherBy = Math.min(otherBy, q);
  };
  for (let q = 0; q < last && (doctorBy === Infinity || otherBy === Infinity); q++) {
    for (const id of v.mentions[q] ?? []) note(id, q);
    for (const id of speakers[q] ?? []) note(id, q);
  }
  return (p) => otherBy < p && doctorBy > p + AHEAD;
}

/** The other one of `pair`, when `id` is one of them. */
const partnerIn = (pair: Pair | undefined, id: SpeakerId): SpeakerId | undefined =>
  !pair ? undefined : pair[0] === id ? pair[1] : pair[1] === id ? pair[0] : undefined;

const assign = (unit: Unit, id: SpeakerId, rule: string) => {
  unit.speaker = id;
  unit.bare = false;
  for (const u of unit.utts) {
    u.speaker = id;
    u.rule = rule;
  }
};

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

const SENPAI_VOCATIVE_RE = /(?:^|[，,。！!？?…～~—\s])前辈(?=[，,！!？?…～~。]|$)/;
/** 前辈 ending a phrase (`谢谢前辈。`, `……，前辈。`) or opening the line (`前辈，…`): said to him, not about him. */
const SENPAI_CALLED_RE = /(?:^前辈(?=[，,！!？?…～~。—]|$))|前辈(?=[，,！!？?…～~。]|$)/;

/**
 * H: her habitual way of addressing the Doctor, as evidence of who speaks wherever anyone else is
 * about: a line that calls someone 前辈 is hers, in a file where no one else uses the honorific
 * (no line of another character holds it and no line calls her by it), in a scene where no one
 * the config does not know is about (a junior of the story's own may use it too). Never against
 * the line's own words (a line calling her by name is not hers).
 */
export function fillByHonorific(v: SceneView): boolean {
  if (v.strangers) return false;
  const open = (u: Utterance) => !u.speaker && !u.rule?.endsWith('-veto') && !v.vetoed(u, 'persona');
  let filled = false;
  for (const unit of v.units) {
    if (unit.speaker) continue;
    if (unit.utts.every((u) => open(u) && !u.rule?.endsWith('-unresolved'))) {
      if (unit.utts.some((u) => SENPAI_CALLED_RE.test(u.text))) {
        assign(unit, 'persona', 'honorific');
        filled = true;
      }
      continue;
    }
    // (A paragraph with lines of several people, or a tag that said someone: line by line.)
    for (const u of unit.utts) if (open(u) && SENPAI_CALLED_RE.test(u.text)) [u.speaker, u.rule, filled] = ['persona', 'honorific', true];
  }
  return filled;
}

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
    if (unit.speaker || !unit.bare || !prev.speaker || unit.para - prev.para !== 1) continue;
    const last = prev.utts.at(-1)!;
    const to = new Set<SpeakerId>(v.vocatives(last.text));
    const intro = prev.intros?.at(-1);
    const told = intro && addresseeIn(intro);
    if (told) to.add(told);
    // (前辈 only as a vocative: `我交给前辈的报告` talks about him, not to him.)
    if (SENPAI_VOCATIVE_RE.test(last.text)) {
      // Where others use it too, 前辈 is whichever of her and the Doctor the line does not talk about.
      const named = v.sharedHonorific ? v.named(last.text) : undefined;
      if (!named) to.add('doctor');
      else if (named.has('doctor') !== named.has('persona') && !v.vocatives(last.text).has(named.has('doctor') ? 'doctor' : 'persona'))
        to.add(named.has('doctor') ? 'persona' : 'doctor');
    }
    to.delete(prev.speaker);
    if (to.size !== 1) continue;
    const id = to.values().next().value!;
    if (id === 'other:?' || unit.utts.some((u) => v.vetoed(u, id) || v.vocatives(u.text).has(id))) continue;
    assign(unit, id, 'reply');
  }
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
      if (u.speaker || u.rule || !adjacent[i] || !prev.speaker) continue;
      const to = new Set<SpeakerId>(v.vocatives(prev.text));
      const intro = intros[i - 1];
      const t = intro && addresseeIn(intro);
      if (t) to.add(t);
      if (prev.speaker === 'persona' && SENPAI_VOCATIVE_RE.test(prev.text)) to.add('doctor');
      to.delete(prev.speaker);
      let id: SpeakerId | undefined = to.size === 1 ? to.values().next().value : undefined;
      const before = utts[i - 2];
      if (!id && before?.speaker && adjacent[i - 1] && before.speaker !== prev.speaker) id = before.speaker;
      if (!id || id === SOMEONE || v.vetoed(u, id) || v.vocatives(u.text).has(id)) continue;
      [u.speaker, u.rule] = [id, 'back-to-back'];
    }
  }
}

/** The scene passes, in order: each fills only what the ones before left open. */
export function fillScene(v: SceneView): void {
  // (Nothing left open: no pass has anything to fill.)
  if (!v.units.some((u) => u.speaker === null)) return;
  const pairs = pairsByParagraph(v);
  fillByAddress(v, pairs);
  fillByReply(v);
  fillBackToBack(v);
  fillTurns(v, pairs);
  // Once more, with who is about read again from the lines just filled (anchors included).
  if (v.units.some((u) => u.speaker === null)) fillTurns(v, pairsByParagraph(v));
}

/**
 * The scene passes of a file where no line so far gives 前辈 to anyone but her: first without the
 * honorific as evidence; then, if no line they gave someone else uses it either, with it
 * (fillByHonorific), and the passes that build on the lines it filled once more.
 */
export function fillFile(views: readonly SceneView[], utts: readonly Utterance[]): void {
  for (const v of views) fillScene(v);
  const open = (u: Utterance) => u.speaker === null && u.kind === 'speech' && u.text.includes('前辈') && SENPAI_CALLED_RE.test(u.text);
  if (!utts.some(open) || utts.some((u) => u.speaker && u.speaker !== 'persona' && u.text.includes('前辈'))) return;
  for (const v of views) {
    if (!fillByHonorific(v)) continue;
    fillByReply(v);
    fillBackToBack(v);
    fillTurns(v, pairsByParagraph(v));
  }
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
  units.forEach((unit, i) => {
    decided[i] = null;
    if (unit.speaker || !unit.bare) return;
    const back = anchorFrom(units, i, -1, MAX_BETWEEN);
    const fwd = anchorFrom(units, i, 1, MAX_BETWEEN);
    const pair = pairs[unit.para];
    const partnerOf = (id: SpeakerId) => partnerIn(pair, id);
    let id: SpeakerId | undefined;
    if (back && fwd) {
      const span = back.dist + fwd.dist;
      if (back.speaker !== fwd.speaker) {
        if (span % 2 === 1) id = back.dist % 2 === 0 ? back.speaker : fwd.speaker;
      } else if (span % 2 === 0) {
        id = back.dist % 2 === 0 ? back.speaker : partnerOf(back.speaker);
      }
    } else {
      const a = back ?? fwd;
      if (a && a.dist <= (a === back ? MAX_ONE_SIDED : MAX_ONE_SIDED_AHEAD)) {
        const partner = pair ? partnerOf(a.speaker) : conversationPartner(v, a, i, a === back ? -1 : 1);
        if (partner) id = a.dist % 2 === 0 ? a.speaker : partner;
      }
    }
    if (!id || unit.utts.some((u) => v.vetoed(u, id))) return;
    // (A line calling 前辈, her word alone here, in an exchange with the Doctor is hers, no one else's.)
    const withDoctor = back?.speaker === 'doctor' || fwd?.speaker === 'doctor';
    if (id !== 'persona' && withDoctor && !v.sharedHonorific && unit.utts.some((u) => SENPAI_CALLED_RE.test(u.text))) return;
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
