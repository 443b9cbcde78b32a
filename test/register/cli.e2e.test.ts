// End to end through the real CLI in a temp workspace that uses this repo's DAG: register runs
// after extract, publishes into a realistic dataset_info.json, reruns alone when the main dataset
// changes, and nothing reruns when a foreign entry of dataset_info.json changes.
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWorkspace, parseJsonEvents, PROJECT_PIPELINE_TS, REPO, runCli } from '../helpers/workspace.js';
import { FOREIGN_INFO } from './fixtures.js';

const statuses = (stdout: string) => Object.fromEntries(parseJsonEvents(stdout).summary.stages.map((s) => [s.name, s.status]));

async function projectWorkspace(pipelineYaml = ''): Promise<{ ws: string; info: string }> {
  const info = await readFile(FOREIGN_INFO, 'utf8');
  const ws = await makeWorkspace({
    'pipeline.ts': PROJECT_PIPELINE_TS,
    'pipeline.yaml': pipelineYaml,
    'data/eyjafjalla_sft.json': await readFile(join(REPO, 'data/eyjafjalla_sft.json')),
    'data/dataset_info.json': info,
  });
  // two of the bundled fan-fiction files are enough for extract to produce a dataset
  const tongren = join(REPO, 'Eyjafjalla_data/tongren');
  for (const f of (await readdir(tongren)).sort().slice(0, 2)) {
    await cp(join(tongren, f), join(ws, 'Eyjafjalla_data/tongren', f));
  }
  return { ws, info };
}

describe('pipeline run register (CLI)', () => {
  it('runs after extract, registers both datasets, and reruns only what changed', async () => {
    const { ws, info } = await projectWorkspace();
    const first = await runCli(ws, ['run', 'register']);
    expect(first.code).toBe(0);
    expect(first.stdout + first.stderr).toMatch(
      /register: eyjafjalla_sft 42, eyjafjalla_tongren_sft \d+; mix concat ≈ \d+ samples; chars\/turn p95 \d+; \d+ duplicate\(s\); no tokenizer\.json/,
    );

    // foreign entries untouched, in order; the extracted dataset's entry appended
    const published = await readFile(join(ws, 'data/dataset_info.json'), 'utf8');
    const cut = info.lastIndexOf('\n}');
    expect(published.slice(0, cut)).toBe(info.slice(0, cut));
    const entries = JSON.parse(published) as Record<string, unknown>;
    expect(Object.keys(entries)).toEqual([...Object.keys(JSON.parse(info) as object), 'eyjafjalla_tongren_sft']);
    expect(entries.eyjafjalla_tongren_sft).toMatchObject({ formatting: 'sharegpt', columns: { messages: 'conversations' } });
    const report = JSON.parse(await readFile(join(ws, 'artifacts/reports/datasets.json'), 'utf8'));
    expect(report.datasets.eyjafjalla_sft.samples).toBe(42);

    // edit one sample of the hand-curated dataset: register reruns; so does extract, whose samples
    // take their system prompt from this file (persona.system_prompt unset), from its per-file cache
    const mainPath = join(ws, 'data/eyjafjalla_sft.json');
    const main = JSON.parse(await readFile(mainPath, 'utf8'));
    main[0].conversations[1].value = '前辈，早上好！今天的观测由我来记录吧。';
    await writeFile(mainPath, `${JSON.stringify(main, null, 2)}\n`);
    const second = await runCli(ws, ['run', 'register', '--json']);
    expect(second.code).toBe(0);
    expect(statuses(second.stdout)).toEqual({ extract: 'ran', register: 'ran' });

    // edit a foreign entry of dataset_info.json: nothing reruns, the edit stays
    const infoPath = join(ws, 'data/dataset_info.json');
    const edited = (await readFile(infoPath, 'utf8')).replace('"rhodes_identity.json"', '"rhodes_identity_v2.json"');
    await writeFile(infoPath, edited);
    const third = await runCli(ws, ['run', 'register', '--json']);
    expect(statuses(third.stdout)).toEqual({ extract: 'fresh', register: 'fresh' });
    expect(await readFile(infoPath, 'utf8')).toBe(edited);

    // an invalid sample in the hand-curated dataset fails the stage, naming file, index and field
    main[3].conversations[0].from = 'gpt';
    await writeFile(mainPath, `${JSON.stringify(main, null, 2)}\n`);
    const fourth = await runCli(ws, ['run', 'register']);
    expect(fourth.code).toBe(1);
    expect(fourth.stdout + fourth.stderr).toMatch(
      /data\/eyjafjalla_sft\.json:\d+: sample 3, field conversations\[0\]\.from: expected "human" or "observation", got "gpt"/,
    );
    expect(fourth.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a conflicting entry it did not write, and leaves dataset_info.json as it was', async () => {
    const { ws, info } = await projectWorkspace('register:\n  datasets: [eyjafjalla_sft]\n  num_samples: { eyjafjalla_sft: 30 }\n');
    const res = await runCli(ws, ['run', 'register']);
    expect(res.code).toBe(1);
    const line = info.split('\n').findIndex((l) => l.startsWith('  "eyjafjalla_sft"')) + 1;
    expect(res.stdout + res.stderr).toContain(
      `data/dataset_info.json:${line}:3: entry "eyjafjalla_sft" already exists with different content that the pipeline did not write`,
    );
    expect(await readFile(join(ws, 'data/dataset_info.json'), 'utf8')).toBe(info);
  });

  it('reports interleave_probs mistakes as config errors with file:line:col', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['register:\n  interleave_probs: [0.5, 0.5]\n', 2, /only applies to an interleave mix_strategy/],
      ['register:\n  mix_strategy: interleave_over\n  interleave_probs: [1.0]\n', 3, /has 1 value\(s\) but datasets has 2/],
      [
        '# mix\nregister:\n  mix_strategy: interleave_under\n  interleave_probs: [0.7, 0.2]\n',
        4,
        /must sum to 1 \(within numpy.s tolerance, 1\.5e-8\), but they sum to 0\.9/,
      ],
    ];
    const results = await Promise.all(
      cases.map(async ([yaml]) => runCli(await makeWorkspace({ 'pipeline.ts': PROJECT_PIPELINE_TS, 'pipeline.yaml': yaml }), ['run', 'register'])),
    );
    results.forEach((res, i) => {
      const [, line, pattern] = cases[i]!;
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`pipeline.yaml:${line}:3: register.interleave_probs: `);
      expect(res.stderr).toMatch(pattern);
    });
  });
});
