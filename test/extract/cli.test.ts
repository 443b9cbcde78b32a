// End to end: the real CLI in temp workspaces — the extract stage in the DAG (incremental, bad
// input, deterministic outputs) and the standalone `pipeline extract` command.
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWorkspace, parseJsonEvents, PROJECT_PIPELINE_TS, REPO, runCli } from '../helpers/workspace.js';

const CORPUS = join(REPO, 'Eyjafjalla_data', 'tongren');

async function corpusFiles(prefix: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const f of await readdir(CORPUS)) out[`${prefix}/${f}`] = await readFile(join(CORPUS, f));
  return out;
}

const readJson = async (p: string) => JSON.parse(await readFile(p, 'utf8')) as unknown;
interface Report {
  totals: { files: number; samples: number; files_skipped: number };
  files: Array<{
    file: string;
    status: string;
    reason?: string;
    samples: number;
    encoding: string | null;
    dropped: Record<string, number>;
    warnings: Array<{ line: number; reason: string }>;
  }>;
}
interface Sample {
  system: string;
  conversations: Array<{ from: string; value: string }>;
}

const BAD_FILES: Record<string, string | Buffer> = {
  'Eyjafjalla_data/tongren/zz_binary.txt': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),
  'Eyjafjalla_data/tongren/zz_empty.txt': '',
  'Eyjafjalla_data/tongren/zz_unclosed.txt': '博士问：“你还好吗？”\n艾雅法拉说：“前辈，我没事，只是有点累了\n艾雅法拉说：“前辈，明天的观测我也会去的。”\n',
};

/** Files the default glob (`*.txt`, top level only, as the old script) must not read. */
const NOT_READ = (dir: string): Record<string, string> => ({
  [`${dir}/notes.md`]: '博士问：“这份笔记也算吗？”\n艾雅法拉说：“笔记不算哦，前辈，只读正文。”\n',
  [`${dir}/drafts/draft.txt`]: '博士问：“草稿也读吗？”\n艾雅法拉说：“草稿在子目录里，前辈，不会读的。”\n',
});
const NOT_READ_LINES = ['笔记不算哦，前辈，只读正文。', '草稿在子目录里，前辈，不会读的。'];

