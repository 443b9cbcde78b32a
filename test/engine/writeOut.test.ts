// ctx.writeOut: a stage hands the engine its bytes (a buffer, a string, or chunks that reuse one
// buffer) and the engine hashes them while writing. The recorded hash, the promoted file, the
// object in the store and a later restore must all be exactly those bytes.
import { hashBytes } from '../../src/hashFile.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dagSource, engineWorkspace, read, removeWorkspaces, runJson, runsOf } from './fixtures.js';

afterAll(removeWorkspaces);

/** The engine's content hash (XXH3-128; pinned to its published value in statCache.test.ts). */
const contentHash = (b: Buffer | string) => hashBytes(typeof b === 'string' ? Buffer.from(b) : b);

// `gen` writes out/big.txt as 3 chunks of `size` bytes, each the same buffer refilled with another
// letter (a consumer that kept a chunk past the next one would write three copies of the last
// letter), and out/small.txt from a string. `size` comes from params, so changing it reruns.
const DAG = dagSource(
  `z.object({ g: z.object({ size: z.number().default(300000) }).strict().prefault({}) }).strict()`,
  `
    defineStage({ name: 'gen', deps: ['in'], outs: ['out/big.txt', 'out/small.txt'], params: ['g.size'],
      async run(ctx) {
        await bump(ctx, 'gen');
        const size = ctx.param('g.size') as number;
        function* chunks() {
          const buf = Buffer.alloc(size);
          for (const letter of ['a', 'b', 'c']) {
            buf.fill(letter);
            yield buf;
          }
        }
        const h = await ctx.writeOut('out/big.txt', chunks());
        await ctx.writeOut('out/small.txt', 'big ' + h + '\\n');
      } }),
    defineStage({ name: 'rewrite', deps: ['in'], outs: ['out/r.txt'],
      async run(ctx) {
        await ctx.writeOut('out/r.txt', 'aaaa');
        await new Promise((r) => setTimeout(r, 50));
        await writeFile(ctx.out('out/r.txt'), 'bbbb');
      } }),
    defineStage({ name: 'bad', deps: ['in'], outs: ['out/bad.txt'],
      async run(ctx) {
        await ctx.writeOut('out/elsewhere.txt', 'x');
      } }),`,
);

const expected = (size: number) => Buffer.concat(['a', 'b', 'c'].map((l) => Buffer.alloc(size, l)));

test('writeOut writes chunks in order, records their hash, stores the object, and restores it', async () => {
  const ws = await engineWorkspace(DAG, { 'in/a.txt': 'alpha\n' });
  const r1 = await runJson(ws, ['gen']);
  expect(r1.stage('gen').status).toBe('ran');
  const big = await readFile(join(ws, 'out', 'big.txt'));
  expect(big.equals(expected(300000))).toBe(true);
  // The hash the stage got back is the hash of the bytes on disk.
  expect(await read(ws, 'out/small.txt')).toBe(`big ${contentHash(big)}\n`);
  const state = JSON.parse(await read(ws, '.pipeline/state/gen.json')) as { outs: Array<{ path: string; hash: string; size: number }> };
  expect(state.outs.find((o) => o.path === 'out/big.txt')).toEqual({ path: 'out/big.txt', hash: contentHash(big), size: big.length });
  const object = await readFile(join(ws, 'cache', 'objects', contentHash(big).slice(0, 2), contentHash(big).slice(2)));
  expect(object.equals(big)).toBe(true);

  // Another size, then back: the first run's outs come back from the store, byte for byte.
  expect((await runJson(ws, ['gen', '--set', 'g.size=1000'])).stage('gen').status).toBe('ran');
  expect((await readFile(join(ws, 'out', 'big.txt'))).equals(expected(1000))).toBe(true);
  const back = await runJson(ws, ['gen']);
  expect(back.stage('gen').status).toBe('restored');
  expect((await readFile(join(ws, 'out', 'big.txt'))).equals(big)).toBe(true);
  expect(await runsOf(ws, 'gen')).toBe(2);
});

test('writeOut to a path that is not a declared out fails the stage and names the path', async () => {
  const ws = await engineWorkspace(DAG, { 'in/a.txt': 'alpha\n' });
  const r = await runJson(ws, ['bad']);
  expect(r.code).toBe(1);
  expect(r.stage('bad').status).toBe('failed');
  expect(r.stage('bad').error).toMatch(/writes 'out\/elsewhere\.txt', which is not one of its outs/);
});

test('an out written again after writeOut (same size) is hashed as it ends up, not as first written', async () => {
  const ws = await engineWorkspace(DAG, { 'in/a.txt': 'alpha\n' });
  expect((await runJson(ws, ['rewrite'])).stage('rewrite').status).toBe('ran');
  expect(await read(ws, 'out/r.txt')).toBe('bbbb');
  const state = JSON.parse(await read(ws, '.pipeline/state/rewrite.json')) as { outs: Array<{ path: string; hash: string }> };
  expect(state.outs).toEqual([{ path: 'out/r.txt', hash: contentHash('bbbb'), size: 4 }]);
});
