#!/usr/bin/env node
// Test double for `llamafactory-cli api CONFIG.yaml` (and for any OpenAI-compatible server in
// `regress.endpoint` mode): GET /v1/models and POST /v1/chat/completions on loopback, with scripted
// answers and latency. Like the real server it "loads the model" before it binds, so the port opens
// only after FAKE_API_STARTUP_MS.
//
//   usage: fake-api.mjs [CONFIG.yaml]      (the yaml, when given, must exist, hold only LLaMA-Factory's
//                                          inference keys and name a model dir with config.json)
//
// Environment (the real server's): API_HOST (default 127.0.0.1 here), API_PORT (default 8000; 0 picks
//   a free port), API_KEY (then `Authorization: Bearer <key>` is required), API_MODEL_NAME.
// Environment (the double's):
//   FAKE_API_STARTUP_MS   delay before listening (default 2000)
//   FAKE_API_LATENCY_MS   delay before each chat answer (default 0)
//   FAKE_API_SCRIPT       JSON file {"rules":[{"contains":"…","response":"…"}],"default":"…"}: the first
//                         rule whose `contains` occurs in the last user message answers (a rule
//                         with "status": N answers HTTP N instead)
//   FAKE_API_LOG          append one JSON line per event: {event:"start", pid, ppid, argv, config, env} when started,
//                         {event:"listening", port}, {event:"request", path, authorized, body}
//   FAKE_API_PIDFILE      write this process's pid there once started
//   FAKE_API_FAIL_FIRST   answer the first N chat requests with HTTP 503
//   FAKE_API_EXIT_BEFORE_LISTEN  print an error and exit with this code instead of listening
//   FAKE_API_NEVER_LISTEN set to 1: stay alive without ever listening
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { INFER_ACCEPTED, unknownKeysError } from './lf-keys.mjs';

const env = process.env;
const startupMs = Number(env.FAKE_API_STARTUP_MS ?? 2000);
const latencyMs = Number(env.FAKE_API_LATENCY_MS ?? 0);
const host = env.API_HOST || '127.0.0.1';
const port = Number(env.API_PORT ?? 8000);
const apiKey = env.API_KEY || '';
const modelName = env.API_MODEL_NAME || 'gpt-3.5-turbo';
let failFirst = Number(env.FAKE_API_FAIL_FIRST ?? 0);

if (env.FAKE_API_PIDFILE) writeFileSync(env.FAKE_API_PIDFILE, `${process.pid}\n`);
const log = (line) => process.stderr.write(`${line}\n`);
const record = (obj) => {
  if (env.FAKE_API_LOG) appendFileSync(env.FAKE_API_LOG, `${JSON.stringify({ ...obj, t: Date.now() })}\n`);
};

const configPath = process.argv[2];
let config = null;
if (configPath !== undefined) {
  if (!existsSync(configPath)) {
    log(`FileNotFoundError: ${configPath}`);
    process.exit(1);
  }
  const cfg = parseYaml(readFileSync(configPath, 'utf8')) ?? {};
  config = cfg;
  // As get_infer_args (hparams/parser.py): unknown keys are refused, a model is required, an
  // adapter is optional (without one the base model is served) but must exist when named.
  const unknown = Object.keys(cfg).filter((k) => !INFER_ACCEPTED.has(k));
  if (unknown.length > 0) {
    log(unknownKeysError(unknown));
    process.exit(1);
  }
  if (!cfg.model_name_or_path || !existsSync(join(String(cfg.model_name_or_path), 'config.json'))) {
    log(`OSError: ${cfg.model_name_or_path} does not appear to have a file named config.json.`);
    process.exit(1);
  }
  // (get_infer_args: the vLLM engine loads no bnb-quantized model.)
  if (cfg.infer_backend === 'vllm' && cfg.quantization_bit != null) {
    log('ValueError: vLLM engine does not support bnb quantization (GPTQ and AWQ are supported).');
    process.exit(1);
  }
  for (const a of String(cfg.adapter_name_or_path ?? '')
    .split(',')
    .filter(Boolean)) {
    if (!existsSync(join(a, 'adapter_config.json'))) {
      log(`ValueError: Can't find 'adapter_config.json' at '${a}'`);
      process.exit(1);
    }
  }
  log(`[INFO] loading model ${cfg.model_name_or_path}${cfg.adapter_name_or_path ? ` with adapter ${cfg.adapter_name_or_path}` : ' (no adapter)'}`);
}
record({
  event: 'start',
  pid: process.pid,
  ppid: process.ppid,
  argv: process.argv.slice(2),
  config,
  env: {
    API_HOST: env.API_HOST ?? null,
    API_PORT: env.API_PORT ?? null,
    CUDA_VISIBLE_DEVICES: env.CUDA_VISIBLE_DEVICES ?? null,
    API_KEY_SET: Boolean(env.API_KEY),
  },
});

