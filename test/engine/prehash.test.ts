// Source deps that no stage produces (a base model) are hashed from the start of the run, while
// the upstream stages work, not only once the stage needing them is evaluated.
import { open } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildGraph } from '../../src/graph.js';
import { makeParamsReader } from '../../src/params.js';
import { sourceDepsBehindUpstream } from '../../src/prehash.js';
import { dagSource, engineWorkspace, read, removeWorkspaces, runJson } from './fixtures.js';

afterAll(removeWorkspaces);

const stage = (name: string, deps: string[], outs: string[]) => ({ name, deps, outs, run: async () => {} });

test('the deps picked: those of stages behind upstream work that no stage writes into', () => {
  const g = buildGraph(
    '/ws',
    [
      stage('extract', ['corpus'], ['data/extracted.json']),
      stage('register', ['data/extracted.json', 'data/curated.json'], ['data/dataset_info.json']),
      stage('train', ['data', 'models/base', '/opt/models/qwen', 'cfg/*.yaml'], ['artifacts/adapters/{key}']),
      stage('regress', ['artifacts/adapters', 'cases.jsonl'], ['artifacts/regress']),
    ],
    makeParamsReader({}),
  );
  // extract waits for nothing (its deps are hashed when it is evaluated, right away); `data` holds
  // outs of extract and register; adapters are train's.
  expect(sourceDepsBehindUpstream(g, ['extract', 'register', 'train', 'regress'])).toEqual([
    'data/curated.json',
    'models/base',
    '/opt/models/qwen',
    'cfg/*.yaml',
    'cases.jsonl',
  ]);
  // Without its upstream in the run, a stage is evaluated at once: nothing to start early.
  expect(sourceDepsBehindUpstream(g, ['train'])).toEqual([]);
});

test('the model is being read while the upstream stage still runs', async () => {
  // `up` watches this process's open files for the model's weights (bounded), then finishes.
  const ws = await engineWorkspace(
    dagSource(
      `z.object({}).strict()`,
      `
    defineStage({ name: 'up', deps: ['in'], outs: ['out/up.txt'],
      async run(ctx) {
        const { readdirSync, readlinkSync } = await import('node:fs');
        const target = join(ctx.workspace, 'models/base/weights.bin');
        let seen = false;
        for (const t0 = Date.now(); !seen && Date.now() - t0 < 20000; await new Promise((r) => setTimeout(r, 1))) {
          for (const fd of readdirSync('/proc/self/fd')) {
            try { if (readlinkSync('/proc/self/fd/' + fd) === target) seen = true; } catch {}
          }
        }
        await writeFile(ctx.out('out/up.txt'), seen ? 'model read during up\\n' : 'model not read during up\\n');
      } }),
    defineStage({ name: 'down', deps: ['out/up.txt', 'models/base'], outs: ['out/down.txt'],
      async run(ctx) { await writeFile(ctx.out('out/down.txt'), ctx.deps.map((d) => d.path).join(',') + '\\n'); } }),`,
    ),
    { 'in/a.txt': 'a\n', 'models/base/config.json': '{}\n' },
  );
  await mkdir(join(ws, 'models', 'base'), { recursive: true });
  // 1 GiB, sparse: no disk used, but a read that lasts long enough to be seen.
  const fh = await open(join(ws, 'models', 'base', 'weights.bin'), 'w');
  await fh.truncate(1 << 30);
  await fh.close();
  const r = await runJson(ws);
  expect(r.statuses).toEqual({ up: 'ran', down: 'ran' });
  expect(await read(ws, 'out/up.txt')).toBe('model read during up\n');
  expect(await read(ws, 'out/down.txt')).toBe('models/base/config.json,models/base/weights.bin,out/up.txt\n');
});
