// The corpus's outputs are streamed (stages/extract/corpusOutput.ts, resultStore.ts): the dataset,
// the report and the store must be, byte for byte, the texts the whole-corpus recipe gives
// (JSON.stringify of all samples; the report's header then one line per file; one store line per
// file as formatLine writes it), whatever the pool does; an interrupted run leaves every output
// and the store as they were; the pool does not run further ahead than it is allowed to.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeCorpus } from '../../bench/extractCorpus.js';
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { extractCorpus, formatDataset, type InputFile, type ShareGptSample } from '../../stages/extract/corpus.js';
import { extractFile, type FileResult } from '../../stages/extract/extractFile.js';
import { extractInWorkers } from '../../stages/extract/pool.js';
import { formatLine, openResultStore, storeKey } from '../../stages/extract/resultStore.js';
import { startCli, waitFor } from '../engine/fixtures.js';
import { extractTexts } from '../helpers/extractTexts.js';
import { makeWorkspace, PROJECT_PIPELINE_TS, REPO, runCli, tempDirs } from '../helpers/workspace.js';

const CORPUS = join(REPO, 'Eyjafjalla_data', 'tongren');
const temp = tempDirs();
afterAll(temp.removeAll);
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const config = configSchema.parse({ input_dir: 'in', system_prompt: '你是艾雅法拉。' });
const byName = (a: InputFile, b: InputFile) => (a.name < b.name ? -1 : 1);

