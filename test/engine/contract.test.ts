// A stage that breaks its contract with the engine fails with a message naming the stage and
// what it did — even when its own code catches the error — never as an "internal error". The
// params a stage can read are exactly its declared ones (and its untrackedParams, which do not
// change its key).
import { dagSource, engineWorkspace, read, removeWorkspaces, runJson, STD_SCHEMA } from './fixtures.js';

afterAll(removeWorkspaces);

const STAGES = `
    defineStage({ name: 'sneaky', deps: ['in'], outs: ['out/sneaky.txt'],
      async run(ctx) {
        try { await writeFile(ctx.out('out/elsewhere.txt'), 'x'); } catch { /* swallowed */ }
        await writeFile(ctx.out('out/sneaky.txt'), 'ok');
      } }),
    defineStage({ name: 'peek', deps: ['in'], outs: ['out/peek.txt'], params: ['a.n'],
      async run(ctx) {
        await writeFile(ctx.out('out/peek.txt'), JSON.stringify(ctx.params.all) + ' ' + String(ctx.params.get('b.m')));
      } }),
    defineStage({ name: 'view', deps: ['in'], outs: ['out/view.txt'], params: ['a.n'], untrackedParams: ['b.m'],
      async run(ctx) {
        await bump(ctx, 'view');
        await writeFile(ctx.out('out/view.txt'), JSON.stringify(ctx.params.all) + ' ' + JSON.stringify(ctx.params.get('a')));
      } }),`;

test('writing outside its outs or reading an undeclared param fails the stage by name', async () => {
  const ws = await engineWorkspace(dagSource(STD_SCHEMA, STAGES), { 'in/a.txt': 'a\n' });
  const r = await runJson(ws);
  expect(r.code).toBe(1);
  expect(r.stage('sneaky')).toMatchObject({
    status: 'failed',
    error: "stage 'sneaky' writes 'out/elsewhere.txt', which is not one of its outs (out/sneaky.txt)",
  });
  expect(r.stage('peek')).toMatchObject({ status: 'failed', error: "stage 'peek' reads param 'b.m', which it does not declare in params" });
  expect(r.stdout).not.toMatch(/internal error/);
  // Nothing of a failed stage is promoted.
  await expect(read(ws, 'out/sneaky.txt')).rejects.toThrow();

  // A stage reads its declared params (a parent key gives only the declared part) and its
  // untracked ones, which do not change its key.
  expect(r.stage('view').status).toBe('ran');
  expect(await read(ws, 'out/view.txt')).toBe('{"a":{"n":1},"b":{"m":"x"}} {"n":1}');
  const again = await runJson(ws, ['view', '--set', 'b.m=y']);
  expect(again.stage('view').status).toBe('fresh');
});
