// Run records and cache objects are untrusted input (#14 item 2): a doctored or damaged record never
// restores wrong content, never makes a stage wrongly fresh or restored, and never makes the
// pipeline write or delete outside the workspace.
import { chmod, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatRecord } from '../../src/runRecord.js';
import { dagSource, engineWorkspace, exists, read, removeWorkspaces, runJson, runsOf, STD_SCHEMA, stdWorkspace } from './fixtures.js';

afterAll(removeWorkspaces);

import { hashBytes } from '../../src/hashFile.js';

/** The engine's content hash of a string (the run cache's object names). */
const contentHash = (s: string) => hashBytes(Buffer.from(s));
const ONE_N1 = 'n=1\nin/a.txt:alpha\n';

/** A workspace where `one` ran with a.n=1 and then a.n=2: the n=1 run is only in the cache. */
async function twoRuns(): Promise<{ ws: string; sentinel: string; recFile: string }> {
  const ws = await stdWorkspace();
  // A directory beside the workspace that nothing may touch.
  const sentinel = join(dirname(ws), `${basename(ws)}-victim`);
  await mkdir(sentinel, { recursive: true });
  await writeFile(join(sentinel, 'keep.txt'), 'keep\n');
  expect((await runJson(ws)).code).toBe(0);
  expect((await runJson(ws, ['--set', 'a.n=2'])).code).toBe(0);
  const runs = join(ws, 'cache', 'runs', 'one');
  const n1 = [];
  for (const f of await readdir(runs)) {
    const rec = JSON.parse(await readFile(join(runs, f), 'utf8')) as { params: Record<string, unknown> };
    if (rec.params['a.n'] === 1) n1.push(join(runs, f));
  }
  expect(n1).toHaveLength(1);
  return { ws, sentinel, recFile: n1[0]! };
}

async function edit(file: string, change: (rec: Record<string, unknown>) => void, reseal: boolean): Promise<void> {
  const rec = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  change(rec);
  // reseal: a forger who recomputes the checksum; otherwise a hand edit or damage.
  await writeFile(file, reseal ? formatRecord(rec as never) : JSON.stringify(rec));
}

async function sentinelIntact(sentinel: string): Promise<void> {
  expect(await readdir(sentinel)).toEqual(['keep.txt']);
  expect(await readFile(join(sentinel, 'keep.txt'), 'utf8')).toBe('keep\n');
}

afterAll(async () => {
  // The sentinels beside the workspaces.
  const { tmpdir } = await import('node:os');
  for (const d of await readdir(tmpdir())) if (/^pl-engine-.*-victim$/.test(d)) await rm(join(tmpdir(), d), { recursive: true, force: true });
});

test.each([
  ['declaredOuts outside the workspace', (rec: Record<string, unknown>, victim: string) => (rec.declaredOuts = [`../${victim}`])],
  [
    'an out file outside the workspace',
    (rec: Record<string, unknown>, victim: string) => ((rec.outs as Array<{ path: string }>)[0]!.path = `../${victim}/keep.txt`),
  ],
  ['an absolute out path', (rec: Record<string, unknown>, victim: string) => (rec.declaredOuts = [`/tmp/${victim}`])],
  [
    'outs other than the stage declares',
    (rec: Record<string, unknown>) => {
      rec.declaredOuts = ['out/two.txt'];
      (rec.outs as Array<{ path: string }>)[0]!.path = 'out/two.txt';
    },
  ],
])('a resealed record with %s is not restored and nothing outside is touched', async (_what, change) => {
  const { ws, sentinel, recFile } = await twoRuns();
  await edit(recFile, (rec) => change(rec, basename(sentinel)), true);
  const r = await runJson(ws);
  expect(r.code).toBe(0);
  expect(r.stage('one').status).toBe('ran');
  expect(r.stderr).toMatch(new RegExp(`warning: .*${recFile.split('/').slice(-2).join('/')}: unusable run record`));
  expect(await read(ws, 'out/one.txt')).toBe(ONE_N1);
  expect(await runsOf(ws, 'one')).toBe(3);
  await sentinelIntact(sentinel);
});

test('a record edited without its checksum (another existing object, a flipped byte in a path) is ignored', async () => {
  const { ws, recFile } = await twoRuns();
  // Points one.txt at the object of two.txt of the same run: a valid object, the wrong content.
  const other = contentHash(ONE_N1.toUpperCase());
  await edit(recFile, (rec) => ((rec.outs as Array<{ hash: string }>)[0]!.hash = other), false);
  let r = await runJson(ws);
  expect(r.stage('one').status).toBe('ran');
  expect(await read(ws, 'out/one.txt')).toBe(ONE_N1);

  // One byte of an out path flipped in the (now rewritten, sealed) record: one.txt → one.tx4.
  await runJson(ws, ['--set', 'a.n=2']);
  const text = await readFile(recFile, 'utf8');
  expect(text).toContain('"out/one.txt"');
  await writeFile(recFile, text.replace('"path": "out/one.txt"', '"path": "out/one.tx4"'));
  r = await runJson(ws);
  expect(r.stage('one').status).toBe('ran');
  expect(await read(ws, 'out/one.txt')).toBe(ONE_N1);
  expect(exists(ws, 'out/one.tx4')).toBe(false);
  // Afterwards the stage is fresh, not restored again on every run.
  expect((await runJson(ws)).statuses).toEqual({ one: 'fresh', two: 'fresh', side: 'fresh' });
});

