// Descriptive nouns (少女, 女人, 那个男孩) read like pronouns by the attributor: which of the
// characters about one of them may mean.
import type { NameIndex } from './names.js';
import { SOMEONE } from './presence.js';
import type { SpeakerId } from './types.js';

/** Descriptive nouns of a child or young person; the others (女人, 男子…) are of a grown one. */
const YOUNG_EPITHET_RE = /孩|姑娘|少女|少年|女生|小伙子/;

/**
 * The candidates a descriptive noun may mean, less anyone the file already calls by a descriptive
 * noun of another age (女人 vs 女孩 / 少女): a writer who calls one woman 女人 and then says 那个女孩
 * means someone else. Where that leaves no one of the salient ones, the one other character of
 * that pronoun about in the scene, if there is exactly one.
 */
export function epithetOther(
  word: string,
  set: Set<SpeakerId>,
  epithets: ReadonlyMap<string, SpeakerId>,
  present: ReadonlySet<SpeakerId>,
  p: '她' | '他',
  names: NameIndex,
): Set<SpeakerId> {
  const young = YOUNG_EPITHET_RE.test(word);
  const other = new Set<SpeakerId>();
  for (const [w, id] of epithets) if (YOUNG_EPITHET_RE.test(w) !== young) other.add(id);
  if (!other.size) return set;
  const kept = new Set([...set].filter((x) => !other.has(x)));
  if (kept.size || set.size > 1) return kept;
  const rest = [...present].filter((x) => x !== SOMEONE && !other.has(x) && names.pronounOf(x) === p);
  return rest.length === 1 ? new Set(rest) : kept;
}
