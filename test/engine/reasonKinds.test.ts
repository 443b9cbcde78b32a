// Every kind of staleness reason reaches the machine-readable output as a value
// (`"reasons": [{"kind": …}]` in `run --json` end and summary entries and in `status --json`), next
// to the human `reason` text, which is exactly those values rendered.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { formatRecord, parseRecord } from '../../src/runRecord.js';
import { join } from 'node:path';
import { REASON_KINDS, renderReasons, type Reason } from '../../src/reasons.js';
import { cli, dagSource, engineWorkspace, removeWorkspaces, runJson, statusValues, STD_SCHEMA, STD_STAGES, type JsonRun } from './fixtures.js';

afterAll(removeWorkspaces);

// The standard DAG plus `pub`, whose published part is shared.txt (it must read `ok`).
const PUB = `
    defineStage({ name: 'pub', deps: ['in'], outs: ['out/pub.txt'],
      async run(ctx) { await writeFile(ctx.out('out/pub.txt'), 'p'); },
      async publish(ctx) { await writeFile(join(ctx.workspace, 'shared.txt'), 'ok'); },
      async verifyPublished(ctx) {
        const text = existsSync(join(ctx.workspace, 'shared.txt')) ? await readFile(join(ctx.workspace, 'shared.txt'), 'utf8') : '';
        return text === 'ok' ? [] : ['shared.txt no longer holds what pub published'];
      } }),`;
const DAG = dagSource(STD_SCHEMA, STD_STAGES + PUB);
// `prov` is provisional while the file `down` exists (ctx.provisional).
const PROV = `
    defineStage({ name: 'prov', deps: ['in'], outs: ['out/prov.txt'],
      async run(ctx) { if (existsSync(join(ctx.workspace, 'down'))) ctx.provisional('the server was down'); await writeFile(ctx.out('out/prov.txt'), 'p'); } }),`;
const NEEDS = `
    defineStage({ name: 'needs', deps: ['absent.txt'], outs: ['out/needs.txt'], async run(ctx) { await writeFile(ctx.out('out/needs.txt'), 'n'); } }),`;

