// Names and aliases → speaker ids, and a single regex that finds every referent (a name, 她, 他,
// or 我) in a piece of narration.
import type { CharacterConfig, PersonaConfig } from './config.js';
import { SOMEONE, type SpeakerId } from './types.js';

export interface Referent {
  /**
   * A speaker for names; the pronoun itself for 她/他/我; 某她 / 某他 for a descriptive noun
   * (少女, 那女孩, 男人…) that names nobody for sure.
   */
  ref: SpeakerId | '她' | '他' | '我' | '某她' | '某他';
  index: number;
  /** Its length as written. */
  len: number;
  /** The descriptive noun as written (for 某她 / 某他). */
  word?: string;
}

/** Descriptive nouns that stand for a character without naming one, by the pronoun they take. */
const DESCRIPTORS_SHE = ['小女孩', '女孩子', '女孩', '小姑娘', '姑娘', '少女', '女人', '女子', '女生', '女士'];
const DESCRIPTORS_HE = ['小男孩', '男孩子', '男孩', '少年', '男人', '男子', '小伙子'];
/** A discovered name ending in one of these takes 他. */
const MALE_NAME_RE = /(?:叔|哥|爷|伯|先生|男|弟|公)$/;

export interface NameIndex {
  lookupExact(name: string): SpeakerId | undefined;
  containsAny(text: string): boolean;
  /** Every referent in `text`, in order. */
  referents(text: string): Referent[];
  pronounOf(id: SpeakerId): '她' | '他';
  /** Whether some name contains a character of `re` (then referents must be found per clause). */
  hasSeparatorInNames(re: RegExp): boolean;
  /** Names of her, used to spot her being addressed. */
  readonly personaNames: readonly string[];
  readonly doctorNames: readonly string[];
  /** Her traits (persona.traits) as one alternation, undefined: none configured. */
  readonly personaTraits: RegExp | undefined;
  /** A character the config does not know (found in this file, or a script name used once). */
  isStranger(id: SpeakerId): boolean;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const code = (c: string) => c.charCodeAt(0);
const SHE = code('她');
const HE = code('他');
const ME = code('我');
const MEN = code('们');
const REN = code('人');
const QI = code('其');
const WU = code('吾');

/**
 * Literal words by their first code unit, in their order, with a bit per code unit that starts
 * one (and per `also`): a scan that stands for the regex alternation of the words, which at each
 * position takes the first of them that matches there.
 */
function wordTable(words: readonly string[], also: readonly number[] = []) {
  const byFirst = new Map<number, string[]>();
  const bits = new Uint32Array(2048);
  for (const w of words) {
    const c = w.charCodeAt(0);
    const list = byFirst.get(c);
    if (list) list.push(w);
    else byFirst.set(c, [w]);
  }
  for (const c of [...byFirst.keys(), ...also]) bits[c >>> 5]! |= 1 << (c & 31);
  return { byFirst, bits };
}

/** The first of `table`'s words that starts at `i` (the one the alternation matches there). */
function wordAt(table: ReturnType<typeof wordTable>, text: string, i: number, c: number): string | undefined {
  const list = table.byFirst.get(c);
  if (list) for (const w of list) if (text.startsWith(w, i)) return w;
  return undefined;
}

/** 她 / 他 (not after 其 / 吾, nor before 们 / 人) or 我 (not before 们) at `i`: the pronoun the referent regex reads there. */
function pronounAt(text: string, i: number, c: number): '她' | '他' | '我' | undefined {
  const next = text.charCodeAt(i + 1);
  if (c === ME) return next === MEN ? undefined : '我';
  if (c !== SHE && c !== HE) return undefined;
  const before = text.charCodeAt(i - 1);
  if (before === QI || before === WU || next === MEN || next === REN) return undefined;
  return c === SHE ? '她' : '他';
}

/**
 * `discovered`: names found in one file (discover.ts) that are not configured: they count as
 * other characters, 他 for names like 葛大叔 and those in `male` (the file says 他 of them), else 她;
 * `discoveredAliases`: more words naming one of them (the role they were introduced by).
 */
export function buildNameIndex(
  persona: PersonaConfig,
  doctor: CharacterConfig,
  others: readonly CharacterConfig[],
  discovered: readonly string[] = [],
  male: readonly string[] = [],
  discoveredAliases: ReadonlyArray<readonly [string, SpeakerId]> = [],
): NameIndex {
  const byName = new Map<string, SpeakerId>();
  const pronouns = new Map<SpeakerId, '她' | '他'>();
  const add = (c: CharacterConfig, id: SpeakerId) => {
    pronouns.set(id, c.pronoun);
    for (const n of c.names) if (!byName.has(n)) byName.set(n, id);
  };
  add(persona, 'persona');
  add(doctor, 'doctor');
  for (const o of others) add(o, `other:${o.names[0]!}`);
  const strangers = new Set<SpeakerId>();
  for (const n of discovered)
    if (!byName.has(n)) {
      add({ names: [n], pronoun: MALE_NAME_RE.test(n) || male.includes(n) ? '他' : '她' }, `other:${n}`);
      strangers.add(`other:${n}`);
    }
  // (A role a discovered name was introduced by, `徒弟`, names them too.)
  for (const [a, id] of discoveredAliases) if (strangers.has(id) && !byName.has(a)) byName.set(a, id);
  const names = [...byName.keys()].sort((a, b) => b.length - a.length);
  const descriptor = new Map<string, '某她' | '某他'>();
  for (const d of DESCRIPTORS_SHE) descriptor.set(d, '某她');
  for (const d of DESCRIPTORS_HE) descriptor.set(d, '某他');
  // Names first (longest first), then descriptors not contained in a name.
  const descs = [...descriptor.keys()].filter((d) => !byName.has(d)).sort((a, b) => b.length - a.length);
  // (Scanned by hand, not as one regex alternation of them: referents about twice as fast, no match arrays to collect.)
  const words = wordTable([...names, ...descs]);
  const refWords = wordTable([...names, ...descs], [SHE, HE, ME]);
  const separatorInNames = new Map<RegExp, boolean>();
  return {
    lookupExact: (name) => byName.get(name),
    containsAny(text) {
      const bits = words.bits;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if ((bits[c >>> 5]! & (1 << (c & 31))) !== 0 && wordAt(words, text, i, c) !== undefined) return true;
      }
      return false;
    },
    referents(text) {
      // (What a global scan of names (longest first), descriptors, then 她 / 他 / 我 finds.)
      const out: Referent[] = [];
      const bits = refWords.bits;
      for (let i = 0; i < text.length;) {
        const c = text.charCodeAt(i);
        const w = (bits[c >>> 5]! & (1 << (c & 31))) === 0 ? undefined : (wordAt(refWords, text, i, c) ?? pronounAt(text, i, c));
        if (w === undefined) {
          i++;
          continue;
        }
        const ref = w === '她' || w === '他' || w === '我' ? w : (byName.get(w) ?? descriptor.get(w)!);
        out.push(ref === '某她' || ref === '某他' ? { ref, index: i, len: w.length, word: w } : { ref, index: i, len: w.length });
        i += w.length;
      }
      return out;
    },
    pronounOf: (id) => pronouns.get(id) ?? '她',
    hasSeparatorInNames(re) {
      // (Asked once per file, always with the same regex: answered once per index.)
      let v = separatorInNames.get(re);
      if (v === undefined) separatorInNames.set(re, (v = names.some((n) => re.test(n))));
      return v;
    },
    personaNames: persona.names,
    doctorNames: doctor.names,
    personaTraits: persona.traits?.length ? new RegExp(persona.traits.map(escape).join('|')) : undefined,
    isStranger: (id) => id !== SOMEONE && id.startsWith('other:') && (strangers.has(id) || !byName.has(id.slice('other:'.length))),
  };
}
