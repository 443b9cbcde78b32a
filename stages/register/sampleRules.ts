// One ShareGPT sample checked against the shape (zod) and the structural rules LLaMA-Factory
// applies when it converts ShareGPT: turns alternate human/gpt, start with human, end with gpt
// (an even count), every value non-empty, `system` a string when present, only declared roles.
// LLaMA-Factory itself would silently skip (or, for a missing role key, crash on) such samples.
import { z } from 'zod';

export interface SampleProblem {
  /** Field path inside the sample, e.g. `conversations[2].from`. */
  field: string;
  message: string;
}

/** Role tags of a ShareGPT entry that declares no `tags` (LLaMA-Factory's defaults for chat). */
export const USER_TAG = 'human';
export const ASSISTANT_TAG = 'gpt';

const turnSchema = z.looseObject({
  from: z.string({ error: (iss) => (iss.input === undefined ? 'missing role key "from" (LLaMA-Factory would crash on it)' : 'must be a string') }),
  value: z.string({ error: (iss) => (iss.input === undefined ? 'missing "value"' : 'must be a string') }),
});

export const sampleSchema = z.looseObject({
  system: z.string({ error: 'must be a string when present' }).optional(),
  conversations: z.array(turnSchema, {
    error: (iss) => (iss.input === undefined ? 'missing "conversations" (the list of turns)' : 'must be a list of turns'),
  }),
});
export type Sample = z.infer<typeof sampleSchema>;

function fieldOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(sample)';
}

/** All problems of one sample ([] when it is fine), and the typed sample when the shape holds. */
export function checkSample(value: unknown): { problems: SampleProblem[]; sample?: Sample } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problems: [{ field: '(sample)', message: `must be an object with "conversations", got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` }] };
  }
  const parsed = sampleSchema.safeParse(value);
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((iss) => ({ field: fieldOf(iss.path), message: iss.message })) };
  }
  const sample = parsed.data;
  const problems: SampleProblem[] = [];
  if (sample.system !== undefined && sample.system.trim() === '') {
    problems.push({ field: 'system', message: 'is empty; leave it out instead' });
  }
  const turns = sample.conversations;
  if (turns.length === 0) {
    problems.push({ field: 'conversations', message: 'has no turns' });
    return { problems, sample };
  }
  turns.forEach((turn, i) => {
    const expected = i % 2 === 0 ? USER_TAG : ASSISTANT_TAG;
    if (turn.from !== USER_TAG && turn.from !== ASSISTANT_TAG) {
      const hint = turn.from === 'system' ? '; put the system prompt in the sample\'s "system" field' : '';
      problems.push({ field: `conversations[${i}].from`, message: `role "${turn.from}" is not one this entry declares (${USER_TAG}, ${ASSISTANT_TAG})${hint}` });
    } else if (turn.from !== expected) {
      problems.push({
        field: `conversations[${i}].from`,
        message: `expected "${expected}", got "${turn.from}": turns must alternate ${USER_TAG}/${ASSISTANT_TAG}, starting with ${USER_TAG}`,
      });
    }
    if (turn.value.trim() === '') problems.push({ field: `conversations[${i}].value`, message: 'is empty' });
  });
  if (turns.length % 2 !== 0) {
    problems.push({
      field: 'conversations',
      message: `has ${turns.length} turns; it must end with a "${ASSISTANT_TAG}" turn (an even count), or LLaMA-Factory skips the sample`,
    });
  }
  return { problems, sample };
}