describe('extract stage through `pipeline run`', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await makeWorkspace({
      'pipeline.ts': PROJECT_PIPELINE_TS,
      'pipeline.yaml': await readFile(join(REPO, 'pipeline.yaml'), 'utf8'),
      ...(await corpusFiles('Eyjafjalla_data/tongren')),
      ...BAD_FILES,
      ...NOT_READ('Eyjafjalla_data/tongren'),
    });
  });
  afterAll(async () => {
    await rm(ws, { recursive: true, force: true });
  });

  test('writes a valid ShareGPT dataset and a per-file report; bad files are reported, not fatal', async () => {
    const r = await runCli(ws, ['run', 'extract', '--json']);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(parseJsonEvents(r.stdout).summary.stages[0]).toMatchObject({ name: 'extract', status: 'ran' });
    const data = (await readJson(join(ws, 'data/eyjafjalla_tongren_sft.json'))) as Sample[];
    expect(data.length).toBeGreaterThan(20);
    const seen = new Set<string>();
    for (const s of data) {
      expect(s.system.length).toBeGreaterThan(0);
      const c = s.conversations;
      expect(c.length % 2).toBe(0);
      c.forEach((t, i) => {
        expect(t.from).toBe(i % 2 === 0 ? 'human' : 'gpt');
        expect(t.value.trim()).not.toBe('');
      });
      const key = JSON.stringify(c);
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
    const rep = (await readJson(join(ws, 'artifacts/reports/extraction.json'))) as Report;
    const byName = new Map(rep.files.map((f) => [f.file, f]));
    expect(byName.get('zz_binary.txt')).toMatchObject({ status: 'skipped', reason: 'binary', samples: 0 });
    expect(byName.get('zz_empty.txt')).toMatchObject({ status: 'skipped', reason: 'empty', samples: 0 });
    const unclosed = byName.get('zz_unclosed.txt')!;
    expect(unclosed.dropped.unclosed_quotes).toBe(1);
    expect(unclosed.warnings).toEqual([{ line: 2, reason: 'unclosed quote; dropped' }]);
    expect(byName.get('05_温泉旅店.txt')!.encoding).toBe('gb18030');
    expect(byName.get('06_星空音乐会.txt')!.encoding).toBe('utf-8-bom');
    for (const [name, f] of byName) if (/^\d\d_/.test(name)) expect(f.samples).toBeGreaterThan(0);
    // Only the top-level *.txt files (extract.glob's default) are read.
    expect([...byName.keys()].filter((n) => !n.endsWith('.txt') || n.includes('/'))).toEqual([]);
    expect(data.some((s) => s.conversations.some((c) => NOT_READ_LINES.includes(c.value)))).toBe(false);
  });

  test('a new file is extracted on its own; outputs are byte-identical when nothing changed', async () => {
    const before = await readFile(join(ws, 'data/eyjafjalla_tongren_sft.json'));
    const beforeReport = await readFile(join(ws, 'artifacts/reports/extraction.json'));
    await writeFile(
      join(ws, 'Eyjafjalla_data/tongren/11_新的一篇.txt'),
      '博士问：“今天的火山观测顺利吗？”\n艾雅法拉笑着说：“很顺利哦，前辈。岩浆湖的温度比上周稳定多了。”\n',
    );
    const r = await runCli(ws, ['run', 'extract', '--json']);
    expect(parseJsonEvents(r.stdout).summary.stages[0]).toMatchObject({ status: 'ran', reason: expect.stringMatching(/11_新的一篇/) });
    const log = await readFile(join(ws, 'artifacts/logs/extract.log'), 'utf8');
    expect(log).toMatch(/14 files \(1 read, 13 from cache\)/);
    // The end-of-stage line: her lines, how many reached samples (cached files counted too).
    const her = /her lines (\d+): (\d+) in samples/.exec(log);
    expect(her).not.toBeNull();
    expect(Number(her![2])).toBeGreaterThan(0);
    expect(Number(her![2])).toBeLessThanOrEqual(Number(her![1]));
    const data = (await readJson(join(ws, 'data/eyjafjalla_tongren_sft.json'))) as Sample[];
    expect(data.some((s) => s.conversations[1]?.value === '很顺利哦，前辈。岩浆湖的温度比上周稳定多了。')).toBe(true);

    await rm(join(ws, 'Eyjafjalla_data/tongren/11_新的一篇.txt'));
    const back = await runCli(ws, ['run', 'extract', '--json']);
    expect(['ran', 'restored']).toContain(parseJsonEvents(back.stdout).summary.stages[0]!.status);
    expect(await readFile(join(ws, 'data/eyjafjalla_tongren_sft.json'))).toEqual(before);
    expect(await readFile(join(ws, 'artifacts/reports/extraction.json'))).toEqual(beforeReport);
  });

  test('a changed threshold re-extracts with the new value', async () => {
    const r = await runCli(ws, ['run', 'extract', '--json', '--set', 'extract.max_turns=2']);
    expect(parseJsonEvents(r.stdout).summary.stages[0]).toMatchObject({ status: 'ran', reason: expect.stringMatching(/max_turns/) });
    const data = (await readJson(join(ws, 'data/eyjafjalla_tongren_sft.json'))) as Sample[];
    expect(data.every((s) => s.conversations.length === 2)).toBe(true);
  });

  test('extract.glob chooses the files: "**/*.txt" also reads subdirectories', async () => {
    const r = await runCli(ws, ['run', 'extract', '--json', '--set', 'extract.glob="**/*.txt"']);
    expect(parseJsonEvents(r.stdout).summary.stages[0]).toMatchObject({ status: 'ran' });
    const rep = (await readJson(join(ws, 'artifacts/reports/extraction.json'))) as Report;
    expect(rep.files.map((f) => f.file)).toContain('drafts/draft.txt');
    expect(rep.files.map((f) => f.file)).not.toContain('notes.md');
    const data = (await readJson(join(ws, 'data/eyjafjalla_tongren_sft.json'))) as Sample[];
    expect(data.some((s) => s.conversations.some((c) => c.value === NOT_READ_LINES[1]))).toBe(true);
  });
});

