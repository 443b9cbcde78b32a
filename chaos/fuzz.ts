// Fuzzed inputs: pipeline.yaml (checked by `status`), the hand-curated ShareGPT dataset (register),
// regression case files (regress, with the fake API server) and fan-fiction bytes in several
// encodings (extract). Every failure must be exit 1 or 2 naming
// the file, without a stack trace; the last good outputs stay intact; nothing beside the workspace
// changes.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWorkspace, PROJECT_PIPELINE_TS, REPO } from '../test/helpers/workspace.js';
import { regressWorkspace } from '../test/regress/fixtures.js';
import { cli, contractProblem, makeSentinel, result, type Rng, sentinelProblem, snapshot, sameSnapshot, type PartResult } from './harness.js';

const TOKENS = [
  '',
  ' ',
  ':',
  '- ',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  '&a',
  '*a',
  '!!str',
  '\t',
  '\n',
  '#',
  '0',
  '-1',
  '1e309',
  'null',
  '~',
  '\u0000',
  '../..',
  '/etc',
  '\uFEFF',
  '%',
];

function mutateText(r: Rng, text: string): string {
  const ops = r.int(1, 4);
  let s = text;
  for (let i = 0; i < ops; i++) {
    const at = r.int(0, s.length);
    const kind = r.int(0, 3);
    if (kind === 0) s = s.slice(0, at) + r.pick(TOKENS) + s.slice(at);
    else if (kind === 1) s = s.slice(0, at) + s.slice(Math.min(s.length, at + r.int(1, 20)));
    else if (kind === 2) s = s.slice(0, at);
    else {
      const b = Buffer.from(s);
      if (b.length) {
        const j = r.int(0, b.length - 1);
        b[j] = b[j]! ^ (1 << r.int(0, 7));
      }
      s = b.toString('latin1');
    }
  }
  return s;
}

async function projectWorkspace(): Promise<string> {
  const files: Record<string, string | Buffer> = { 'pipeline.ts': PROJECT_PIPELINE_TS };
  for (const f of ['pipeline.yaml', 'data/eyjafjalla_sft.json', 'data/dataset_info.json']) files[f] = await readFile(join(REPO, f));
  for (const f of ['01_观测站的清晨.txt', '02_雨夜的资料室.txt'])
    files[`Eyjafjalla_data/tongren/${f}`] = await readFile(join(REPO, 'Eyjafjalla_data', 'tongren', f));
  return makeWorkspace(files, 'pl-chaos-fuzz-');
}

const ENCODINGS: Array<[string, (s: string) => Buffer]> = [
  ['utf8', (s) => Buffer.from(s)],
  ['utf8-bom', (s) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s)])],
  ['utf16le-bom', (s) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')])],
  ['utf16le', (s) => Buffer.from(s, 'utf16le')],
  ['latin1', (s) => Buffer.from(s, 'latin1')],
  ['random bytes', (s) => Buffer.from(Array.from({ length: Math.min(4000, s.length) }, (_, i) => (i * 7919 + s.length) & 0xff))],
];

