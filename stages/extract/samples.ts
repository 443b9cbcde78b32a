// Attributed utterances → ShareGPT conversations. Within a scene, consecutive lines of her and the
// Doctor form a run (merged when the same speaker goes on); anything else — another character,
// an uncertain line, a filtered paragraph, a turn outside the length limits — ends the run. Each
// run yields sliding windows that start with the Doctor and end with her.
import type { Utterance } from './types.js';

export type Role = 'human' | 'gpt';

export interface Turn {
  role: Role;
  text: string;
  /** Utterance ids the turn was made from ([] for the opener). */
  sources: number[];
}

export interface SampleOptions {
  maxTurns: number;
  minAssistantChars: number;
  maxHumanChars: number;
  maxAssistantChars: number;
  requireAnchor: boolean;
  anchorWords: readonly string[];
  opener: string | null;
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
  };
}

/** Splits the utterances of one file into runs of alternating her/Doctor turns. */
export function buildRuns(utts: readonly Utterance[], nsfw: ReadonlySet<number>, drops: SampleDrops): Turn[][] {
  const runs: Turn[][] = [];
  let run: Turn[] = [];
  let scene = -1;
  const cut = () => {
    if (run.length) runs.push(run);
    run = [];
  };
  for (const u of utts) {
    if (u.kind !== 'speech') continue;
    if (u.scene !== scene) {
      cut();
      scene = u.scene;
    }
    if (nsfw.has(u.id)) {
      drops.nsfw_utterances++;
      cut();
      continue;
    }
    if (u.speaker === null) {
      drops.uncertain_speaker++;
      cut();
      continue;
    }
    if (u.speaker !== 'persona' && u.speaker !== 'doctor') {
      drops.other_speaker++;
      cut();
      continue;
    }
    const role: Role = u.speaker === 'persona' ? 'gpt' : 'human';
    const last = run.at(-1);
    if (last && last.role === role) {
      last.text = `${last.text}\n${u.text}`;
      last.sources.push(u.id);
    } else run.push({ role, text: u.text, sources: [u.id] });
  }
  cut();
  return runs;
}

/** Applies the per-turn limits (a failing turn splits the run) and returns sliding windows. */
export function buildSamples(runs: readonly Turn[][], o: SampleOptions, drops: SampleDrops): Turn[][] {
  const out: Turn[][] = [];
  const pieces: Turn[][] = [];
  for (const run of runs) {
    let cur: Turn[] = [];
    for (const t of run) {
      const n = t.text.length;
      let bad: keyof SampleDrops | undefined;
      if (t.role === 'gpt' && n < o.minAssistantChars) bad = 'short_assistant';
      else if (t.role === 'gpt' && o.maxAssistantChars > 0 && n > o.maxAssistantChars) bad = 'long_assistant';
      else if (t.role === 'human' && o.maxHumanChars > 0 && n > o.maxHumanChars) bad = 'long_human';
      if (bad) {
        drops[bad]++;
        if (cur.length) pieces.push(cur);
        cur = [];
      } else cur.push(t);
    }
    if (cur.length) pieces.push(cur);
  }
  for (let turns of pieces) {
    if (turns[0]!.role === 'gpt') {
      if (o.opener !== null) turns = [{ role: 'human', text: o.opener, sources: [] }, ...turns];
      else {
        drops.leading_assistant++;
        turns = turns.slice(1);
      }
    }
    let produced = 0;
    // anchored[k]: how many of turns[0..k) are her turns holding an anchor word (each turn checked once).
    let anchored: Int32Array | undefined;
    if (o.requireAnchor) {
      anchored = new Int32Array(turns.length + 1);
      for (let k = 0; k < turns.length; k++) {
        const t = turns[k]!;
        anchored[k + 1] = anchored[k]! + (t.role === 'gpt' && o.anchorWords.some((w) => t.text.includes(w)) ? 1 : 0);
      }
    }
    for (let i = 0; i < turns.length; i++) {
      if (turns[i]!.role !== 'human') continue;
      for (let j = i + 1; j < turns.length && j - i + 1 <= o.maxTurns; j += 2) {
        if (anchored && anchored[j + 1] === anchored[i]) continue;
        out.push(turns.slice(i, j + 1));
        produced++;
      }
    }
    if (produced === 0 && turns.some((t) => t.role === 'gpt')) drops.no_anchor_runs++;
  }
  return out;
}
