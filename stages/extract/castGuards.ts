// Two guards of turn-taking (turns.ts) for scenes with a cast of the file's own (rulesO, #15):
// alternation gives no line to another character where someone unknown is about and no two are
// alone, and no one goes on with the one they were talking with after a line that points at a
// third person there.
import type { SceneView, Unit } from './presence.js';
import type { SpeakerId } from './types.js';
import { speaksOf } from './narrationOnly.js';

/**
 * Where someone the config does not know is about (SceneView.strangers) and no two are alone (no
 * pair), who else is there is not known for sure either (a file names its locals as it pleases):
 * alternation does not say which of the others speaks, so it gives no line to another character.
 */
export const unknownCast = (v: SceneView, id: SpeakerId) => v.strangers === true && id.startsWith('other:');

/** `这位…X` / `这就是X` in the anchor's line: it points at X, someone else there, who may answer it (`这位就是博士吧？`). */
const POINTS_AT_RE = /(?:这位|那位|这就是|那就是)/;
export function pointsAtThird(v: SceneView, u: Unit, pair: ReadonlySet<SpeakerId | null>): boolean {
  return u.utts.some((x) => (POINTS_AT_RE.test(x.text) ? [...v.named(x.text)] : spokenOf(v, x.text)).some((id) => !pair.has(id)));
}

/**
 * The characters a line speaks of before them: named in it, not as a call, and meant by 她 / 他 in
 * it too (`“你先送阿芦回去吧，她的鞋湿了。”`). One of them who is there may answer it.
 */
export function spokenOf(v: Pick<SceneView, 'named' | 'vocatives'>, text: string): SpeakerId[] {
  if (!speaksOf(text, '她') && !speaksOf(text, '他')) return [];
  const called = v.vocatives(text);
  return [...v.named(text)].filter((id) => !called.has(id));
}
