// The speech-tag clauses of a text (discover.ts): a subject, a few words of manner and a speech
// verb ending the clause, after a closing quote or at a sentence start. Found from the verbs: a
// speech verb right before punctuation is rare, a sentence start is not, so the full pattern is
// tried only where such a verb can end it.
import { isSpace } from './chars.js';

/**
 * A speech-tag clause after a closing quote or at a sentence start: a subject, a few words of
 * manner (no punctuation) and a speech verb ending the clause (`”阿鸢抢着说，`, `。柯文捂着鼻子问：`).
 * Where the subject ends is decided by how often its prefixes occur (discover.ts nameAt).
 */
export const TAG_CLAUSE_Y = /(?:^|[。！？!?…”\n])\s*([\u4e00-\u9fff]{2,12}?)(?:说|问|答道|回答|喊|嚷|叫道|插嘴|嘟囔|笑道)(?=[。，,：:！!？?\n]|$)/my;
/** TAG_CLAUSE_Y's verb and what follows it. (No two can overlap: each ends right before punctuation or a line's end, and no verb's tail is a verb.) */
const TAG_VERB_G = /(?:说|问|答道|回答|喊|嚷|叫道|插嘴|嘟囔|笑道)(?=[。，,：:！!？?\n]|$)/gm;
/** The most characters TAG_CLAUSE_Y's subject and manner words span. */
const MAX_CLAUSE = 12;

const isHan = (c: number) => c >= 0x4e00 && c <= 0x9fff;

/**
 * Calls `each` with the subject-and-manner part of every match of TAG_CLAUSE_Y, in order, as a
 * global scan of the text would find them (non-overlapping, leftmost first), until it returns false.
 * A match's subject is the run of Han characters right before its verb (what stands before the run
 * is no Han character: spaces, punctuation or a line's start), so it can only start in the spaces
 * and punctuation right before that run.
 */
export function forEachTagClause(text: string, each: (clause: string) => boolean): void {
  // (Where the scan has got to: no match starts before it.)
  let from = 0;
  TAG_VERB_G.lastIndex = 0;
  for (let v = TAG_VERB_G.exec(text); v; v = TAG_VERB_G.exec(text)) {
    const at = v.index;
    let run = at;
    while (run > 0 && at - run < MAX_CLAUSE && isHan(text.charCodeAt(run - 1))) run--;
    if (at - run < 2) continue;
    let x = run;
    while (x > 0 && isSpace(text.charCodeAt(x - 1))) x--;
    if (x > 0) x--;
    for (x = Math.max(x, from); x <= run; x++) {
      TAG_CLAUSE_Y.lastIndex = x;
      const m = TAG_CLAUSE_Y.exec(text);
      if (m) {
        from = x + m[0].length;
        if (!each(m[1]!)) return;
        break;
      }
    }
  }
}
