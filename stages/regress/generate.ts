// Plans which cases need an answer (per-case cache lookup), asks the server for the missing ones
// concurrently (p-limit) with retries, and turns answers into results by applying the checks.
import pLimit from 'p-limit';
import type { LoadedCase } from './cases.js';
import { applyChecks } from './checks.js';
import { chatCompletion, RequestError, withRetries, type ClientOptions, type Decoding } from './client.js';
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
}

export async function planCases(cases: readonly LoadedCase[], cache: ResponseCache, opts: PlanOptions): Promise<PlannedCase[]> {
  return Promise.all(
    cases.map(async (c) => {
      const messages = buildMessages(c, opts.defaultSystem, opts.augmentMinChars);
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

/** Asks for every planned case without a cached answer; a case that keeps failing becomes an error answer. */
export async function generateMissing(planned: readonly PlannedCase[], opts: GenerateOptions): Promise<Map<string, Answer>> {
  const answers = new Map<string, Answer>();
  for (const p of planned) if (p.cached) answers.set(p.case.id, { ok: true, value: p.cached, cached: true });
  const limit = pLimit(Math.max(1, opts.concurrency));
  await Promise.all(
    planned
      .filter((p) => !p.cached)
      .map((p) =>
        limit(async () => {
          if (opts.client.signal?.aborted) return;
          let answer: Answer;
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
            await opts.cache?.put(p.key, value);
            answer = { ok: true, value, cached: false };
          } catch (err) {
            if (opts.client.signal?.aborted) return;
            answer = { ok: false, error: err instanceof Error ? err.message : String(err) };
          }
          answers.set(p.case.id, answer);
          opts.onAnswer?.(p, answer);
        }),
      ),
  );
  return answers;
}

/** Applies each case's checks to its answer; results keep the order of the cases. */
export async function evaluate(planned: readonly PlannedCase[], answers: ReadonlyMap<string, Answer>, regex: BoundedRegex): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const p of planned) {
    const a = answers.get(p.case.id) ?? { ok: false as const, error: 'no answer (run interrupted)' };
    if (!a.ok) {
      out.push({ id: p.case.id, ok: false, failures: [`error:${a.error}`], response: null, tags: p.case.tags, cached: false, latency_ms: null, error: a.error });
      continue;
    }
    const failures = await applyChecks(a.value.response, p.case.checks, regex);
    out.push({
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
    });
  }
  return out;
}
