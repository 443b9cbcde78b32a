// The worker pool of the extract stage (stages/extract/pool.ts): outputs byte-identical to the
// main thread's whatever the number of workers, results in name order, a file that cannot be read
// or that the extractor throws on is a clear error naming it, abort ends the run — and no worker
// thread is left running afterwards, whichever way it ended.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StageError } from '../../src/api.js';
import { configSchema, type ExtractConfig } from '../../stages/extract/config.js';
import type { InputFile } from '../../stages/extract/corpus.js';
import { extractTexts } from '../helpers/extractTexts.js';
import { poolSize, runningWorkers, startWorker, WORKER_RESOURCE_LIMITS } from '../../stages/extract/pool.js';
import { ensureWorkerScript } from '../../stages/extract/workerScript.js';
import { REPO, tempDirs } from '../helpers/workspace.js';

const CORPUS = join(REPO, 'Eyjafjalla_data', 'tongren');
const temp = tempDirs();
afterAll(temp.removeAll);

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const config = configSchema.parse({ input_dir: 'in', system_prompt: '你是艾雅法拉。', encoding: { '05_*': 'gb18030' } });

/**
 * The bundled corpus, each file also under other names with a closing line of its own (so its
 * samples differ), exact copies (same hash), empty and binary files; `forced` files carry the
 * encoding extract.encoding forces. Handed over in reverse name order.
 */