test('each reason kind appears in --json as a value, and `reason` is its rendering', async () => {
  const ws = await engineWorkspace(DAG, { 'in/a.txt': 'alpha\n' });
  const seen = new Map<string, Reason>();
  const fromRun = (r: JsonRun, stage: string): Reason[] => {
    const entry = r.summary.stages.find((s) => s.name === stage) as unknown as { reason: string; reasons: Reason[] };
    const end = r.events.find((e) => e.event === 'end' && e.stage === stage) as unknown as { reasons: Reason[] };
    expect(end.reasons).toEqual(entry.reasons);
    for (const x of entry.reasons) seen.set(x.kind, x);
    return entry.reasons;
  };
  const fromStatus = async (stage: string, args: string[] = []): Promise<Reason[]> => {
    const st = (await statusValues(ws, args))[stage]!;
    expect(st.reason).toBe(renderReasons(st.reasons));
    for (const x of st.reasons) seen.set(x.kind, x);
    return st.reasons;
  };

  const first = await runJson(ws);
  expect(fromRun(first, 'one')).toEqual([{ kind: 'never-ran' }]);
  expect(first.stage('one').reason).toBe('never ran in this workspace');

  expect(await fromStatus('one', ['--set', 'a.n=2'])).toEqual([{ kind: 'param', key: 'a.n', from: 1, to: 2 }]);

  await writeFile(join(ws, 'in/a.txt'), 'changed\n');
  await writeFile(join(ws, 'in/b.txt'), 'beta\n');
  expect(await fromStatus('one')).toEqual([
    { kind: 'dep-added', paths: ['in/b.txt'] },
    { kind: 'dep-modified', paths: ['in/a.txt'] },
  ]);
  // two is behind a stale one.
  expect((await fromStatus('two'))[0]).toEqual({ kind: 'upstream', stage: 'one', state: 'stale' });
  expect((await runJson(ws)).statuses.one).toBe('ran');
  await rm(join(ws, 'in/b.txt'));
  const removed = await runJson(ws);
  expect(fromRun(removed, 'one')).toEqual([{ kind: 'dep-removed', paths: ['in/b.txt'] }]);

  await rm(join(ws, 'out/two.txt'));
  expect(await fromStatus('two')).toEqual([{ kind: 'out-missing', paths: ['out/two.txt'] }]);
  await writeFile(join(ws, 'out/one.txt'), 'tampered');
  expect(await fromStatus('one')).toEqual([{ kind: 'out-modified', paths: ['out/one.txt'] }]);
  expect((await runJson(ws)).statuses).toMatchObject({ one: 'restored', two: 'restored' });

  await writeFile(join(ws, 'shared.txt'), 'edited by hand');
  expect(await fromStatus('pub')).toEqual([{ kind: 'published', message: 'shared.txt no longer holds what pub published' }]);

  expect(fromRun(await runJson(ws, ['--force', 'side']), 'side')).toEqual([{ kind: 'forced' }]);

  // A record whose key is not the one these inputs give, yet nothing recorded differs.
  const stateFile = join(ws, '.pipeline/state/side.json');
  // (Written whole, checksum included: a record with a bad checksum counts as never run.)
  const rec = parseRecord(await readFile(stateFile, 'utf8'));
  if (typeof rec === 'string') throw new Error(rec);
  await writeFile(stateFile, formatRecord({ ...rec, key: '0'.repeat(64) }));
  expect(await fromStatus('side')).toEqual([{ kind: 'inputs-changed' }]);

  // The stages' code is pipeline.ts here: any edit of it is a code change, named.
  await writeFile(join(ws, 'pipeline.ts'), `${DAG}\n// edited\n`);
  expect((await fromStatus('one'))[0]).toEqual({ kind: 'code', files: ['pipeline.ts'], packages: [] });

  await writeFile(join(ws, 'pipeline.ts'), dagSource(STD_SCHEMA, STD_STAGES + PUB + PROV));
  await writeFile(join(ws, 'down'), '');
  expect((await runJson(ws, ['prov'])).statuses.prov).toBe('ran');
  expect(await fromStatus('prov')).toEqual([{ kind: 'provisional', message: 'the server was down' }]);

  await writeFile(join(ws, 'pipeline.ts'), dagSource(STD_SCHEMA, STD_STAGES + PUB + NEEDS));
  const missing = await runJson(ws, ['needs']);
  expect(missing.stage('needs').status).toBe('failed');
  expect(fromRun(missing, 'needs')).toEqual([{ kind: 'dep-missing', paths: ['absent.txt'] }, { kind: 'never-ran' }]);

  expect([...seen.keys()].sort()).toEqual([...REASON_KINDS].sort());
});

test('a run record that does not parse counts as never run, with one warning naming the file', async () => {
  const ws = await engineWorkspace(dagSource(STD_SCHEMA, STD_STAGES), { 'in/a.txt': 'alpha\n' });
  expect((await runJson(ws)).statuses).toEqual({ one: 'ran', two: 'ran', side: 'ran' });
  await writeFile(join(ws, '.pipeline/state/one.json'), '{"v": 1, "stage": "one", "key": 42}');
  const st = await cli(ws, ['status', '--json']);
  expect(st.code).toBe(0);
  const one = (JSON.parse(st.stdout) as { stages: Array<{ name: string; reasons: Reason[] }> }).stages.find((s) => s.name === 'one');
  expect(one?.reasons).toEqual([{ kind: 'never-ran' }]);
  expect(st.stderr.trim().split('\n')).toEqual([
    expect.stringMatching(/^warning: \S*\.pipeline\/state\/one\.json: unusable run record \(key: .*\); ignored, the stage counts as not run$/),
  ]);
  // The stage runs again (the cache holds its key: restored), and the record is whole again.
  const r = await runJson(ws);
  expect(['ran', 'restored']).toContain(r.stage('one').status);
  expect((await runJson(ws)).stderr).toBe('');
});
