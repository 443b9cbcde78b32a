// Model-assisted attribution (`extract.attribution: model`): the spoken lines the rules leave
// open are asked of an OpenAI-compatible endpoint (`extract.endpoint`), one question per line —
// a window of the text around it, the line, and the characters who may say it — at temperature 0,
// with a JSON answer. The answers are cached by (file content hash, window, prompt version, model)
// in the stage's cache dir, so a run without the endpoint (CPU-only, CI) reuses them. A label is
// kept only when the hard cues allow it (address.ts hardCueAllows: a line that calls someone by
// name or addresses the Doctor as 前辈 is not theirs).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { z } from 'zod';
import { writeFileAtomic } from '../../src/atomicWrite.js';
import { chatCompletion, RequestError } from '../regress/client.js';
import { answerToSpeaker, NOBODY, type ModelOracle, type ModelQuestion } from './question.js';

export { PROMPT_VERSION, questionFor, type ModelOracle, type ModelQuestion } from './question.js';

export interface EndpointConfig {
  url: string;
  model: string;
  api_key?: string | undefined;
  timeout_ms: number;
  concurrency: number;
}

/** Where the model questions go: an identity (part of every cached answer's key) and a way to reach it. */
export interface ModelSource {
  identity: string;
  /** The endpoint, started on first call; a string says why there is none this run. */
  endpoint(): Promise<EndpointConfig | string>;
  /** Stops what endpoint() started (nothing for a configured endpoint). */
  close(): Promise<void>;
}

/** The source for a configured endpoint: its model name is the identity. */
export function endpointSource(ep: EndpointConfig): ModelSource {
  return { identity: ep.model, endpoint: () => Promise.resolve(ep), close: () => Promise.resolve() };
}

/** Answers by question key: the name the model chose (null: it would not say). */
export type AnswerLookup = (key: string) => string | null | undefined;

const answerSchema = z.object({ speaker: z.string() }).loose();

/** The name in a model's answer: JSON (maybe inside a code fence or prose), else null. */
export function parseAnswer(content: string): string | null {
  const m = /\{[^{}]*\}/.exec(content);
  if (!m) return null;
  let json: unknown;
  try {
    json = JSON.parse(m[0]);
  } catch {
    return null;
  }
  const p = answerSchema.safeParse(json);
  if (!p.success) return null;
  const name = p.data.speaker.trim();
  return name && name !== NOBODY ? name : null;
}

const cacheSchema = z.object({ version: z.literal(1), answers: z.record(z.string(), z.string().nullable()) }).strict();
const CACHE_FILE = 'model-answers.json';

/** The model's answers kept in the stage's cache dir (one JSON file, checked when read). */
export interface AnswerCache {
  get: AnswerLookup;
  set(key: string, name: string | null): void;
  readonly size: number;
  save(): Promise<void>;
  /** Set when the file was unusable (it is then started afresh). */
  readonly warning: string | undefined;
}

export async function openAnswerCache(dir: string | undefined): Promise<AnswerCache> {
  const answers = new Map<string, string | null>();
  let warning: string | undefined;
  let dirty = false;
  const path = dir ? join(dir, CACHE_FILE) : undefined;
  const text = path ? await readFile(path, 'utf8').catch(() => undefined) : undefined;
  if (text !== undefined) {
    let parsed: z.ZodSafeParseResult<z.infer<typeof cacheSchema>> | undefined;
    try {
      parsed = cacheSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) for (const [k, v] of Object.entries(parsed.data.answers)) answers.set(k, v);
    else warning = `the cached model answers (${CACHE_FILE} in the stage cache) are unreadable: asking again`;
  }
  return {
    get: (k) => answers.get(k),
    set(k, v) {
      answers.set(k, v);
      dirty = true;
    },
    get size() {
      return answers.size;
    },
    async save() {
      if (!path || !dirty) return;
      await writeFileAtomic(path, `${JSON.stringify({ version: 1, answers: Object.fromEntries(answers) })}\n`, { root: dir });
      dirty = false;
    },
    warning,
  };
}

export interface AskResult {
  asked: number;
  failed: number;
  /** The first failure, for the message. */
  error?: string;
}

/** Asks every question not in the cache (concurrently, `concurrency` at once) and caches the answers (`onAnswer` after each). */
export async function askMissing(
  questions: readonly ModelQuestion[],
  cache: AnswerCache,
  ep: EndpointConfig,
  signal?: AbortSignal,
  onAnswer?: () => void,
): Promise<AskResult> {
  const todo = new Map<string, ModelQuestion>();
  for (const q of questions) if (cache.get(q.key) === undefined) todo.set(q.key, q);
  const limit = pLimit(Math.max(1, ep.concurrency));
  let failed = 0;
  let error: string | undefined;
  await Promise.all(
    [...todo.values()].map((q) =>
      limit(async () => {
        if (signal?.aborted || failed > 0) {
          // (After a failure the endpoint is taken to be down: the rest stay to the rules this run.)
          failed++;
          return;
        }
        try {
          const c = await chatCompletion(
            ep.model,
            q.messages,
            { temperature: 0, top_p: 1, max_tokens: 32 },
            {
              baseUrl: ep.url,
              apiKey: ep.api_key,
              timeoutMs: ep.timeout_ms,
              signal,
            },
          );
          cache.set(q.key, parseAnswer(c.content));
          onAnswer?.();
        } catch (err) {
          failed++;
          error ??= err instanceof RequestError ? err.message : String(err);
        }
      }),
    ),
  );
  return { asked: todo.size - failed, failed, ...(error ? { error } : {}) };
}

/** An oracle that answers from `lookup` and records what it could not answer. */
export function cachedOracle(model: string, lookup: AnswerLookup, missing?: ModelQuestion[]): ModelOracle {
  return {
    model,
    ask(q) {
      const a = lookup(q.key);
      if (a === undefined) {
        missing?.push(q);
        return undefined;
      }
      return a === null ? null : answerToSpeaker(q, a);
    },
  };
}
