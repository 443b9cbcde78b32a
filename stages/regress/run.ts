// The `regress` stage's run: load cases, find what answers them (the trained adapter behind a
// server we start, or `regress.endpoint`), ask only for the cases without a cached response,
// check, write outs and the side files (per-adapter results, history, HTML report), then gate.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { StageError, UserError, type StageContext } from '../../src/api.js';
import { currentAdapterDir, inferenceConfig, writeYamlFile } from '../train/inference.js';
import { writeFileAtomic } from '../../src/atomicWrite.js';
import { resolvePersonaPrompt } from '../persona/index.js';
import { expandHome, resolveExecutable } from '../train/executable.js';
import { CasesError, loadCases } from './cases.js';
import { listModels, type ClientOptions } from './client.js';
import { readRegressConfig, type RegressConfig } from './config.js';
import { planCases, runCases } from './generate.js';
import { appendHistory, HISTORY_FILE, readHistory, type HistoryEntry } from './history.js';
import { BoundedRegex } from './regexBound.js';
import { renderReport, REPORT_FILE } from './report.js';
import { ResponseCache } from './responseCache.js';
import { readTrainParams, type TrainParams } from './runLabel.js';
import { startApiServer, type StartedServer } from './server.js';
import { summarize, terminalSummary, type CaseResult, type Summary } from './summary.js';

export const RESULTS_OUT = 'artifacts/regress/latest/results.jsonl';
export const SUMMARY_OUT = 'artifacts/regress/latest/summary.json';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

interface Responder {
  /** Identity in the response cache key. */
  identity: Record<string, unknown>;
  /** Directory name under artifacts/regress/. */
  key: string;
  adapterHash: string | null;
  /** The adapter's training params (for the report's run labels), when known. */
  trainParams?: TrainParams;
  /** Opens a connection to something that answers; called only when some case needs an answer. */
  open(): Promise<{ client: ClientOptions; models: string[]; close(): Promise<void> }>;
}

function apiKeyFrom(ctx: StageContext, cfg: RegressConfig): string | undefined {
  if (cfg.api_key_env === null) return undefined;
  return ctx.env[cfg.api_key_env] || undefined;
}

function endpointResponder(ctx: StageContext, cfg: RegressConfig, endpoint: string): Responder {
  const apiKey = apiKeyFrom(ctx, cfg);
  const client: ClientOptions = { baseUrl: endpoint, apiKey, timeoutMs: cfg.request_timeout * 1000, signal: ctx.signal };
  return {
    identity: { endpoint },
    key: `endpoint-${sha256(`${endpoint}\n${cfg.model ?? ''}`).slice(0, 12)}`,
    adapterHash: null,
    async open() {
      ctx.log(`regress: using the server at ${endpoint}${apiKey ? ' (with an API key)' : ''}`);
      const models =
        cfg.model === null
          ? await listModels({ ...client, timeoutMs: 30_000 }).catch((err: Error) => {
              throw new StageError(`regress.endpoint ${endpoint} does not answer: ${err.message}`);
            })
          : [];
      return { client, models, close: async () => undefined };
    },
  };
}

