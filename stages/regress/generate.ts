// Plans which cases need an answer (per-case cache lookup), asks the server for the missing ones
// concurrently (p-limit) with retries, and turns answers into results by applying the checks.
import pLimit from 'p-limit';
import type { LoadedCase } from './cases.js';
import { applyChecks } from './checks.js';
import { chatCompletion, withRetries, type RequestError, type ClientOptions, type Decoding } from './client.js';
import { buildMessages, type ChatMessage } from './prompt.js';
import type { BoundedRegex } from './regexBound.js';
import { responseKey, type CachedResponse, type ResponseCache } from './responseCache.js';
import type { CaseResult } from './summary.js';

export interface PlannedCase {
  case: LoadedCase;
  messages: ChatMessage[];
  key: string;
  cached: CachedResponse | undefined;
}

export interface PlanOptions {
  responder: Record<string, unknown>;
  /** Model name that identifies the answerer in the key (null: the server's only/first model). */
  model: string | null;
  decoding: Decoding;
  defaultSystem: string | null;
  augmentMinChars: boolean;
  detailSuffix?: string;
}

export async function planCases(cases: readonly LoadedCase[], cache: ResponseCache, opts: PlanOptions): Promise<PlannedCase[]> {
  return Promise.all(
    cases.map(async (c) => {
      const messages = buildMessages(c, opts.defaultSystem, { augmentMinChars: opts.augmentMinChars, detailSuffix: opts.detailSuffix });
      const key = responseKey({ responder: opts.responder, model: opts.model, messages, decoding: opts.decoding });
      return { case: c, messages, key, cached: await cache.get(key) };
    }),
  );
}

export type Answer = { ok: true; value: CachedResponse; cached: boolean } | { ok: false; error: string };

export interface GenerateOptions {
  client: ClientOptions;
  /** The `model` field sent in each request. */
  model: string;
  decoding: Decoding;
  concurrency: number;
  retries: number;
  retryBaseDelayMs?: number;
  cache?: ResponseCache | undefined;
  onAnswer?: (p: PlannedCase, a: Answer) => void;
  onRetry?: (p: PlannedCase, err: RequestError, attempt: number, delayMs: number) => void;
}

/** Asks the server for one case (with retries); failures become error answers. */
export async function askCase(p: PlannedCase, opts: GenerateOptions): Promise<Answer> {
  try {
    const c = await withRetries(() => chatCompletion(opts.model, p.messages, opts.decoding, opts.client), {
      retries: opts.retries,
      baseDelayMs: opts.retryBaseDelayMs ?? 500,
      signal: opts.client.signal,
      onRetry: (err, attempt, delay) => opts.onRetry?.(p, err, attempt, delay),
    });
    const value: CachedResponse = {
      response: c.content,
      finish_reason: c.finishReason,
      latency_ms: c.latencyMs,
      model: opts.model,
      created_at: new Date().toISOString(),
    };
    return { ok: true, value, cached: false };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Applies a case's checks to its answer. */
export async function checkCase(p: PlannedCase, a: Answer, regex: BoundedRegex): Promise<CaseResult> {
  if (!a.ok) {
    return { id: p.case.id, ok: false, failures: [`error:${a.error}`], response: null, tags: p.case.tags, cached: false, latency_ms: null, error: a.error };
  }
  const failures = await applyChecks(a.value.response, p.case.checks, regex);
  return {
    id: p.case.id,
    ok: failures.length === 0,
    failures,
    response: a.value.response,
    tags: p.case.tags,
    cached: a.cached,
    latency_ms: a.value.latency_ms,
    error: null,
    finish_reason: a.value.finish_reason,
    line: p.case.line,
  };
}

/**
 * Results for every planned case, in case order: cached answers are checked right away, the others
 * are asked with at most `concurrency` requests in flight and checked as they arrive (checks overlap
 * with generation). `gen` may be omitted only when every case is cached.
 */
export async function runCases(planned: readonly PlannedCase[], gen: GenerateOptions | undefined, regex: BoundedRegex): Promise<CaseResult[]> {
  const limit = pLimit(Math.max(1, gen?.concurrency ?? 1));
  const interrupted: Answer = { ok: false, error: 'no answer (run interrupted)' };
  return Promise.all(
    planned.map(async (p) => {
      if (p.cached) return checkCase(p, { ok: true, value: p.cached, cached: true }, regex);
      if (!gen) throw new Error(`runCases: case ${p.case.id} has no cached answer and no server was given`);
      const answer = await limit(() => (gen.client.signal?.aborted ? interrupted : askCase(p, gen)));
      // Cached after the request slot is free, so the next request does not wait for the disk.
      if (answer.ok) await gen.cache?.put(p.key, answer.value);
      gen.onAnswer?.(p, answer);
      return checkCase(p, answer, regex);
    }),
  );
}
