// zod schema of the `regress:` section of pipeline.yaml.
import { z } from 'zod';

export const configSchema = z
  .object({
    /** Regression cases, one JSON per line: workspace-relative, or absolute (read as given). */
    cases: z
      .string()
      .min(1)
      .refine((p) => !p.includes('\0'), 'a path may not contain a NUL character')
      .default('data/eyjafjalla_regression.jsonl'),
    /** Use a server the user already runs (`http://host:port/v1`); null starts `llamafactory-cli api`. */
    endpoint: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:8000/v1' })
      .nullable()
      .default(null),
    /** Name of the environment variable holding the endpoint's API key (never printed). */
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .nullable()
      .default('PIPELINE_REGRESS_API_KEY'),
    /** `model` sent in requests; null: the first id the server lists under /v1/models. */
    model: z.string().min(1).nullable().default(null),
    /** Default system prompt (a case's system_override wins); null: inference.default_system. */
    system_prompt: z.string().nullable().default(null),
    temperature: z.number().min(0).max(2).default(0.7),
    top_p: z.number().gt(0).max(1).default(0.9),
    max_tokens: z.number().int().min(1).default(512),
    /** Requests in flight at once (LLaMA-Factory's huggingface backend answers one at a time). */
    concurrency: z.number().int().min(1).max(256).default(4),
    /** Retries of a transient failure (network error, timeout, HTTP 408/429/5xx), with backoff. */
    retries: z.number().int().min(0).max(10).default(3),
    /** Seconds one request may take (queueing on the server included). */
    request_timeout: z.number().positive().default(600),
    /** Seconds the started server may take to answer GET /v1/models (model loading). */
    startup_timeout: z.number().positive().default(900),
    /** Append the detail request to cases with min_chars whose last user message does not ask for length. */
    augment_min_chars: z.boolean().default(true),
    /** The appended text (`{min_chars}`: the number); default: the old script's, byte for byte. */
    detail_suffix: z.string().min(1).default('\n\n（请详细回答，不少于{min_chars}字。）'),
    /** Ask only the first N cases (a smoke test; `run regress --max-cases N`); null: all. */
    max_cases: z.number().int().min(1).nullable().default(null),
    /** Time bound of one regex check, in milliseconds. */
    regex_timeout_ms: z.number().int().min(10).default(1000),
    /** Gate: the stage fails (after writing all reports) below this pass rate (0..1). */
    min_pass_rate: z.number().min(0).max(1).default(0),
    /** Gate: the stage fails when any case fails (what the old script's exit code 2 meant). */
    fail_on_case_failure: z.boolean().default(false),
  })
  .strict()
  .prefault({});

export type RegressConfig = z.infer<typeof configSchema>;

export function readRegressConfig(get: (key: string) => unknown): RegressConfig {
  return configSchema.parse(get('regress') ?? {});
}