async function adapterResponder(ctx: StageContext, cfg: RegressConfig): Promise<Responder> {
  let adapterDir: string;
  try {
    adapterDir = await currentAdapterDir(ctx.workspace);
  } catch (err) {
    if (err instanceof UserError) throw new StageError(err.message);
    throw err;
  }
  const weights = join(adapterDir, 'adapter_model.safetensors');
  let adapterHash: string;
  try {
    adapterHash = await ctx.hashFile(weights);
  } catch {
    throw new StageError(`the current adapter has no weights (${weights} is missing): run \`npx pipeline run train\``);
  }
  const persona = (await resolvePersonaPrompt(ctx.params, ctx.workspace)).prompt;
  const inference = inferenceConfig(ctx.params, adapterDir, ctx.workspace, persona);
  // Identity without machine paths (paths as configured, adapter by content): moving the
  // workspace or restoring the adapter under another key keeps the cached responses.
  const { adapter_name_or_path: _path, ...inferenceIdentity } = inferenceConfig(ctx.params, adapterDir, undefined, persona);
  const configured = String(ctx.params.get('train.command') ?? 'llamafactory-cli');
  const command = (await resolveExecutable(configured, { cwd: ctx.workspace, pathEnv: ctx.env.PATH })) ?? expandHome(configured);
  return {
    identity: { adapter: adapterHash, inference: inferenceIdentity },
    key: basename(adapterDir),
    adapterHash,
    trainParams: await readTrainParams(adapterDir),
    async open() {
      const yamlPath = join(ctx.stagingDir, 'regress_inference.yaml');
      await writeYamlFile(inference, yamlPath);
      const server: StartedServer = await startApiServer(ctx, { command, yamlPath, startupTimeoutMs: cfg.startup_timeout * 1000 });
      ctx.log(`regress: API server ready at ${server.baseUrl} (models: ${server.models.join(', ') || 'none listed'})`);
      return {
        client: { baseUrl: server.baseUrl, timeoutMs: cfg.request_timeout * 1000, signal: ctx.signal },
        models: server.models,
        close: () => server.stop(),
      };
    },
  };
}

/** The default system prompt of requests: inference.default_system, else the persona prompt. */
async function personaPromptFor(ctx: StageContext): Promise<string> {
  const inf = ctx.params.get<string | null | undefined>('inference.default_system');
  if (typeof inf === 'string') return inf;
  const p = await resolvePersonaPrompt(ctx.params, ctx.workspace);
  ctx.log(`regress: system prompt: ${p.source}`);
  return p.prompt;
}

export async function runRegress(ctx: StageContext): Promise<void> {
  const cfg = readRegressConfig((k) => ctx.params.get(k));
  // An absolute path (cases kept outside the workspace) is used as given.
  const casesAbs = resolve(ctx.workspace, cfg.cases);
  const warnings: string[] = [];
  const allCases = await loadCases(casesAbs, cfg.cases, warnings).catch((err: unknown) => {
    throw err instanceof CasesError ? new StageError(err.message) : err;
  });
  for (const w of warnings) ctx.warn(w);
  const cases = cfg.max_cases === null ? allCases : allCases.slice(0, cfg.max_cases);
  if (cases.length < allCases.length) ctx.log(`regress: --max-cases ${cfg.max_cases}: the first ${cases.length} of ${allCases.length} cases`);
  const suiteHash = await ctx.hashFile(casesAbs);
  const responder = cfg.endpoint !== null ? endpointResponder(ctx, cfg, cfg.endpoint) : await adapterResponder(ctx, cfg);
  const decoding = { temperature: cfg.temperature, top_p: cfg.top_p, max_tokens: cfg.max_tokens };
  const defaultSystem = cfg.system_prompt ?? (await personaPromptFor(ctx));
  const cache = new ResponseCache(ctx.stageCacheDir, (w) => ctx.warn(w));
  const planned = await planCases(cases, cache, {
    responder: responder.identity,
    model: cfg.model,
    decoding,
    defaultSystem,
    augmentMinChars: cfg.augment_min_chars,
    detailSuffix: cfg.detail_suffix,
  });
  const missing = planned.filter((p) => !p.cached);
  ctx.log(`regress: ${cases.length} cases, ${cases.length - missing.length} cached, ${missing.length} to generate (answerer ${responder.key})`);

  let model = cfg.model;
  const regex = new BoundedRegex(cfg.regex_timeout_ms).warm();
  let results: CaseResult[];
  try {
    if (missing.length === 0) {
      results = await runCases(planned, undefined, regex);
    } else {
      const conn = await responder.open();
      try {
        model ??= conn.models[0] ?? 'default';
        let done = 0;
        ctx.progress({ current: 0, total: missing.length, message: `0/${missing.length} generated` });
        results = await runCases(
          planned,
          {
            client: conn.client,
            model,
            decoding,
            concurrency: cfg.concurrency,
            retries: cfg.retries,
            cache,
            onAnswer: (p, a) => {
              done++;
              if (!a.ok) ctx.log(`regress: case ${p.case.id} failed: ${a.error}`);
              ctx.progress({ current: done, total: missing.length, message: `${done}/${missing.length} generated` });
            },
            onRetry: (p, err, attempt, delay) => ctx.log(`regress: case ${p.case.id}: ${err.message}; retry ${attempt}/${cfg.retries} in ${delay} ms`),
          },
          regex,
        );
      } finally {
        await conn.close();
      }
    }
  } finally {
    await regex.close();
  }
  if (ctx.signal.aborted) throw new StageError('interrupted');

  const summary = summarize(results, { adapter: responder.key, suiteHash, model, minPassRate: cfg.min_pass_rate, failOnCaseFailure: cfg.fail_on_case_failure });
  await writeOutputs(ctx, responder, results, summary, new Map(planned.map((p) => [p.case.id, p.messages])));

  // The closing summary: one progress line each (plain and --json reporters print every one).
  for (const l of terminalSummary(
    summary,
    results.filter((r) => !r.ok),
    REPORT_FILE,
  )) {
    ctx.log(l);
    ctx.progress({ message: l, summary: true });
  }

  const errored = results.filter((r) => r.error !== null);
  if (errored.length > 0) {
    throw new StageError(
      `${errored.length} of ${results.length} cases got no answer (first: ${errored[0]!.id}: ${errored[0]!.error}); ` +
        'the answered ones are cached, run again to retry the rest',
    );
  }
  if (cfg.fail_on_case_failure && summary.failed > 0) {
    throw new StageError(
      `${summary.failed} of ${summary.total} cases failed and regress.fail_on_case_failure is set ` +
        `(pass rate ${(summary.pass_rate * 100).toFixed(1)}%; see ${REPORT_FILE})`,
    );
  }
  if (!summary.gate_passed) {
    throw new StageError(
      `pass rate ${(summary.pass_rate * 100).toFixed(1)}% is below regress.min_pass_rate ${(cfg.min_pass_rate * 100).toFixed(1)}% ` +
        `(${summary.failed} failed; see ${REPORT_FILE})`,
    );
  }
}

