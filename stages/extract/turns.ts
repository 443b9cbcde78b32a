// The scene-level passes of attribution, after every paragraph has had its own evidence read:
// address (whom a line speaks to says who speaks, where only two people are about) and
// turn-taking (a run of bare quotes alternates between two speakers). Both only ever fill lines
// the paragraph pass left open, and both abstain at the first sign of a third person.
import type { AddressCheck } from './address.js';
import type { SpeakerId, Utterance } from './types.js';

/** One paragraph of speech, as the scene passes see it. */
export interface Unit {
  para: number;
  speaker: SpeakerId | null;
  /** Only quotes (and punctuation), with no evidence of its own. */
  bare: boolean;
  utts: Utterance[];
}

export interface SceneView {
  units: Unit[];
  /** Characters named, meant or heard in each paragraph (index = paragraph). */
  mentions: ReadonlyArray<ReadonlySet<SpeakerId> | undefined>;
  address: AddressCheck;
  vetoed: (u: Utterance, id: SpeakerId) => boolean;
  /** Someone other than her uses her honorific for the Doctor in this scene. */
  sharedHonorific: boolean;
}

/** How far (paragraphs) a scene pass looks around a line for who is about. */
const WINDOW = 6;
/** Longest stretch of bare lines turn-taking fills between two anchors. */
const MAX_BETWEEN = 12;
/** Longest reach from one anchor when there is only one (only her and the Doctor about). */
const MAX_ONE_SIDED = 6;

/**
 * For each paragraph, whether someone other than her and the Doctor is named there or speaks
 * there, as prefix sums: onlyPair is then O(1) per line. (The address pass only ever adds her
 * or the Doctor, so one computation serves both passes.)
 */
export function thirdPartyPrefix(v: SceneView): Int32Array {
  let last = v.mentions.length;
  for (const u of v.units) if (u.para + 1 > last) last = u.para + 1;
  const third = new Uint8Array(last);
  v.mentions.forEach((m, p) => {
    if (m) for (const id of m) if (id !== 'persona' && id !== 'doctor') third[p] = 1;
  });
  for (const u of v.units) if (u.speaker && u.speaker !== 'persona' && u.speaker !== 'doctor') third[u.para] = 1;
  const sum = new Int32Array(last + 1);
  for (let p = 0; p < last; p++) sum[p + 1] = sum[p]! + third[p]!;
  return sum;
}

/** Whether only her and the Doctor are named or speak within WINDOW paragraphs of `para`. */
function onlyPair(sum: Int32Array, para: number): boolean {
  const n = sum.length - 1;
  const a = Math.max(0, para - WINDOW);
  const b = Math.min(n, para + WINDOW + 1);
  return a >= b || sum[b]! - sum[a]! === 0;
}

const assign = (unit: Unit, id: SpeakerId, rule: string) => {
  unit.speaker = id;
  unit.bare = false;
  for (const u of unit.utts) {
    u.speaker = id;
    u.rule = rule;
  }
};

/**
 * V: where only her and the Doctor are about, a line that addresses one of them (前辈, 您, a
 * Doctor name or one of hers as a vocative) is the other's. Off for the honorific when someone
 * else in the scene uses it too.
 */
export function fillByAddress(v: SceneView, third: Int32Array = thirdPartyPrefix(v)): void {
  for (const unit of v.units) {
    if (unit.speaker || unit.utts.some((u) => u.rule?.endsWith('-veto') || u.rule?.endsWith('-unresolved'))) continue;
    if (!onlyPair(third, unit.para)) continue;
    const to = new Set<SpeakerId>();
    for (const u of unit.utts) {
      const a = v.address.addressee(u.text, !v.sharedHonorific);
      if (a) to.add(a);
    }
    if (to.size !== 1) continue;
    const id: SpeakerId = to.has('doctor') ? 'persona' : 'doctor';
    if (unit.utts.some((u) => v.vetoed(u, id))) continue;
    assign(unit, id, 'addressee');
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
    if (b.speaker) return { speaker: b.speaker, dist: dist + 1, index: j };
    if (!b.bare) return undefined;
  }
  return undefined;
}

/**
 * E: turn-taking. A bare line between two anchors takes the speaker strict alternation gives,
 * when the anchors agree with it: two different speakers an odd number of steps apart, or the
 * same speaker an even number apart with the partner known (only her and the Doctor about). With
 * one anchor only, it fills a few lines, and only where only her and the Doctor are about. Any
 * paragraph with narration or other evidence ends a run (anchors are searched across bare ones).
 */
export function fillTurns(v: SceneView, third: Int32Array = thirdPartyPrefix(v)): void {
  const { units } = v;
  const decided: Array<SpeakerId | null> = [];
  units.forEach((unit, i) => {
    decided[i] = null;
    if (unit.speaker || !unit.bare) return;
    const back = anchorFrom(units, i, -1, MAX_BETWEEN);
    const fwd = anchorFrom(units, i, 1, MAX_BETWEEN);
    const pair = onlyPair(third, unit.para);
    const partnerOf = (id: SpeakerId): SpeakerId | undefined => (!pair ? undefined : id === 'persona' ? 'doctor' : id === 'doctor' ? 'persona' : undefined);
    let id: SpeakerId | undefined;
    if (back && fwd) {
      const span = back.dist + fwd.dist;
      if (back.speaker !== fwd.speaker) {
        if (span % 2 === 1) id = back.dist % 2 === 0 ? back.speaker : fwd.speaker;
      } else if (span % 2 === 0) {
        id = back.dist % 2 === 0 ? back.speaker : partnerOf(back.speaker);
      }
    } else if (pair) {
      const a = back ?? fwd;
      if (a && a.dist <= MAX_ONE_SIDED) id = a.dist % 2 === 0 ? a.speaker : partnerOf(a.speaker);
    }
    if (!id || unit.utts.some((u) => v.vetoed(u, id))) return;
    decided[i] = id;
  });
  // (Assigned after the pass, so a filled line never serves as an anchor for the next.)
  units.forEach((unit, i) => {
    const id = decided[i];
    if (id) assign(unit, id, 'turn-taking');
  });
}
