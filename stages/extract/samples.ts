// Attributed utterances → ShareGPT conversations. Within a scene, consecutive spoken lines form a
// run: hers become `gpt` turns, the Doctor's `human` turns and — with `reply_to_others` — another
// character's lines `human` turns with a speaker label (`【阿米娅】…`), and so does a line whose
// speaker is open but whose words forbid her (`【某人】…`, Utterance.notHer); consecutive lines of
// one side are merged into one turn. Any other uncertain line, a filtered paragraph or a turn over
// the length limits ends the run, and so does a line of hers the rules only inferred (INFERRED_RULES)
// unless `her_by_inference` is on. A short reply of hers never ends it. Each run yields sliding windows that
// start with a human turn, end with one of hers and hold at least one of hers of
// `min_assistant_chars` or more (a short reply is kept, and may end a window, but is never a
// sample's only reply of hers).
import { SOMEONE, type SpeakerId, type Utterance } from './types.js';

export type Role = 'human' | 'gpt';

export interface Turn {
  role: Role;
  text: string;
  /** Utterance ids the turn was made from ([] for the opener). */
  sources: number[];
}

/**
 * The rules that give a line to her only by inference from the lines around it: the order of turns
 * (turn-taking) and whom it addresses where two people seem to be about (addressee). On stories no
 * rule was tuned on (gold2 heldout + heldout3 + heldout5, 45 stories, session 10) the lines of hers
 * they put in gpt turns were 77/92 (0.837) and 39/53 (0.736) hers, against 248/252 (0.984) for all
 * the rules that read evidence about the line itself together (a tag 19/21, her 前辈 in a file where
 * no one else says it 9/10, an intro 74/75, the rest 146/146); issue #15 lets turn-taking put a
 * line in a gpt turn only at ≥ 0.95. So by default such a line is no training target: it ends the
 * conversation like a line whose speaker is open (`extract.her_by_inference` turns them back on;
 * with `attribution: model` the model is asked about them, and a line it agrees is hers is kept).
 */
export const INFERRED_RULES: ReadonlySet<string> = new Set(['turn-taking', 'addressee']);

/** A line the rules gave someone by inference only (INFERRED_RULES). */
export const inferredOnly = (u: Utterance) => u.speaker !== null && u.rule !== undefined && INFERRED_RULES.has(u.rule);
/** A line the rules gave her by inference only. */
export const inferredHers = (u: Utterance) => u.speaker === 'persona' && inferredOnly(u);

export interface SampleOptions {
  maxTurns: number;
  minAssistantChars: number;
  maxHumanChars: number;
  maxAssistantChars: number;
  requireAnchor: boolean;
  anchorWords: readonly string[];
  /** Put before a run she opens at the very start of a scene (null: such a turn is dropped). */
  opener: string | null;
  /** Another character's line she answers becomes a labelled human turn (else it ends the run). */
  replyToOthers: boolean;
  /** How the Doctor is labelled in a human turn that also holds another character's line. */
  doctorLabel: string;
  /** A line of hers the rules only inferred (inferredHers) is a turn of hers (else it ends the run). */
  herByInference: boolean;
}

export interface SampleDrops {
  uncertain_speaker: number;
  other_speaker: number;
  nsfw_utterances: number;
  short_assistant: number;
  long_assistant: number;
  long_human: number;
  leading_assistant: number;
  no_anchor_runs: number;
  /** Her lines (attributed to her) in no sample, by reason. */
  her_nsfw: number;
  her_too_long: number;
  her_too_short: number;
  her_no_preceding_line: number;
  her_no_anchor: number;
  her_inferred: number;
}

export function emptyDrops(): SampleDrops {
  return {
    uncertain_speaker: 0,
    other_speaker: 0,
    nsfw_utterances: 0,
    short_assistant: 0,
    long_assistant: 0,
    long_human: 0,
    leading_assistant: 0,
    no_anchor_runs: 0,
    her_nsfw: 0,
    her_too_long: 0,
    her_too_short: 0,
    her_no_preceding_line: 0,
    her_no_anchor: 0,
    her_inferred: 0,
  };
}

