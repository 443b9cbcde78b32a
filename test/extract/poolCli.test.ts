// The extract stage's worker pool through the real CLI (`pipeline run extract` in temp workspaces:
// the stage runs from the workspace's DAG bundle, its workers from the worker script bundled on
// first use): outputs byte-identical to the main thread's, and Ctrl-C during extraction exits 130
// with nothing recorded.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCli, waitFor } from '../engine/fixtures.js';
import { makeWorkspace, parseJsonEvents, PROJECT_PIPELINE_TS, REPO, runCli, tempDirs } from '../helpers/workspace.js';

const CORPUS = join(REPO, 'Eyjafjalla_data', 'tongren');
const temp = tempDirs();
afterAll(temp.removeAll);

/** The bundled corpus, and each file again `copies` times with a closing exchange of its own. */
async function corpus(copies: number, repeat = 1): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const f of await readdir(CORPUS)) {
    const b = await readFile(join(CORPUS, f));
    out[`Eyjafjalla_data/tongren/${f}`] = b;
    if (f.startsWith('05_')) continue; // (gb18030)
    for (let k = 0; k < copies; k++)
      out[`Eyjafjalla_data/tongren/${f.slice(0, 2)}_v${k}.txt`] = Buffer.concat([
        ...Array.from({ length: repeat }, () => b),
        Buffer.from(`\n博士问：“第${k}遍读完了吗？”\n艾雅法拉说：“第${k}遍也读完了哦，前辈。”\n`),
      ]);
  }
  return out;
}

async function workspace(files: Record<string, Buffer>): Promise<string> {
  const ws = await makeWorkspace({ 'pipeline.ts': PROJECT_PIPELINE_TS, 'pipeline.yaml': await readFile(join(REPO, 'pipeline.yaml'), 'utf8'), ...files });
  temp.adopt(ws);
  return ws;
}

test('`pipeline run extract` with worker threads writes the same dataset and report as on the main thread', async () => {
  const files = await corpus(3);
  const outs = async (workers: string) => {
    const ws = await workspace(files);
    const r = await runCli(ws, ['run', 'extract', '--json', '--set', `extract.workers=${workers}`]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(parseJsonEvents(r.stdout).summary.stages[0]).toMatchObject({ name: 'extract', status: 'ran' });
    const log = await readFile(join(ws, 'artifacts/logs/extract.log'), 'utf8');
    return {
      dataset: await readFile(join(ws, 'data/eyjafjalla_tongren_sft.json')),
      report: await readFile(join(ws, 'artifacts/reports/extraction.json')),
      log,
    };
  };
  const main = await outs('1');
  const pool = await outs('3');
  expect(main.log).not.toMatch(/worker threads/);
  expect(pool.log).toMatch(/extract \d+ ms \(3 worker threads\)/);
  expect(pool.log).toMatch(/\d+ files \(\d+ read, 0 from cache\)/);
  expect(pool.dataset.length).toBeGreaterThan(1000);
  expect(pool.dataset).toEqual(main.dataset);
  expect(pool.report).toEqual(main.report);
});

test('Ctrl-C while the workers extract: exit 130, the stage not recorded, no outputs', async () => {
  // Enough text that extraction takes seconds: SIGINT lands while the workers are at it.
  const ws = await workspace(await corpus(6, 12));
  const run = startCli(ws, ['run', 'extract', '--json', '--set', 'extract.workers=2']);
  const logFile = join(ws, 'artifacts/logs/extract.log');
  await waitFor(async () => /system prompt/.test(await readFile(logFile, 'utf8').catch(() => '')), 'the extract stage to start', 60_000);
  run.child.kill('SIGINT');
  const res = await run.done;
  expect(res.code).toBe(130);
  const last = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { event: string; ok: boolean; stages: Array<{ name: string; status: string }> };
  expect(last).toMatchObject({ event: 'summary', ok: false });
  expect(last.stages.find((s) => s.name === 'extract')?.status).not.toBe('ran');
  expect(res.stderr).not.toMatch(/\n\s+at /);
  const written = await readdir(join(ws, 'data')).catch(() => []);
  expect(written).not.toContain('eyjafjalla_tongren_sft.json');
  expect(await readFile(logFile, 'utf8')).not.toMatch(/extract: timing/);
});