describe('`pipeline extract` command', () => {
  test('works without pipeline.yaml, honours the old flags, and merges into a curated file with a backup', async () => {
    const curated = [
      {
        system: 's',
        conversations: [
          { from: 'human', value: '你好' },
          { from: 'gpt', value: '前辈好。' },
        ],
      },
    ];
    const ws = await makeWorkspace({
      ...(await corpusFiles('in')),
      ...Object.fromEntries(Object.entries(BAD_FILES).map(([k, v]) => [k.replace('Eyjafjalla_data/tongren', 'in'), v])),
      'cur.json': JSON.stringify(curated),
      'pipeline.ts': PROJECT_PIPELINE_TS,
    });
    try {
      const r = await runCli(ws, [
        'extract',
        '--input_dir',
        'in',
        '--output',
        'out.json',
        '--report',
        'rep.json',
        '--max_turns',
        '4',
        '--merge-existing',
        'cur.json',
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\[OK\] merged \d+ new samples into cur\.json/);
      const out = (await readJson(join(ws, 'out.json'))) as Sample[];
      expect(out.length).toBeGreaterThan(10);
      expect(out.every((s) => s.conversations.length <= 4)).toBe(true);
      expect(await readJson(join(ws, 'cur.json.bak'))).toEqual(curated);
      const merged = (await readJson(join(ws, 'cur.json'))) as Sample[];
      expect(merged).toEqual([...curated, ...out]);
      const rep = (await readJson(join(ws, 'rep.json'))) as Report & { merge_existing: { added: number } };
      expect(rep.merge_existing.added).toBe(out.length);
      expect(rep.totals.files_skipped).toBe(2);
      // Merging the same samples again adds nothing.
      const again = await runCli(ws, [
        'extract',
        '--input_dir',
        'in',
        '--output',
        'out.json',
        '--report',
        'rep.json',
        '--max_turns',
        '4',
        '--merge-existing',
        'cur.json',
      ]);
      expect(again.stdout).toMatch(/merged 0 new samples/);
      expect(await readJson(join(ws, 'cur.json'))).toEqual(merged);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });

  test("reads the top-level *.txt files (or --glob), and writes its report next to --output, not over the pipeline's", async () => {
    const ws = await makeWorkspace({
      ...(await corpusFiles('in')),
      ...NOT_READ('in'),
      'pipeline.ts': PROJECT_PIPELINE_TS,
      'pipeline.yaml': await readFile(join(REPO, 'pipeline.yaml'), 'utf8'),
      'artifacts/reports/extraction.json': '{"the pipeline":"report"}\n',
    });
    try {
      const r = await runCli(ws, ['extract', '--input-dir', 'in', '--output', 'out/ds.json']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\[OK\] files=10 .*\n\[OK\] report=out\/ds\.report\.json/);
      const rep = (await readJson(join(ws, 'out/ds.report.json'))) as Report;
      expect(rep.files.map((f) => f.file)).toEqual((await readdir(CORPUS)).sort());
      const out = (await readJson(join(ws, 'out/ds.json'))) as Sample[];
      expect(out.some((s) => s.conversations.some((c) => NOT_READ_LINES.includes(c.value)))).toBe(false);
      expect(await readFile(join(ws, 'artifacts/reports/extraction.json'), 'utf8')).toBe('{"the pipeline":"report"}\n');

      const all = await runCli(ws, [
        'extract',
        '--input_dir',
        'in',
        '--output',
        'out/all.json',
        '--glob',
        '**/*.txt',
        '--report',
        'artifacts/reports/extraction.json',
      ]);
      expect(all.code).toBe(0);
      expect(all.stdout).toMatch(/files=11 .*\n\[OK\] report=artifacts\/reports\/extraction\.json/);
      const asked = (await readJson(join(ws, 'artifacts/reports/extraction.json'))) as Report;
      expect(asked.files.map((f) => f.file)).toContain('drafts/draft.txt');
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });

  test('a bad flag is exit 2 with a message that names it', async () => {
    const ws = await makeWorkspace({ 'in/a.txt': '博士说：“早。”\n', 'pipeline.ts': PROJECT_PIPELINE_TS });
    try {
      const cases: Array<[string[], RegExp]> = [
        [['--input_dir', 'in', '--bogus-flag', '1'], /extract: unknown option --bogus-flag\n/],
        [['--input_dir', 'in', 'stray'], /extract: unexpected argument stray\n/],
        [['--input_dir', 'in', '--output'], /extract: --output needs a value\n/],
        [['--input_dir', 'in', '--output', '--max_turns', '4'], /extract: --output needs a value\n/],
        [['--input_dir', 'in', '--allow-nsfw=yes'], /extract: --allow-nsfw takes no value\n/],
        [['--input_dir', 'in', '--min-assistant-chars', '-3'], /extract: --min-assistant-chars needs a value|must be a whole number/],
      ];
      for (const [args, message] of cases) {
        const r = await runCli(ws, ['extract', ...args]);
        expect([args, r.code]).toEqual([args, 2]);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toMatch(/Usage: pipeline extract/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
      const help = await runCli(ws, ['extract', '-h']);
      expect([help.code, help.stdout]).toEqual([0, expect.stringMatching(/--glob GLOB/)]);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });

  test('bad usage and a broken curated file are clear errors that change nothing', async () => {
    const ws = await makeWorkspace({ 'in/a.txt': '博士说：“早。”\n', 'cur.json': '[{"conversations": 3}]', 'pipeline.ts': PROJECT_PIPELINE_TS });
    try {
      const bad = await runCli(ws, ['extract', '--input_dir', 'in', '--max_turns', 'many']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--max_turns must be a whole number/);
      const missing = await runCli(ws, ['extract', '--input_dir', 'nope']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/input directory not found: nope/);
      const broken = await runCli(ws, ['extract', '--input_dir', 'in', '--output', 'o.json', '--merge-existing', 'cur.json']);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/cur\.json: record 0, field conversations/);
      expect(broken.stderr).not.toMatch(/\n\s+at /);
      expect(await readFile(join(ws, 'cur.json'), 'utf8')).toBe('[{"conversations": 3}]');
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});
