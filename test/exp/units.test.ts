// The parts of `pipeline exp` that need no stage: the matrix of --set lists, names, the queue file
// as untrusted input, `experiments:` in the config, the stale-key gate.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../../src/api.js';
import { loadConfig } from '../../src/config.js';
import { experimentSpecs, splitValues } from '../../src/exp/matrix.js';
import { ExperimentQueue } from '../../src/exp/queue.js';
import { keyGate } from '../../src/exp/scheduler.js';
import { experimentRows } from '../../src/exp/show.js';
import { makeParamsReader } from '../../src/params.js';
import type { Session } from '../../src/session.js';
import { makeTempDir } from '../helpers/tempDirs.js';

test('values split at commas outside brackets and quotes', () => {
  expect(splitValues('8,16, 32')).toEqual(['8', '16', '32']);
  expect(splitValues('[a, b],[c]')).toEqual(['[a, b]', '[c]']);
  expect(splitValues('{x: 1, y: 2},"a,b"')).toEqual(['{x: 1, y: 2}', '"a,b"']);
});

test('the matrix is the product of the lists, named after what varies', () => {
  const specs = experimentSpecs({}, [], ['train.lora_rank=8,16', 'train.learning_rate=1e-4,2e-4', 'regress.max_cases=5']);
  expect(specs.map((s) => s.name)).toEqual([
    'lora_rank-8+learning_rate-1e-4',
    'lora_rank-8+learning_rate-2e-4',
    'lora_rank-16+learning_rate-1e-4',
    'lora_rank-16+learning_rate-2e-4',
  ]);
  expect(specs[3]!.sets).toEqual(['train.lora_rank=16', 'train.learning_rate=2e-4', 'regress.max_cases=5']);
  // A list value is one value; unsafe characters leave the name.
  const lists = experimentSpecs({}, [], ['register.datasets=[a, b],[a]']);
  expect(lists.map((s) => [s.name, s.sets])).toEqual([
    ['datasets-a_b', ['register.datasets=[a, b]']],
    ['datasets-a', ['register.datasets=[a]']],
  ]);
  // Nothing varies: named after every key.
  expect(experimentSpecs({}, [], ['train.lora_rank=16', 'train.learning_rate=2e-4']).map((s) => s.name)).toEqual(['lora_rank-16+learning_rate-2e-4']);
  expect(() => experimentSpecs({}, [], ['train.lora_rank=8', 'train.lora_rank=16'])).toThrow(UsageError);
  expect(() => experimentSpecs({}, [], ['train.lora_rank=8,,16'])).toThrow(/empty value/);
});

test('named experiments come from experiments:, crossed with a matrix when both are given', () => {
  const config = { rank16: { 'train.lora_rank': 16 }, mixed: { 'register.datasets': ['a', 'b'] } };
  expect(experimentSpecs(config, [], [])).toEqual([
    { name: 'rank16', sets: ['train.lora_rank=16'] },
    { name: 'mixed', sets: ['register.datasets=["a","b"]'] },
  ]);
  expect(experimentSpecs(config, ['mixed'], ['train.lora_rank=4,8']).map((s) => s.name)).toEqual(['mixed+lora_rank-4', 'mixed+lora_rank-8']);
  expect(() => experimentSpecs(config, ['nope'], [])).toThrow(/no experiment 'nope'.*rank16, mixed/);
});

test('experiments: in the config is the engine’s key: checked, with file:line:col', async () => {
  const dir = await makeTempDir('pl-exp-cfg-');
  const file = join(dir, 'pipeline.yaml');
  const schema = z.object({ train: z.object({ lora_rank: z.number().default(8) }).default({ lora_rank: 8 }) });
  await writeFile(file, 'train:\n  lora_rank: 8\nexperiments:\n  rank16: { train.lora_rank: 16 }\n');
  expect((await loadConfig(file, 'pipeline.yaml', schema, [])).experiments).toEqual({ rank16: { 'train.lora_rank': 16 } });
  await writeFile(file, 'experiments:\n  rank16: 16\n');
  await expect(loadConfig(file, 'pipeline.yaml', schema, [])).rejects.toThrow(/pipeline\.yaml:2:3: experiments\.rank16: expected a mapping of dotted keys/);
  await writeFile(file, 'experiments:\n  "../x": { train.lora_rank: 16 }\n');
  await expect(loadConfig(file, 'pipeline.yaml', schema, [])).rejects.toThrow(/an experiment name is letters/);
  await writeFile(file, 'experiments:\n  a: { "train lora": 16 }\n');
  await expect(loadConfig(file, 'pipeline.yaml', schema, [])).rejects.toThrow(/not a dotted key path/);
});