/** Generated files, the bundled ones under two names each (samples repeated across files), an exact copy, an empty and a binary file. */
async function makeInputs(dir: string, n = 40): Promise<InputFile[]> {
  const inDir = join(dir, 'in');
  await makeCorpus(inDir, n, 2);
  for (const f of await readdir(CORPUS)) if (!f.startsWith('05_')) for (const p of ['a_', 'b_']) await copyFile(join(CORPUS, f), join(inDir, `${p}${f}`));
  await copyFile(join(inDir, 'f00003.txt'), join(inDir, 'f00003_copy.txt'));
  await writeFile(join(inDir, 'zz_empty.txt'), '');
  await writeFile(join(inDir, 'zz_binary.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]));
  const out: InputFile[] = [];
  for (const name of (await readdir(inDir)).sort().reverse()) out.push({ name, abs: join(inDir, name), hash: sha(await readFile(join(inDir, name))) });
  return out;
}

/** The whole-corpus recipe: every file's result in name order, all samples deduplicated, then the texts at once. */
async function reference(files: readonly InputFile[]) {
  const opts = fileOptions(config);
  const seen = new Set<string>();
  const samples: ShareGptSample[] = [];
  const results: Array<{ file: InputFile; res: FileResult }> = [];
  let duplicates = 0;
  for (const f of [...files].sort(byName)) {
    const res = extractFile(await readFile(f.abs), opts);
    results.push({ file: f, res });
    for (const s of res.samples) {
      const k = s.join('\u0000');
      if (seen.has(k)) duplicates++;
      else {
        seen.add(k);
        samples.push({ system: config.system_prompt!, conversations: s.map((value, t) => ({ from: t % 2 === 0 ? 'human' : 'gpt', value })) });
      }
    }
  }
  const lines = results.map(({ file, res }) => JSON.stringify({ file: file.name, ...res.report }));
  const report = (header: Record<string, unknown>) =>
    `${JSON.stringify(header, null, 2).slice(0, -2)},\n  "files": ${lines.length ? `[\n    ${lines.join(',\n    ')}\n  ]\n}\n` : '[]\n}\n'}`;
  const firsts = new Map<string, FileResult>();
  for (const { file, res } of results) if (!firsts.has(file.hash!)) firsts.set(file.hash!, res);
  const store = [...firsts].map(([k, r]) => `${formatLine(k, r)}\n`).join('');
  return { dataset: formatDataset(samples), samples, report, duplicates, store };
}

async function storeText(cacheDir: string): Promise<string> {
  const [name, ...more] = (await readdir(cacheDir)).filter((n) => n.endsWith('.ndjson'));
  expect(more).toEqual([]);
  return readFile(join(cacheDir, name!), 'utf8');
}

test('the streamed dataset, report and store are the whole-corpus texts, byte for byte, on the main thread and in the pool, cold and from the store', async () => {
  const dir = await temp.make('pl-extract-stream-');
  const files = await makeInputs(dir);
  const ref = await reference(files);
  expect(ref.duplicates).toBeGreaterThan(0);
  expect(ref.samples.length).toBeGreaterThan(40);
  for (const workers of [1, 3]) {
    const cacheDir = join(dir, `cache-${workers}`);
    for (const pass of ['cold', 'warm']) {
      const res = await extractTexts(files, { config, cacheDir, workers });
      const distinct = new Set(files.map((f) => f.hash)).size;
      expect([pass, res.extracted, res.workers]).toEqual([pass, pass === 'cold' ? distinct : 0, pass === 'cold' && workers > 1 ? workers : 0]);
      expect(res.datasetText()).toBe(ref.dataset);
      const report = res.reportText({ merge_existing: { file: 'x.json', added: 1, total_after_merge: 2 } });
      const { files: listed, ...header } = JSON.parse(report) as { files: unknown[] } & Record<string, unknown>;
      expect(listed).toHaveLength(files.length);
      expect(report).toBe(ref.report(header));
      expect(header).toMatchObject({
        totals: { files: files.length, files_skipped: 2, samples: ref.samples.length, duplicates_across_files: ref.duplicates },
        merge_existing: { added: 1 },
      });
      expect(await storeText(cacheDir)).toBe(ref.store);
      expect(res.warnings).toEqual([]);
    }
  }
});

test('a store file cut short after it was opened: its lines read as damaged (one warning, the files read again), never a crash', async () => {
  const dir = await temp.make('pl-extract-stream-cut-');
  const files = await makeInputs(dir, 6);
  const cacheDir = join(dir, 'cache');
  await extractTexts(files, { config, cacheDir, workers: 1 });
  const store = await openResultStore(cacheDir, await storeKey(fileOptions(config)));
  const first = files.map((f) => f.hash!).find((h) => store.has(h))!;
  expect(store.get(first)).toBeDefined();
  const name = (await readdir(cacheDir)).find((n) => n.endsWith('.ndjson'))!;
  await truncate(join(cacheDir, name), 10);
  const others = [...new Set(files.map((f) => f.hash!))].filter((h) => h !== first && store.has(h));
  expect(others.length).toBeGreaterThan(0);
  for (const h of others) expect(store.get(h)).toBeUndefined();
  expect(store.warning).toMatch(new RegExp(`${others.length} damaged entr`));
  store.close();
});

test('a damaged store line found while the pool runs: that file is extracted there and then, one warning, outputs unchanged', async () => {
  const dir = await temp.make('pl-extract-stream-damaged-');
  const files = await makeInputs(dir);
  const cacheDir = join(dir, 'cache');
  await extractTexts(files.slice(1), { config, cacheDir, workers: 3 });
  const name = (await readdir(cacheDir)).find((n) => n.endsWith('.ndjson'))!;
  const lines = (await readFile(join(cacheDir, name), 'utf8')).split('\n');
  const at = lines.findIndex((l) => l.includes('前辈'));
  lines[at] = lines[at]!.replace('前辈', '后辈');
  await writeFile(join(cacheDir, name), lines.join('\n'));
  // files[0] (the last by name) is new: the pool starts for it, the damaged line is met on the way.
  // (One new file: too few for the pool, the main thread extracts it and the damaged one.)
  const res = await extractTexts(files, { config, cacheDir, workers: 3 });
  expect([res.workers, res.extracted]).toEqual([0, 2]);
  const ref = await reference(files);
  expect(res.datasetText()).toBe(ref.dataset);
  expect(res.warnings).toEqual([expect.stringMatching(/1 damaged entry ignored/)]);
  expect(await storeText(cacheDir)).toBe(ref.store);

  // The same in the pool proper: enough new files that it starts, and a damaged line among the stored ones.
  const some = files.filter((_, i) => i % 2 === 0);
  const cache3 = join(dir, 'cache3');
  await extractTexts(some, { config, cacheDir: cache3, workers: 1 });
  const n3 = (await readdir(cache3)).find((n) => n.endsWith('.ndjson'))!;
  const l3 = (await readFile(join(cache3, n3), 'utf8')).split('\n');
  const k = l3.findIndex((l) => l.includes('前辈'));
  l3[k] = l3[k]!.replace('前辈', '后辈');
  await writeFile(join(cache3, n3), l3.join('\n'));
  const mixed = await extractTexts(files, { config, cacheDir: cache3, workers: 3 });
  expect(mixed.workers).toBe(3);
  const stored = new Set(some.map((f) => f.hash));
  expect(mixed.extracted).toBe(new Set(files.filter((f) => !stored.has(f.hash)).map((f) => f.hash)).size + 1);
  expect(mixed.datasetText()).toBe(ref.dataset);
  expect(mixed.warnings).toEqual([expect.stringMatching(/1 damaged entry ignored/)]);
  expect(await storeText(cache3)).toBe(ref.store);
});

test('no samples is `[]`, no files an empty list in the report', async () => {
  const dir = await temp.make('pl-extract-stream-empty-');
  await writeFile(join(dir, 'a.txt'), '这里没有对话。\n');
  const none = await extractTexts([{ name: 'a.txt', abs: join(dir, 'a.txt'), hash: 'h' }], { config, cacheDir: join(dir, 'cache') });
  expect(none.datasetText()).toBe('[]\n');
  expect(JSON.parse(none.reportText()).files).toHaveLength(1);
  const zero = await extractTexts([], { config, cacheDir: join(dir, 'cache0') });
  expect(zero.datasetText()).toBe('[]\n');
  const text = zero.reportText();
  const { files, ...header } = JSON.parse(text) as { files: unknown[] };
  expect(files).toEqual([]);
  expect(text).toBe(`${JSON.stringify(header, null, 2).slice(0, -2)},\n  "files": []\n}\n`);
});

/**
 * A workspace whose dataset, report and store hold a first run over `firstFiles`, and a way to run
 * `files` again with `workers`, aborted when `at` files have gone out: how many went out by the
 * rejection (the run must reject with 'interrupted').
 */
async function interruptible(dir: string, firstFiles: InputFile[]) {
  const out = join(dir, 'out');
  const cacheDir = join(dir, 'cache');
  await mkdir(out);
  const dataset = join(out, 'dataset.json');
  const scratch = join(dir, 'scratch');
  await mkdir(scratch);
  const first = await extractCorpus(firstFiles, { config, dataset, scratchDir: scratch, cacheDir });
  first.writeReport(join(out, 'report.json'));
  first.dispose();
  const state = async () => ({ dataset: await readFile(dataset), report: await readFile(join(out, 'report.json')), store: await storeText(cacheDir) });
  const interruptAt = async (files: InputFile[], workers: number, at: number): Promise<number> => {
    const ac = new AbortController();
    let seen = 0;
    const run = extractCorpus(files, {
      config,
      dataset,
      scratchDir: scratch,
      cacheDir,
      workers,
      signal: ac.signal,
      onProgress: (n) => {
        seen = n;
        if (n === at) ac.abort();
      },
    });
    await expect(run).rejects.toThrow('interrupted');
    return seen;
  };
  return { out, cacheDir, scratch, state, interruptAt };
}

test('interrupted half-way, on the main thread or in the pool: the dataset, the report, the store are as they were; no temp file is left', async () => {
  const dir = await temp.make('pl-extract-stream-abort-');
  const files = await makeInputs(dir, 120);
  const w = await interruptible(
    dir,
    files.filter((_, i) => i % 2 === 0),
  );
  const before = await w.state();
  expect(await readdir(w.scratch)).toEqual([]);
  for (const workers of [1, 3]) {
    const seen = await w.interruptAt(files, workers, 70);
    expect(seen).toBeGreaterThanOrEqual(70);
    expect(seen).toBeLessThan(files.length);
    expect(await w.state()).toEqual(before);
    expect((await readdir(w.out)).sort()).toEqual(['dataset.json', 'report.json']);
    expect(await readdir(w.scratch)).toEqual([]);
    expect((await readdir(w.cacheDir)).filter((n) => n.includes('.tmp'))).toEqual([]);
  }
});

test('interrupted while results held back by a slow first file go out at once: nothing more goes out, nothing is committed', async () => {
  const dir = await temp.make('pl-extract-stream-late-abort-');
  const files = await makeInputs(dir, 40);
  // A large file first in name order: every other result waits for it, then all go out at once.
  const big = join(dir, 'in', '0_big.txt');
  const text = (await Promise.all((await readdir(CORPUS)).filter((f) => !f.startsWith('05_')).map((f) => readFile(join(CORPUS, f), 'utf8')))).join('\n');
  await writeFile(big, text.repeat(40));
  const w = await interruptible(
    dir,
    files.filter((_, i) => i % 2 === 0),
  );
  files.push({ name: '0_big.txt', abs: big, hash: sha(await readFile(big)) });
  const before = await w.state();
  expect(await w.interruptAt(files, 2, 5)).toBe(5);
  expect(await w.state()).toEqual(before);
  expect(await readdir(w.scratch)).toEqual([]);
});

test('`pipeline run extract` interrupted on the main thread: exit 130, the last run’s outputs untouched, no staging left', async () => {
  const files: Record<string, Buffer> = {};
  for (const f of await readdir(CORPUS)) files[`Eyjafjalla_data/tongren/${f}`] = await readFile(join(CORPUS, f));
  const ws = await makeWorkspace({ 'pipeline.ts': PROJECT_PIPELINE_TS, 'pipeline.yaml': await readFile(join(REPO, 'pipeline.yaml'), 'utf8'), ...files });
  temp.adopt(ws);
  const ok = await runCli(ws, ['run', 'extract', '--set', 'extract.workers=1']);
  expect(ok.code).toBe(0);
  const outs = ['data/eyjafjalla_tongren_sft.json', 'artifacts/reports/extraction.json'];
  const before = await Promise.all(outs.map((p) => readFile(join(ws, p))));
  // Many more files, big enough that extraction takes seconds: SIGINT lands while it is at it.
  const text = Buffer.concat(Object.values(files).filter((_, i) => i !== 4));
  for (let i = 0; i < 150; i++)
    await writeFile(
      join(ws, 'Eyjafjalla_data/tongren', `g${String(i).padStart(3, '0')}.txt`),
      Buffer.concat([text, text, text, text, Buffer.from(`\n博士问：“第${i}篇？”\n`)]),
    );
  const run = startCli(ws, ['run', 'extract', '--json', '--set', 'extract.workers=1']);
  await waitFor(async () => /"event":"progress"[^\n]*"stage":"extract"[^\n]*"current":\d+/.test(run.stdout()), 'the extract stage to report progress', 60_000);
  run.child.kill('SIGINT');
  const res = await run.done;
  expect(res.code).toBe(130);
  expect(res.stderr).not.toMatch(/\n\s+at /);
  for (const [k, p] of outs.entries()) expect(await readFile(join(ws, p))).toEqual(before[k]);
  expect((await readdir(join(ws, '.pipeline', 'staging')).catch(() => [])).filter((d) => d.startsWith('extract'))).toEqual([]);
});

test('the pool waits when it is `ahead` files past the first unanswered one, and only then', async () => {
  const dir = await temp.make('pl-extract-stream-ahead-');
  const text = (await Promise.all((await readdir(CORPUS)).filter((f) => !f.startsWith('05_')).map((f) => readFile(join(CORPUS, f), 'utf8')))).join('\n');
  // The first file is slow (large), the others are quick: a pool without a limit answers them all meanwhile.
  const files: Array<{ i: number; name: string; abs: string }> = [];
  for (let i = 0; i < 60; i++) {
    const abs = join(dir, `f${String(i).padStart(2, '0')}.txt`);
    await writeFile(abs, i === 0 ? text.repeat(60) : `博士问：“第${i}次？”\n艾雅法拉说：“第${i}次也好哦，前辈。”\n`);
    files.push({ i, name: `f${i}`, abs });
  }
  const mostAhead = async (ahead?: number) => {
    const got = new Set<number>();
    let low = 0;
    let most = 0;
    await extractInWorkers(files, fileOptions(config), 2, {
      ...(ahead === undefined ? {} : { ahead }),
      onResult: (i) => {
        got.add(i);
        while (got.has(low)) low++;
        most = Math.max(most, got.size - low);
      },
    });
    return most;
  };
  // (Batches of 3 files here: 60 files / (2 workers × 8).)
  expect(await mostAhead(6)).toBeLessThanOrEqual(6 + 3);
  expect(await mostAhead()).toBeGreaterThan(20);
});

test('a store temp file left by a process that is gone is removed when the store is next written; a live one is left alone', async () => {
  const dir = await temp.make('pl-extract-stream-tmp-');
  const files = await makeInputs(dir, 4);
  const cacheDir = join(dir, 'cache');
  await mkdir(cacheDir);
  // (pid 4194304 is above Linux's largest pid: never alive.)
  const gone = 'results-0123456789abcdef01234567.ndjson.tmp-4194304-0a1b2c3d';
  const live = `results-0123456789abcdef01234567.ndjson.tmp-${process.ppid}-0a1b2c3d`;
  await writeFile(join(cacheDir, gone), '{"key":');
  await writeFile(join(cacheDir, live), '{"key":');
  await extractTexts(files, { config, cacheDir });
  const left = await readdir(cacheDir);
  expect(left).not.toContain(gone);
  expect(left).toContain(live);
  expect(left.filter((n) => n.endsWith('.ndjson'))).toHaveLength(1);
});
