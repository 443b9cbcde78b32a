// `pipeline demo`: the whole DAG, train and regress included, in a throwaway copy of the workspace
// with the stand-ins on PATH, labelled SIMULATION in its output and its report; the workspace
// itself is untouched, and no other product code puts the doubles on PATH.
import { cp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { makeWorkspace, PROJECT_PIPELINE_TS, REPO, runCli } from '../helpers/workspace.js';
import { tempDirs } from '../helpers/tempDirs.js';

jest.setTimeout(300_000);

const temp = tempDirs();
afterAll(temp.removeAll);

test('pipeline demo runs every stage on the stand-ins in a copy, says SIMULATION, and leaves the workspace as it was', async () => {
  const ws = await makeWorkspace({ 'pipeline.ts': PROJECT_PIPELINE_TS }, 'pl-demo-ws-');
  temp.adopt(ws);
  for (const p of ['pipeline.yaml', 'Eyjafjalla_data', 'data']) await cp(join(REPO, p), join(ws, p), { recursive: true });
  const infoBefore = await readFile(join(ws, 'data/dataset_info.json'), 'utf8');
  const dest = join(await temp.make('pl-demo-out-'), 'copy');
  const t0 = Date.now();
  const r = await runCli(ws, ['demo', '--dir', dest], { timeoutMs: 280_000, env: { PIPELINE_CACHE_DIR: undefined } });
  const secs = (Date.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`demo exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.split('\n');
  expect(lines[1]).toBe(`SIMULATION — pipeline demo in ${dest}`);
  expect(r.stdout).toMatch(/\nSIMULATION finished in \d+ s \(exit 0\)\. SIMULATION \(pipeline demo\)/);
  for (const s of ['extract', 'register', 'train', 'regress']) expect(r.stdout).toMatch(new RegExp(`^${s}: ran — `, 'm'));
  // Training progress from the stand-in's trainer_log.jsonl, and the pass rate.
  expect(r.stdout).toMatch(/^train: step \d+\/\d+ · loss [\d.]+/m);
  expect(r.stdout).toMatch(/^regress: \d+\/39 passed/m);
  expect(r.stdout).toContain(`regression report:     ${join(dest, 'artifacts/reports/regression.html')}`);
  // The report is labelled too, and the answers in it say they are scripted.
  const html = await readFile(join(dest, 'artifacts/reports/regression.html'), 'utf8');
  expect(html).toMatch(/<p id="banner">SIMULATION \(pipeline demo\)/);
  expect(html).toContain('SIMULATION：这是 pipeline demo 的替身写好的回答');
  // The adapter is the stand-in's, with its log.
  // (current links to it: the training log is readable through the link)
  expect((await readFile(join(dest, 'artifacts/adapters/current/trainer_log.jsonl'), 'utf8')).split('\n').filter(Boolean).length).toBeGreaterThan(5);
  // The workspace is as it was: no outputs, no cache, no state, the registry file unchanged.
  expect((await readdir(ws)).sort()).toEqual(['.pipeline', 'Eyjafjalla_data', 'data', 'pipeline.ts', 'pipeline.yaml'].sort());
  expect(await readdir(join(ws, '.pipeline'))).toEqual(['dag']);
  expect(await readFile(join(ws, 'data/dataset_info.json'), 'utf8')).toBe(infoBefore);
  // About a minute on an idle machine; the bound is two.
  expect(secs).toBeLessThan(240);

  // A second demo into the same, now non-empty, directory is refused before anything runs.
  const again = await runCli(ws, ['demo', '--dir', dest]);
  expect(again.code).toBe(2);
  expect(again.stderr).toContain('is not empty');
});

test('only the demo command puts the stand-ins on PATH: no other product source names test/doubles', async () => {
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(join(REPO, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) await walk(rel);
      else if (
        /\.(ts|js|mjs)$/.test(e.name) &&
        rel !== 'stages/demo/command.ts' &&
        /test[/\\]doubles|['"]doubles['"]/.test(await readFile(join(REPO, rel), 'utf8'))
      )
        offenders.push(rel);
    }
  };
  for (const d of ['src', 'stages', 'bin']) await walk(d);
  expect(offenders).toEqual([]);
});