export async function fuzzTrials(r: Rng, perKind: number): Promise<PartResult[]> {
  const ws = await projectWorkspace();
  const sentinel = await makeSentinel(ws);
  const good = await cli(ws, ['run', 'register', '--cpu-only', '--json']);
  if (good.code !== 0) throw new Error(`the unfuzzed workspace does not run: ${good.stderr}`);
  const reg = await regressWorkspace();
  const regSentinel = await makeSentinel(reg.ws);
  const firstRegress = await cli(reg.ws, ['run', '--json'], reg.env);
  if (firstRegress.code !== 0) throw new Error(`the unfuzzed regress workspace does not run: ${firstRegress.stderr}`);
  const casesText = await readFile(join(reg.ws, 'data/cases.jsonl'), 'utf8');
  const originals = {
    yaml: await readFile(join(ws, 'pipeline.yaml'), 'utf8'),
    sft: await readFile(join(ws, 'data/eyjafjalla_sft.json'), 'utf8'),
    txt: await readFile(join(ws, 'Eyjafjalla_data/tongren/01_观测站的清晨.txt'), 'utf8'),
  };
  const parts: PartResult[] = [];
  interface Kind {
    name: string;
    ws: string;
    sentinel: string;
    file: string;
    original: string;
    apply(i: number): Promise<void>;
    args: string[];
    env?: Record<string, string>;
    /** What a failure must name. */
    names: RegExp;
    /** Outputs that a failed run must leave as the last good run left them. */
    outs: string[];
  }
  const kinds: Kind[] = [
    {
      name: 'pipeline.yaml',
      ws,
      sentinel,
      file: 'pipeline.yaml',
      original: originals.yaml,
      apply: async () => writeFile(join(ws, 'pipeline.yaml'), mutateText(r, originals.yaml)),
      args: ['status', '--json'],
      names: /pipeline\.yaml/,
      outs: ['data', 'artifacts'],
    },
    {
      name: 'ShareGPT dataset',
      ws,
      sentinel,
      file: 'data/eyjafjalla_sft.json',
      original: originals.sft,
      apply: async () => writeFile(join(ws, 'data/eyjafjalla_sft.json'), mutateText(r, originals.sft)),
      args: ['run', 'register', '--cpu-only', '--json'],
      names: /eyjafjalla_sft\.json/,
      outs: ['data/dataset_info.json', 'artifacts/register', 'artifacts/reports/datasets.json'],
    },
    {
      name: 'regression cases',
      ws: reg.ws,
      sentinel: regSentinel,
      file: 'data/cases.jsonl',
      original: casesText,
      apply: async () => writeFile(join(reg.ws, 'data/cases.jsonl'), mutateText(r, casesText)),
      args: ['run', '--json'],
      env: reg.env,
      names: /cases\.jsonl/,
      outs: ['artifacts/regress/latest'],
    },
    {
      name: 'fan-fiction encodings',
      ws,
      sentinel,
      file: 'Eyjafjalla_data/tongren/01_观测站的清晨.txt',
      original: originals.txt,
      apply: async (i) => {
        const [, enc] = ENCODINGS[i % ENCODINGS.length]!;
        await writeFile(join(ws, 'Eyjafjalla_data/tongren/01_观测站的清晨.txt'), enc(i % 2 ? mutateText(r, originals.txt) : originals.txt));
      },
      args: ['run', 'extract', '--json'],
      names: /extract|01_/,
      outs: ['data/eyjafjalla_tongren_sft.json', 'artifacts/reports/extraction.json'],
    },
  ];
  for (const k of kinds) {
    const res = result(`fuzz ${k.name}`);
    let failures = 0;
    let lastGood = await snapshot(k.ws, k.outs);
    for (let i = 0; i < perKind; i++) {
      await k.apply(i);
      const run = await cli(k.ws, k.args, k.env);
      let problem = contractProblem(run);
      if (!problem && run.code === 0) lastGood = await snapshot(k.ws, k.outs);
      else if (!problem) {
        failures++;
        if (run.code !== 1 && run.code !== 2) problem = `exit ${run.code}`;
        else if (!k.names.test(run.stderr + run.stdout)) problem = `the failure does not name ${k.file}: ${(run.stderr + run.stdout).slice(0, 200)}`;
        else problem = sameSnapshot(await snapshot(k.ws, k.outs), lastGood);
      }
      problem ||= await sentinelProblem(k.sentinel);
      if (problem) res.fail(`${k.name} #${i}: ${problem}`);
      else res.pass();
    }
    res.notes = `${failures} rejected with exit 1/2`;
    parts.push(res);
    await writeFile(join(k.ws, k.file), k.original);
  }
  for (const d of [ws, sentinel, reg.ws, regSentinel]) await rm(d, { recursive: true, force: true });
  return parts;
}
