// Inputs may live outside the workspace and are then read as given (#14 item 7): extract.input_dir
// as `../dir` or absolute finds its files instead of saying "no files"; writes stay inside.
import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { makeWorkspace, PROJECT_PIPELINE_TS, REPO } from '../helpers/workspace.js';
import { runJson } from './fixtures.js';

const made: string[] = [];
afterAll(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));

test('extract.input_dir outside the workspace (relative or absolute) is read as given', async () => {
  const story = await readFile(join(REPO, 'Eyjafjalla_data', 'tongren', '01_观测站的清晨.txt'));
  const outside = await makeWorkspace({ 'stories/01.txt': story }, 'pl-outside-input-');
  const ws = await makeWorkspace(
    { 'pipeline.ts': PROJECT_PIPELINE_TS, 'pipeline.yaml': await readFile(join(REPO, 'pipeline.yaml'), 'utf8') },
    'pl-outside-ws-',
  );
  made.push(outside, ws);
  for (const dir of [`../${basename(outside)}/stories`, join(outside, 'stories')]) {
    const r = await runJson(ws, ['extract', '--set', `extract.input_dir=${dir}`]);
    expect(r.stderr).not.toMatch(/no files/);
    expect(r.code).toBe(0);
    expect(r.stage('extract').status).toMatch(/ran|restored/);
    const data = JSON.parse(await readFile(join(ws, 'data/eyjafjalla_tongren_sft.json'), 'utf8')) as unknown[];
    expect(data.length).toBeGreaterThan(0);
  }
});

test('register.dataset_dir outside the workspace is refused before any work; an absolute one inside is used as given', async () => {
  const files: Record<string, string | Buffer> = { 'pipeline.ts': PROJECT_PIPELINE_TS, 'pipeline.yaml': await readFile(join(REPO, 'pipeline.yaml'), 'utf8') };
  for (const f of ['data/eyjafjalla_sft.json', 'Eyjafjalla_data/tongren/01_观测站的清晨.txt']) files[f] = await readFile(join(REPO, f));
  const ws = await makeWorkspace(files, 'pl-outside-ws-');
  const outside = await makeWorkspace({ 'dataset_info.json': '{}\n' }, 'pl-outside-info-');
  made.push(ws, outside);
  for (const dir of [`../${basename(outside)}`, outside]) {
    const r = await runJson(ws, ['register', '--cpu-only', '--set', `register.dataset_dir=${dir}`]);
    expect(r.code).toBe(1);
    expect(r.stage('register').error).toMatch(
      /register\.dataset_dir.*outside|outside.*register merges its entries only into a dataset_info\.json inside the workspace/,
    );
    expect(await readFile(join(outside, 'dataset_info.json'), 'utf8')).toBe('{}\n');
  }
  const inside = await runJson(ws, ['register', '--cpu-only', '--set', `register.dataset_dir=${join(ws, 'data')}`]);
  expect(inside.code).toBe(0);
  const info = JSON.parse(await readFile(join(ws, 'data/dataset_info.json'), 'utf8')) as Record<string, { file_name: string }>;
  expect(info.eyjafjalla_sft?.file_name).toBe('eyjafjalla_sft.json');
});
