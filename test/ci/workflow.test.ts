// The example workflow (.github/workflows/pipeline.yml) really works: its steps are played here in
// order, twice, as two CI runs on two commits in clones at different paths. `run:` scripts run in
// bash with `npx pipeline` going to this repo's CLI; actions/cache restore/save are played by
// copying the cache path to and from a local store with GitHub's key / restore-keys rules.
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { BIN, PROJECT_PIPELINE_TS, REPO, tempDirs } from '../helpers/workspace.js';

const stepSchema = z
  .object({
    name: z.string().optional(),
    id: z.string().optional(),
    if: z.string().optional(),
    uses: z.string().optional(),
    with: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    run: z.string().optional(),
  })
  .strict()
  .refine((s) => (s.uses === undefined) !== (s.run === undefined), 'a step has either uses or run');
type Step = z.infer<typeof stepSchema>;

const workflowSchema = z.looseObject({
  on: z.unknown(),
  jobs: z.record(z.string(), z.looseObject({ 'runs-on': z.string(), steps: z.array(stepSchema) })),
});

const temp = tempDirs();
afterAll(temp.removeAll);
const tempRoot = temp.make;

async function loadJob(): Promise<Step[]> {
  const wf = workflowSchema.parse(parse(await readFile(join(REPO, '.github', 'workflows', 'pipeline.yml'), 'utf8')));
  const jobs = Object.values(wf.jobs);
  expect(jobs).toHaveLength(1);
  return jobs[0]!.steps;
}

/** A checkout of the project: its DAG, pipeline.yaml, sample corpus and data/*.json. */
async function checkout(ws: string): Promise<void> {
  await mkdir(join(ws, 'data'), { recursive: true });
  await writeFile(join(ws, 'pipeline.ts'), PROJECT_PIPELINE_TS);
  await cp(join(REPO, 'pipeline.yaml'), join(ws, 'pipeline.yaml'));
  await cp(join(REPO, 'Eyjafjalla_data', 'tongren'), join(ws, 'Eyjafjalla_data', 'tongren'), { recursive: true });
  for (const f of (await readdir(join(REPO, 'data'))).filter((n) => n.endsWith('.json'))) await cp(join(REPO, 'data', f), join(ws, 'data', f));
}

interface StepResult {
  step: Step;
  ran: boolean;
  outcome: 'success' | 'failure' | 'skipped';
  stdout: string;
  outputs: Record<string, string>;
}

interface CiRun {
  results: StepResult[];
  /** Output of the step whose name matches. */
  out(name: RegExp): string;
  restored?: string;
  saved?: string;
}

/** actions/cache keys → stored folder (newest last), shared by the CI runs of a test. */
type Store = Array<{ key: string; dir: string }>;

