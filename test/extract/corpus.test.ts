// The corpus layer and its per-file cache: outputs assembled from cached records must be exactly
// what extracting every file from scratch gives, and the cache must append, survive damage and
// keep other option sets.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, fileOptions, type ExtractConfig } from '../../stages/extract/config.js';
import { extractCorpus, formatDataset, type InputFile, type ShareGptSample } from '../../stages/extract/corpus.js';
import { extractFile } from '../../stages/extract/extractFile.js';
import { FILE_HEADER, parseRecords, recHash, reportLine } from '../../stages/extract/fileCache.js';
import { REPO } from '../helpers/workspace.js';

const CORPUS = join(REPO, 'Eyjafjalla_data', 'tongren');

let dir: string;
let cacheDir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pl-extract-corpus-'));
  cacheDir = join(dir, 'cache');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The bundled corpus, a copy of one file under another name (cross-file duplicates), bad files. */
async function makeInputs(): Promise<InputFile[]> {
  const inDir = join(dir, 'in');
  await rm(inDir, { recursive: true, force: true });
  await mkdir(inDir, { recursive: true });
  for (const f of await readdir(CORPUS)) await copyFile(join(CORPUS, f), join(inDir, f));
  await copyFile(join(CORPUS, '01_观测站的清晨.txt'), join(inDir, '99_copy.txt'));
  await writeFile(join(inDir, 'zz_empty.txt'), '');
  await writeFile(join(inDir, 'zz_binary.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]));
  await writeFile(join(inDir, 'zz_long.txt'), `${'很长的一段没有引号的文字。'.repeat(2000)}\n`);
  await writeFile(join(inDir, 'zz_unclosed.txt'), '博士问：“你还好吗？”\n艾雅法拉说：“前辈，我没事，只是有点累了\n');
  return listInputs(inDir);
}

async function listInputs(inDir: string): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const name of (await readdir(inDir)).sort().reverse()) {
    const abs = join(inDir, name);
    out.push({ name, abs, hash: createHash('sha256').update(await readFile(abs)).digest('hex') });
  }
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

const config = configSchema.parse({ input_dir: 'in' });

test('outputs from scratch, from the cache and the obvious reference are identical', async () => {
  const files = await makeInputs();
  const ref = await reference(files, config);
  const cold = await extractCorpus(files, { config, cacheDir });
  expect(cold.extracted).toBe(files.length - 1); // the copy shares its hash with the original
  const warm = await extractCorpus(files, { config, cacheDir });
  const none = await extractCorpus(files, { config });
  expect(warm.extracted).toBe(0);
  expect(none.extracted).toBe(files.length - 1);
  for (const res of [cold, warm, none]) {
    expect(res.datasetBytes().toString('utf8')).toBe(ref.dataset);
    const report = JSON.parse(res.reportText()) as { files: unknown[]; totals: Record<string, unknown> };
    expect(report.files.map((f) => JSON.stringify(f))).toEqual(ref.reports);
    expect(res.samples()).toEqual(ref.samples);
  }
  expect(cold.totals).toMatchObject({ files: files.length, files_skipped: 2, samples: ref.samples.length, encodings: { '(empty)': 1, '(binary)': 1, gb18030: 1 } });
  expect(cold.totals.duplicates_across_files).toBeGreaterThan(0);
  expect(cold.totals.dropped.unclosed_quotes).toBe(1);
  expect(cold.totals.dropped.long_paragraphs).toBe(1);
  expect(cold.skipped.map((s) => s.file).sort()).toEqual(['zz_binary.bin', 'zz_empty.txt']);
  expect(warm.reportText()).toBe(cold.reportText());
});

test('the dataset in chunks of any size, even smaller than one sample, is the same bytes', async () => {
  const files = await makeInputs();
  const ref = await reference(files, config);
  for (const chunkBytes of [200, 1000, 4096, 1 << 20]) {
    const res = await extractCorpus(files, { config, chunkBytes });
    const chunks: Buffer[] = [];
    for (const c of res.datasetChunks()) chunks.push(Buffer.from(c)); // valid until the next one
    expect(Buffer.concat(chunks).toString('utf8')).toBe(ref.dataset);
    if (chunkBytes === 4096) expect(chunks.length).toBeGreaterThan(2);
  }
});

test('a report line is exactly the JSON of the file report, for every kind of file', async () => {
  const opts = fileOptions(config);
  const files = await makeInputs();
  for (const f of files) {
    const res = extractFile(await readFile(f.abs), opts);
    expect(reportLine(res.report)).toBe(JSON.stringify(res.report));
  }
});

test('an empty result is an empty list, as formatDataset prints it', async () => {
  await writeFile(join(dir, 'a.txt'), '这里没有对话。\n');
  const res = await extractCorpus([{ name: 'a.txt', abs: join(dir, 'a.txt'), hash: 'h' }], { config, cacheDir });
  expect(res.datasetBytes().toString()).toBe(formatDataset([]));
});

async function cacheFiles(): Promise<string[]> {
  return (await readdir(cacheDir)).filter((n) => n.endsWith('.bin')).sort();
}

/** The records a cache file holds, and whether reading it had to skip something. */
async function recordsIn(name: string) {
  const buf = await readFile(join(cacheDir, name));
  return parseRecords(buf);
}

test('a new file appends one record and leaves the bytes before it alone; other option sets keep their own file', async () => {
  const files = await makeInputs();
  await extractCorpus(files, { config, cacheDir });
  const [name] = await cacheFiles();
  const before = await readFile(join(cacheDir, name!));
  expect((await recordsIn(name!)).records.length).toBe(files.length - 1);
  const extra = join(dir, 'in', '50_new.txt');
  await writeFile(extra, '博士问：“今天怎么样？”\n艾雅法拉说：“今天的观测很顺利哦，前辈。”\n');
  const more = [...files, { name: '50_new.txt', abs: extra, hash: 'new-file-hash' }];
  const res = await extractCorpus(more, { config, cacheDir });
  expect(res.extracted).toBe(1);
  const after = await readFile(join(cacheDir, name!));
  expect(after.subarray(0, before.length).equals(before)).toBe(true);
  const { records, damaged } = await recordsIn(name!);
  expect(damaged).toBe(false);
  expect(recHash(records.at(-1)!)).toBe('new-file-hash');
  expect(records.length).toBe(files.length);
  expect(res.datasetBytes().toString()).toBe((await reference(more, config)).dataset);

  const short = configSchema.parse({ input_dir: 'in', max_turns: 2 });
  expect((await extractCorpus(more, { config: short, cacheDir })).extracted).toBe(files.length);
  expect(await cacheFiles()).toHaveLength(2);
  const back = await extractCorpus(more, { config, cacheDir });
  expect(back.extracted).toBe(0);
  expect(back.datasetBytes().toString()).toBe(res.datasetBytes().toString());
});

test('a damaged batch, a torn append or garbage over a frame costs a re-read of those files, never the outputs', async () => {
  const files = await makeInputs();
  const ref = await extractCorpus(files, { config });
  // Three runs, three batches: the first 5 files, the next 5, the rest.
  for (const n of [5, 10, files.length]) await extractCorpus(files.slice(0, n), { config, cacheDir });
  const [name] = await cacheFiles();
  const path = join(cacheDir, name!);
  const good = await readFile(path);
  const batchStarts: number[] = [];
  for (let p = FILE_HEADER.length; p < good.length; p += good.readUInt32LE(p + 4)) batchStarts.push(p);
  expect(batchStarts).toHaveLength(3);
  const inThird = files.length - 10 - 1; // the copy shares the original's record
  const check = async (expected: number) => {
    const res = await extractCorpus(files, { config, cacheDir });
    expect(res.extracted).toBe(expected);
    expect(res.datasetBytes().equals(ref.datasetBytes())).toBe(true);
    expect(res.reportText()).toBe(ref.reportText());
    // Whatever was damaged, the file was rewritten whole: clean again, nothing left to re-read.
    expect((await recordsIn(name!)).damaged).toBe(false);
    expect((await extractCorpus(files, { config, cacheDir })).extracted).toBe(0);
  };

  // One flipped bit in the second batch's index: its checksum fails, only its 5 files are re-read.
  const flipped = Buffer.from(good);
  flipped[batchStarts[1]! + 36 + 40]! ^= 1;
  await writeFile(path, flipped);
  expect((await recordsIn(name!)).damaged).toBe(true);
  await check(5);

  // A torn append: the last batch is cut short.
  await writeFile(path, good.subarray(0, good.length - 10));
  await check(inThird);

  // Garbage over the first batch's frame: nothing after it can be found, so everything is re-read.
  const smashed = Buffer.from(good);
  smashed.fill(0x41, batchStarts[0]!, batchStarts[0]! + 8);
  await writeFile(path, smashed);
  await check(files.length - 1);
});

test('when most records are for files that are gone, the file is rewritten with the live ones only', async () => {
  const files = await makeInputs();
  // Enough dead records to pass the rewrite threshold: 1,200 tiny distinct files, then drop them.
  const many: InputFile[] = [];
  for (let i = 0; i < 1200; i++) {
    const abs = join(dir, 'in', `t${i}.txt`);
    await writeFile(abs, `第${i}行。\n`);
    many.push({ name: `t${i}.txt`, abs, hash: `tiny-${i}` });
  }
  await extractCorpus([...files, ...many], { config, cacheDir });
  const [name] = await cacheFiles();
  expect((await recordsIn(name!)).records.length).toBe(files.length - 1 + many.length);
  const res = await extractCorpus(files, { config, cacheDir });
  expect(res.extracted).toBe(0);
  expect((await recordsIn(name!)).records.length).toBe(files.length - 1);
  const after = await extractCorpus(files, { config, cacheDir });
  expect(after.extracted).toBe(0);
  expect(after.datasetBytes().toString()).toBe((await reference(files, config)).dataset);
});

test('files of an earlier cache format are removed when the new one is written', async () => {
  const files = await makeInputs();
  await mkdir(cacheDir, { recursive: true });
  await writeFile(join(cacheDir, 'file-results-0123456789abcdef01234567.ndjson'), '{"v":4}\n');
  await writeFile(join(cacheDir, 'file-results-0123456789abcdef01234567.texts'), '');
  await extractCorpus(files, { config, cacheDir });
  expect((await readdir(cacheDir)).filter((n) => !n.endsWith('.bin'))).toEqual([]);
});

test('a long-lived process reuses the cache it holds, but re-reads it when another process changed it', async () => {
  const files = await makeInputs();
  const dir = await mkdtemp(join(tmpdir(), 'pl-extract-memo-'));
  const cold = await extractCorpus(files, { config, cacheDir: dir });
  expect(cold.extracted).toBe(files.length - 1);
  // Same process, nothing changed on disk: answered from the cache held in memory.
  expect((await extractCorpus(files, { config, cacheDir: dir })).extracted).toBe(0);
  // Another process emptied the cache: the stamp differs, so it is re-read (and found empty).
  for (const f of await readdir(dir)) await writeFile(join(dir, f), '');
  const again = await extractCorpus(files, { config, cacheDir: dir });
  expect(again.extracted).toBe(files.length - 1);
  expect(again.datasetBytes().toString('utf8')).toBe(cold.datasetBytes().toString('utf8'));
  await rm(dir, { recursive: true, force: true });
});
