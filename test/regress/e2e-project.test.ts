// The project's own DAG (extract → register → train → regress) with the llamafactory-cli double:
// regress evaluates the adapter the train stage just made; a retrained adapter is asked again; going
// back to the first configuration restores both stages without training or asking anything.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWorkspace, parseJsonEvents, PROJECT_PIPELINE_TS, runCli } from '../helpers/workspace.js';
import { DOUBLES_PATH, readRecords, sampleFanFiction, trainWorkspaceFiles } from '../train/fixtures.js';
import { chatRequests, readRequests, serverStarts, writeScript } from './fakeApi.js';
import { casesJsonl, readJsonl, SAMPLE_CASES, SAMPLE_RULES, expectExit } from './fixtures.js';
import { jest } from '@jest/globals';

// Each CLI run is a few seconds on an idle machine; leave room for a busy one.
jest.setTimeout(180_000);

let ws: string | undefined;
afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

type Stage = { name: string; status: string; key?: string };
const stagesOf = (stdout: string): Record<string, Stage> => Object.fromEntries((parseJsonEvents(stdout).summary.stages as Stage[]).map((s) => [s.name, s]));

test('regress follows the adapter the train stage produced, and is restored with it', async () => {
  const files = trainWorkspaceFiles(['regress:', '  cases: data/cases.jsonl'].join('\n'));
  ws = await makeWorkspace(
    { ...files, ...sampleFanFiction(), 'pipeline.ts': PROJECT_PIPELINE_TS, 'data/cases.jsonl': casesJsonl(SAMPLE_CASES) },
    'pl-regress-project-',
  );
  const log = join(ws, '.fake-api.jsonl');
  const env = {
    PATH: DOUBLES_PATH,
    FAKE_TRAIN_RECORD: join(ws, 'trainer-record.jsonl'),
    FAKE_TRAIN_STEP_MS: '1',
    FAKE_API_LOG: log,
    FAKE_API_SCRIPT: await writeScript(ws, SAMPLE_RULES),
    FAKE_API_STARTUP_MS: '200',
  };

  const first = await runCli(ws, ['run', 'regress', '--json'], { env, timeoutMs: 120_000 });
  expectExit(first, 0);
  const s1 = stagesOf(first.stdout);
  expect([s1.train?.status, s1.regress?.status]).toEqual(['ran', 'ran']);
  const adapter1 = s1.train!.key!.slice(0, 12);
  const [start] = serverStarts(await readRequests(log));
  // The server got the inference YAML for exactly that adapter.
  expect(start!.config).toMatchObject({
    model_name_or_path: join(ws, 'models', 'base'),
    adapter_name_or_path: join(ws, 'artifacts', 'adapters', adapter1),
    template: 'qwen',
    finetuning_type: 'lora',
    quantization_bit: 4,
  });
  const summary1 = JSON.parse(await readFile(join(ws, 'artifacts/regress/latest/summary.json'), 'utf8'));
  expect(summary1).toMatchObject({ adapter: adapter1, total: 4, generated: 4 });

  // Retrain with another rank: a new adapter, so every case is asked again.
  const second = await runCli(ws, ['run', 'regress', '--json', '--set', 'train.lora_rank=4'], { env, timeoutMs: 120_000 });
  expectExit(second, 0);
  const s2 = stagesOf(second.stdout);
  expect([s2.train?.status, s2.regress?.status]).toEqual(['ran', 'ran']);
  expect(chatRequests(await readRequests(log))).toHaveLength(8);
  expect(JSON.parse(await readFile(join(ws, 'artifacts/regress/latest/summary.json'), 'utf8')).adapter).toBe(s2.train!.key!.slice(0, 12));

  // Back to rank 8: both restored from the run cache; no training, no server, no request.
  const back = await runCli(ws, ['run', 'regress', '--json'], { env, timeoutMs: 120_000 });
  expectExit(back, 0);
  const s3 = stagesOf(back.stdout);
  expect([s3.train?.status, s3.regress?.status]).toEqual(['restored', 'restored']);
  expect((await readRecords(env.FAKE_TRAIN_RECORD)).filter((e) => e.event === 'start')).toHaveLength(2);
  expect(serverStarts(await readRequests(log))).toHaveLength(2);
  expect(JSON.parse(await readFile(join(ws, 'artifacts/regress/latest/summary.json'), 'utf8')).adapter).toBe(adapter1);
  // History keeps both adapters, one line per regress run that actually ran.
  expect((await readJsonl<{ adapter: string }>(join(ws, 'artifacts/regress/history.jsonl'))).map((h) => h.adapter)).toEqual([
    adapter1,
    s2.train!.key!.slice(0, 12),
  ]);
});
