// The corpus layer and its result store: outputs assembled from stored results must be exactly
// what extracting every file from scratch gives; the store is plain NDJSON keyed by content hash,
// rewritten only when the files change, and a damaged entry costs a re-read of that one file.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configSchema, fileOptions, type ExtractConfig } from '../../stages/extract/config.js';
import { formatDataset, type InputFile, type ShareGptSample } from '../../stages/extract/corpus.js';
import { extractTexts } from '../helpers/extractTexts.js';
import { extractFile, type FileReport, type FileResult } from '../../stages/extract/extractFile.js';
import { formatLine } from '../../stages/extract/resultStore.js';
import { REPO, tempDirs } from '../helpers/workspace.js';

const CORPUS = join(REPO, 'Eyjafjalla_data', 'tongren');
const temp = tempDirs();
afterAll(temp.removeAll);

let dir: string;
let cacheDir: string;
beforeEach(async () => {
  dir = await temp.make('pl-extract-corpus-');
  cacheDir = join(dir, 'cache');
});

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The bundled corpus, a copy of one file under another name (cross-file duplicates), bad files. */
async function makeInputs(): Promise<InputFile[]> {
  const inDir = join(dir, 'in');
  await mkdir(inDir, { recursive: true });
  for (const f of await readdir(CORPUS)) await copyFile(join(CORPUS, f), join(inDir, f));
  await copyFile(join(CORPUS, '01_观测站的清晨.txt'), join(inDir, '99_copy.txt'));
  await writeFile(join(inDir, 'zz_empty.txt'), '');
  await writeFile(join(inDir, 'zz_binary.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]));
  await writeFile(join(inDir, 'zz_long.txt'), `${'很长的一段没有引号的文字。'.repeat(2000)}\n`);
  await writeFile(join(inDir, 'zz_unclosed.txt'), '博士问：“你还好吗？”\n艾雅法拉说：“前辈，我没事，只是有点累了\n');
  const out: InputFile[] = [];
  // Handed over in reverse order: the corpus sorts by name itself.
  for (const name of (await readdir(inDir)).sort().reverse()) out.push({ name, abs: join(inDir, name), hash: sha(await readFile(join(inDir, name))) });
  return out;
}

/** What the stage must produce, computed the slow, obvious way. */
async function reference(files: readonly InputFile[], config: ExtractConfig) {
  const opts = fileOptions(config);
  const seen = new Set<string>();
  const samples: ShareGptSample[] = [];
  const reports: string[] = [];
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const r = extractFile(await readFile(f.abs), opts);
    reports.push(JSON.stringify({ file: f.name, ...r.report }));
    for (const s of r.samples) {
      const k = s.join('\u0000');
      if (seen.has(k)) continue;
      seen.add(k);
      samples.push({ system: config.system_prompt!, conversations: s.map((value, t) => ({ from: t % 2 === 0 ? 'human' : 'gpt', value })) });
    }
  }
  return { dataset: formatDataset(samples), reports, samples };
}

// The stage resolves the persona prompt before extracting (persona.system_prompt or the curated dataset's).
const config = configSchema.parse({ input_dir: 'in', system_prompt: '你是艾雅法拉。' });

async function storeFiles(): Promise<string[]> {
  return (await readdir(cacheDir)).filter((n) => n.endsWith('.ndjson')).sort();
}
async function storeLines(name: string): Promise<string[]> {
  return (await readFile(join(cacheDir, name), 'utf8')).split('\n').filter((l) => l !== '');
}

test('outputs from scratch, from the store and the obvious reference are identical', async () => {
  const files = await makeInputs();
  const ref = await reference(files, config);
  const cold = await extractTexts(files, { config, cacheDir });
  expect(cold.extracted).toBe(files.length - 1); // the copy shares its hash with the original
  const warm = await extractTexts(files, { config, cacheDir });
  const none = await extractTexts(files, { config });
  expect(warm.extracted).toBe(0);
  expect(none.extracted).toBe(files.length - 1);
  for (const res of [cold, warm, none]) {
    expect(res.datasetText()).toBe(ref.dataset);
    const report = JSON.parse(res.reportText()) as { files: unknown[]; totals: Record<string, unknown> };
    expect(report.files.map((f) => JSON.stringify(f))).toEqual(ref.reports);
    expect(res.samples).toEqual(ref.samples);
    expect(res.warnings).toEqual([]);
  }
  expect(cold.totals).toMatchObject({
    files: files.length,
    files_skipped: 2,
    samples: ref.samples.length,
    encodings: { '(empty)': 1, '(binary)': 1, gb18030: 1 },
  });
  expect(cold.totals.duplicates_across_files).toBeGreaterThan(0);
  expect(cold.totals.dropped.unclosed_quotes).toBe(1);
  expect(cold.totals.dropped.long_paragraphs).toBe(1);
  expect(cold.skipped.map((s) => s.file).sort()).toEqual(['zz_binary.bin', 'zz_empty.txt']);
  expect(warm.reportText()).toBe(cold.reportText());
});

test('an empty result is an empty list, as formatDataset prints it', async () => {
  await writeFile(join(dir, 'a.txt'), '这里没有对话。\n');
  const res = await extractTexts([{ name: 'a.txt', abs: join(dir, 'a.txt'), hash: 'h' }], { config, cacheDir });
  expect(res.datasetText()).toBe(formatDataset([]));
  expect(res.datasetText()).toBe('[]\n');
});

test('the store is one readable JSON line per file, by content hash; a new file is the only one read; an unchanged run writes nothing', async () => {
  const files = await makeInputs();
  await extractTexts(files, { config, cacheDir });
  const [name] = await storeFiles();
  const lines = await storeLines(name!);
  expect(lines).toHaveLength(files.length - 1);
  const parsed = lines.map(
    (l) => JSON.parse(l) as { key: string; sha256: string; result: { report: { samples: number }; turns: string[]; samples: number[][] } },
  );
  expect(new Set(parsed.map((p) => p.key))).toEqual(new Set(files.map((f) => f.hash)));
  for (const p of parsed) {
    expect(p.result.samples).toHaveLength(p.result.report.samples);
    // Each distinct turn text once; samples name them by index.
    expect(new Set(p.result.turns).size).toBe(p.result.turns.length);
    for (const s of p.result.samples) for (const t of s) expect(p.result.turns[t]).toEqual(expect.any(String));
  }

  const before = await stat(join(cacheDir, name!));
  expect((await extractTexts(files, { config, cacheDir })).extracted).toBe(0);
  const after = await stat(join(cacheDir, name!));
  expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);

  const extra = join(dir, 'in', '50_new.txt');
  await writeFile(extra, '博士问：“今天怎么样？”\n艾雅法拉说：“今天的观测很顺利哦，前辈。”\n');
  const more = [...files, { name: '50_new.txt', abs: extra, hash: 'new-file-hash' }];
  const res = await extractTexts(more, { config, cacheDir });
  expect(res.extracted).toBe(1);
  expect(res.datasetText()).toBe((await reference(more, config)).dataset);
  expect(await storeLines(name!)).toHaveLength(files.length);

  // Another option set has its own store; going back to the first re-reads nothing.
  const short = configSchema.parse({ input_dir: 'in', max_turns: 2, system_prompt: '你是艾雅法拉。' });
  expect((await extractTexts(more, { config: short, cacheDir })).extracted).toBe(files.length);
  expect(await storeFiles()).toHaveLength(2);
  const back = await extractTexts(more, { config, cacheDir });
  expect(back.extracted).toBe(0);
  expect(back.datasetText()).toBe(res.datasetText());

  // Files that are gone leave the store with the next run.
  expect((await extractTexts(files.slice(0, 3), { config, cacheDir })).extracted).toBe(0);
  expect(await storeLines(name!)).toHaveLength(3);
});

