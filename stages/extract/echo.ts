// A line that takes up words its speaker said earlier as their own (`我说的十分钟，还剩四分钟。`):
// whoever said those words before in the scene says it again (turns.ts fillScene).
import { assign, SOMEONE, type SceneView } from './presence.js';
import type { SpeakerId } from './types.js';

/** `我说的X` / `我刚才说的X` / `我说过的X`: X, the words taken up (two to six characters, to the next pause). */
const OWN_WORDS_RE = /我(?:刚才|之前|早就|不是)?说(?:过)?的([\u4e00-\u9fff]{2,6})(?=[，,。！!？?…～~]|$)/;

/**
 * O: a bare line that takes up, as its speaker's own words, something one person alone said
 * before in the scene (`“十分钟。”` … `“我说的十分钟，还剩四分钟。”`) is that person's.
 */
export function fillByOwnWords(v: SceneView): void {
  v.units.forEach((unit, i) => {
    if (unit.speaker || !unit.bare) return;
    const words = unit.utts.map((u) => OWN_WORDS_RE.exec(u.text)?.[1]).find((w) => w !== undefined);
    if (!words) return;
    const by = new Set<SpeakerId | null>();
    for (const before of v.units.slice(0, i)) for (const u of before.utts) if (u.text.includes(words)) by.add(u.speaker);
    if (by.size !== 1) return;
    const id = by.values().next().value;
    if (!id || id === SOMEONE || unit.utts.some((u) => v.vetoed(u, id))) return;
    assign(unit, id, 'own-words');
  });
}
