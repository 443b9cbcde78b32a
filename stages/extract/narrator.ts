// Who a first-person narrator is, read from the whole file's narration before any quote is
// attributed (attribute.ts): the one the text names (discover.ts), else the Doctor where 我
// dominates the narration, his names are rare in it and no sentence of it sets 我 beside him
// (`递给我一杯，又转向博士`: 我 is someone else), else nobody. The referents of every
// narration segment are found once here, in document order, and reused by the scene pass.
import { nextSentenceEnd } from './narration.js';
import type { NameIndex, Referent } from './names.js';
import { SOMEONE, type SceneView } from './presence.js';
import type { Segmented, SpeakerId } from './types.js';

export interface NarrationRead {
  /** Referents of every narration segment, in document order. */
  narrRefs: Referent[][];
  narrator: SpeakerId | null;
  /** How often the narration names a woman who is neither her nor the Doctor. */
  otherShe: number;
  /** 我 narrates, is set beside the Doctor and is not named (markUnnamedNarrator). */
  unnamed: boolean;
}

export function readNarration(seg: Segmented, names: NameIndex, named: SpeakerId | undefined): NarrationRead {
  let me = 0;
  let doctorInNarration = 0;
  let otherShe = 0;
  let meBesideDoctor = false;
  const narrRefs: Referent[][] = [];
  for (const sc of seg.scenes)
    for (const p of sc.paragraphs)
      for (const s of p.segments)
        if (s.kind === 'narr') {
          const refs = names.referents(s.text);
          narrRefs.push(refs);
          if (!meBesideDoctor && refs.length > 1) meBesideDoctor = besideInSentence(s.text, refs);
          for (const r of refs) {
            if (r.ref === '我') me++;
            else if (r.ref === 'doctor') doctorInNarration++;
            else if (r.ref.startsWith('other:') && names.pronounOf(r.ref as SpeakerId) === '她') otherShe++;
          }
        }
  // 我 in narration: the narrator the text names, else the Doctor when 我 dominates, else nobody.
  const narrator: SpeakerId | null = named ?? (me >= 3 && doctorInNarration * 4 <= me && !meBesideDoctor ? 'doctor' : null);
  return { narrRefs, narrator, otherShe, unnamed: !narrator && me >= 3 && meBesideDoctor };
}

/**
 * Where such a narrator (not the Doctor, not named) narrates, someone is about whom the text does
 * not name: each paragraph whose narration says 我 mentions someone (presence.ts SOMEONE), so no
 * pair of two is read as alone there.
 */
export function markUnnamedNarrator(seg: Segmented, narrRefs: Referent[][], views: ReadonlyArray<{ mentions: SceneView['mentions'] }>): void {
  let k = 0;
  seg.scenes.forEach((sc, si) => {
    const m = views[si]!.mentions as Array<Set<SpeakerId> | undefined>;
    sc.paragraphs.forEach((p, pi) => {
      for (const s of p.segments) if (s.kind === 'narr' && narrRefs[k++]!.some((r) => r.ref === '我')) (m[pi] ??= new Set()).add(SOMEONE);
    });
  });
}

/** Whether one sentence of `text` names both 我 and the Doctor (refs in index order). */
function besideInSentence(text: string, refs: readonly Referent[]): boolean {
  let end = -1;
  let me = false;
  let doctor = false;
  for (const r of refs) {
    if (r.index >= end) {
      end = nextSentenceEnd(text, r.index);
      me = doctor = false;
    }
    if (r.ref === '我') me = true;
    else if (r.ref === 'doctor') doctor = true;
    if (me && doctor) return true;
  }
  return false;
}
