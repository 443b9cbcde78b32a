// ctx.provisional: a run whose outs are usable but not final (a server it asks was down) is
// promoted and recorded with its reason, never put in the run cache, and runs again next time —
// until a run that does not call it.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { dagSource, engineWorkspace, read, removeWorkspaces, runJson, statusValues } from './fixtures.js';

afterAll(removeWorkspaces);

// `ask` is provisional while the file `down` exists; `use` reads its out.
const DAG = dagSource(
  `z.object({}).strict()`,
  `
    defineStage({ name: 'ask', deps: ['in'], outs: ['out/ask.txt'],
      async run(ctx) {
        await bump(ctx, 'ask');
        const down = existsSync(join(ctx.workspace, 'down'));
        if (down) ctx.provisional('the server was down: 3 lines stay to the rules');
        await writeFile(ctx.out('out/ask.txt'), down ? 'rules' : 'model');
      } }),
    defineStage({ name: 'use', deps: ['out/ask.txt'], outs: ['out/use.txt'],
      async run(ctx) { await bump(ctx, 'use'); await writeFile(ctx.out('out/use.txt'), await readFile(join(ctx.workspace, 'out/ask.txt'), 'utf8')); } }),`,
);

test('a provisional run is used downstream, reruns with its reason, and is fresh once a run is final', async () => {
  const ws = await engineWorkspace(DAG, { 'in/a.txt': 'a\n', down: '' });
  const first = await runJson(ws);
  expect(first.code).toBe(0);
  expect(first.statuses).toEqual({ ask: 'ran', use: 'ran' });
  expect(await read(ws, 'out/use.txt')).toBe('rules');
  expect(await read(ws, 'artifacts/logs/ask.log')).toMatch(/^provisional: the server was down: 3 lines stay to the rules$/m);

  // Nothing changed, yet ask is due again, saying why; use is not (its input is the same bytes).
  const st = await statusValues(ws);
  expect(st.ask!.state).toBe('stale');
  expect(st.ask!.reasons).toEqual([{ kind: 'provisional', message: 'the server was down: 3 lines stay to the rules' }]);
  expect(st.ask!.reason).toBe('its last run was provisional: the server was down: 3 lines stay to the rules');
  const again = await runJson(ws);
  expect(again.statuses).toEqual({ ask: 'ran', use: 'fresh' });
  expect(again.stage('ask').reason).toMatch(/provisional/);

  // Never in the run cache: with its out gone it runs, it is not restored.
  await rm(join(ws, 'out/ask.txt'));
  expect((await runJson(ws)).statuses.ask).toBe('ran');

  // The server is back: the run is final, its out changes, use follows; then all is fresh.
  await rm(join(ws, 'down'));
  const back = await runJson(ws);
  expect(back.statuses).toEqual({ ask: 'ran', use: 'ran' });
  expect(await read(ws, 'out/use.txt')).toBe('model');
  expect((await runJson(ws)).statuses).toEqual({ ask: 'fresh', use: 'fresh' });
  expect(await read(ws, 'counts/ask')).toBe('xxxx');

  // A final run is cached as usual: removed, it is restored.
  await rm(join(ws, 'out/ask.txt'));
  expect((await runJson(ws)).statuses.ask).toBe('restored');
});