test('the queue file is untrusted: damage is a clear error naming it; a run that died is interrupted', async () => {
  const ws = await makeTempDir('pl-exp-queue-');
  const q = new ExperimentQueue(ws).load();
  expect(q.entries).toEqual([]);
  q.upsert('a', ['train.lora_rank=4']);
  const b = q.upsert('b', ['train.lora_rank=8']);
  b.status = 'running';
  await q.save();
  const again = new ExperimentQueue(ws).load();
  expect(again.entries.map((e) => [e.name, e.status])).toEqual([
    ['a', 'queued'],
    ['b', 'interrupted'],
  ]);
  // Same name, other overrides: queued afresh.
  again.get('a')!.status = 'done';
  expect(again.upsert('a', ['train.lora_rank=16']).status).toBe('queued');
  await mkdir(join(ws, '.pipeline', 'exp'), { recursive: true });
  const file = join(ws, '.pipeline', 'exp', 'queue.json');
  for (const bad of ['{not json', '{"v":1,"experiments":[{"name":"../../etc","sets":[],"status":"done","added_at":"x"}]}', '{"v":2,"experiments":[]}']) {
    await writeFile(file, bad);
    expect(() => new ExperimentQueue(ws).load()).toThrow(/queue\.json: .*delete it to start an empty queue/);
  }
  expect(await readFile(file, 'utf8')).toBe('{"v":2,"experiments":[]}');
});

test('exp show reads a failed experiment’s log only inside its own folder (the queue is untrusted)', async () => {
  const ws = await makeTempDir('pl-exp-log-');
  await writeFile(join(ws, 'secret.txt'), 'not for the table\n');
  const runs = join(ws, '.pipeline', 'exp', 'runs', 'a', 'artifacts', 'logs');
  await mkdir(runs, { recursive: true });
  await writeFile(join(runs, 'train.log'), 'line 1\nthe error\n');
  const entry = (log: string) => ({ name: 'a', sets: [], status: 'failed', added_at: 'x', log, error: 'boom', failed_stage: 'train' });
  const user = { params: makeParamsReader({}), configFile: join(ws, 'pipeline.yaml'), runCache: { dir: join(ws, 'cache') } } as unknown as Session;
  const rows = async (log: string) => {
    await writeFile(join(ws, '.pipeline', 'exp', 'queue.json'), JSON.stringify({ v: 1, experiments: [entry(log)] }));
    return experimentRows(ws, { schema: z.object({}), stages: [] }, user, new ExperimentQueue(ws).load());
  };
  expect((await rows('.pipeline/exp/runs/a/artifacts/logs/train.log'))[0]!.log_tail).toEqual(['line 1', 'the error']);
  expect((await rows('secret.txt'))[0]!.log_tail).toEqual([]);
  expect((await rows('.pipeline/exp/runs/a/../../../../secret.txt'))[0]!.log_tail).toEqual([]);
});

test('the key gate lets one holder work on a key; the next learns it waited', async () => {
  const gate = keyGate();
  const first = await gate('extract', 'k1');
  expect(first.waited).toBe(false);
  const other = await gate('extract', 'k2');
  expect(other.waited).toBe(false);
  let second: { waited: boolean } | undefined;
  const pending = gate('extract', 'k1').then((l) => (second = l));
  await new Promise((r) => setTimeout(r, 20));
  expect(second).toBeUndefined();
  first.release();
  await pending;
  expect(second!.waited).toBe(true);
});
