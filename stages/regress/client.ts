// A minimal OpenAI-compatible client (global fetch): `GET /models`, `POST /chat/completions`, with
// per-request timeouts, the caller's abort signal and retries with backoff for transient errors.
// The API key only ever goes into the Authorization header; no message here contains it.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { ChatMessage } from './prompt.js';

export interface Decoding {
  temperature: number;
  top_p: number;
  max_tokens: number;
}

export interface ClientOptions {
  /** Base URL ending in `/v1` (a trailing slash is fine). */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Per-request timeout. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** An HTTP or network failure; `transient` ones are worth retrying. */
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

const modelsSchema = z.object({ data: z.array(z.object({ id: z.string() }).loose()) }).loose();

const completionSchema = z
  .object({
    choices: z
      .array(
        z
          .object({
            message: z.object({ content: z.string().nullable().optional() }).loose(),
            finish_reason: z.string().nullable().optional(),
          })
          .loose(),
      )
      .min(1),
    model: z.string().optional(),
  })
  .loose();

export function endpointUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

function headers(apiKey: string | undefined): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) h.authorization = `Bearer ${apiKey}`;
  return h;
}

async function request(url: string, init: RequestInit, opts: ClientOptions): Promise<unknown> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal });
  } catch (err) {
    if (opts.signal?.aborted) throw new RequestError(`request to ${url} aborted`, false);
    if (timeout.aborted) throw new RequestError(`no answer from ${url} within ${opts.timeoutMs / 1000} s`, true);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new RequestError(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, true);
  }
  const body = await res.text().catch(() => '');
  if (!res.ok) {
    const transient = res.status === 408 || res.status === 429 || res.status >= 500;
    const detail = body.replace(/\s+/g, ' ').trim().slice(0, 300);
    throw new RequestError(`${url} answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`, transient);
  }
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new RequestError(`${url} answered with a body that is not JSON: ${body.slice(0, 200)}`, false);
  }
}

/** The model ids the server reports (`GET /models`). */
export async function listModels(opts: ClientOptions): Promise<string[]> {
  const url = endpointUrl(opts.baseUrl, 'models');
  const json = await request(url, { method: 'GET', headers: headers(opts.apiKey) }, opts);
  const parsed = modelsSchema.safeParse(json);
  if (!parsed.success) throw new RequestError(`${url}: unexpected answer (no data[].id)`, false);
  return parsed.data.data.map((m) => m.id);
}

export interface Completion {
  content: string;
  finishReason: string | null;
  latencyMs: number;
}

/**
 * One chat completion. Only `model`, `messages`, `temperature`, `top_p`, `max_tokens` and `stream`
 * are sent: never `presence_penalty` (LLaMA-Factory maps it to repetition_penalty, where 0 is invalid).
 */
export async function chatCompletion(model: string, messages: ChatMessage[], decoding: Decoding, opts: ClientOptions): Promise<Completion> {
  const url = endpointUrl(opts.baseUrl, 'chat/completions');
  const payload = {
    model,
    messages,
    temperature: decoding.temperature,
    top_p: decoding.top_p,
    max_tokens: decoding.max_tokens,
    stream: false,
  };
  const t0 = performance.now();
  const json = await request(url, { method: 'POST', headers: headers(opts.apiKey), body: JSON.stringify(payload) }, opts);
  const latencyMs = Math.round(performance.now() - t0);
  const parsed = completionSchema.safeParse(json);
  if (!parsed.success) throw new RequestError(`${url}: unexpected answer (no choices[0].message)`, false);
  const choice = parsed.data.choices[0]!;
  return { content: choice.message.content ?? '', finishReason: choice.finish_reason ?? null, latencyMs };
}

export interface RetryOptions {
  retries: number;
  /** First backoff delay; doubles each attempt (with jitter). */
  baseDelayMs: number;
  signal?: AbortSignal | undefined;
  onRetry?: (err: RequestError, attempt: number, delayMs: number) => void;
}

/** Runs `fn`, retrying transient RequestErrors with exponential backoff. */
export async function withRetries<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof RequestError) || !err.transient || attempt >= opts.retries || opts.signal?.aborted) throw err;
      const delay = Math.round(opts.baseDelayMs * 2 ** attempt * (0.75 + Math.random() * 0.5));
      opts.onRetry?.(err, attempt + 1, delay);
      await sleep(delay, undefined, opts.signal ? { signal: opts.signal } : undefined);
    }
  }
}
