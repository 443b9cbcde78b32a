// Corruption of every state file kind — run records (cache and workspace), recorded deps, the stat
// cache, cache objects, the lock — by a flipped byte, truncation, deletion, a swap with another
// valid file of the same kind, or a resealed record pointing outside the workspace. After each,
// `status` must not call a stage fresh whose outs are wrong, the next run must succeed with the
// outputs of an uninterrupted run, and nothing beside the workspace may change.
import { chmod, copyFile, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { formatRecord } from '../src/runRecord.js';
import { engineWorkspace } from '../test/engine/fixtures.js';
import { cli, contractProblem, makeSentinel, result, type Rng, sameSnapshot, sentinelProblem, snapshot, type PartResult } from './harness.js';
import { KILL_DAG, referenceOutputs, wrongFresh } from './kill.js';
import { BROKEN_LOCKS } from './locks.js';

const KINDS = ['run record', 'state record', 'inputs record', 'stat cache', 'object', 'lock'] as const;
const MUTATIONS = ['flip', 'truncate', 'delete', 'swap', 'outside'] as const;

async function filesOf(ws: string, kind: (typeof KINDS)[number]): Promise<string[]> {
  const list = async (dir: string, depth: number): Promise<string[]> => {
    const out: string[] = [];
    for (const e of await readdir(dir).catch(() => [] as string[])) {
      const p = join(dir, e);
      if ((await stat(p)).isDirectory()) out.push(...(depth > 0 ? await list(p, depth - 1) : []));
      else out.push(p);
    }
    return out;
  };
  switch (kind) {
    case 'run record':
      return list(join(ws, 'cache', 'runs'), 1);
    case 'state record':
      return (await list(join(ws, '.pipeline', 'state'), 0)).filter((f) => f.endsWith('.json') && !f.endsWith('.inputs.json'));
    case 'inputs record':
      // What a stage's last run consumed (deps and code), kept beside its record.
      return (await list(join(ws, '.pipeline', 'state'), 0)).filter((f) => f.endsWith('.inputs.json'));
    case 'stat cache':
      return [join(ws, '.pipeline', 'statcache.json')];
    case 'object':
      return list(join(ws, 'cache', 'objects'), 1);
    case 'lock':
      return [join(ws, '.pipeline', 'lock')];
  }
}

async function mutate(r: Rng, ws: string, sentinel: string, kind: (typeof KINDS)[number], how: (typeof MUTATIONS)[number]): Promise<string> {
  if (kind === 'lock') {
    const [shape, content] = r.pick(BROKEN_LOCKS);
    await writeFile(join(ws, '.pipeline', 'lock'), content);
    return `lock ${shape}`;
  }
  const files = await filesOf(ws, kind);
  if (files.length === 0) return 'nothing to corrupt';
  const file = r.pick(files);
  await chmod(file, 0o644).catch(() => undefined);
  const bytes = await readFile(file).catch(() => Buffer.alloc(0));
  if (how === 'flip' && bytes.length > 0) {
    const i = r.int(0, bytes.length - 1);
    bytes[i] = bytes[i]! ^ (1 << r.int(0, 7));
    await writeFile(file, bytes);
  } else if (how === 'truncate') await writeFile(file, bytes.subarray(0, r.int(0, Math.max(0, bytes.length - 1))));
  else if (how === 'delete') await rm(file, { force: true });
  else if (how === 'swap' && files.length > 1) await copyFile(r.pick(files.filter((f) => f !== file)), file);
  else if (how === 'outside' && (kind === 'run record' || kind === 'state record')) {
    const rec = JSON.parse(bytes.toString()) as { declaredOuts: string[]; outs: Array<{ path: string }> };
    const victim = `../${basename(sentinel)}`;
    if (r.next() < 0.5) rec.declaredOuts = [victim];
    else if (rec.outs[0]) rec.outs[0].path = `${victim}/keep.txt`;
    await writeFile(file, formatRecord(rec as never));
  } else await writeFile(file, bytes.subarray(0, bytes.length >> 1));
  return `${how} ${file.slice(ws.length + 1)}`;
}

export async function corruptTrials(r: Rng, trials: number, refs?: Map<number, Record<string, string>>): Promise<PartResult> {
  const res = result('state file corruption');
  const references = refs ?? (await referenceOutputs());
  const ws = await engineWorkspace(KILL_DAG, { 'in/a.txt': 'alpha\n' });
  const sentinel = await makeSentinel(ws);
  for (const n of [1, 2, 3]) await cli(ws, ['run', '--json', '--set', `a.n=${n}`]);
  let outsideWrites = 0;
  let wrong = 0;
  for (let t = 0; t < trials; t++) {
    const kind = KINDS[t % KINDS.length]!;
    const how = r.pick(MUTATIONS);
    const what = await mutate(r, ws, sentinel, kind, how);
    const n = r.int(1, 3);
    let problem = await wrongFresh(ws, n, references.get(n)!);
    const run = await cli(ws, ['run', '--json', '--set', `a.n=${n}`]);
    problem ||= contractProblem(run) || (run.code !== 0 ? `run exited ${run.code}: ${run.stderr.slice(0, 300)}` : '');
    problem ||= sameSnapshot(await snapshot(ws, ['out']), references.get(n)!);
    const outside = await sentinelProblem(sentinel);
    if (outside) outsideWrites++;
    if (problem.startsWith('wrong fresh')) wrong++;
    problem ||= outside;
    if (problem) res.fail(`trial ${t} (${kind}: ${what}; a.n=${n}): ${problem}`);
    else res.pass();
  }
  res.notes = `${KINDS.length} kinds x ${MUTATIONS.length} mutations; ${outsideWrites} writes outside; ${wrong} wrong fresh`;
  await rm(ws, { recursive: true, force: true });
  await rm(sentinel, { recursive: true, force: true });
  return res;
}
