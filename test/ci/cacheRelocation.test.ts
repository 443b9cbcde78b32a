// CI caching: a cache directory produced in one clone, copied to another path and used by a second
// clone at another path, answers every CPU stage there (restored or fresh, nothing runs); GPU stages
// are skipped; the cache holds no absolute path of the first clone.
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PROJECT_PIPELINE_TS, REPO, runCli, tempDirs } from '../helpers/workspace.js';

const CPU_STAGES = ['extract', 'register'];
const GPU_STAGES = ['train', 'regress'];

const summarySchema = z.looseObject({
  event: z.literal('summary'),
  ok: z.boolean(),
  stages: z.array(z.looseObject({ name: z.string(), status: z.string(), reason: z.string().optional() })),
});

const temp = tempDirs();
afterAll(temp.removeAll);
const tempRoot = temp.make;

/**
 * The inputs of a clone: pipeline.yaml, the sample corpus and data/*.json, from the repo. With
 * `code: 'shared'` its pipeline.ts re-exports this repo's DAG; with `code: 'copied'` the clone has
 * its own copy of pipeline.ts, src/ and stages/, as a second checkout would.
 */
async function makeClone(dir: string, code: 'shared' | 'copied'): Promise<void> {
  await mkdir(join(dir, 'data'), { recursive: true });
  await cp(join(REPO, 'pipeline.yaml'), join(dir, 'pipeline.yaml'));
  await cp(join(REPO, 'Eyjafjalla_data', 'tongren'), join(dir, 'Eyjafjalla_data', 'tongren'), { recursive: true });
  for (const f of (await readdir(join(REPO, 'data'))).filter((n) => n.endsWith('.json'))) {
    await cp(join(REPO, 'data', f), join(dir, 'data', f));
  }
  if (code === 'shared') {
    await writeFile(join(dir, 'pipeline.ts'), PROJECT_PIPELINE_TS);
  } else {
    await cp(join(REPO, 'pipeline.ts'), join(dir, 'pipeline.ts'));
    await cp(join(REPO, 'src'), join(dir, 'src'), { recursive: true });
    await cp(join(REPO, 'stages'), join(dir, 'stages'), { recursive: true });
  }
}

/** `pipeline run --cpu-only --json` in `ws`; must succeed; returns name → status. */
async function runCpuOnly(ws: string, cacheDir: string | undefined): Promise<Record<string, string>> {
  const res = await runCli(ws, ['run', '--cpu-only', '--json'], { env: { PIPELINE_CACHE_DIR: cacheDir, CUDA_VISIBLE_DEVICES: undefined }, timeoutMs: 120_000 });
  const parsed = summarySchema.safeParse(JSON.parse(res.stdout.trim().split('\n').at(-1) || 'null'));
  if (!parsed.success || res.code !== 0 || !parsed.data.ok) {
    throw new Error(`run --cpu-only in ${ws} did not succeed (exit ${res.code})\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`);
  }
  return Object.fromEntries(parsed.data.stages.map((s) => [s.name, s.status]));
}

/** Every file below `dir` whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if ((await readFile(p)).includes(needle)) hits.push(p);
    }
  };
  await walk(dir);
  return hits;
}

const OUTPUTS = ['data/eyjafjalla_tongren_sft.json', 'data/dataset_info.json', 'artifacts/reports/extraction.json', 'artifacts/reports/datasets.json'];

async function outputsOf(ws: string): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(OUTPUTS.map(async (f) => [f, await readFile(join(ws, f), 'utf8')] as const)));
}

describe.each(['shared', 'copied'] as const)('pipeline code %s between the clones', (code) => {
  test('a cache copied to another path answers every CPU stage of a second clone; GPU stages are skipped', async () => {
    // Clone A, with the default cache dir (A/cache).
    const a = join(await tempRoot('pl-ci-a-'), 'clone');
    await makeClone(a, code);
    const first = await runCpuOnly(a, undefined);
    expect(first).toEqual({ extract: 'ran', register: 'ran', train: 'skipped', regress: 'skipped' });
    const outputsA = await outputsOf(a);
    // Nothing in the run records, objects or stage caches names clone A.
    expect(await filesContaining(join(a, 'cache'), a)).toEqual([]);

    // The cache moves to another path (as actions/cache restores it), and clone A disappears.
    const elsewhere = join(await tempRoot('pl-ci-cache-'), 'restored', 'pipeline-cache');
    await cp(join(a, 'cache'), elsewhere, { recursive: true });
    await rm(a, { recursive: true, force: true });

    // Clone B, deeper, at another path, same inputs, PIPELINE_CACHE_DIR pointing at the copy.
    const b = join(await tempRoot('pl-ci-b-'), 'work', 'checkout', 'clone');
    await makeClone(b, code);
    const second = await runCpuOnly(b, elsewhere);
    for (const s of CPU_STAGES) expect([s, second[s]]).toEqual([s, expect.stringMatching(/^(restored|fresh)$/)]);
    for (const s of GPU_STAGES) expect([s, second[s]]).toEqual([s, 'skipped']);
    expect(await outputsOf(b)).toEqual(outputsA);
    expect(await filesContaining(elsewhere, a)).toEqual([]);

    // As .ci/run checks: a second run in B does no work at all.
    expect(await runCpuOnly(b, elsewhere)).toEqual({ extract: 'fresh', register: 'fresh', train: 'skipped', regress: 'skipped' });
  }, 240_000);
});
