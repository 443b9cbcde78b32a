// The chat messages sent for one case: system prompt (the case's override or the default), then the
// case's messages, with the old script's "answer in detail" request appended for min_chars cases.
import { intLength, type RegressionCase } from './cases.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Words that mean the last user message already asks for a length (the old script's list). */
const LENGTH_HINTS = ['不少于', '字', '详细'];

/**
 * The old script's suffix, byte for byte (`{min_chars}` is replaced by the number): cached answers
 * and the score history stay comparable. Another wording is opt-in (`regress.detail_suffix`).
 */
export const OLD_DETAIL_SUFFIX = '\n\n（请详细回答，不少于{min_chars}字。）';

export function detailRequest(minChars: number, suffix = OLD_DETAIL_SUFFIX): string {
  return suffix.replaceAll('{min_chars}', String(minChars));
}

export interface PromptOptions {
  /** Append the detail request to the last user message of a case with an integer min_chars > 0. */
  augmentMinChars: boolean;
  detailSuffix?: string;
}

/**
 * The messages for a case. `system_override` wins (an empty string means "no system message"),
 * then `defaultSystem` (null: no system message, the server's default_system decides). A case
 * whose messages start with a system message keeps it.
 */
export function buildMessages(c: RegressionCase, defaultSystem: string | null, opts: PromptOptions | boolean): ChatMessage[] {
  const o: PromptOptions = typeof opts === 'boolean' ? { augmentMinChars: opts } : opts;
  const own = c.messages[0]?.role === 'system';
  const system = c.system_override !== undefined && c.system_override !== null ? c.system_override : own ? null : defaultSystem;
  const out: ChatMessage[] = [];
  if (system !== null && system !== '') out.push({ role: 'system', content: system });
  const msgs = c.messages.filter((m, i) => !(own && i === 0 && c.system_override != null)).map((m) => ({ role: m.role, content: m.content }) as ChatMessage);
  const min = intLength(c.checks.min_chars);
  let li = -1;
  msgs.forEach((m, i) => {
    if (m.role === 'user') li = i;
  });
  const last = msgs[li];
  if (o.augmentMinChars && min !== undefined && min > 0 && last && !LENGTH_HINTS.some((h) => last.content.includes(h))) {
    msgs[li] = { role: last.role, content: `${last.content}${detailRequest(min, o.detailSuffix)}` };
  }
  out.push(...msgs);
  return out;
}
