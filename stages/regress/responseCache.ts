// Per-case response cache: one small JSON file per response key under the stage's cache dir.
// The key covers exactly what determines the answer: who answers (adapter content hash and
// inference config, or the endpoint), the model name, the full request messages (system prompt
// included) and the decoding params. Checks are not part of it, so editing them re-applies the
// checks to the cached response without asking the model again.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../src/atomicWrite.js';
import type { Decoding } from './client.js';
import type { ChatMessage } from './prompt.js';

export interface ResponseKeyInput {
  /** What answers: `{adapter: <sha256>, inference: {...}}` or `{endpoint: url}`. */
  responder: Record<string, unknown>;
  model: string | null;
  messages: ChatMessage[];
  decoding: Decoding;
}

/** Stable JSON (sorted object keys) so the key does not depend on property order. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export function responseKey(input: ResponseKeyInput): string {
  return createHash('sha256')
    .update(`regress-response-v1\n${stable(input)}`)
    .digest('hex');
}

export const cachedResponseSchema = z.object({
  response: z.string(),
  finish_reason: z.string().nullable(),
  latency_ms: z.number(),
  model: z.string(),
  created_at: z.string(),
});

export type CachedResponse = z.infer<typeof cachedResponseSchema>;

/**
 * On disk: the entry plus the key it answers (a file copied or moved under another key is a miss)
 * and a checksum over both (a damaged response is a miss, not a wrong answer).
 */
const storedSchema = cachedResponseSchema.extend({ key: z.string(), sum: z.string() }).strict();

function entrySum(key: string, value: CachedResponse): string {
  return createHash('sha256')
    .update(`regress-cached-v1\n${stable({ ...value, key })}`)
    .digest('hex');
}

export class ResponseCache {
  constructor(
    private readonly dir: string,
    /** Told once per damaged entry (a miss: the case is asked again). */
    private readonly warn: (message: string) => void = () => {},
  ) {}

  private path(key: string): string {
    return join(this.dir, 'responses', key.slice(0, 2), `${key}.json`);
  }

  /** The cached response, or undefined (a missing or unreadable entry is a miss). */
  async get(key: string): Promise<CachedResponse | undefined> {
    const file = this.path(key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    let problem: string;
    try {
      const parsed = storedSchema.safeParse(JSON.parse(text));
      if (parsed.success) {
        const { key: stored, sum, ...value } = parsed.data;
        if (stored === key && sum === entrySum(key, value)) return value;
        problem = stored !== key ? 'it belongs to another request' : 'checksum mismatch';
      } else {
        problem = `${parsed.error.issues[0]?.path.join('.') || '(entry)'}: ${parsed.error.issues[0]?.message}`;
      }
    } catch {
      problem = 'not valid JSON';
    }
    this.warn(`cached response ${file} is unusable (${problem}); asking again`);
    return undefined;
  }

  async put(key: string, value: CachedResponse): Promise<void> {
    await writeFileAtomic(this.path(key), JSON.stringify({ ...value, key, sum: entrySum(key, value) }), { root: this.dir });
  }
}
