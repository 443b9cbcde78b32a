// An experiment's workspace: the user's inputs are links, every out and published file is the
// experiment's own (never a link into the user's workspace); a link planted where an out goes is
// refused by the containment rule; `exp rm` removes the links, not what they point to; `cache gc`
// keeps the runs of experiments in the queue.
import { lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { runCli } from '../helpers/workspace.js';
import { expectExit } from '../regress/fixtures.js';
import { events, expWorkspace, queueOf } from './fixtures.js';

jest.setTimeout(240_000);

test('inputs linked, outs owned; a planted link is refused; rm keeps the user’s files; cache gc keeps experiments’ runs', async () => {
  const { ws, env } = await expWorkspace();
  // The user's own current adapter, a link (as train publishes it): not copied into the experiment.
  await mkdir(join(ws, 'artifacts', 'adapters', 'users-own'), { recursive: true });
  await symlink('users-own', join(ws, 'artifacts', 'adapters', 'current'));
  const r = await runCli(ws, ['exp', 'run', '--set', 'train.lora_rank=4', '--json'], { env, timeoutMs: 120_000 });
  expectExit(r, 0);
  const dir = join(ws, '.pipeline', 'exp', 'runs', 'lora_rank-4');
  const link = async (p: string) => (await lstat(join(dir, p))).isSymbolicLink();
  // Inputs: links to the user's files and folders.
  expect(await link('data/persona.json')).toBe(true);
  expect(await readlink(join(dir, 'data/persona.json'))).toBe(join(ws, 'data/persona.json'));
  expect(await link('models/base')).toBe(true);
  expect(await link('Eyjafjalla_data/tongren')).toBe(true);
  // `data` holds outs and the shared dataset_info.json: a real folder, and those are real files.
  expect(await link('data')).toBe(false);
  expect(await link('data/dataset_info.json')).toBe(false);
  expect(await link('data/eyjafjalla_tongren_sft.json')).toBe(false);
  expect(await link('artifacts')).toBe(false);
  expect(await readlink(join(dir, 'artifacts', 'adapters', 'current'))).not.toBe('users-own');
  expect(await readlink(join(ws, 'artifacts', 'adapters', 'current'))).toBe('users-own');
  // The user's own dataset_info.json was not written (the experiment registered into its copy).
  await expect(stat(join(ws, 'data', 'dataset_info.json'))).rejects.toThrow();
  expect(JSON.parse(await readFile(join(dir, 'data', 'dataset_info.json'), 'utf8'))).toHaveProperty('persona');

  // A link planted where another experiment's outs go, pointing into the user's workspace: refused.
  const evil = join(ws, '.pipeline', 'exp', 'runs', 'lora_rank-16');
  await mkdir(evil, { recursive: true });
  await mkdir(join(ws, 'artifacts'), { recursive: true });
  await symlink(join(ws, 'artifacts'), join(evil, 'artifacts'));
  const bad = await runCli(ws, ['exp', 'run', '--set', 'train.lora_rank=16', '--json'], { env, timeoutMs: 120_000 });
  expectExit(bad, 1);
  // Refused where it is first met: preparing the experiment's folder (its copy of a published
  // file) or a stage writing its out.
  const failed = events(bad.stdout).find((e) => (e.event === 'end' || e.event === 'experiment') && e.status === 'failed');
  expect(failed?.experiment).toBe('lora_rank-16');
  expect(String(failed?.error)).toMatch(/refusing to write .*symbolic link/);
  await expect(stat(join(ws, 'artifacts', 'reports', 'extraction.json'))).rejects.toThrow();

  // cache gc with no room keeps what the experiments in the queue use.
  const key = (await queueOf(ws)).experiments.find((e) => e.name === 'lora_rank-4')!.stages.find((s) => s.name === 'train')!.key!;
  expectExit(await runCli(ws, ['cache', 'gc', '--max-size', '0'], { env }), 0);
  const trainRuns = await readdir(join(ws, 'cache', 'runs', 'train'));
  expect(trainRuns.some((f) => f.startsWith(key.slice(0, 12)))).toBe(true);

  // gc: a folder the queue does not name goes; a queued experiment's stays.
  await mkdir(join(ws, '.pipeline', 'exp', 'runs', 'orphan', 'artifacts'), { recursive: true });
  expectExit(await runCli(ws, ['exp', 'gc'], { env }), 0);
  await expect(lstat(join(ws, '.pipeline', 'exp', 'runs', 'orphan'))).rejects.toThrow();
  expect((await stat(join(dir, 'artifacts', 'adapters', key.slice(0, 12), 'adapter_config.json'))).isFile()).toBe(true);

  // rm: the experiment is forgotten and its folder gone; the user's inputs are intact.
  expectExit(await runCli(ws, ['exp', 'rm', 'lora_rank-4', 'lora_rank-16'], { env }), 0);
  await expect(lstat(dir)).rejects.toThrow();
  expect((await stat(join(ws, 'models', 'base', 'config.json'))).isFile()).toBe(true);
  expect((await stat(join(ws, 'data', 'persona.json'))).isFile()).toBe(true);
  expect((await queueOf(ws)).experiments).toEqual([]);
  // Once no experiment uses it, gc may take it.
  expectExit(await runCli(ws, ['cache', 'gc', '--max-size', '0'], { env }), 0);
  expect(await readdir(join(ws, 'cache', 'runs', 'train')).catch(() => [])).toEqual([]);
  await rm(join(ws, 'artifacts'), { recursive: true, force: true });
});