function bash(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Plays the job's steps in `ws` for commit `sha`. */
async function playJob(steps: Step[], ws: string, sha: string, store: Store): Promise<CiRun> {
  const runnerTemp = await tempRoot('pl-ci-runner-temp-');
  const shim = join(runnerTemp, 'shim');
  await mkdir(shim);
  // `npx pipeline …` is this repo's CLI; nothing else may be fetched with npx here.
  await writeFile(
    join(shim, 'npx'),
    `#!/bin/sh\nif [ "$1" = pipeline ]; then shift; exec "${process.execPath}" "${BIN}" "$@"; fi\necho "npx $1: not available in this test" >&2\nexit 127\n`,
  );
  await chmod(join(shim, 'npx'), 0o755);
  const githubEnv = join(runnerTemp, 'github-env');
  await writeFile(githubEnv, '');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'PIPELINE_CACHE_DIR' && k !== 'CUDA_VISIBLE_DEVICES') env[k] = v;
  Object.assign(env, { CI: 'true', NO_COLOR: '1', RUNNER_TEMP: runnerTemp, GITHUB_ENV: githubEnv, GITHUB_SHA: sha, PATH: `${shim}:${env.PATH ?? ''}` });

  const expr: Record<string, string> = { 'runner.temp': runnerTemp, 'runner.os': 'Linux', 'github.sha': sha };
  const subst = (text: string): string =>
    text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => {
      const v = expr[e];
      if (v === undefined) throw new Error(`the workflow uses \${{ ${e} }}, which this test does not know`);
      return v;
    });
  const results: StepResult[] = [];
  const byId = (id: string) => results.find((r) => r.step.id === id);
  const condition = (cond: string | undefined): boolean => {
    if (cond === undefined) return results.every((r) => r.outcome !== 'failure');
    return cond.split('&&').every((raw) => {
      const t = raw.trim();
      if (t === 'always()') return true;
      if (t === 'success()') return results.every((r) => r.outcome !== 'failure');
      const m = /^steps\.([\w-]+)\.(outcome|outputs\.([\w-]+))\s*(==|!=)\s*'([^']*)'$/.exec(t);
      if (!m) throw new Error(`the workflow's condition '${t}' is not one this test understands`);
      const r = byId(m[1]!);
      const value = m[2] === 'outcome' ? r?.outcome : r?.outputs[m[3]!];
      return m[4] === '==' ? value === m[5] : value !== m[5];
    });
  };
  let restored: string | undefined;
  let saved: string | undefined;

  for (const step of steps) {
    const result: StepResult = { step, ran: false, outcome: 'skipped', stdout: '', outputs: {} };
    if (!condition(step.if)) {
      results.push(result);
      continue;
    }
    result.ran = true;
    const uses = step.uses?.replace(/@.*$/, '');
    const w = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, subst(String(v))]));
    if (uses === 'actions/checkout') {
      await checkout(ws);
    } else if (uses === 'actions/setup-node') {
      expect(Number(w['node-version'])).toBe(20);
    } else if (uses === 'actions/cache/restore') {
      const prefixes = (w['restore-keys'] ?? '')
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean);
      const exact = store.find((e) => e.key === w.key);
      const hit = exact ?? prefixes.map((p) => [...store].reverse().find((e) => e.key.startsWith(p))).find((e) => e !== undefined);
      if (hit) await cp(hit.dir, w.path!, { recursive: true });
      restored = hit?.key;
      result.outputs['cache-hit'] = exact ? 'true' : 'false';
    } else if (uses === 'actions/cache/save') {
      const dir = join(await tempRoot('pl-ci-store-'), 'entry');
      await cp(w.path!, dir, { recursive: true });
      store.push({ key: w.key!, dir });
      saved = w.key;
    } else if (step.run !== undefined) {
      const script = subst(step.run);
      // Installing and the test suite itself are not replayed inside the test suite.
      if (/^npm (ci|test)\b/.test(script.trim())) {
        results.push({ ...result, ran: false });
        continue;
      }
      const r = await bash(script, ws, env);
      result.stdout = r.stdout;
      if (r.code !== 0) throw new Error(`step '${step.name ?? script}' exited ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
      for (const line of (await readFile(githubEnv, 'utf8')).split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
      }
    } else {
      throw new Error(`the workflow uses ${step.uses}, which this test does not play`);
    }
    result.outcome = 'success';
    results.push(result);
  }
  return {
    results,
    restored,
    saved,
    out(name) {
      const r = results.find((x) => x.step.name !== undefined && name.test(x.step.name));
      if (!r) throw new Error(`no step named ${name}`);
      return r.stdout;
    },
  };
}

test('the workflow caches the pipeline between CI runs: pruned before it is saved, restored in another clone', async () => {
  const steps = await loadJob();
  const runs = (s: Step) => s.run?.trim() ?? '';
  const index = (pred: (s: Step) => boolean, what: string) => {
    const i = steps.findIndex(pred);
    if (i < 0) throw new Error(`the workflow has no step that ${what}`);
    return i;
  };
  // The order that matters: restore → run --cpu-only → gc → save, and npm ci / npm test present.
  const iCi = index((s) => /^npm ci\b/.test(runs(s)), 'runs npm ci');
  const iRestore = index((s) => s.uses?.startsWith('actions/cache/restore@') === true, 'restores the cache');
  const iRun = index((s) => /^npx pipeline run --cpu-only$/m.test(runs(s)), 'runs npx pipeline run --cpu-only');
  const iGc = index((s) => /^npx pipeline cache gc --max-size 2G$/m.test(runs(s)), 'prunes with cache gc --max-size 2G');
  const iSave = index((s) => s.uses?.startsWith('actions/cache/save@') === true, 'saves the cache');
  index((s) => /^npm test\b/.test(runs(s)), 'runs npm test');
  expect([iCi < iRestore, iRestore < iRun, iRun < iGc, iGc < iSave]).toEqual([true, true, true, true]);
  const restoreWith = steps[iRestore]!.with!;
  expect(String(restoreWith.key)).toContain('${{ github.sha }}');
  expect(String(restoreWith.key).startsWith(String(restoreWith['restore-keys']).trim())).toBe(true);
  expect(steps[iSave]!.with).toEqual({ path: restoreWith.path, key: restoreWith.key });

  const store: Store = [];
  // CI run 1, commit A, empty cache: the stages run, the second run is a no-op, the cache is saved.
  const ws1 = join(await tempRoot('pl-ci-wf-'), 'runner', 'work', 'pipeline');
  const first = await playJob(steps, ws1, 'a'.repeat(40), store);
  expect(first.restored).toBeUndefined();
  expect(first.out(/^Run the CPU stages/)).toMatch(/^extract: ran\b/m);
  expect(first.out(/^Second run/)).toMatch(/extract fresh, register fresh, train skipped, regress skipped/);
  expect(first.out(/^Prune/)).toMatch(/cache .*pipeline-cache/);
  expect(first.saved).toBe(`pipeline-Linux-${'a'.repeat(40)}`);
  // The saved cache is the folder the pipeline used.
  expect((await readdir(store[0]!.dir)).sort()).toEqual(expect.arrayContaining(['objects', 'runs']));

  // CI run 2, commit B, another clone at another path: restored through the restore-keys prefix;
  // nothing runs.
  const ws2 = join(await tempRoot('pl-ci-wf-'), 'elsewhere', 'checkout');
  const second = await playJob(steps, ws2, 'b'.repeat(40), store);
  expect(second.restored).toBe(`pipeline-Linux-${'a'.repeat(40)}`);
  const out = second.out(/^Run the CPU stages/);
  expect(out).toMatch(/^extract: restored\b/m);
  expect(out).toMatch(/^register: restored\b/m);
  expect(out).not.toMatch(/^\w+: ran\b/m);
  expect(second.saved).toBe(`pipeline-Linux-${'b'.repeat(40)}`);
}, 240_000);
