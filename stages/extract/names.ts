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
  const namesRe = [...names, ...descs].map(escape).join('|');
  const refRe = new RegExp(`${namesRe ? `${namesRe}|` : ''}(?<![其吾])[她他](?![们人])|我(?!们)`, 'g');
  const anyRe = namesRe ? new RegExp(namesRe) : /(?!)/;
  const separatorInNames = new Map<RegExp, boolean>();
  return {
    lookupExact: (name) => byName.get(name),
    containsAny: (text) => anyRe.test(text),
    referents(text) {
      const out: Referent[] = [];
      refRe.lastIndex = 0;
      for (let m = refRe.exec(text); m; m = refRe.exec(text)) {
        const w = m[0];
        const ref = w === '她' || w === '他' || w === '我' ? w : (byName.get(w) ?? descriptor.get(w)!);
        out.push(ref === '某她' || ref === '某他' ? { ref, index: m.index, len: w.length, word: w } : { ref, index: m.index, len: w.length });
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