/** The reasons a line of hers is in no sample (keys of SampleDrops). */
export const HER_DROP_KEYS = ['her_nsfw', 'her_too_long', 'her_too_short', 'her_no_preceding_line', 'her_no_anchor', 'her_inferred'] as const;

/** A turn being built: its lines and who said each (for the labels). */
interface Draft {
  role: Role;
  parts: Array<{ speaker: SpeakerId; text: string }>;
  sources: number[];
}

/** A run of turns, and whether it opens its scene (nothing was said before it there). */
export interface Run {
  turns: Turn[];
  opensScene: boolean;
}

/** The label of someone not named (an open line that is not hers, Utterance.notHer) in a human turn. */
const SOMEONE_LABEL = '某人';

const labelOf = (id: SpeakerId, doctorLabel: string) => (id === 'doctor' ? doctorLabel : id === SOMEONE ? SOMEONE_LABEL : id.slice('other:'.length));

function render(d: Draft, doctorLabel: string): Turn {
  const labelled = d.role === 'human' && d.parts.some((p) => p.speaker !== 'doctor');
  const text = d.parts.map((p) => (labelled ? `【${labelOf(p.speaker, doctorLabel)}】${p.text}` : p.text)).join('\n');
  return { role: d.role, text, sources: d.sources };
}

/** Splits the utterances of one file into runs of alternating human / her turns. */
export function buildRuns(
  utts: readonly Utterance[],
  nsfw: ReadonlySet<number>,
  drops: SampleDrops,
  o: Pick<SampleOptions, 'replyToOthers' | 'doctorLabel' | 'herByInference'>,
): Run[] {
  const runs: Run[] = [];
  let run: Draft[] = [];
  let opensScene = true;
  let scene = -1;
  const cut = () => {
    if (run.length) runs.push({ turns: run.map((d) => render(d, o.doctorLabel)), opensScene });
    run = [];
    opensScene = false;
  };
  for (const u of utts) {
    if (u.kind !== 'speech') continue;
    if (u.scene !== scene) {
      cut();
      scene = u.scene;
      opensScene = true;
    }
    if (nsfw.has(u.id)) {
      drops.nsfw_utterances++;
      if (u.speaker === 'persona') drops.her_nsfw++;
      cut();
      continue;
    }
    // (A line of hers only inferred is no training target: as if its speaker were open.)
    if (!o.herByInference && inferredHers(u)) {
      drops.uncertain_speaker++;
      drops.her_inferred++;
      cut();
      continue;
    }
    // (An open line that is not hers is someone else's: what she answers, where others' lines may be.)
    const speaker = u.speaker ?? (u.notHer && o.replyToOthers ? SOMEONE : null);
    if (speaker === null) {
      drops.uncertain_speaker++;
      cut();
      continue;
    }
    const other = speaker !== 'persona' && speaker !== 'doctor';
    if (other && !o.replyToOthers) {
      drops.other_speaker++;
      cut();
      continue;
    }
    const role: Role = speaker === 'persona' ? 'gpt' : 'human';
    const last = run.at(-1);
    if (last && last.role === role) {
      last.parts.push({ speaker, text: u.text });
      last.sources.push(u.id);
    } else run.push({ role, parts: [{ speaker, text: u.text }], sources: [u.id] });
  }
  cut();
  return runs;
}

/** Why a turn cannot be in a sample, if it cannot. */
function overLimit(t: Turn, o: SampleOptions): 'long_assistant' | 'long_human' | undefined {
  const n = t.text.length;
  if (t.role === 'gpt' && o.maxAssistantChars > 0 && n > o.maxAssistantChars) return 'long_assistant';
  if (t.role === 'human' && o.maxHumanChars > 0 && n > o.maxHumanChars) return 'long_human';
  return undefined;
}

/**
 * Applies the per-turn limits (a turn over them splits the run) and returns sliding windows:
 * each starts with a human turn, ends with a turn of hers, holds one of hers at least
 * min_assistant_chars long, and holds at most max_turns turns. Counts, per line of hers in no window, why (her_* drops).
 */
