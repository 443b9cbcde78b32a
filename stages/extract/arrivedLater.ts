// Lines a pronoun gave (attribute.ts): someone who comes in later in a scene was not in it before,
// so what a pronoun or a descriptive noun gave them before that is open again, and they are not about
// for the scene passes; and which such lines the model is asked about (attribution: model).
import type { NameIndex } from './names.js';
import type { Sentence } from './narration.js';
import type { Unit } from './presence.js';
import { SOMEONE, type SpeakerId, type Utterance } from './types.js';

/** The sentence refers to `id` only by a pronoun or a descriptive noun (`她回答`, `少女…小声问`), never by name. */
export function onlyByPronoun(from: Sentence, id: SpeakerId): boolean {
  for (const c of from.clauses)
    for (const r of c.refs) {
      if (r.id !== id || r.epithet) continue;
      const word = from.src.slice(c.start + r.index, c.start + r.index + (r.len ?? 1));
      if (word !== '她' && word !== '他') return false;
    }
  return true;
}

/**
 * Whether a line a pronoun gave `id` is one the model is asked about (Utterance.byPronoun,
 * extractFile.ts askModel): hers, where a woman the rules do not know may be meant; anyone's while
 * someone else that pronoun could mean is about.
 */
export function pronounMayMeanAnother(id: SpeakerId, present: ReadonlySet<SpeakerId>, names: NameIndex, narrator: SpeakerId | null): boolean {
  if (id === 'persona') return true;
  const p = names.pronounOf(id);
  for (const x of present) if (x !== id && x !== SOMEONE && x !== narrator && names.pronounOf(x) === p) return true;
  return false;
}

/** The paragraph's other lines that took that speaker from such a line, `“…”她想了想，“…”`, are no surer. */
export function spreadByPronoun(lines: readonly Utterance[]): void {
  const weak = lines.find((u) => u.byPronoun)?.speaker;
  if (weak) for (const u of lines) if (u.speaker === weak) u.byPronoun = true;
}

/**
 * Someone who comes in later in the scene (`塞雷娅端着茶走进来`, presence.ts arrivalIn), not named
 * before it but as an owner (`塞雷娅的实验室`), was not there before: a line a pronoun or a descriptive noun gave them before that (`那个女孩…` /
 * `“…”，她回答`) meant someone else, and is open again (the scene passes may fill it).
 */
export function reopenBeforeArrival(
  units: readonly Unit[],
  arrived: ReadonlyArray<SpeakerId | undefined>,
  byPronoun: ReadonlySet<Utterance>,
  mentions: Array<Set<SpeakerId> | undefined>,
  left: ReadonlyArray<SpeakerId | undefined>,
  namedAt: ReadonlyArray<ReadonlySet<SpeakerId> | undefined>,
): void {
  // (A line that took the paragraph's speaker from a line a pronoun gave is no surer than it.)
  const weak = new Set(byPronoun);
  for (const unit of units) if (unit.utts.some((u) => byPronoun.has(u))) for (const u of unit.utts) if (u.rule === 'paragraph') weak.add(u);
  const first = new Map<SpeakerId, number>();
  // (Not someone who left before, `…走了。`, nor one the narration named before, `博士坐在一旁`: they were there until then.
  // Named as an owner, `塞雷娅的实验室`, is no sign of being there.)
  arrived.forEach((id, pi) => id && !first.has(id) && !left.slice(0, pi).includes(id) && !namedAt.slice(0, pi).some((m) => m?.has(id)) && first.set(id, pi));
  // (Nor someone a name or a script line gave a line before that: they were there, or on the line, `回来了`.)
  for (const unit of units) for (const u of unit.utts) if (u.speaker && unit.para < (first.get(u.speaker) ?? -1) && !weak.has(u)) first.delete(u.speaker);
  if (!first.size) return;
  // (Nor about for the scene passes: named before they come in, `塞雷娅的实验室…`, they were not in it.)
  for (const [id, at] of first) for (let pi = 0; pi < at; pi++) mentions[pi]?.delete(id);
  for (const unit of units)
    for (const u of unit.utts) {
      const at = u.speaker ? first.get(u.speaker) : undefined;
      if (at === undefined || unit.para >= at || !weak.has(u)) continue;
      [u.speaker, u.rule] = [null, `${u.rule}-absent`];
      if (unit.speaker) unit.speaker = null;
    }
}

/** A name read in paragraph `para` (its end at `end`) names someone there, not an owner (`塞雷娅的实验室`): for reopenBeforeArrival. */
export function noteNamed(namedAt: Array<Set<SpeakerId> | undefined>, para: number, text: string, end: number, id: SpeakerId): void {
  if (text.charCodeAt(end) !== 0x7684) (namedAt[para] ??= new Set()).add(id);
}