test('a damaged entry costs a re-read of that file and one warning, never a wrong output', async () => {
  const files = await makeInputs();
  const ref = await extractTexts(files, { config });
  await extractTexts(files, { config, cacheDir });
  const [name] = await storeFiles();
  const path = join(cacheDir, name!);
  const good = await storeLines(name!);
  const withSamples = good.findIndex((l) => /"samples":\[\[/.test(l));
  expect(withSamples).toBeGreaterThanOrEqual(0);

  const check = async (lines: string[], reread: number, warned = true) => {
    await writeFile(path, lines.join('\n'));
    const res = await extractTexts(files, { config, cacheDir });
    expect(res.extracted).toBe(reread);
    expect(res.datasetText()).toBe(ref.datasetText());
    expect(res.reportText()).toBe(ref.reportText());
    expect(res.warnings).toHaveLength(warned ? 1 : 0);
    if (warned) expect(res.warnings[0]).toMatch(new RegExp(`${name!.replace(/\./g, '\\.')}: \\d+ damaged entr(y|ies) ignored`));
    // Rewritten clean: nothing left to re-read, nothing to warn about.
    const again = await extractTexts(files, { config, cacheDir });
    expect([again.extracted, again.warnings]).toEqual([0, []]);
  };

  // A changed character inside a sample's text: still valid JSON, caught by the checksum.
  const line = good[withSamples]!;
  const at = line.indexOf('前辈');
  expect(at).toBeGreaterThan(0);
  const edited = [...good];
  edited[withSamples] = `${line.slice(0, at)}后辈${line.slice(at + 2)}`;
  await check(edited, 1);

  // Cut short (a torn copy), garbage, a line of another format, an empty line.
  await check([...good.slice(0, -1), good.at(-1)!.slice(0, 40)], 1);
  await check(
    good.map((l, i) => (i === 2 ? 'AAAA\u0000\u0000{{{' : l)),
    1,
  );
  await check(
    good.map((l, i) => (i === 3 ? '{"v":4}' : l)),
    1,
  );
  await check([...good.slice(0, 4), '', ...good.slice(4)], 0, false);

  // One entry's result moved under another file's key: the checksum binds a result to its key.
  const a = JSON.parse(good[0]!) as { key: string };
  const b = JSON.parse(good[1]!) as { result: unknown };
  await check(
    [
      `{"key":${JSON.stringify(a.key)},"result":${JSON.stringify(b.result)},"sha256":"${(JSON.parse(good[1]!) as { sha256: string }).sha256}"}`,
      ...good.slice(1),
    ],
    1,
  );

  // A well-formed line with a valid checksum but a result that breaks the schema (an odd turn count).
  const stored = JSON.parse(good[withSamples]!) as { key: string; result: { report: FileReport; turns: string[]; samples: number[][] } };
  const odd: FileResult = {
    report: stored.result.report,
    samples: stored.result.samples.map((x, k) => (k === 0 ? x.slice(0, 1) : x).map((t) => stored.result.turns[t]!)),
  };
  await check(
    good.map((l, i) => (i === withSamples ? formatLine(stored.key, odd) : l)),
    1,
  );
  // The same line rebuilt from the intact result is accepted as it is: the test above changed only the sample.
  const intact: FileResult = { report: stored.result.report, samples: stored.result.samples.map((x) => x.map((t) => stored.result.turns[t]!)) };
  expect(formatLine(stored.key, intact)).toBe(good[withSamples]);
  // Hand-made lines with a right checksum: a turn index past the turns, a count that is not one.
  const signed = (key: string, result: unknown) => {
    const head = `{"key":${JSON.stringify(key)},"result":${JSON.stringify(result)}`;
    return `${head},"sha256":"${sha(head)}"}`;
  };
  expect(signed(stored.key, stored.result)).toBe(good[withSamples]);
  const past = { ...stored.result, samples: [[0, stored.result.turns.length], ...stored.result.samples.slice(1)] };
  await check(
    good.map((l, i) => (i === withSamples ? signed(stored.key, past) : l)),
    1,
  );
  const negative = { ...stored.result, report: { ...stored.result.report, bytes: -1 } };
  await check(
    good.map((l, i) => (i === withSamples ? signed(stored.key, negative) : l)),
    1,
  );
  for (const lines of [[[1.5, 2]], [[3]], 'all']) {
    const badLines = { ...stored.result, report: { ...stored.result.report, sample_lines: lines } };
    await check(
      good.map((l, i) => (i === withSamples ? signed(stored.key, badLines) : l)),
      1,
    );
  }
});

test('the same content forced into another encoding is its own entry', async () => {
  const files = await makeInputs();
  await extractTexts(files, { config, cacheDir });
  const forced = files.map((f) => (f.name === '05_温泉旅店.txt' ? { ...f, encoding: 'big5' as const } : f));
  const res = await extractTexts(forced, { config, cacheDir });
  expect(res.extracted).toBe(1);
  const line = JSON.parse(res.reportText()).files.find((f: { file: string }) => f.file === '05_温泉旅店.txt') as { encoding: string | null; reason?: string };
  // GB18030 bytes are not all valid Big5: forcing it skips the file rather than guessing.
  expect(line.encoding === 'big5' || line.reason === 'unknown_encoding').toBe(true);
  expect((await extractTexts(files, { config, cacheDir })).extracted).toBe(1);
});

test('stores of an earlier format are removed when the store is written', async () => {
  const files = await makeInputs();
  await mkdir(cacheDir, { recursive: true });
  await writeFile(join(cacheDir, 'file-results-0123456789abcdef01234567.bin'), 'PLXCACHE');
  await writeFile(join(cacheDir, 'file-results-0123456789abcdef01234567.ndjson'), '{"v":4}\n');
  await extractTexts(files, { config, cacheDir });
  expect((await readdir(cacheDir)).filter((n) => !/^results-[0-9a-f]+\.ndjson$/.test(n))).toEqual([]);
});