async function writeOutputs(
  ctx: StageContext,
  responder: Responder,
  results: CaseResult[],
  summary: Summary,
  sent: ReadonlyMap<string, HistoryEntry['cases'][number]['messages']>,
): Promise<void> {
  const resultsText = results.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const summaryText = `${JSON.stringify(summary, null, 2)}\n`;
  // Outs (promoted by the engine when the stage succeeds).
  await writeFile(ctx.out(RESULTS_OUT), resultsText);
  await writeFile(ctx.out(SUMMARY_OUT), summaryText);
  // Side files, written even when the gate then fails the stage.
  const perAdapter = join(ctx.workspace, 'artifacts', 'regress', responder.key);
  await writeFileAtomic(join(perAdapter, 'results.jsonl'), resultsText, { root: ctx.workspace });
  await writeFileAtomic(join(perAdapter, 'summary.json'), summaryText, { root: ctx.workspace });
  const entry: HistoryEntry = {
    v: 1,
    at: summary.created_at,
    adapter: responder.key,
    adapter_hash: responder.adapterHash,
    suite_hash: summary.suite_hash,
    model: summary.model,
    total: summary.total,
    passed: summary.passed,
    pass_rate: summary.pass_rate,
    by_tag: summary.by_tag,
    cases: results.map((r) => ({ id: r.id, tags: r.tags, ok: r.ok, failures: r.failures, response: r.response, messages: sent.get(r.id) })),
    ...(responder.trainParams ? { train_params: responder.trainParams } : {}),
  };
  const historyAbs = join(ctx.workspace, HISTORY_FILE);
  appendHistory(ctx.workspace, HISTORY_FILE, entry);
  const { entries, warnings } = await readHistory(historyAbs, HISTORY_FILE);
  for (const w of warnings) ctx.log(`regress: ${w}`);
  await writeFileAtomic(join(ctx.workspace, REPORT_FILE), renderReport(entries, { minPassRate: summary.min_pass_rate }), { root: ctx.workspace });
}
