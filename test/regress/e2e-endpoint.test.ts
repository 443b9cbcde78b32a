// `regress.endpoint` mode through the real CLI: a server the user already runs (the double,
// started by the test), an API key from the environment that never reaches logs or artifacts, no
// server started, no GPU needed.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../../stages/regress/server.js';
import { parseJsonEvents, runCli } from '../helpers/workspace.js';
import { chatRequests, readRequests, serverStarts, startFakeApi, writeScript, type RunningFake } from './fakeApi.js';
import { allFiles, readJsonl, regressWorkspace, SAMPLE_RULES, expectExit } from './fixtures.js';
import { jest } from '@jest/globals';
import { makeTempDir } from '../helpers/tempDirs.js';

// Each CLI run is a few seconds on an idle machine; leave room for a busy one.
jest.setTimeout(180_000);

const KEY = 'sk-regress-secret-7f3a9c';
let dir: string;
let fake: RunningFake;
let log: string;
const cleanup: string[] = [];

beforeAll(async () => {
  dir = await makeTempDir('regress-endpoint-');
  log = join(dir, 'server.jsonl');
  fake = await startFakeApi({ API_KEY: KEY, API_MODEL_NAME: 'eyja-vllm', FAKE_API_LOG: log, FAKE_API_SCRIPT: await writeScript(dir, SAMPLE_RULES) });
});
afterAll(async () => {
  await fake.stop();
  for (const d of [dir, ...cleanup]) await rm(d, { recursive: true, force: true });
});

test('uses the running server with the key from regress.api_key_env, starts nothing, and never writes the key', async () => {
  const w = await regressWorkspace({
    yaml: [`  endpoint: ${fake.baseUrl}`, '  api_key_env: MY_REGRESS_KEY', '  concurrency: 2'],
  });
  cleanup.push(w.ws);
  // No llamafactory-cli on PATH and no GPU in the pool: endpoint mode needs neither.
  const env = { ...w.env, PATH: process.env.PATH ?? '/usr/bin:/bin', MY_REGRESS_KEY: KEY };
  const r = await runCli(w.ws, ['run', 'regress', '--json', '--cpu-only'], { env });
  expectExit(r, 0);
  expect(parseJsonEvents(r.stdout).summary.stages.find((s) => s.name === 'regress')?.status).toBe('ran');
  expect(await readRequests(w.log)).toEqual([]); // the workspace's llamafactory-cli double never ran

  const events = await readRequests(log);
  expect(serverStarts(events)).toHaveLength(1); // only the test's own start
  const chats = chatRequests(events);
  expect(chats).toHaveLength(4);
  expect(chats.every((c) => c.authorized)).toBe(true);
  expect(chats.every((c) => c.body!.model === 'eyja-vllm')).toBe(true);
  const results = await readJsonl<{ id: string; ok: boolean }>(join(w.ws, 'artifacts/regress/latest/results.jsonl'));
  expect(results.filter((x) => x.ok)).toHaveLength(3);

  // Same config, cache warm: the endpoint is not asked again even when the key changes.
  const again = await runCli(w.ws, ['run', 'regress', '--json', '--cpu-only', '--set', 'regress.max_tokens=256'], {
    env: { ...env, MY_REGRESS_KEY: 'another' },
  });
  expectExit(again, 1); // wrong key: 401 for the 4 new requests (max_tokens is part of the key)
  expect(again.stdout + again.stderr).toContain('HTTP 401');
  expect(again.stdout + again.stderr).not.toContain('another');

  const texts = [r.stdout, r.stderr, again.stdout, again.stderr];
  for (const f of await allFiles(w.ws)) texts.push(await readFile(f, 'latin1'));
  const leaks = texts.filter((t) => t.includes(KEY));
  expect(leaks).toEqual([]);
});

test('an endpoint that is down fails with the URL and the reason, without a stack', async () => {
  const port = await freePort(); // nothing listens there
  const w = await regressWorkspace({ yaml: [`  endpoint: http://127.0.0.1:${port}/v1`] });
  cleanup.push(w.ws);
  const r = await runCli(w.ws, ['run', 'regress', '--json', '--cpu-only'], { env: w.env });
  expectExit(r, 1);
  expect(r.stdout + r.stderr).toContain(
    `regress.endpoint http://127.0.0.1:${port}/v1 does not answer: cannot reach http://127.0.0.1:${port}/v1/models: ECONNREFUSED`,
  );
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .*\.(js|ts):\d+/);
});
