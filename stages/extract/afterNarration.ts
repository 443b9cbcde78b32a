// A bare paragraph of quotes right after a narration-only paragraph (attribute.ts reads both): what
// that narration says of who speaks next. Its subject, where it ends in an intro (`…对着花盆说：`);
// the one it is about alone (`P`, with the exceptions a beat's cue makes, narrationOnly.ts); the
// phone holder, after narration of what the far end said.
import type { NameIndex } from './names.js';
import { answersBeat, speaksOf, type BeatCue } from './narrationOnly.js';
import { askedOfThem, toldToThem } from './quoteKind.js';
import { SOMEONE, type SpeakerId, type Utterance } from './types.js';

/** What attribute.ts keeps of a narration-only paragraph for the bare paragraph after it. */
export interface PrevNarration {
  para: number;
  /** The one it leaves about alone (narrationOnly.ts narrationAfter). */
  only: SpeakerId | null;
  /** It tells what the far end of a call said (narrationOnly.ts farEndSpoke). */
  far?: boolean;
  cue?: BeatCue | undefined;
  /** The subject of the intro it ends in (quoteCandidate.ts colonIntroSubject). */
  intro?: SpeakerId | null;
}

export interface AfterNarrationContext {
  names: NameIndex;
  narrator: SpeakerId | null;
  vetoed: (u: Utterance, id: SpeakerId) => boolean;
  /** Whom 她 / 他 mean next: set to whoever is given the lines. */
  state: Record<'她' | '他', Set<SpeakerId>>;
}

/**
 * Decides the bare `lines` (one paragraph, `adjacent` as attribute.ts computes it) right after
 * `prev`; `prevSpeaker`: who said the line before. Returns the paragraph's one speaker (null: none
 * or several), and whom its lines are asked of (`askedOf`) or answer (`answers`), for turns.ts.
 */
export function bareAfterNarration(
  prev: PrevNarration,
  lines: Utterance[],
  adjacent: boolean[] | undefined,
  prevSpeaker: SpeakerId | null | undefined,
  { names, narrator, vetoed, state }: AfterNarrationContext,
): { speaker: SpeakerId | null; askedOf?: SpeakerId; answers?: SpeakerId } {
  let speaker: SpeakerId | null = null;
  // I': a bare paragraph right after one ending in an intro (`…对着花盆说：`): its subject's (the first line only, where lines are glued).
  const by = prev.intro;
  const introduced = by ? (adjacent?.includes(true) ? lines.slice(0, 1) : lines) : [];
  if (by && !introduced.some((u) => vetoed(u, by))) {
    for (const u of introduced) [u.speaker, u.rule] = [by, 'intro'];
    if (introduced.length === lines.length) speaker = by;
    if (by !== narrator) state[names.pronounOf(by)] = new Set([by]);
  }
  // P: a bare quote right after a narration paragraph about exactly one character is theirs.
  let askedOf: SpeakerId | undefined;
  let answers: SpeakerId | undefined;
  if (!speaker && prev.only) {
    const id = prev.only;
    // (A bare question calling no one, `“好吃吗？”` after she eats, is as likely asked of her: not put in her mouth, turns.ts fillByQuestion.)
    // (Nor a line that speaks of 她 / 他 right after narration about her / him alone: it talks of them, cues.ts.)
    const ofThem = lines.some((u) => speaksOf(u.text, names.pronounOf(id)));
    // (Unless she turns to speak, `又回过头。`; and after a beat whose next line is the other one's, narrationOnly.ts answersBeat, it is said to them.)
    const cue = prev.cue;
    if (id === 'persona' && cue !== 'turns' && lines.every((u) => askedOfThem(u.text, names) || toldToThem(u.text, names))) askedOf = id;
    else if (answersBeat(cue, lines)) answers = id;
    else if (!ofThem && !lines.some((u) => vetoed(u, id))) {
      speaker = id;
      for (const u of lines) {
        u.speaker = id;
        u.rule = 'beat-paragraph';
      }
      if (id !== narrator && id !== SOMEONE) state[names.pronounOf(id)] = new Set([id]);
    }
  }
  // (After narration of what the far end of a call said, a bare line is the phone holder's: who spoke the line before it, narrationOnly.ts farEndSpoke.)
  const holder = !speaker && prev.far ? prevSpeaker : undefined;
  if (holder && holder !== narrator && !lines.some((u) => vetoed(u, holder))) {
    speaker = holder;
    for (const u of lines) [u.speaker, u.rule] = [holder, 'phone-holder'];
    state[names.pronounOf(holder)] = new Set([holder]);
  }
  return { speaker, ...(askedOf ? { askedOf } : {}), ...(answers ? { answers } : {}) };
}
