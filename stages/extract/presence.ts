// Who is about in a scene, as the scene passes (turns.ts) see it: the paragraphs of speech
// (units), the people named, meant or heard in each paragraph, and for each paragraph with a line
// still open the two people a line may be shared between (pairsByParagraph), or none when a third
// is about.
import type { AddressCheck } from './address.js';
import type { NameIndex } from './names.js';
import { subjectOf, type Sentence } from './narration.js';
import { spokenOf } from './castGuards.js';
import { SOMEONE, type SpeakerId, type Utterance } from './types.js';

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
  /** The complete narration sentence right before each quote, if any (a beat: turns.ts fillBackToBack reads whom it acts on). */
  beats?: ReadonlyArray<Sentence | undefined>;
  /** A bare question right after narration about this character alone: asked of them (turns.ts fillByQuestion). */
  askedOf?: SpeakerId;
  /** A bare line right after a beat of this character's that the other one answers (narrationOnly.ts answersBeat; turns.ts fillByQuestion). */
  answers?: SpeakerId;
  /** A bare line the narration right after says answered this character (`博士没有再问。`: narrationOnly.ts stopsAsking): the other one's. */
  answered?: SpeakerId;
}

export interface SceneView {
  units: Unit[];
  /** Characters named, meant or heard in each paragraph (index = paragraph). */
  mentions: ReadonlyArray<ReadonlySet<SpeakerId> | undefined>;
  /** Who leaves at the end of each paragraph (`博士关上门走了。`): not about after it, unless seen again. */
  left?: ReadonlyArray<SpeakerId | undefined>;
  /** Who comes in in each paragraph (`博士推门走进来。`): not about before it. */
  arrived?: ReadonlyArray<SpeakerId | undefined>;
  /** Paragraphs that start afresh (a time skip, `只剩两个人`): who spoke before them may not cut in after (narrationOnly.ts startsAfresh). */
  afresh?: readonly boolean[];
  address: AddressCheck;
  vetoed: (u: Utterance, id: SpeakerId) => boolean;
  /**
   * What `vetoed` adds to the line's own words: the file's habit (address.ts habitualAddressVeto)
   * and, once the scene passes start, strangers' calls (set by turns.ts fillScene). Flags read by one
   * function per scene, never a new function put in its place: a fresh closure assigned to
   * `vetoed` per scene made the whole extractor half as fast (V8).
   */
  habit: ((u: Utterance, id: SpeakerId) => boolean) | undefined;
  strangerVeto: boolean;
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
export const WINDOW = 4;
/** How far (paragraphs) ahead of a line a scene pass looks for who is about: someone who comes in later was not there yet. */
const AHEAD = 2;
/** The two people a scene pass lets a line be shared between, or none. */
export type Pair = readonly [SpeakerId, SpeakerId];

export { SOMEONE };
export const HER_AND_DOCTOR: Pair = ['persona', 'doctor'];

/**
 * For each paragraph with a line still open (the only ones a scene pass reads: they never unset a
 * speaker), the two people about within WINDOW paragraphs (named in narration or speaking), or
 * undefined when a third one is, or someone unnamed. Nobody but her and the Doctor named: those
 * two. Her (or the Doctor) and one other character: those two. One other character alone:
 * undefined (her or the Doctor may be the unnamed partner).
 */
export function pairsByParagraph(v: SceneView): Array<Pair | undefined> {
  const around = aboutAround(v, 2);
  const out: Array<Pair | undefined> = new Array<Pair | undefined>(around.last);
  // (Whether the Doctor has been about in the scene by each paragraph, and whether anyone else has:
  // with others about and no sign of him yet, a line is not his by default: doctorAbsent.)
  const absent = doctorAbsent(v, around.speakers, around.last);
  const herBy = herFirstAbout(v, around.speakers, around.last);
  for (const unit of v.units) {
    if (unit.speaker) continue;
    const p = unit.para;
    // (The partner of a pair that is not her and the Doctor must be there already: `before`.)
    const { all: seen, before } = around.at(p);
    if (seen.length > 2 || seen.includes(SOMEONE)) continue;
    const others = seen.filter((id) => id !== 'persona' && id !== 'doctor');
    if (others.length === 0) {
      if (!absent(p) && !spokenOfThere(v, p, HER_AND_DOCTOR)) out[p] = HER_AND_DOCTOR;
    } else if (seen.length === 2 && before.length === 2 && (others.length < 2 || herBy > p)) out[p] = [seen[0]!, seen[1]!];
  }
  return out;
}

/** Who is about around a paragraph: everyone within WINDOW before and AHEAD after, and those of them already about by it. */
export interface About {
  all: SpeakerId[];
  before: SpeakerId[];
}

/**
 * The people about around each paragraph (named in narration or speaking, within WINDOW before and
 * AHEAD after, in the order first met; someone who leaves is gone after it, someone who comes in
 * is not about before it). The scan of a paragraph stops once more than `most` are about (no one
 * leaves in the scene), as callers only tell apart up to that many.
 */
export function aboutAround(v: SceneView, most: number) {
  let last = v.mentions.length;
  for (const u of v.units) if (u.para + 1 > last) last = u.para + 1;
  // Who speaks in each paragraph (read after who is named in it).
  const speakers: Array<SpeakerId[] | undefined> = new Array<SpeakerId[] | undefined>(last);
  for (const u of v.units) if (u.speaker) (speakers[u.para] ??= []).push(u.speaker);
  const anyLeft = v.left?.some((x) => x !== undefined) === true;
  const voices = voicesIn(v);
  const at = (p: number): About => {
    // (A plain list: it never holds more than a few.)
    let seen: SpeakerId[] = [];
    let before: SpeakerId[] = [];
    const see = (id: SpeakerId) => {
      if (!seen.includes(id)) seen.push(id);
    };
    for (let q = Math.max(0, p - WINDOW); q < Math.min(last, p + AHEAD + 1) && (seen.length <= most || anyLeft); q++) {
      const m = v.mentions[q];
      // (Someone who comes in later, `博士推门走进来`, is not about yet.)
      if (m) for (const id of m) if (q <= p || v.arrived?.[q] !== id) see(id);
      const s = speakers[q];
      if (s) for (const id of s) see(id);
      if (voices.has(q)) see(SOMEONE);
      const gone = q < p ? v.left?.[q] : undefined;
      if (gone) seen = seen.filter((id) => id !== gone);
      if (q === p) before = [...seen];
    }
    return { all: seen, before };
  };
  return { last, speakers, at };
}

/**
 * The paragraphs with a line no one is known to have said that calls someone as the Doctor would
 * not (callsLikeAStranger): someone unnamed is about there.
 */
function voicesIn(v: SceneView): Set<number> {
  const voices = new Set<number>();
  for (const u of v.units) if (!u.speaker && u.utts.some((x) => callsLikeAStranger(v, x.text))) voices.add(u.para);
  return voices;
}

/**
 * A vocative the Doctor does not use for her: a child's 姐姐, a vendor's 姑娘 / 小姑娘, a clerk's
 * 小姐 / 这位小姐, a student's 老师 (bare, as a call: at the line's start or after a pause, or
 * after 谢谢, before a pause or the end).
 */
const STRANGERS_CALL_RE = /(?:^|[，,。！!？?…～~—\s]|谢谢|这位|你这个?)(?:小?姐姐|小?姑娘|小?丫头|小姐|老师)(?=[，,！!？?…～~。—]|$)/;
const doctorCallsSo = new WeakMap<SceneView, boolean>();

/**
 * The line calls someone by a word (STRANGERS_CALL_RE) that no line of the Doctor's in the scene
 * uses: it is someone else's, and whoever says it is about. Read once per scene, from the lines
 * the paragraph pass gave him.
 */
export function callsLikeAStranger(v: SceneView, text: string): boolean {
  // (Each of its words holds 姐, 姑娘, 丫头 or 老师: looked for first, most lines hold none.)
  if (!(text.includes('姐') || text.includes('姑娘') || text.includes('丫头') || text.includes('老师')) || !STRANGERS_CALL_RE.test(text)) return false;
  let his = doctorCallsSo.get(v);
  if (his === undefined) {
    his = v.units.some((u) => u.speaker === 'doctor' && u.utts.some((x) => x.speaker === 'doctor' && STRANGERS_CALL_RE.test(x.text)));
    doctorCallsSo.set(v, his);
  }
  return !his;
}

/**
 * The scene passes' `vetoed`: the line's own words (`own`), the file's habit, and once the scene
 * passes start (SceneView.strangerVeto), strangers' calls — a line calling someone as a stranger
 * does (callsLikeAStranger) is not the Doctor's, nor hers (it is said to her: turns.ts fillByReply).
 */
export function sceneVeto(v: Pick<SceneView, 'habit' | 'strangerVeto'>, own: (u: Utterance, id: SpeakerId) => boolean) {
  return (u: Utterance, id: SpeakerId): boolean =>
    own(u, id) ||
    (v.habit !== undefined && v.habit(u, id)) ||
    (v.strangerVeto && (id === 'doctor' || id === 'persona') && callsLikeAStranger(v as SceneView, u.text));
}

/**
 * The first paragraph of the scene in which she is about (named, meant or speaking), Infinity:
 * never. Once she has been about, two other characters are not the only ones there: she is the
 * one the story follows (pairsByParagraph).
 */
function herFirstAbout(v: SceneView, speakers: ReadonlyArray<readonly SpeakerId[] | undefined>, last: number): number {
  for (let q = 0; q < last; q++) if (v.mentions[q]?.has('persona') || speakers[q]?.includes('persona')) return q;
  return Infinity;
}

/** For each paragraph: someone but her and the Doctor was about earlier in the scene, and he not by AHEAD after it; or he comes in later. */
function doctorAbsent(v: SceneView, speakers: ReadonlyArray<readonly SpeakerId[] | undefined>, last: number): (p: number) => boolean {
  let doctorBy = Infinity;
  let otherBy = Infinity;
  const note = (id: SpeakerId, q: number) => {
    if (id === 'doctor') doctorBy = Math.min(doctorBy, q);
    else if (id !== 'persona') otherBy = Math.min(otherBy, q);
  };
  for (let q = 0; q < last && (doctorBy === Infinity || otherBy === Infinity); q++) {
    const m = v.mentions[q];
    if (m) for (const id of m) note(id, q);
    const s = speakers[q];
    if (s) for (const id of s) note(id, q);
  }
  // (Nor before he comes in, where his first sign in the scene is his arrival.)
  const arrives = doctorBy < last && v.arrived?.[doctorBy] === 'doctor';
  return (p) => (otherBy < p && doctorBy > p + AHEAD) || (arrives && doctorBy > p);
}

/** `id` comes in after paragraph `p` (presence.ts arrivalIn), with no sign of them in the scene before: not about at `p`. */
export function arrivesAfter(v: SceneView, id: SpeakerId, p: number): boolean {
  const q = v.arrived?.findIndex((x, i) => i > p && x === id) ?? -1;
  if (q < 0) return false;
  for (let r = 0; r < q; r++) if (v.mentions[r]?.has(id)) return false;
  return !v.units.some((u) => u.para < q && u.speaker === id);
}

/** A paragraph whose first line comes after narration of its own (an intro or an action beat). */
export const opensAfterBeat = (u: Unit) => u.utts[0]!.rule === 'intro' || u.utts[0]!.rule === 'beat-before';

/** The other one of `pair`, when `id` is one of them. */
export const partnerIn = (pair: Pair | undefined, id: SpeakerId): SpeakerId | undefined =>
  !pair ? undefined : pair[0] === id ? pair[1] : pair[1] === id ? pair[0] : undefined;

export const assign = (unit: Unit, id: SpeakerId, rule: string) => {
  unit.speaker = id;
  unit.bare = false;
  for (const u of unit.utts) {
    u.speaker = id;
    u.rule = rule;
  }
};

/** A clause saying its subject comes in (`推门走进来`, `跑了进来`, `赶到了`). */
const ARRIVES_RE = /(?:走了?进来|推门进来|推开门进来|跑了?进来|闯了?进来|钻了?进来|挤了?进来|冲了?进来|进来了|赶了?过来|赶到了?|回来了)/;

/**
 * The character a paragraph's narration says comes in (the subject of an arrival clause, or of
 * the clause before it in its sentence: `博士收起伞，走进来`): not about before this paragraph.
 */
export function arrivalIn(narr: ReadonlyArray<readonly Sentence[] | undefined>): SpeakerId | undefined {
  for (const ss of narr)
    if (ss)
      for (const s of ss) {
        // (One test of the sentence first: most hold no arrival.)
        if (!ARRIVES_RE.test(s.src.slice(s.start, s.end))) continue;
        for (let i = 0; i < s.clauses.length; i++) {
          const c = s.clauses[i]!;
          if (!ARRIVES_RE.test(c.src.slice(c.start, c.end))) continue;
          for (let j = i; j >= 0; j--) {
            const subj = subjectOf(s.clauses[j]!);
            if (subj) return subj.id ?? undefined;
          }
        }
      }
  return undefined;
}

/**
 * The pair about at line `i`, where every open line between it and the anchor its alternation is
 * counted from (`from`, a unit index) has that same pair, else none: a line of the stretch with a
 * third person about (`“要两条。”“得嘞！”“我也要！”` at a crowded stall) breaks the two-person
 * exchange there, and the alternation is not counted across it.
 */
export function pairThrough(units: readonly Unit[], pairs: ReadonlyArray<Pair | undefined>, i: number, from: number | undefined): Pair | undefined {
  const pair = pairs[units[i]!.para];
  if (!pair || from === undefined) return pair;
  const [lo, hi] = from < i ? [from + 1, i - 1] : [i + 1, from - 1];
  for (let j = lo; j <= hi; j++) {
    if (units[j]!.speaker) continue;
    const q = pairs[units[j]!.para];
    if (!q || !q.includes(pair[0]) || !q.includes(pair[1])) return undefined;
  }
  return pair;
}

/**
 * A door closing behind someone (`门在她身后合上了`, `房门在博士身后轻轻关上`), or someone's steps
 * going away (`他的脚步声渐渐远了`): they have left, though no verb says they went.
 */
const DOOR_BEHIND_RE = /门在(.{1,6}?)身后(?:被)?(?:轻轻|慢慢|缓缓|悄悄|砰地一声|砰的一声)?地?(?:合上|关上|带上|阖上|掩上|关了)/g;
const STEPS_AWAY_RE = /(.{1,6}?)的脚步声(?:渐渐|慢慢|越来越|很快就?)?(?:远了|远去|走远|消失|听不见)/g;

/**
 * The character a paragraph's narration says has left without a verb of leaving: the one the door
 * closes behind, or whose steps go away (DOOR_BEHIND_RE, STEPS_AWAY_RE), named or meant by a
 * pronoun there. Not about after this paragraph (SceneView.left). None when it names no one
 * (`门在身后合上了`: behind whom is not said).
 */
export function departureIn(narr: ReadonlyArray<readonly Sentence[] | undefined>): SpeakerId | undefined {
  for (const ss of narr) {
    // (One look at the segment's text first: most have neither word, and every sentence of it shares it.)
    const src = ss?.[0]?.src;
    if (!src || (!src.includes('身后') && !src.includes('脚步声'))) continue;
    for (const s of ss) {
      const text = s.src.slice(s.start, s.end);
      if (!text.includes('身后') && !text.includes('脚步声')) continue;
      for (const re of [DOOR_BEHIND_RE, STEPS_AWAY_RE]) {
        re.lastIndex = 0;
        for (let m = re.exec(text); m; m = re.exec(text)) {
          const from = s.start + m.index + m[0].indexOf(m[1]!);
          const to = from + m[1]!.length;
          // (The one named or meant right before 身后 / 的脚步声, ending where it ends.)
          for (const c of s.clauses)
            for (const r of c.refs) {
              const at = c.start + r.index;
              if (r.id && r.id !== SOMEONE && at >= from && at + (r.len ?? 1) === to) return r.id;
            }
        }
      }
    }
  }
  return undefined;
}

/**
 * Who 她 / 他 means once `gone` has left (`salient`, the pronoun's candidates, edited in place):
 * not them; and where that leaves no one, the one other character of that pronoun in the scene
 * (`present`), if there is exactly one (`门在她身后合上了。她把布叠起来` — the one still there).
 */
export function leaveSalience(salient: Set<SpeakerId>, gone: SpeakerId, present: ReadonlySet<SpeakerId>, names: Pick<NameIndex, 'pronounOf'>): void {
  salient.delete(gone);
  if (salient.size) return;
  const p = names.pronounOf(gone);
  const rest = [...present].filter((id) => id !== gone && id !== SOMEONE && names.pronounOf(id) === p);
  if (rest.length === 1) salient.add(rest[0]!);
}

/**
 * `id` was about earlier in the scene (named, meant or speaking before paragraph `para`) and is not
 * said to have left since: still there, though out of the window (someoneElseEarlier, the other way).
 */
export function inSceneBefore(v: SceneView, para: number, id: SpeakerId): boolean {
  let last = -1;
  for (let q = 0; q < para; q++) if (v.mentions[q]?.has(id)) last = q;
  for (const u of v.units) if (u.para < para && u.speaker === id && u.para > last) last = u.para;
  if (last < 0) return false;
  for (let q = last; q < para; q++) if (v.left?.[q] === id) return false;
  return true;
}

/**
 * The line right before paragraph `p` speaks of someone still in the scene before them (named, not
 * as a call, and meant by 她 / 他 too: `“你先送阿芦回去吧，她的鞋湿了。”`): they may answer it, so
 * the line at `p` is not shared between two others alone (pairsByParagraph).
 */
function spokenOfThere(v: SceneView, p: number, pair: Pair): boolean {
  const prev = v.units.find((u) => u.para === p - 1);
  if (!prev) return false;
  return prev.utts.some((x) => spokenOf(v, x.text).some((id) => !pair.includes(id) && id !== prev.speaker && inSceneBefore(v, p, id)));
}
