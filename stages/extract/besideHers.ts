// The open lines beside a line of hers: a new paragraph of speech is a new speaker, so they are
// someone else's, though who is not known (Utterance.notHer; samples.ts keeps what she answers).
import { opensAfterBeat, type SceneView } from './presence.js';
import type { Utterance } from './types.js';

/**
 * The scene passes that give a line from who is about (two people only, or three): where that
 * reading is wrong, a line they gave her says nothing sure of the lines beside it.
 */
const FROM_WHO_IS_ABOUT = new Set(['addressee', 'turn-taking', 'elimination', 'asked']);

/**
 * T: an open line in the paragraph right before or right after a line of hers is someone else's
 * (a new paragraph of speech is a new speaker). Not before her line where it opens after narration
 * of its own (an intro or an action beat: she may be going on); not after it unless the open
 * paragraph is only quotes; never beside a line of hers only read from who is about
 * (FROM_WHO_IS_ABOUT). Its speaker stays open; it is marked as not hers (Utterance.notHer), so
 * the conversation goes on through it and what she answers it with is kept (samples.ts).
 */
export function markBesideHers(v: SceneView): void {
  const { units } = v;
  const sure = (u: Utterance) => u.speaker === 'persona' && !FROM_WHO_IS_ABOUT.has(u.rule ?? '');
  for (let i = 0; i + 1 < units.length; i++) {
    const unit = units[i]!;
    const next = units[i + 1]!;
    if (next.para !== unit.para + 1) continue;
    const last = unit.utts.at(-1)!;
    const first = next.utts[0]!;
    if (last.speaker === null && sure(first) && (!opensAfterBeat(next) || unit.bare)) last.notHer = true;
    if (first.speaker === null && next.bare && sure(last)) first.notHer = true;
  }
}