async function makeInputs(dir: string, copies = 3): Promise<InputFile[]> {
  const inDir = join(dir, 'in');
  await mkdir(inDir, { recursive: true });
  for (const f of await readdir(CORPUS)) {
    await copyFile(join(CORPUS, f), join(inDir, f));
    if (f.startsWith('05_')) continue; // (gb18030: one copy, forced)
    for (let k = 0; k < copies; k++) {
      const body = Buffer.concat([await readFile(join(CORPUS, f)), Buffer.from(`\n博士问：“第${k}遍读完了吗？”\n艾雅法拉说：“第${k}遍也读完了哦，前辈。”\n`)]);
      await writeFile(join(inDir, `${f.slice(0, 2)}_v${k}.txt`), body);
    }
  }
  await copyFile(join(CORPUS, '01_观测站的清晨.txt'), join(inDir, '99_copy.txt'));
  await writeFile(join(inDir, 'zz_empty.txt'), '');
  await writeFile(join(inDir, 'zz_binary.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]));
  const out: InputFile[] = [];
  for (const name of (await readdir(inDir)).sort().reverse()) {
    const f: InputFile = { name, abs: join(inDir, name), hash: sha(await readFile(join(inDir, name))) };
    out.push(name.startsWith('05_') ? { ...f, encoding: 'gb18030' } : f);
  }
  return out;
}

test('how many workers: none for little input or when told 1, at most one per file, one per core', () => {
  const MB = 1024 * 1024;
  expect(poolSize(0, 0)).toBe(0);
  expect(poolSize(500, MB / 2)).toBe(0);
  expect(poolSize(1, 100 * MB)).toBe(0);
  expect(poolSize(500, 100 * MB, 1)).toBe(0);
  expect(poolSize(1, 10, 4)).toBe(0);
  expect(poolSize(3, 10, 4)).toBe(3);
  expect(poolSize(500, 10, 3)).toBe(3);
  const cores = availableParallelism();
  expect(poolSize(500, 100 * MB)).toBe(cores < 2 ? 0 : Math.min(cores, 8));
  expect(poolSize(2, 100 * MB)).toBe(cores < 2 ? 0 : 2);
});

test('a worker starts with the pool’s young generation, larger than a worker’s default, and its workerData', async () => {
  const dir = await temp.make('pl-extract-pool-limits-');
  const script = join(dir, 'limits.mjs');
  await writeFile(
    script,
    "import { parentPort, resourceLimits, workerData } from 'node:worker_threads';\nparentPort.postMessage({ resourceLimits, workerData });\n",
  );
  const ask = async (w: Worker) => {
    try {
      return await new Promise<{ resourceLimits: { maxYoungGenerationSizeMb: number }; workerData: unknown }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    } finally {
      await w.terminate();
    }
  };
  const pooled = await ask(startWorker(script, { opts: 'x' }));
  expect(pooled.workerData).toEqual({ opts: 'x' });
  expect(pooled.resourceLimits.maxYoungGenerationSizeMb).toBe(WORKER_RESOURCE_LIMITS.maxYoungGenerationSizeMb);
  const plain = await ask(new Worker(script));
  expect(pooled.resourceLimits.maxYoungGenerationSizeMb).toBeGreaterThan(plain.resourceLimits.maxYoungGenerationSizeMb);
});

test('any number of workers gives the main thread’s dataset, report and store, byte for byte, and leaves none running', async () => {
  const dir = await temp.make('pl-extract-pool-');
  const files = await makeInputs(dir);
  expect(files.length).toBeGreaterThan(30);
  const run = async (workers: number) => {
    const cacheDir = join(dir, `cache-${workers}`);
    const progress: number[] = [];
    const res = await extractTexts(files, { config, cacheDir, workers, onProgress: (done) => progress.push(done) });
    const store = (await readdir(cacheDir)).filter((n) => n.endsWith('.ndjson'));
    expect(store).toHaveLength(1);
    return { res, progress, store: await readFile(join(cacheDir, store[0]!), 'utf8') };
  };
  const main = await run(1);
  expect(main.res.workers).toBe(0);
  expect(main.res.extracted).toBe(files.length - 1); // the copy is extracted once
  expect(main.res.totals.encodings).toMatchObject({ gb18030: 1, '(empty)': 1, '(binary)': 1 });
  expect(main.res.totals.duplicates_across_files).toBeGreaterThan(0);
  for (const workers of [2, 3, 5]) {
    const pool = await run(workers);
    expect(pool.res.workers).toBe(workers);
    expect(runningWorkers()).toBe(0);
    expect(pool.res.datasetText()).toBe(main.res.datasetText());
    expect(pool.res.reportText()).toBe(main.res.reportText());
    expect(pool.store).toBe(main.store);
    expect(pool.res.extracted).toBe(main.res.extracted);
    expect(pool.res.warnings).toEqual(main.res.warnings);
    // Progress counts up to every file, once each, whatever the order they finish in.
    expect(pool.progress.at(-1)).toBe(files.length);
    expect(pool.progress).toEqual([...pool.progress].sort((a, b) => a - b));
  }
  // The report lists the files in name order, as they were not handed over.
  const listed = (JSON.parse(main.res.reportText()) as { files: Array<{ file: string }> }).files.map((f) => f.file);
  expect(listed).toEqual(files.map((f) => f.name).sort());
});

test('a file that cannot be read fails the run with a message naming it, in the pool and on the main thread', async () => {
  const dir = await temp.make('pl-extract-pool-unreadable-');
  const files = await makeInputs(dir, 1);
  // Gone since it was listed (found by auto's stat of every file), or a directory (found when read).
  const gone: InputFile = { name: 'sub/gone.txt', abs: join(dir, 'in', 'sub', 'gone.txt'), hash: 'no-such-file' };
  await mkdir(join(dir, 'in', 'adir.txt'));
  const adir: InputFile = { name: 'adir.txt', abs: join(dir, 'in', 'adir.txt'), hash: 'a-directory' };
  const cases: Array<[InputFile, number | 'auto', string]> = [
    [gone, 'auto', 'extract: cannot read sub/gone.txt: ENOENT: no such file or directory'],
    [gone, 1, 'extract: cannot read sub/gone.txt: ENOENT: no such file or directory'],
    [gone, 2, 'extract: cannot read sub/gone.txt: ENOENT: no such file or directory'],
    [adir, 1, 'extract: cannot read adir.txt: EISDIR: illegal operation on a directory, read'],
    [adir, 3, 'extract: cannot read adir.txt: EISDIR: illegal operation on a directory, read'],
  ];
  for (const [bad, workers, message] of cases) {
    const res = await extractTexts([...files, bad], { config, workers }).catch((e: unknown) => e);
    expect(res).toBeInstanceOf(StageError);
    expect((res as Error).message).toBe(message);
    expect(runningWorkers()).toBe(0);
  }
});

test('an exception in the extractor names the file it was extracting; the pool is ended', async () => {
  const dir = await temp.make('pl-extract-pool-throw-');
  const files = await makeInputs(dir, 1);
  // Options no config can produce (the schema requires names): every file's extraction throws.
  const broken = { ...config, persona: { names: undefined, pronoun: '她' } } as unknown as ExtractConfig;
  for (const workers of [1, 3]) {
    const err = (await extractTexts(files, { config: broken, workers }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(StageError); // a bug: the engine logs its stack
    if (workers > 1) {
      expect(err.message).toMatch(/^extract: [^:]+\.txt: /);
      expect(err.stack).toMatch(/\n\s+at /);
    }
    expect(runningWorkers()).toBe(0);
  }
});

test('abort ends the run early with `interrupted`, and no worker is left running', async () => {
  const dir = await temp.make('pl-extract-pool-abort-');
  const inDir = join(dir, 'in');
  await mkdir(inDir);
  // Files big enough that the whole run takes far longer than an abort needs.
  const text = (await Promise.all((await readdir(CORPUS)).filter((f) => !f.startsWith('05_')).map((f) => readFile(join(CORPUS, f), 'utf8')))).join(
    '\n\n***\n\n',
  );
  const files: InputFile[] = [];
  for (let i = 0; i < 60; i++) {
    const name = `f${String(i).padStart(3, '0')}.txt`;
    const body = `${text.repeat(4)}\n博士问：“第${i}篇？”\n艾雅法拉说：“第${i}篇写完了哦，前辈。”\n`;
    await writeFile(join(inDir, name), body);
    files.push({ name, abs: join(inDir, name), hash: sha(body) });
  }
  const pre = new AbortController();
  pre.abort();
  await expect(extractTexts(files, { config, workers: 2, signal: pre.signal })).rejects.toThrow('interrupted');
  expect(runningWorkers()).toBe(0);

  const ac = new AbortController();
  let done = 0;
  const run = extractTexts(files, {
    config,
    workers: 2,
    signal: ac.signal,
    onProgress: (n) => {
      done = n;
      ac.abort();
    },
  });
  await expect(run).rejects.toThrow('interrupted');
  expect(runningWorkers()).toBe(0);
  expect(done).toBeGreaterThan(0);
  expect(done).toBeLessThan(files.length);
});

test('the worker script is bundled once; a damaged manifest, or one naming another file, is rebuilt, never followed', async () => {
  const out = await ensureWorkerScript();
  expect(out).toMatch(/[\\/]dist[\\/]extract-worker[\\/]worker-[0-9a-f]{16}\.mjs$/);
  expect(existsSync(out)).toBe(true);
  const manifest = join(dirname(out), 'manifest.json');
  const inputs = (JSON.parse(await readFile(manifest, 'utf8')) as { inputs: Array<[string, number, number]> }).inputs.map((i) => i[0]);
  expect(inputs).toContain(join(REPO, 'stages', 'extract', 'worker.ts'));
  expect(inputs).toContain(join(REPO, 'stages', 'extract', 'extractFile.ts'));
  for (const bad of [
    '{"out": 1',
    JSON.stringify({ out: join(REPO, 'pipeline.ts'), inputs: [] }),
    JSON.stringify({ out, inputs: [[join(REPO, 'stages', 'extract', 'worker.ts'), 0, 1]] }),
  ]) {
    await writeFile(manifest, bad);
    expect(await ensureWorkerScript()).toBe(out);
    expect(JSON.parse(await readFile(manifest, 'utf8'))).toMatchObject({ out, inputs: expect.arrayContaining([expect.any(Array)]) });
  }
});
