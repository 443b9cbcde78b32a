// Names and aliases → speaker ids, and a single regex that finds every referent (a name, 她, 他,
// or 我) in a piece of narration.
import type { CharacterConfig } from './config.js';
import type { SpeakerId } from './types.js';

export interface Referent {
  /** A speaker for names; the pronoun itself for 她/他/我. */
  ref: SpeakerId | '她' | '他' | '我';
  index: number;
}

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
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function buildNameIndex(persona: CharacterConfig, doctor: CharacterConfig, others: readonly CharacterConfig[]): NameIndex {
  const byName = new Map<string, SpeakerId>();
  const pronouns = new Map<SpeakerId, '她' | '他'>();
  const add = (c: CharacterConfig, id: SpeakerId) => {
    pronouns.set(id, c.pronoun);
    for (const n of c.names) if (!byName.has(n)) byName.set(n, id);
  };
  add(persona, 'persona');
  add(doctor, 'doctor');
  for (const o of others) add(o, `other:${o.names[0]!}`);
  const names = [...byName.keys()].sort((a, b) => b.length - a.length);
  const namesRe = names.map(escape).join('|');
  const refRe = new RegExp(`${namesRe ? `${namesRe}|` : ''}(?<![其吾])[她他](?![们人])|我(?!们)`, 'g');
  const anyRe = namesRe ? new RegExp(namesRe) : /(?!)/;
  return {
    lookupExact: (name) => byName.get(name),
    containsAny: (text) => anyRe.test(text),
    referents(text) {
      const out: Referent[] = [];
      refRe.lastIndex = 0;
      for (let m = refRe.exec(text); m; m = refRe.exec(text)) {
        const w = m[0];
        const ref = w === '她' || w === '他' || w === '我' ? w : byName.get(w)!;
        out.push({ ref, index: m.index });
      }
      return out;
    },
    pronounOf: (id) => pronouns.get(id) ?? '她',
    hasSeparatorInNames: (re) => names.some((n) => re.test(n)),
    personaNames: persona.names,
    doctorNames: doctor.names,
  };
}
