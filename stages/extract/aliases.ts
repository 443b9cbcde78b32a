// Names a story gives a character on the fly: a call sign, code name or nickname the narration
// explains (`在雪原上她的呼号是“雪原站”`). A script or radio line led by that name
// (`【雪原站】收到。`) is that character's.
import type { Sentence } from './narration.js';
import type { SpeakerId } from './types.js';

/** Narration ending right before a quoted name it explains: `…的呼号是` / `…的代号叫` / `…的外号`. */
const NAMED_AS_RE = /的(?:呼号|代号|外号|绰号|昵称|化名)(?:是|叫做?|为)?[\s\u3000]*$/;

/**
 * The character whose call sign (code name, nickname) the quote right after `pre` is: the one
 * named or meant right before `的呼号` in its last clause (`她的呼号是“…”`, 她 resolved).
 */
export function aliasOwner(pre: readonly Sentence[] | undefined): SpeakerId | undefined {
  const c = pre?.at(-1)?.clauses.at(-1);
  if (!c) return undefined;
  const m = NAMED_AS_RE.exec(c.src.slice(c.start, c.end));
  const r = c.refs.at(-1);
  if (!m || !r?.id || r.index + (r.len ?? 1) !== m.index) return undefined;
  return r.id;
}

/** Records the quote right after `pre` as a name of the character whose call sign it is (aliasOwner), if it is one. */
export function noteAlias(pre: readonly Sentence[] | undefined, quote: string, aliases: Map<string, SpeakerId>): void {
  const id = aliasOwner(pre);
  if (id) aliases.set(quote.trim(), id);
}
