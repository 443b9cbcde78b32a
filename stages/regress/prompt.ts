// The chat messages sent for one case: system prompt (the case's override or the default), then the
// case's messages, with the old script's "answer in detail" request appended for min_chars cases.
import type { RegressionCase } from './cases.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Words that mean the last user message already asks for a length (the old script's list). */
const LENGTH_HINTS = ['不少于', '字', '详细'];

export function detailRequest(minChars: number): string {
  return `请详细回答，不少于${minChars}字。`;
}

/**
 * The messages for a case. `system_override` wins (an empty string means "no system message"),
 * then `defaultSystem` (null: no system message, the server's template decides).
 */
export function buildMessages(c: RegressionCase, defaultSystem: string | null, augmentMinChars: boolean): ChatMessage[] {
  const system = c.system_override !== undefined && c.system_override !== null ? c.system_override : defaultSystem;
  const out: ChatMessage[] = [];
  if (system !== null && system !== '') out.push({ role: 'system', content: system });
  const msgs = c.messages.map((m) => ({ role: m.role, content: m.content }) as ChatMessage);
  const min = c.checks.min_chars;
  const last = msgs.at(-1);
  if (augmentMinChars && min !== undefined && min > 0 && last && !LENGTH_HINTS.some((h) => last.content.includes(h))) {
    msgs[msgs.length - 1] = { role: last.role, content: `${last.content}\n${detailRequest(min)}` };
  }
  out.push(...msgs);
  return out;
}
