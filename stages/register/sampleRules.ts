// One ShareGPT sample checked against the shape (zod) and the structural rules LLaMA-Factory
// applies when it converts ShareGPT (data/converter.py): an optional leading system turn, then
// turns alternating human|observation and gpt|function_call, starting with human, ending with an
// even count; every value non-empty, `system` a string when present.
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
export const OBSERVATION_TAG = 'observation';
export const FUNCTION_TAG = 'function_call';
export const SYSTEM_TAG = 'system';
// data/converter.py SharegptDatasetConverter: turn 0, 2, … is a user or observation turn,
// 1, 3, … an assistant or function_call turn; a leading system turn is the sample's system prompt.
const ODD_TAGS = [USER_TAG, OBSERVATION_TAG];
const EVEN_TAGS = [ASSISTANT_TAG, FUNCTION_TAG];

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
    return {
      problems: [
        {
          field: '(sample)',
          message: `must be an object with "conversations", got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
        },
      ],
    };
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
  const leadingSystem = sample.conversations[0]?.from === SYSTEM_TAG;
  const turns = leadingSystem ? sample.conversations.slice(1) : sample.conversations;
  const offset = leadingSystem ? 1 : 0;
  if (turns.length === 0) {
    problems.push({ field: 'conversations', message: 'has no turns' });
    return { problems, sample };
  }
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i]!;
    const accepted = i % 2 === 0 ? ODD_TAGS : EVEN_TAGS;
    if (!accepted.includes(turn.from)) {
      const known = [...ODD_TAGS, ...EVEN_TAGS].includes(turn.from);
      problems.push({
        field: `conversations[${i + offset}].from`,
        message:
          turn.from === SYSTEM_TAG
            ? "a system turn is only allowed first (it is the sample's system prompt); LLaMA-Factory skips such a sample"
            : known
              ? `expected ${accepted.map((t) => `"${t}"`).join(' or ')}, got "${turn.from}": turns must alternate ${USER_TAG}/${ASSISTANT_TAG}, starting with ${USER_TAG}; LLaMA-Factory skips such a sample`
              : `role "${turn.from}" is not one LLaMA-Factory's ShareGPT format knows (${[USER_TAG, ASSISTANT_TAG, OBSERVATION_TAG, FUNCTION_TAG, SYSTEM_TAG].join(', ')}); it skips such a sample`,
      });
      break; // LLaMA-Factory stops at the first bad role too
    }
  }
  turns.forEach((turn, i) => {
    if (turn.value.trim() === '') problems.push({ field: `conversations[${i + offset}].value`, message: 'is empty' });
  });
  if (turns.length % 2 !== 0) {
    problems.push({
      field: 'conversations',
      message: `has ${turns.length} turns${leadingSystem ? ' after the system turn' : ''}; it must end with a "${ASSISTANT_TAG}" turn (an even count), or LLaMA-Factory skips the sample`,
    });
  }
  return { problems, sample };
}

/** The system prompt LLaMA-Factory uses for a sample: a leading system turn, else `system`. */
export function effectiveSystem(sample: Sample): string | undefined {
  const first = sample.conversations[0];
  if (first?.from === SYSTEM_TAG) return first.value;
  return sample.system;
}
