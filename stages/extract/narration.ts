// The grammar of narration the attributor reads: sentences and clauses as offsets into the text,
// where they end, and who stands in a clause's subject position.
import { LEADING_ADVERBIAL_RE } from './lexicon.js';
import { isSpace } from './chars.js';
import type { SpeakerId } from './types.js';

/** A clause of a narration segment: offsets into `src` (no substring is made). */
export interface Clause {
  src: string;
  start: number;
  end: number;
  /** Referents, `index` relative to `start`. */
  refs: ReadonlyArray<ClauseRef>;
}
export interface ClauseRef {
  id: SpeakerId | null;
  index: number;
  /** Its length as written (1 where not known). */
  len?: number;
  /** A descriptive noun (少女, 女孩), not a name or pronoun: a short modifier may stand before it (羊角少女). */
  epithet?: true;
}
/** The refs of every clause without a referent (most of them): one shared empty list. */
export const NO_REFS: ReadonlyArray<ClauseRef> = Object.freeze([]);
/** A sentence of a narration segment: offsets into `src`. */
export interface Sentence {
  src: string;
  start: number;
  end: number;
  clauses: Clause[];
  /** Ends with sentence punctuation (a complete sentence rather than an intro clause). */
  complete: boolean;
}

/** 。！？!?；;… */
function isSentenceEnd(c: number): boolean {
  return c === 0x3002 || c === 0xff01 || c === 0xff1f || c === 0x21 || c === 0x3f || c === 0xff1b || c === 0x3b || c === 0x2026;
}
/**
 * A sentence ends after 。！？!?；;… unless more of those or a closing quote follow
 * (`/[。！？!?；;…](?![。！？!?；;…”])/`): the index just past the first such end at or after
 * `from`, else t.length. (A loop over character codes: one regex call per sentence costs more.)
 */
export function nextSentenceEnd(t: string, from: number): number {
  for (let i = from; i < t.length; i++) {
    if (!isSentenceEnd(t.charCodeAt(i))) continue;
    // (Past the end charCodeAt is NaN: neither test holds.)
    const next = t.charCodeAt(i + 1);
    if (!isSentenceEnd(next) && next !== 0x201d) return i + 1;
  }
  return t.length;
}
/** Clause separators ，,：:、 (`/[，,：:、]/`): the first at or after `from`, else t.length. */
export function nextClauseSep(t: string, from: number): number {
  for (let i = from; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0xff0c || c === 0x2c || c === 0xff1a || c === 0x3a || c === 0x3001) return i;
  }
  return t.length;
}
export const SEPARATOR_RE = /[。！？!?；;…，,：:、]/;
/** 。！？!?；;…— (what TERMINAL_END_RE ends with). */
function isTerminal(c: number): boolean {
  return isSentenceEnd(c) || c === 0x2014;
}
/** Last index in [start, end) that is not whitespace (JS `\s`), or start - 1. */
export function lastNonSpace(t: string, start: number, end: number): number {
  let i = end - 1;
  while (i >= start && isSpace(t.charCodeAt(i))) i--;
  return i;
}
/** `/[。！？!?；;…—]\s*$/` on t[start, end). */
export function endsTerminal(t: string, start: number, end: number): boolean {
  const i = lastNonSpace(t, start, end);
  return i >= start && isTerminal(t.charCodeAt(i));
}
/** `/[：:]\s*$/` on t[start, end). */
export function endsWithColon(t: string, start: number, end: number): boolean {
  const i = lastNonSpace(t, start, end);
  if (i < start) return false;
  const c = t.charCodeAt(i);
  return c === 0xff1a || c === 0x3a;
}

const LEADING_ADVERBIAL_STICKY = new RegExp(LEADING_ADVERBIAL_RE.source.replace(/^\^/, ''), 'y');

/** Index of the first character in [i, end) that is not whitespace, \u3000, … or —; else end. */
function skipFiller(t: string, i: number, end: number): number {
  while (i < end) {
    const c = t.charCodeAt(i);
    if (
      c === 0x3000 ||
      c === 0x2026 ||
      c === 0x2014 ||
      c === 0x20 ||
      (c >= 0x09 && c <= 0x0d) ||
      c === 0xa0 ||
      c === 0xfeff ||
      (c >= 0x2000 && c <= 0x200a) ||
      c === 0x2028 ||
      c === 0x2029 ||
      c === 0x202f ||
      c === 0x205f ||
      c === 0x1680
    )
      i++;
    else break;
  }
  return i;
}