export function buildSamples(runs: readonly Run[], o: SampleOptions, drops: SampleDrops): Turn[][] {
  const out: Turn[][] = [];
  const herDrop = (t: Turn, key: (typeof HER_DROP_KEYS)[number]) => {
    if (t.role === 'gpt') drops[key] += t.sources.length;
  };
  for (const run of runs) {
    const pieces: Array<{ turns: Turn[]; first: boolean }> = [];
    let cur: Turn[] = [];
    let first = run.opensScene;
    for (const t of run.turns) {
      const bad = overLimit(t, o);
      if (bad) {
        drops[bad]++;
        herDrop(t, 'her_too_long');
        if (cur.length) pieces.push({ turns: cur, first });
        cur = [];
        first = false;
      } else cur.push(t);
    }
    if (cur.length) pieces.push({ turns: cur, first });
    for (const piece of pieces) {
      let turns = piece.turns;
      if (turns[0]!.role === 'gpt') {
        // She speaks first. At the start of a scene nothing is lost by a neutral opener; after a
        // line that could not be used (uncertain, too long), one would misstate what she answers.
        if (o.opener !== null && piece.first) turns = [{ role: 'human', text: o.opener, sources: [] }, ...turns];
        else {
          drops.leading_assistant++;
          herDrop(turns[0]!, 'her_no_preceding_line');
          turns = turns.slice(1);
        }
      }
      windows(turns, o, drops, out, herDrop);
    }
  }
  return out;
}

function windows(turns: Turn[], o: SampleOptions, drops: SampleDrops, out: Turn[][], herDrop: (t: Turn, key: (typeof HER_DROP_KEYS)[number]) => void): void {
  // prefix[k]: how many of turns[0..k) pass `test` (so a window [i..j] holds one when they differ).
  const prefix = (test: (t: Turn) => boolean) => {
    const a = new Int32Array(turns.length + 1);
    for (let k = 0; k < turns.length; k++) a[k + 1] = a[k]! + (test(turns[k]!) ? 1 : 0);
    return a;
  };
  const targets = prefix((t) => t.role === 'gpt' && t.text.length >= o.minAssistantChars);
  const anchored = o.requireAnchor ? prefix((t) => t.role === 'gpt' && o.anchorWords.some((w) => t.text.includes(w))) : undefined;
  // used[k]: turn k is in some window; blocked[k]: a window would have held it but for the anchor.
  const used = new Uint8Array(turns.length);
  const blocked = new Uint8Array(turns.length);
  let produced = 0;
  for (let i = 0; i < turns.length; i++) {
    if (turns[i]!.role !== 'human') continue;
    for (let j = i + 1; j < turns.length && j - i + 1 <= o.maxTurns; j += 2) {
      // A window ends on any turn of hers, but holds at least one of min_assistant_chars.
      if (targets[j + 1] === targets[i]) continue;
      const mark = anchored && anchored[j + 1] === anchored[i] ? blocked : used;
      for (let k = i; k <= j; k++) mark[k] = 1;
      if (mark === blocked) continue;
      out.push(turns.slice(i, j + 1));
      produced++;
    }
  }
  for (let k = 0; k < turns.length; k++) {
    const t = turns[k]!;
    if (t.role !== 'gpt' || used[k]) continue;
    if (blocked[k]) herDrop(t, 'her_no_anchor');
    else if (t.text.length < o.minAssistantChars) {
      drops.short_assistant++;
      herDrop(t, 'her_too_short');
    } else herDrop(t, 'her_no_preceding_line');
  }
  if (produced === 0 && turns.some((t) => t.role === 'gpt')) drops.no_anchor_runs++;
}

/** The end-of-stage line: how many of her lines became sample turns, and why the rest did not. */
export function herLinesSummary(herLines: number, dropped: Readonly<Record<string, number>>): string {
  const reasons = HER_DROP_KEYS.map((k) => [k.slice('her_'.length).replace(/_/g, ' '), dropped[k] ?? 0] as const);
  const lost = reasons.reduce((n, [, v]) => n + v, 0);
  const why = reasons.filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`);
  // (Where lines were only inferred, the line says from what and how to keep them.)
  const hint =
    (dropped.her_inferred ?? 0) > 0
      ? ' (known only by turn order or address: extract.attribution: model asks your base model about them, extract.her_by_inference keeps them all)'
      : '';
  return `extract: her lines ${herLines}: ${herLines - lost} in samples${why.length ? `, not kept: ${why.join(', ')}${hint}` : ''}`;
}