test('a doctored workspace state record never makes a stage fresh', async () => {
  const ws = await stdWorkspace();
  await runJson(ws);
  await rm(join(ws, 'cache'), { recursive: true });
  // The out is gone, but the state record (resealed) claims another, existing out.
  await rm(join(ws, 'out/one.txt'));
  await edit(
    join(ws, '.pipeline/state/one.json'),
    (rec) => {
      rec.declaredOuts = ['in'];
      rec.outs = [{ path: 'in/a.txt', hash: contentHash('alpha\n'), size: 6 }];
    },
    true,
  );
  let r = await runJson(ws, ['one']);
  expect(r.stage('one').status).toBe('ran');
  // The record names outs the stage does not declare: it counts as never run, with a warning naming it.
  expect(r.stage('one').reason).toBe('never ran in this workspace');
  expect(r.stderr).toMatch(/\.pipeline\/state\/one\.json: unusable run record \(it names outs \["in"\], the stage declares \["out\/one\.txt"\]\)/);
  expect(await read(ws, 'out/one.txt')).toBe(ONE_N1);

  // Garbage, or another stage's record swapped in: treated as never run, one warning naming it.
  await writeFile(join(ws, '.pipeline/state/one.json'), await readFile(join(ws, '.pipeline/state/side.json')));
  await writeFile(join(ws, '.pipeline/state/two.json'), '{"v":1,');
  r = await runJson(ws);
  expect(r.code).toBe(0);
  // Not fresh: one's genuine record in the run cache vouches for its out; two has none and runs.
  expect(r.statuses).toEqual({ one: 'restored', two: 'ran', side: 'fresh' });
  expect(r.stderr.match(/warning: .*state\/one\.json: unusable run record \(it is a record of stage 'side'\)/g)).toHaveLength(1);
  expect(r.stderr).toMatch(/warning: .*state\/two\.json: unusable run record \(not valid JSON\)/);
  expect(await read(ws, 'out/two.txt')).toBe(ONE_N1.toUpperCase());
});

const DIR_DAG = dagSource(
  STD_SCHEMA,
  `
    defineStage({ name: 'adapter', deps: ['in'], outs: ['out/adapter'], params: ['a.n'],
      async run(ctx) {
        await bump(ctx, 'adapter');
        await mkdir(ctx.out('out/adapter'), { recursive: true });
        await writeFile(ctx.out('out/adapter') + '/weights.bin', 'w' + ctx.param('a.n'));
        await writeFile(ctx.out('out/adapter') + '/trainer_log.jsonl', '{"step":' + ctx.param('a.n') + '}\\n');
      } }),`,
);

test('a directory out: a record missing a file, or a damaged object, never restores an incomplete directory', async () => {
  const ws = await engineWorkspace(DIR_DAG, { 'in/a.txt': 'alpha\n' });
  await runJson(ws);
  await runJson(ws, ['--set', 'a.n=2']);
  const runs = join(ws, 'cache', 'runs', 'adapter');
  // The n=1 record loses trainer_log.jsonl (a hand edit: checksum not recomputed).
  let n1 = '';
  for (const f of await readdir(runs)) if ((await readFile(join(runs, f), 'utf8')).includes('"a.n": 1')) n1 = join(runs, f);
  await edit(n1, (rec) => (rec.outs = (rec.outs as Array<{ path: string }>).filter((o) => !o.path.endsWith('trainer_log.jsonl'))), false);
  let r = await runJson(ws);
  expect(r.stage('adapter').status).toBe('ran');
  expect(await read(ws, 'out/adapter/trainer_log.jsonl')).toBe('{"step":1}\n');

  // An object whose content does not match its name: evicted, the stage reruns.
  await runJson(ws, ['--set', 'a.n=2']);
  const obj = join(ws, 'cache', 'objects', contentHash('w1').slice(0, 2), contentHash('w1').slice(2));
  await chmod(obj, 0o644);
  await writeFile(obj, 'w9');
  r = await runJson(ws);
  expect(r.stage('adapter').status).toBe('ran');
  expect(r.stderr).toMatch(/cache object does not match its name; evicted/);
  expect(await read(ws, 'out/adapter/weights.bin')).toBe('w1');
  expect((await readdir(join(ws, 'out/adapter'))).sort()).toEqual(['trainer_log.jsonl', 'weights.bin']);
  expect(await runsOf(ws, 'adapter')).toBe(4);
  // A file deleted from the directory out: restored from the cache, then fresh (no restore loop).
  await rm(join(ws, 'out/adapter/trainer_log.jsonl'));
  r = await runJson(ws);
  expect(r.stage('adapter').status).toBe('restored');
  expect(await read(ws, 'out/adapter/trainer_log.jsonl')).toBe('{"step":1}\n');
  expect((await runJson(ws)).stage('adapter').status).toBe('fresh');
});

test('an out whose directory is a symlink leading outside is refused; nothing is written there', async () => {
  const { ws, sentinel } = await twoRuns();
  await rm(join(ws, 'out'), { recursive: true });
  await symlink(sentinel, join(ws, 'out'));
  const r = await runJson(ws, ['one']);
  expect(r.code).toBe(1);
  expect(r.stage('one').status).toBe('failed');
  expect(r.stage('one').error).toMatch(/refusing to write out out\/one\.txt: its directory leads through a symbolic link/);
  await sentinelIntact(sentinel);
});
