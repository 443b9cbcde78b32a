// The project's own DAG under a real watcher: a new fan-fiction file's dialogue appears in the
// ShareGPT dataset (only that file is read), deleting it takes it out again, and a file that is not
// text is reported and skipped while watching goes on.
import { copyFile, cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeWorkspace, PROJECT_PIPELINE_TS, REPO } from '../helpers/workspace.js';
import { killAllWatchers, startWatch, statuses } from './watchProcess.js';

const SCENE = '11_山脚下的茶摊.txt';
const BROKEN = '12_损坏的文件.txt';
const SCENE_FILE = fileURLToPath(new URL(`./fixtures/${SCENE}`, import.meta.url));
const DATASET = 'data/eyjafjalla_tongren_sft.json';

let ws: string | undefined;
afterEach(killAllWatchers);
afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

interface Sample {
  conversations: Array<{ from: string; value: string }>;
}

async function dataset(root: string): Promise<Sample[]> {
  return JSON.parse(await readFile(join(root, DATASET), 'utf8')) as Sample[];
}

/** Her (gpt) turns and the Doctor's (human) turns, over every sample. */
async function turns(root: string): Promise<{ gpt: string[]; human: string[] }> {
  const all = (await dataset(root)).flatMap((s) => s.conversations);
  return { gpt: all.filter((t) => t.from === 'gpt').map((t) => t.value), human: all.filter((t) => t.from === 'human').map((t) => t.value) };
}

test('a new fan-fiction file is extracted into the dataset and registered; deleting it removes it; a broken file is skipped', async () => {
  ws = await makeWorkspace({ 'pipeline.ts': PROJECT_PIPELINE_TS, 'pipeline.yaml': 'extract:\n  input_dir: tongren\n' }, 'pl-watch-project-');
  await cp(join(REPO, 'Eyjafjalla_data', 'tongren'), join(ws, 'tongren'), { recursive: true });
  await cp(join(REPO, 'data', 'eyjafjalla_sft.json'), join(ws, 'data', 'eyjafjalla_sft.json'));
  await cp(join(REPO, 'data', 'dataset_info.json'), join(ws, 'data', 'dataset_info.json'));

  const w = startWatch(ws, ['--debounce', '100']);
  const ready = await w.waitForEvent((e) => e.event === 'watching', 'the watching event', { timeoutMs: 45_000 });
  // GPU stages are not watched unless asked for.
  expect(ready.event === 'watching' && ready.targets).toEqual(['extract', 'register']);
  const first = await w.waitForBuild(1, 45_000);
  expect(first.ok).toBe(true);
  expect(statuses(first)).toEqual({ extract: 'ran', register: 'ran' });
  const before = await dataset(ws);
  expect(before.length).toBeGreaterThan(0);
  expect((await turns(ws)).gpt.some((v) => v.includes('第一个告诉前辈'))).toBe(false);

  await copyFile(SCENE_FILE, join(ws, 'tongren', SCENE));
  const added = await w.waitForBuild(2);
  expect(added.ok).toBe(true);
  expect(added.changed.map((c) => c.path)).toEqual([`tongren/${SCENE}`]);
  expect(statuses(added)).toEqual({ extract: 'ran', register: 'ran' });
  const after = await turns(ws);
  expect(after.gpt).toContain('好吧，听前辈的。那明天早上化验的时候，您要来看结果哦，我想第一个告诉前辈。');
  expect(after.human).toContain('可以，不过今晚要先睡够八个小时。');
  expect((await dataset(ws)).length).toBeGreaterThan(before.length);
  // Only the new file was read; the other ten came from extract's per-file cache.
  expect(await readFile(join(ws, 'artifacts', 'logs', 'extract.log'), 'utf8')).toMatch(/11 files \(1 read, 10 from cache\)/);
  // register published the dataset for LLaMA-Factory.
  const info = JSON.parse(await readFile(join(ws, 'data', 'dataset_info.json'), 'utf8')) as Record<string, { file_name?: string }>;
  expect(info.eyjafjalla_tongren_sft?.file_name).toBe('eyjafjalla_tongren_sft.json');

  await rm(join(ws, 'tongren', SCENE));
  const removed = await w.waitForBuild(3);
  expect(removed.ok).toBe(true);
  expect(removed.changed).toEqual([{ path: `tongren/${SCENE}`, kind: 'removed' }]);
  expect(['ran', 'restored']).toContain(statuses(removed).extract);
  expect((await turns(ws)).gpt.some((v) => v.includes('第一个告诉前辈'))).toBe(false);
  expect(await dataset(ws)).toEqual(before);

  // A file that is not text is reported and skipped; the dataset is untouched and watching goes on.
  await writeFile(join(ws, 'tongren', BROKEN), Buffer.from([0xe8, 0x89, 0xbe, 0x00, 0x01, 0x00, 0xff, 0x10]));
  const broken = await w.waitForBuild(4);
  expect(broken.ok).toBe(true);
  expect(broken.changed.map((c) => c.path)).toEqual([`tongren/${BROKEN}`]);
  const report = JSON.parse(await readFile(join(ws, 'artifacts', 'reports', 'extraction.json'), 'utf8')) as {
    files: Array<{ file: string; status: string; reason?: string }>;
  };
  expect(report.files.find((f) => f.file.endsWith(BROKEN))).toMatchObject({ status: 'skipped', reason: 'binary' });
  expect(await dataset(ws)).toEqual(before);
  expect((await w.stop()).code).toBe(130);
}, 150_000);