/** The referent in subject position of a clause (first thing after leading adverbials), if any. */
export function subjectOf(clause: Clause): { id: SpeakerId | null } | undefined {
  const first = clause.refs[0];
  if (!first) return undefined;
  const { src, start, end } = clause;
  let pos = skipFiller(src, start, end);
  // (A referent opening the clause is its subject, even where an adverbial could be read there: 可露希尔 is no 可 + 露希尔.)
  if (first.index === pos - start) return { id: first.id };
  // The adverbials hold no separator, so a match that runs past the clause's end can only have
  // taken the separator after it: the subject position is then past every referent of the clause.
  for (let k = 0; k < 3 && pos < end; k++) {
    LEADING_ADVERBIAL_STICKY.lastIndex = pos;
    // Sticky: a match starts at pos and lastIndex is its end (no match array needed).
    if (!LEADING_ADVERBIAL_STICKY.test(src) || LEADING_ADVERBIAL_STICKY.lastIndex === pos) break;
    // (An adverbial that is the start of a name, 可 of 可露希尔, is the name.)
    if (start + first.index < LEADING_ADVERBIAL_STICKY.lastIndex && start + first.index >= pos) break;
    pos = skipFiller(src, Math.min(LEADING_ADVERBIAL_STICKY.lastIndex, end), end);
  }
  if (first.index === pos - start) return { id: first.id };
  // A demonstrative (那女孩, 这位少女) or a modifier ending in 的 (戴着助听器的她) before it, and
  // something said of it after it (`看向门边的凯尔希` ending the clause is an object, not a subject).
  const gap = first.index - (pos - start);
  if (gap > 0 && gap <= MAX_MODIFIER && lastNonSpace(src, start + first.index + (first.len ?? 1), end) >= start + first.index + (first.len ?? 1)) {
    const a = pos;
    const b = start + first.index;
    if (DEMONSTRATIVE_HEAD_RE.test(src.slice(a, b))) return { id: first.id };
    if (src.charCodeAt(b - 1) === 0x7684 && !SEPARATOR_IN_RE.test(src.slice(a, b))) return { id: first.id };
    // A modifier and a role noun in apposition (新来的干员栗苗).
    // (Not after a coverb, `把外套往他怀里一塞`: 他 is its object.)
    if (APPOSITION_RE.test(src.slice(a, b)) && !SEPARATOR_IN_RE.test(src.slice(a, b)) && !COVERB_BEFORE_RE.test(src.slice(a, b))) return { id: first.id };
    if (first.epithet && gap <= MAX_EPITHET_MODIFIER && !SEPARATOR_IN_RE.test(src.slice(a, b))) return { id: first.id };
  }
  return undefined;
}

/** How far into its clause a descriptive noun may stand and still be its subject (`羊角少女`, `那个女孩`). */
export const MAX_EPITHET_LEAD = 3;
/** A verb before a descriptive noun in its clause (`看见是羊角少女`): an object, resolved there but not bound for the file. */
export const VERB_BEFORE_RE = /[是看见望盯向对给把被叫让和跟与朝问]/;
/** The longest modifier read before a clause's subject. */
const MAX_MODIFIER = 12;
/** The longest modifier read before a descriptive noun without 的 (羊角少女, 红发女孩). */
const MAX_EPITHET_MODIFIER = 3;
const APPOSITION_RE = /的[\u4e00-\u9fff]{1,3}$/;
/** A clause opening on 把 / 被 / 将, or a coverb right before the referent (往 / 向 / 对 / 给 / 跟 …): the referent is an object. */
const COVERB_BEFORE_RE = /^[把被将]|[往向对给跟和与朝在从把被让叫替帮]$/;
const DEMONSTRATIVE_HEAD_RE = /^[那这](?:个|位|名)?$/;
const SEPARATOR_IN_RE = /[。！？!?；;…，,：:、“”]/;

/** The first clause of a sentence that is not empty (`”，她回答` has an empty one before the comma). */
export function firstClause(s: Sentence): Clause | undefined {
  for (const c of s.clauses) if (lastNonSpace(c.src, c.start, c.end) >= c.start) return c;
  return undefined;
}

