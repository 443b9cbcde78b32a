// Issue #12 item 1: one persona prompt. extract writes it (not a built-in one), taken from the
// curated dataset when persona.system_prompt is unset (and the log says so); --merge-existing uses
// the merged file's first sample's prompt, like the old extractor.
import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWorkspace, PROJECT_PIPELINE_TS, REPO, runCli } from '../helpers/workspace.js';

const CURATED_PROMPT = '你是艾雅法拉，罗德岛的火山学家。';
const curated = (system: string) =>
  JSON.stringify([
    {
      system,
      conversations: [
        { from: 'human', value: '前辈在吗？' },
        { from: 'gpt', value: '在的，前辈，我刚整理完观测数据。' },
      ],
    },
    {
      system,
      conversations: [
        { from: 'human', value: '今天冷吗？' },
        { from: 'gpt', value: '有一点点冷，前辈记得多穿一件哦。' },
      ],
    },
    {
      system: '另一个提示',
      conversations: [
        { from: 'human', value: '你好' },
        { from: 'gpt', value: '前辈好，今天也一起努力吧。' },
      ],
    },
  ]);

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function project(yaml: string): Promise<string> {
  const ws = await makeWorkspace({ 'pipeline.ts': PROJECT_PIPELINE_TS, 'pipeline.yaml': yaml, 'data/eyjafjalla_sft.json': curated(CURATED_PROMPT) });
  dirs.push(ws);
  const tongren = join(REPO, 'Eyjafjalla_data/tongren');
  for (const f of (await readdir(tongren)).sort().slice(0, 2)) await cp(join(tongren, f), join(ws, 'Eyjafjalla_data/tongren', f));
  return ws;
}
const systems = async (file: string): Promise<Set<unknown>> =>
  new Set((JSON.parse(await readFile(file, 'utf8')) as Array<{ system?: string }>).map((s) => s.system));

test('unset: extract writes the curated dataset’s most common system prompt, and says where it came from', async () => {
  const ws = await project('');
  const r = await runCli(ws, ['run', 'extract']);
  expect(r.code).toBe(0);
  expect(await systems(join(ws, 'data/eyjafjalla_tongren_sft.json'))).toEqual(new Set([CURATED_PROMPT]));
  expect(await readFile(join(ws, 'artifacts/logs/extract.log'), 'utf8')).toContain(
    'system prompt: the most common system prompt of data/eyjafjalla_sft.json (2 of 3 samples',
  );
  // register then sees two prompts in the mix (the curated file's odd sample) and says so
  const reg = await runCli(ws, ['run', 'register']);
  expect(reg.code).toBe(0);
  expect(reg.stdout + reg.stderr).toContain('different system prompts');
});

test('persona.system_prompt set: extract uses it; the curated file is then no input of extract', async () => {
  const ws = await project('persona:\n  system_prompt: 设定的人设提示。\n');
  expect((await runCli(ws, ['run', 'extract'])).code).toBe(0);
  expect(await systems(join(ws, 'data/eyjafjalla_tongren_sft.json'))).toEqual(new Set(['设定的人设提示。']));
  await import('node:fs/promises').then((fs) => fs.writeFile(join(ws, 'data/eyjafjalla_sft.json'), curated('改过的提示')));
  const status = await runCli(ws, ['status', 'extract', '--json']);
  expect(JSON.parse(status.stdout).stages[0].state).toBe('fresh');
});

test('standalone extract --merge-existing: the merged file’s first sample’s prompt, as the old extractor did', async () => {
  const ws = await project('');
  await cp(join(ws, 'data/eyjafjalla_sft.json'), join(ws, 'cur.json'));
  const merged = JSON.parse(curated('合并文件的提示')) as unknown[];
  await import('node:fs/promises').then((fs) => fs.writeFile(join(ws, 'cur.json'), JSON.stringify(merged)));
  const r = await runCli(ws, [
    'extract',
    '--input_dir',
    'Eyjafjalla_data/tongren',
    '--output',
    'out.json',
    '--report',
    'rep.json',
    '--merge-existing',
    'cur.json',
  ]);
  expect(r.code).toBe(0);
  expect(await systems(join(ws, 'out.json'))).toEqual(new Set(['合并文件的提示']));
  expect(r.stderr).toContain('extract: system prompt: the first sample of');
});
