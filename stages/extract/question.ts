// The question asked of the model about one open line (`extract.attribution: model`): a window of
// the text around it, the line, and the characters who may say it. Pure (no I/O, no packages), so
// that extractFile and the extraction workers do not load what asking an endpoint needs (model.ts).
import { createHash } from 'node:crypto';
import type { NameIndex } from './names.js';
import { SOMEONE, type SpeakerId, type Utterance } from './types.js';

/** Bumped whenever the question changes: cached answers to another question are not reused. */
export const PROMPT_VERSION = 2;
/** Lines of the text before and after the line asked about that go into the question. */
const LINES_BEFORE = 8;
const LINES_AFTER = 3;
export const NOBODY = '不确定';
/** The answer for someone who is none of the names offered (SOMEONE: not her, whoever it is). */
export const SOMEONE_ELSE = '其他人';
/** Around the line asked about, in the window. */
const MARK_OPEN = '⟦';
const MARK_CLOSE = '⟧';

export interface ModelQuestion {
  key: string;
  messages: Array<{ role: 'system' | 'user'; content: string }>;
  /** The names offered, each with whom it means. */
  candidates: ReadonlyMap<string, SpeakerId>;
  /** Her and the Doctor's other names (阿黛尔, 刀客塔): an answer may use them. */
  aliases: ReadonlyMap<string, SpeakerId>;
}

/**
 * Whom a model's answer names: a name offered, or one of her / the Doctor's other names; else the
 * one name offered that the answer holds (`是博士说的`, `艾雅法拉。`); else nobody (two names, none,
 * or not sure).
 */
export function answerToSpeaker(q: ModelQuestion, answer: string): SpeakerId | null {
  const exact = q.candidates.get(answer) ?? q.aliases.get(answer);
  if (exact) return exact;
  // (`不确定，可能是博士`: not sure is not an answer, whatever it guesses.)
  if (answer.includes(NOBODY)) return null;
  const held = new Set<SpeakerId>();
  for (const [label, id] of [...q.candidates, ...q.aliases]) if (answer.includes(label)) held.add(id);
  return held.size === 1 ? held.values().next().value! : null;
}

/** What analyzeText asks for each open line: the model's label, if one is known (else undefined). */
export interface ModelOracle {
  /** The model's identity (part of every question's key). */
  readonly model: string;
  ask(q: ModelQuestion): SpeakerId | null | undefined;
}

const SYSTEM = `你是小说对白的标注员。给你一段小说原文和其中的一句台词（原文中用${MARK_OPEN}${MARK_CLOSE}标出它的位置），判断这句台词是谁说的。只能从给出的候选人里选；是候选人以外的人就选“${SOMEONE_ELSE}”，看不出来就选“${NOBODY}”。只输出 JSON：{"speaker": "候选人名字"}`;

/** The question for one open line of a file (normalized text split in lines, its content hash). */
export function questionFor(
  lines: readonly string[],
  textHash: string,
  u: Utterance,
  names: NameIndex,
  model: string,
  labelOf: (id: SpeakerId) => string,
): ModelQuestion {
  const lo = Math.max(0, u.line - 1 - LINES_BEFORE);
  const hi = Math.min(lines.length, u.line + LINES_AFTER);
  const window = lines.slice(lo, hi).join('\n');
  // (Which of the window's lines it is, where the same words are said twice, `好。`: marked there.)
  const marked = lines.slice(lo, hi);
  const at = u.line - 1 - lo;
  const first = u.text.split('\n')[0]!;
  const col = marked[at]?.indexOf(first) ?? -1;
  if (col >= 0) marked[at] = `${marked[at]!.slice(0, col)}${MARK_OPEN}${first}${MARK_CLOSE}${marked[at]!.slice(col + first.length)}`;
  const candidates = new Map<string, SpeakerId>();
  const add = (id: SpeakerId) => {
    if (id === SOMEONE) return;
    candidates.set(labelOf(id), id);
  };
  add('persona');
  add('doctor');
  for (const r of names.referents(window)) if (r.ref !== '她' && r.ref !== '他' && r.ref !== '我' && r.ref !== '某她' && r.ref !== '某他') add(r.ref);
  const names_ = [...candidates.keys()];
  candidates.set(SOMEONE_ELSE, SOMEONE);
  const aliases = new Map<string, SpeakerId>();
  for (const n of names.personaNames) if (!candidates.has(n)) aliases.set(n, 'persona');
  for (const n of names.doctorNames) if (!candidates.has(n)) aliases.set(n, 'doctor');
  const user = `原文：\n${marked.join('\n')}\n\n台词：“${u.text}”\n候选人：${[...names_, SOMEONE_ELSE, NOBODY].join('、')}`;
  const key = createHash('sha256')
    .update(JSON.stringify([textHash, user, PROMPT_VERSION, model]))
    .digest('hex')
    .slice(0, 32);
  return {
    key,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: user },
    ],
    candidates,
    aliases,
  };
}
