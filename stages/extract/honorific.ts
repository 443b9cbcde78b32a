// Her honorific for the Doctor (前辈) as evidence of who speaks, file-wide: a line using it is hers
// where no one else in the file uses it. Tried only after the scene passes (turns.ts) have filled
// what they can without it, and only where none of the lines they decided gives 前辈 to someone else.
import type { NameIndex } from './names.js';
import { assign, pairsByParagraph, type SceneView, type Unit } from './presence.js';
import { markBesideHers } from './besideHers.js';
import { fillBackToBack, fillByReply, fillScene, fillTurns, SENPAI_VOCATIVE_RE } from './turns.js';
import type { AddressCheck } from './address.js';
import type { Utterance } from './types.js';

/**
 * 前辈 in a line at all (`谢谢前辈。`, `以为前辈这么早来…`): where no one else uses it, her word —
 * whether said to him or of him. Not as a quoted word (‘前辈’) nor 前辈们.
 */
const SENPAI_USED_RE = /(?<!‘)前辈(?![’们])/;

/**
 * H: her habitual way of addressing the Doctor, as evidence of who speaks wherever anyone else is
 * about: a line that uses 前辈 (to him or of him) is hers, in a file where no one else uses the honorific
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
      if (unit.utts.some((u) => SENPAI_USED_RE.test(u.text))) {
        assign(unit, 'persona', 'honorific');
        filled = true;
      }
      continue;
    }
    // (A paragraph with lines of several people, or a tag that said someone: line by line.)
    for (const u of unit.utts) if (open(u) && SENPAI_USED_RE.test(u.text)) [u.speaker, u.rule, filled] = ['persona', 'honorific', true];
  }
  return filled;
}

/**
 * The scene passes of a file where no line so far gives 前辈 to anyone but her: first without the
 * honorific as evidence; then, if no line they gave someone else uses it either, with it
 * (fillByHonorific), and the passes that build on the lines it filled once more.
 */
export function fillFile(views: readonly SceneView[], utts: readonly Utterance[]): void {
  for (const v of views) fillScene(v);
  const open = (u: Utterance) => u.speaker === null && u.kind === 'speech' && u.text.includes('前辈') && SENPAI_USED_RE.test(u.text);
  if (!utts.some(open) || utts.some((u) => u.speaker && u.speaker !== 'persona' && u.text.includes('前辈'))) return;
  for (const v of views) {
    if (!fillByHonorific(v)) continue;
    fillByReply(v);
    fillBackToBack(v);
    fillTurns(v, pairsByParagraph(v));
    markBesideHers(v);
  }
}

/**
 * A line calling 前辈 (her word for the Doctor) that another woman got only from a 她 or a
 * descriptive noun salience bound to her (`少女…小声问：“……前辈，您也还没睡吗？”` with two young
 * women about): her habit is surer evidence than salience, so the line is open again (rule
 * `…-salience`) for the scene passes and fillByHonorific. Not where a line calls her by it
 * (艾雅法拉前辈), nor where anyone the config does not know has a line (a junior of the story's own).
 */
export function reopenCalledByPronoun(units: readonly Unit[], byPronoun: ReadonlySet<Utterance>, names: NameIndex, address: AddressCheck): void {
  // (The lines to open, found first: most scenes have none, and the scene-wide check is the dearer one.)
  const reopen: Array<[Unit, Utterance]> = [];
  for (const unit of units)
    for (const u of unit.utts) {
      const id = u.speaker;
      if (id && id !== 'persona' && id !== 'doctor' && byPronoun.has(u) && names.pronounOf(id) === '她' && SENPAI_VOCATIVE_RE.test(u.text))
        reopen.push([unit, u]);
    }
  if (!reopen.length) return;
  if (units.some((unit) => unit.utts.some((u) => address.sharesHonorific(u.text) || (u.speaker !== null && names.isStranger(u.speaker))))) return;
  for (const [unit, u] of reopen) {
    [u.speaker, u.rule] = [null, `${u.rule}-salience`];
    if (unit.speaker) unit.speaker = null;
  }
}
