// Elimination: where exactly three people are about, a bare line that can be none of two of them
// is the third one's. It is not the speaker of the line right before it (a new paragraph of
// speech is a new speaker; that line must be known), nor of the one right after it, nor anyone
// it calls by name or its own words forbid (`“艾雅法拉前辈也叫博士前辈吗？”`).
import { SOMEONE, WINDOW, assign, type SceneView } from './presence.js';
import type { SpeakerId } from './types.js';

/** 前辈 only as a quoted word or plural (`叫他‘前辈’`, `前辈们`): no sign the line is not the Doctor's. */
const OTHER_SENPAI_RE = /^(?:(?!前辈).|[‘“「『]前辈|前辈(?=[’”」』们]))*$/;

/** How far (paragraphs) ahead of a line elimination looks for who is about. */
const AHEAD = 2;

interface About {
  /** Everyone about, within WINDOW before and AHEAD after. */
  all: SpeakerId[];
  /** Those of them already about by the line itself (only they may be its speaker). */
  before: SpeakerId[];
}

/** For each paragraph with a bare line open: the people about, when exactly three, all known. */
function threeAbout(v: SceneView): Array<About | undefined> {
  let last = v.mentions.length;
  for (const u of v.units) if (u.para + 1 > last) last = u.para + 1;
  const speakers: Array<SpeakerId[] | undefined> = new Array<SpeakerId[] | undefined>(last);
  for (const u of v.units) if (u.speaker) (speakers[u.para] ??= []).push(u.speaker);
  const out: Array<About | undefined> = new Array<About | undefined>(last);
  for (const unit of v.units) {
    if (unit.speaker || !unit.bare) continue;
    const p = unit.para;
    let all: SpeakerId[] = [];
    let before: SpeakerId[] = [];
    for (let q = Math.max(0, p - WINDOW); q < Math.min(last, p + AHEAD + 1); q++) {
      for (const id of v.mentions[q] ?? []) if (!all.includes(id)) all.push(id);
      for (const id of speakers[q] ?? []) if (!all.includes(id)) all.push(id);
      const gone = q < p ? v.left?.[q] : undefined;
      if (gone) all = all.filter((id) => id !== gone);
      if (q === p) before = [...all];
    }
    if (all.length === 3 && !all.includes(SOMEONE)) out[p] = { all, before };
  }
  return out;
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
    if (next?.speaker && next.para === unit.para + 1) not.add(next.speaker);
    for (const u of unit.utts) for (const id of v.vocatives(u.text)) not.add(id);
    const left = a.all.filter((id) => !not.has(id) && !unit.utts.some((u) => v.vetoed(u, id) && !(id === 'doctor' && OTHER_SENPAI_RE.test(u.text))));
    if (left.length === 1 && a.before.includes(left[0]!)) decided[i] = left[0];
  });
  units.forEach((unit, i) => {
    const id = decided[i];
    if (id) assign(unit, id, 'elimination');
  });
}