/**
 * Subject of the last clause (walking back) that has one, within `sentences`. A time clause's
 * (`博士推门进去的时候，烤箱前蹲着两个人。`) is background, not the one acting: skipped.
 */
export function lastSubject(sentences: readonly Sentence[]): { id: SpeakerId | null } | undefined {
  for (let s = sentences.length - 1; s >= 0; s--) {
    const cl = sentences[s]!.clauses;
    for (let c = cl.length - 1; c >= 0; c--) {
      const subj = subjectOf(cl[c]!);
      if (subj && !(c < cl.length - 1 && isTimeClause(cl[c]!) && !continuesSubject(cl[c + 1]!))) return subj;
    }
  }
  return undefined;
}

/** A clause ending in 的时候 / 时 (`博士进门时`): when something else happens, said in the clause after it. */
export function isTimeClause(c: Clause): boolean {
  const i = lastNonSpace(c.src, c.start, c.end);
  const last = c.src.charCodeAt(i);
  // (时 or 候 last: one test before the regex.)
  return i >= c.start && (last === 0x65f6 || last === 0x5019) && TIME_CLAUSE_END_RE.test(c.src.slice(c.start, i + 1));
}
/** A clause opening on an adverb (`也问过…`, `就笑了`): no subject of its own, it goes on with the one before. */
function continuesSubject(c: Clause): boolean {
  return CONTINUES_RE.test(c.src.slice(skipFiller(c.src, c.start, c.end), c.end));
}
const CONTINUES_RE = /^(?:也|又|就|才|便|还|都|却|正|已经|仍|再|总|只|先|一直|立刻|马上)/;
/** `…的时候` / `…时候` / `…时`, not an adverb ending in 时 (同时, 及时, 这时, 当时, 按时…). */
const TIME_CLAUSE_END_RE = /(?:时候|[^同及临按准这那此彼当暂平定届顿随有]时)$/;

/** The one character every resolved pronoun of a sentence meant, when there were at least two such pronouns. */
export function topicOf(t: ReadonlyMap<SpeakerId, number>): Set<SpeakerId> | undefined {
  if (t.size !== 1) return undefined;
  const [id, n] = t.entries().next().value!;
  return n >= 2 ? new Set([id]) : undefined;
}

/**
 * The character a sentence opens on, by name, as the subject of a topic chain
 * (`凯尔希走出来，…停在艾雅法拉身上。`): where a sentence names several of one pronoun and uses no
 * pronoun, a 她 / 他 in the next one continues that subject, not a character named in a later clause
 * as an object. Undefined when the first clause does not start with a name, names someone else too,
 * or is the whole sentence.
 */
export function openingSubject(clauses: readonly Clause[], rivals: ReadonlySet<SpeakerId>): SpeakerId | undefined {
  // (A leading time clause, `等乙戴好，甲…` / `当乙…时，甲…`, is background: the subject opens the clause after it.)
  const sub = clauses.length > 1 && TIME_CLAUSE_RE.test(clauses[0]!.src.slice(clauses[0]!.start, clauses[0]!.end)) ? 1 : 0;
  const c = clauses[sub];
  const r = c?.refs[0];
  if (!c || !r || !r.id || r.epithet) return undefined;
  const lead = c.src.slice(c.start, c.start + r.index);
  if (!/^[\s\u3000]*$/.test(lead)) return undefined;
  const word = c.src.slice(c.start + r.index, c.start + r.index + (r.len ?? 1));
  if (word === '她' || word === '他' || word === '我') return undefined;
  // (A topic chain: the subject carries on past its clause by zero anaphora. In one clause,
  // `甲看着乙。` or `甲和乙都笑了。`, both stay as salient; rivals: those the pronoun may mean.)
  if ((!sub && clauses.length < 2) || c.refs.some((x) => x.id !== r.id && x.id !== null && rivals.has(x.id))) return undefined;
  // (Another clause opening on someone else, `甲负责读数，乙负责记录`: parallel subjects, no one salient.)
  for (const o of clauses.slice(sub + 1))
    for (const x of o.refs) if (x.id !== r.id && /^[\s\u3000]*$/.test(o.src.slice(o.start, o.start + x.index))) return undefined;
  return r.id;
}
const TIME_CLAUSE_RE = /^[\s\u3000]*(?:等到?|当|直到)/;
