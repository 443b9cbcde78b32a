// Model-assisted attribution (`extract.attribution: model`): the spoken lines the rules leave
// open are asked of an OpenAI-compatible endpoint (`extract.endpoint`), one question per line —
// a window of the text around it, the line, and the characters who may say it — at temperature 0,
// with a JSON answer. The answers are cached by (file content hash, window, prompt version, model)
// in the stage's cache dir, so a run without the endpoint (CPU-only, CI) reuses them. A label is
// kept only when the hard cues allow it (address.ts hardCueAllows: a line that calls someone by
// name or addresses the Doctor as 前辈 is not theirs).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { z } from 'zod';
import { writeFileAtomic } from '../../src/atomicWrite.js';
import { chatCompletion, RequestError } from '../regress/client.js';
import type { NameIndex } from './names.js';
import type { SpeakerId, Utterance } from './types.js';

/** Bumped whenever the question changes: cached answers to another question are not reused. */
export const PROMPT_VERSION = 1;
/** Lines of the text before and after the line asked about that go into the question. */
const LINES_BEFORE = 8;
const LINES_AFTER = 3;
const NOBODY = '不确定';

export interface EndpointConfig {
  url: string;
  model: string;
  api_key?: string | undefined;
  timeout_ms: number;
  concurrency: number;
}

export interface ModelQuestion {
  key: string;
  messages: Array<{ role: 'system' | 'user'; content: string }>;
  /** The names offered, each with whom it means. */
  candidates: ReadonlyMap<string, SpeakerId>;
}

/** Answers by question key: the name the model chose (null: it would not say). */
export type AnswerLookup = (key: string) => string | null | undefined;

/** What analyzeText asks for each open line: the model's label, if one is known (else undefined). */
export interface ModelOracle {
  /** The model's identity (part of every question's key). */
  readonly model: string;
  ask(q: ModelQuestion): SpeakerId | null | undefined;
}

const SYSTEM = `你是小说对白的标注员。给你一段小说原文和其中的一句台词，判断这句台词是谁说的。只能从给出的候选人里选；看不出来就选“${NOBODY}”。只输出 JSON：{"speaker": "候选人名字"}`;

/** The question for one open line of a file (normalized text split in lines, its content hash). */
export function questionFor(
  lines: readonly string[],
  textHash: string,
  u: Utterance,
  names: NameIndex,
  model: string,
  labelOf: (id: SpeakerId) => string,
): ModelQuestion {
  const lo = Math.max(0, u.line - 1 - LINES_BEFORE);
  const hi = Math.min(lines.length, u.line + LINES_AFTER);
  const window = lines.slice(lo, hi).join('\n');
  const candidates = new Map<string, SpeakerId>();
  const add = (id: SpeakerId) => {
    if (id === 'other:?') return;
    candidates.set(labelOf(id), id);
  };
  add('persona');
  add('doctor');
  for (const r of names.referents(window)) if (r.ref !== '她' && r.ref !== '他' && r.ref !== '我' && r.ref !== '某她' && r.ref !== '某他') add(r.ref);
  const names_ = [...candidates.keys()];
  const user = `原文：\n${window}\n\n台词：“${u.text}”\n候选人：${[...names_, NOBODY].join('、')}`;
  const key = createHash('sha256')
    .update(JSON.stringify([textHash, window, u.text, names_, PROMPT_VERSION, model]))
    .digest('hex')
    .slice(0, 32);
  return {
    key,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: user },
    ],
    candidates,
  };
}

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

/** Asks every question not in the cache (concurrently, `concurrency` at once) and caches the answers. */
export async function askMissing(questions: readonly ModelQuestion[], cache: AnswerCache, ep: EndpointConfig, signal?: AbortSignal): Promise<AskResult> {
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
      return a === null ? null : (q.candidates.get(a) ?? null);
    },
  };
}
