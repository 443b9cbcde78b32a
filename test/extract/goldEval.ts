// Scores speaker attribution against the labelled gold set (test/extract/gold/*.json): precision
// of her (gpt) and the Doctor's (human) utterances, recall of hers. Shared by the gold test and
// the bench, which scores the old algorithm the same way.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import type { ModelOracle } from '../../stages/extract/question.js';
import { SOMEONE } from '../../stages/extract/types.js';

export const GOLD_DIR = join(dirname(fileURLToPath(import.meta.url)), 'gold');

const goldFileSchema = z.object({
  file: z.string(),
  encoding: z.string(),
  utterances: z.array(z.object({ speaker: z.string().min(1), text: z.string().min(1) })).min(1),
});
export type GoldFile = z.infer<typeof goldFileSchema>;

export function loadGold(dir = GOLD_DIR): GoldFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const parsed = goldFileSchema.safeParse(JSON.parse(readFileSync(join(dir, f), 'utf8')));
      if (!parsed.success) throw new Error(`${join(dir, f)}: ${parsed.error.message}`);
      return parsed.data;
    });
}

/** A predicted utterance: its text and the role it was given (null: dropped). */
export interface Prediction {
  text: string;
  role: 'gpt' | 'human' | null;
  /**
   * For a human line: who the turn says speaks (`other:阿米娅` in a labelled turn). Absent: the
   * Doctor. A labelled line is right when the label names its speaker; `【某人】` (other:?, an open
   * line whose words forbid her) claims only that it is someone else's, and is right when it is.
   */
  speaker?: string;
}

export interface Score {
  gptPredicted: number;
  gptCorrect: number;
  /** gpt predictions that are another character's line (not hers, not the Doctor's). */
  gptFromOthers: number;
  /** gpt predictions that match no utterance at all (a term, a thought, narration). */
  gptUnmatched: number;
  humanPredicted: number;
  humanCorrect: number;
  herTotal: number;
  herFound: number;
}

/**
 * The text a line is matched by: no whitespace, and no quote marks (the extractor writes a quote
 * nested in 「」 as ‘’ and one nested in “” as “”, where the label keeps the story's 『』).
 */
const squash = (s: string) => s.replace(/[\s\u3000“”‘’「」『』"']+/g, '');

/**
 * The index of the gold utterance each prediction is (the first that contains its text, from
 * where the last match was, so repeated lines match the right occurrence), or -1: none, or no text.
 */
export function matchGold(gold: GoldFile, preds: readonly Prediction[]): number[] {
  const g = gold.utterances.map((u) => ({ key: squash(u.text), matched: false }));
  let cursor = 0;
  return preds.map((p) => {
    const key = squash(p.text);
    if (!key) return -1;
    // (An utterance not matched yet first: the same line said twice, `一言为定。` by each, is two.)
    let idx = -1;
    for (let pass = 0; pass < 2 && idx < 0; pass++)
      for (let k = 0; k < g.length && idx < 0; k++) {
        const j = (cursor + k) % g.length;
        if (g[j]!.key.includes(key) && (pass === 1 || !g[j]!.matched)) idx = j;
      }
    if (idx >= 0) {
      cursor = idx;
      g[idx]!.matched = true;
    }
    return idx;
  });
}

/** Matches each prediction to its gold utterance (matchGold) and counts. */
export function scoreFile(gold: GoldFile, preds: readonly Prediction[], acc?: Score): Score {
  const s: Score = acc ?? { gptPredicted: 0, gptCorrect: 0, gptFromOthers: 0, gptUnmatched: 0, humanPredicted: 0, humanCorrect: 0, herTotal: 0, herFound: 0 };
  const herHit = new Set<number>();
  const at = matchGold(gold, preds);
  preds.forEach((p, i) => {
    if (!squash(p.text)) return;
    const idx = at[i]!;
    const speaker = idx >= 0 ? gold.utterances[idx]!.speaker : undefined;
    if (p.role === 'gpt') {
      s.gptPredicted++;
      if (speaker === 'persona') {
        s.gptCorrect++;
        herHit.add(idx);
      } else if (speaker === undefined) s.gptUnmatched++;
      else if (speaker !== 'doctor') s.gptFromOthers++;
    } else if (p.role === 'human') {
      s.humanPredicted++;
      if (speaker === (p.speaker ?? 'doctor') || (p.speaker === SOMEONE && speaker !== undefined && speaker !== 'persona')) s.humanCorrect++;
    }
  });
  gold.utterances.forEach((u, i) => {
    if (u.speaker !== 'persona') return;
    s.herTotal++;
    if (herHit.has(i)) s.herFound++;
  });
  return s;
}

export function summarize(s: Score) {
  const r = (a: number, b: number) => (b === 0 ? 1 : Math.round((a / b) * 1000) / 1000);
  return {
    gpt_precision: r(s.gptCorrect, s.gptPredicted),
    gpt_recall: r(s.herFound, s.herTotal),
    human_precision: r(s.humanCorrect, s.humanPredicted),
    gpt_lines_of_others: s.gptFromOthers,
    gpt_not_utterances: s.gptUnmatched,
    counts: `gpt ${s.gptCorrect}/${s.gptPredicted}, her found ${s.herFound}/${s.herTotal}, human ${s.humanCorrect}/${s.humanPredicted}`,
  };
}

/**
 * The extractor's predictions on a decoded text: its per-quote decisions (`attributed`), and the
 * lines that ended up in turns of emitted samples with those turns' roles (`inSamples`; a human
 * line of another character is in a labelled turn, scored against its label).
 */
export function predictionsOf(text: string, opts: ReturnType<typeof fileOptions>, oracle?: ModelOracle): { attributed: Prediction[]; inSamples: Prediction[] } {
  const a = analyzeText(text, opts, oracle);
  const utts = a.segmented.utterances;
  const attributed = utts
    .filter((u) => u.kind === 'speech')
    .map((u) => ({ text: u.text, role: u.speaker === 'persona' ? ('gpt' as const) : u.speaker === 'doctor' ? ('human' as const) : null }));
  const used = new Map<number, 'gpt' | 'human'>();
  for (const w of a.windows) for (const t of w) for (const id of t.sources) used.set(id, t.role);
  const inSamples = [...used.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([id, role]) => {
      const sp = utts[id]!.speaker ?? SOMEONE;
      return role === 'human' && sp && sp !== 'doctor' ? { text: utts[id]!.text, role, speaker: sp } : { text: utts[id]!.text, role };
    });
  return { attributed, inSamples };
}
