// Elimination: where exactly three people are about, a bare line that can be none of two of them
// is the third one's. It is not the speaker of the line right before it (a new paragraph of
// speech is a new speaker; that line must be known), nor of the one right after it (unless that
// one opens after a beat of its own: the same speaker going on), nor anyone it calls by name or
// its own words forbid (`“艾雅法拉前辈也叫博士前辈吗？”`).
import { SOMEONE, aboutAround, assign, inSceneBefore, opensAfterBeat, type About, type SceneView } from './presence.js';
import type { SpeakerId } from './types.js';

/** 前辈 only as a quoted word or plural (`叫他‘前辈’`, `前辈们`): no sign the line is not the Doctor's. */
const OTHER_SENPAI_RE = /^(?:(?!前辈).|[‘“「『]前辈|前辈(?=[’”」』们]))*$/;

/** For each paragraph with a bare line open: the people about (presence.ts aboutAround), when exactly three, all known. */
function threeAbout(v: SceneView): Array<About | undefined> {
  const around = aboutAround(v, 3);
  const out: Array<About | undefined> = new Array<About | undefined>(around.last);
  for (const unit of v.units) {
    if (unit.speaker || !unit.bare) continue;
    const a = around.at(unit.para);
    if (a.all.length === 3 && !a.all.includes(SOMEONE) && !someoneElseEarlier(v, unit.para, a.all)) out[unit.para] = a;
  }
  return out;
}

/**
 * Someone beyond the three was about earlier in the scene and is not said to have left (`left`):
 * out of the window is not out of the room (a child who spoke ten paragraphs ago may speak again).
 */
function someoneElseEarlier(v: SceneView, para: number, three: readonly SpeakerId[]): boolean {
  const gone = new Set(v.left?.filter((x): x is SpeakerId => x !== undefined));
  const seen = (id: SpeakerId) => id !== SOMEONE && !three.includes(id) && !gone.has(id);
  for (let q = 0; q < para; q++) for (const id of v.mentions[q] ?? []) if (seen(id)) return true;
  return v.units.some((u) => u.para < para && u.speaker !== null && seen(u.speaker));
}

/**
 * A line calling someone 前辈 in a scene where no one but her uses it (and no stranger is about
 * who might): her habit, so it is given to no one else by elimination (the line after hers may be
 * hers too, going on after a beat).
 */
export function callsHerHonorific(v: Pick<SceneView, 'sharedHonorific' | 'strangers'>, utts: ReadonlyArray<{ text: string }>, id: SpeakerId): boolean {
  return id !== 'persona' && !v.sharedHonorific && !v.strangers && utts.some((u) => !OTHER_SENPAI_RE.test(u.text));
}

/** X: the bare lines that elimination among three people decides (assigned after the pass). */
export function fillByElimination(v: SceneView): void {
  const { units } = v;
  const about = threeAbout(v);
  const decided: Array<SpeakerId | undefined> = [];
  units.forEach((unit, i) => {
    const a = about[unit.para];
    const prev = units[i - 1];
    if (unit.speaker || !unit.bare || !a || !prev?.speaker || prev.para !== unit.para - 1) return;
    const not = new Set<SpeakerId>([prev.speaker]);
    const next = units[i + 1];
    // (Unless its line opens after narration of its own, `艾雅法拉回头瞪了他一眼，问：`: the same speaker may be going on after a beat.)
    if (next?.speaker && next.para === unit.para + 1 && !opensAfterBeat(next)) not.add(next.speaker);
    for (const u of unit.utts) for (const id of v.vocatives(u.text)) not.add(id);
    const left = a.all.filter((id) => !not.has(id) && !unit.utts.some((u) => v.vetoed(u, id) && !(id === 'doctor' && OTHER_SENPAI_RE.test(u.text))));
    if (left.length !== 1 || !(a.before.includes(left[0]!) || inSceneBefore(v, unit.para, left[0]!)) || callsHerHonorific(v, unit.utts, left[0]!)) return;
    decided[i] = left[0];
  });
  units.forEach((unit, i) => {
    const id = decided[i];
    if (id) assign(unit, id, 'elimination');
  });
}
