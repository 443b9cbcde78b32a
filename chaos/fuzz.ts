// Fuzzed inputs: pipeline.yaml (checked by `status`), the hand-curated ShareGPT dataset (register)
// and fan-fiction bytes in several encodings (extract). Every failure must be exit 1 or 2 naming
// the file, without a stack trace; the last good outputs stay intact; nothing beside the workspace
// changes.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWorkspace, PROJECT_PIPELINE_TS, REPO } from '../test/helpers/workspace.js';
import { cli, contractProblem, makeSentinel, result, type Rng, sentinelProblem, snapshot, sameSnapshot, type PartResult } from './harness.js';

const TOKENS = ['', ' ', ':', '- ', '[', ']', '{', '}', '"', "'", '&a', '*a', '!!str', '\t', '\n', '#', '0', '-1', '1e309', 'null', '~', '\u0000', '../..', '/etc', '\uFEFF', '%'];

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
  for (const f of ['01_观测站的清晨.txt', '02_雨夜的资料室.txt']) files[`Eyjafjalla_data/tongren/${f}`] = await readFile(join(REPO, 'Eyjafjalla_data', 'tongren', f));
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
  const goodOuts = await snapshot(ws, ['data/eyjafjalla_tongren_sft.json', 'data/dataset_info.json', 'artifacts/register']);
  const originals = {
    yaml: await readFile(join(ws, 'pipeline.yaml'), 'utf8'),
    sft: await readFile(join(ws, 'data/eyjafjalla_sft.json'), 'utf8'),
    txt: await readFile(join(ws, 'Eyjafjalla_data/tongren/01_观测站的清晨.txt'), 'utf8'),
  };
  const parts: PartResult[] = [];
  const kinds: Array<[string, string, (i: number) => Promise<void>, string[], RegExp]> = [
    ['pipeline.yaml', 'pipeline.yaml', async () => writeFile(join(ws, 'pipeline.yaml'), mutateText(r, originals.yaml)), ['status', '--json'], /pipeline\.yaml/],
    ['ShareGPT dataset', 'data/eyjafjalla_sft.json', async () => writeFile(join(ws, 'data/eyjafjalla_sft.json'), mutateText(r, originals.sft)), ['run', 'register', '--cpu-only', '--json'], /eyjafjalla_sft\.json/],
    ['fan-fiction encodings', 'Eyjafjalla_data/tongren/01_观测站的清晨.txt', async (i) => {
      const [, enc] = ENCODINGS[i % ENCODINGS.length]!;
      await writeFile(join(ws, 'Eyjafjalla_data/tongren/01_观测站的清晨.txt'), enc(i % 2 ? mutateText(r, originals.txt) : originals.txt));
    }, ['run', 'extract', '--json'], /extract|01_/],
  ];
  for (const [name, file, apply, args, names] of kinds) {
    const res = result(`fuzz ${name}`);
    let failures = 0;
    for (let i = 0; i < perKind; i++) {
      await apply(i);
      const run = await cli(ws, args);
      let problem = contractProblem(run);
      if (!problem && run.code !== 0) {
        failures++;
        if (run.code !== 1 && run.code !== 2) problem = `exit ${run.code}`;
        else if (!names.test(run.stderr + run.stdout)) problem = `the failure does not name ${file}: ${(run.stderr + run.stdout).slice(0, 200)}`;
        else problem = sameSnapshot(await snapshot(ws, ['data/dataset_info.json']), Object.fromEntries(Object.entries(goodOuts).filter(([k]) => k === 'data/dataset_info.json')));
      }
      problem ||= await sentinelProblem(sentinel);
      if (problem) res.fail(`${name} #${i}: ${problem}`);
      else res.pass();
    }
    res.notes = `${failures} rejected with exit 1/2`;
    parts.push(res);
    await writeFile(join(ws, file), (originals as Record<string, string>)[name === 'pipeline.yaml' ? 'yaml' : name.startsWith('Share') ? 'sft' : 'txt']!);
  }
  await rm(ws, { recursive: true, force: true });
  await rm(sentinel, { recursive: true, force: true });
  return parts;
}