const script = env.FAKE_API_SCRIPT ? JSON.parse(readFileSync(env.FAKE_API_SCRIPT, 'utf8')) : { rules: [] };

function ruleFor(messages) {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  for (const rule of script.rules ?? []) if (lastUser.includes(rule.contains)) return rule;
  if (typeof script.default === 'string') return { response: script.default };
  return { response: `前辈，这是测试替身的回答：${lastUser.slice(0, 40)}` };
}

/** LLaMA-Factory's rule: optional leading system, then an odd number alternating user/assistant. */
function messagesProblem(messages) {
  if (!Array.isArray(messages) || messages.length === 0) return 'Invalid length';
  const rest = messages[0]?.role === 'system' ? messages.slice(1) : messages;
  if (rest.length % 2 === 0) return 'Invalid length';
  for (let i = 0; i < rest.length; i++) {
    const want = i % 2 === 0 ? 'user' : 'assistant';
    if (rest[i]?.role !== want || typeof rest[i]?.content !== 'string') return 'Invalid role';
  }
  return null;
}

function send(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

let queue = Promise.resolve();

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const authorized = !apiKey || req.headers.authorization === `Bearer ${apiKey}`;
    const url = new URL(req.url ?? '/', 'http://x');
    let body = null;
    if (chunks.length) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = { unparsable: true };
      }
    }
    record({ event: 'request', method: req.method, path: url.pathname, authorized, body });
    if (!authorized) return send(res, 401, { detail: 'Invalid API key' });
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return send(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', created: 0, owned_by: 'owner' }] });
    }
    if (req.method === 'POST' && url.pathname === '/v1/chat/completions') {
      if (failFirst > 0) {
        failFirst--;
        return send(res, 503, { detail: 'temporarily overloaded (scripted)' });
      }
      const problem = messagesProblem(body?.messages);
      if (problem) return send(res, 400, { detail: problem });
      if (body.presence_penalty !== undefined && !(body.presence_penalty > 0)) {
        return send(res, 400, { detail: '`repetition_penalty` must be a strictly positive float' });
      }
      const rule = ruleFor(body.messages);
      if (rule.status) return send(res, rule.status, { detail: `scripted HTTP ${rule.status}` });
      const content = rule.response;
      // api/chat.py: a leading system message is taken out of the list and used as the system
      // prompt, else the YAML's default_system (then the template's); `stop` is not passed on by
      // the huggingface engine.
      const system = body.messages[0]?.role === 'system' ? body.messages[0].content : (config?.default_system ?? null);
      record({ event: 'answer', system, stop_ignored: body.stop !== undefined });
      // Started as `llamafactory-cli api` with the default (huggingface) engine it generates one
      // answer at a time: requests queue. Standalone (an endpoint) or with vllm they overlap.
      const serial = config !== null && (config.infer_backend ?? 'huggingface') === 'huggingface';
      const gate = serial ? queue : Promise.resolve();
      const turn = gate.then(
        () =>
          new Promise((done) =>
            setTimeout(() => {
              done();
              send(res, 200, {
                id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
                object: 'chat.completion',
                created: Math.floor(Date.now() / 1000),
                model: body.model ?? modelName,
                choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
                usage: { prompt_tokens: 1, completion_tokens: [...content].length, total_tokens: 1 + [...content].length },
              });
            }, latencyMs),
          ),
      );
      if (serial) queue = turn;
      return;
    }
    send(res, 404, { detail: 'Not Found' });
  });
});

setTimeout(() => {
  if (env.FAKE_API_EXIT_BEFORE_LISTEN) {
    log('torch.OutOfMemoryError: CUDA out of memory (scripted failure of the test double)');
    process.exit(Number(env.FAKE_API_EXIT_BEFORE_LISTEN));
  }
  if (env.FAKE_API_NEVER_LISTEN === '1') {
    log('[INFO] still loading checkpoint shards …');
    setInterval(() => {}, 60_000);
    return;
  }
  server.listen(port, host, () => {
    const addr = server.address();
    record({ event: 'listening', port: addr.port });
    process.stdout.write(`INFO:     Uvicorn running on http://${host}:${addr.port} (Press CTRL+C to quit)\n`);
  });
}, startupMs);
