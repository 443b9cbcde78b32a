// A stand-in for the model of `extract.attribution: model` in the gold2 bench (--oracle=ACC): it
// answers each question from the gold labels, right with probability ACC (a fixed-seed draw) and
// otherwise with another of the question's candidates. It measures what the model path can give
// at a given answer accuracy — its ceiling at ACC 1 — not what any real model gives.
import { SOMEONE_ELSE, type ModelOracle } from '../stages/extract/question.js';
import type { GoldFile } from '../test/extract/goldEval.js';

const squash = (s: string) => s.replace(/[\s\u3000“”‘’「」『』"']+/g, '');

/** A deterministic draw in [0, 1) (an LCG: the same answers every run). */
export function draws(seed = 7): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/**
 * The labelled line a question is about: the one whose text holds it, and where several do (a short
 * line said more than once, `好。`), the one of exactly its words, then the one whose neighbours in the labels
 * are in the question's window.
 */
function locate(gold: GoldFile, line: string, window: string): GoldFile['utterances'][number] | undefined {
  let best: GoldFile['utterances'][number] | undefined;
  let bestScore = -1;
  gold.utterances.forEach((u, i) => {
    if (!squash(u.text).includes(line)) return;
    const near = [gold.utterances[i - 2], gold.utterances[i - 1], gold.utterances[i + 1]];
    // (The line itself first, `石头。`, before a longer one that ends with it.)
    const score = near.filter((n) => n !== undefined && window.includes(squash(n.text))).length + (squash(u.text) === line ? 10 : 0);
    if (score > bestScore) [best, bestScore] = [u, score];
  });
  return best;
}

export function goldOracle(gold: GoldFile, accuracy: number, draw: () => number, counter: { asked: number }): ModelOracle {
  return {
    model: `gold-oracle-${accuracy}`,
    ask(q) {
      counter.asked++;
      const content = q.messages.at(-1)!.content;
      const line = squash(/台词：“([\s\S]*)”\n候选人/.exec(content)?.[1] ?? '');
      const g = line ? locate(gold, line, squash(/^原文：\n([\s\S]*?)\n\n台词：/.exec(content)?.[1] ?? '')) : undefined;
      if (!g) return null;
      // (Someone none of the names offered is, where the question offers that answer.)
      const right =
        g.speaker === 'persona' || g.speaker === 'doctor'
          ? g.speaker
          : (q.candidates.get(g.speaker.slice('other:'.length)) ?? q.candidates.get(SOMEONE_ELSE) ?? null);
      if (draw() < accuracy) return right;
      const wrong = [...q.candidates.values()].filter((c) => c !== right);
      return wrong.length ? wrong[Math.floor(draw() * wrong.length)]! : null;
    },
  };
}
