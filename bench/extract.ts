// Bench of the extract stage: throughput against the old algorithm on the same generated corpus,
// peak RSS, and the time to re-extract after adding one file to a 5,000-file corpus through the
// stage's incremental path. Generated corpora live under os.tmpdir() and are removed afterwards.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { StageContext } from '../src/api.js';
import { configSchema, fileOptions } from '../stages/extract/config.js';
import { extractFile } from '../stages/extract/extractFile.js';
import { stage } from '../stages/extract/stage.js';
import { oldExtract } from './oldExtract.js';

const root = process.env.PIPELINE_PACKAGE_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '..');

/** N files made from the bundled pieces, each made unique so nothing dedups away. */
async function makeCorpus(dir: string, n: number): Promise<string[]> {
  const srcDir = join(root, 'Eyjafjalla_data', 'tongren');
  const pieces: string[] = [];
  for (const f of (await readdir(srcDir)).sort()) {
    const b = await readFile(join(srcDir, f));
    const text = f.startsWith('05_') ? new TextDecoder('gb18030').decode(b) : new TextDecoder().decode(b);
    pieces.push(text.replace(/^\ufeff/, '').replace(/\r\n/g, '\n'));
  }
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `f${String(i).padStart(5, '0')}.txt`;
    const body = `${pieces[i % pieces.length]!}\n\n***\n\n博士问：“第${i}次观测的结果如何？”\n艾雅法拉说：“第${i}次观测一切正常哦，前辈可以放心。”\n`;
    await writeFile(join(dir, name), body);
    names.push(name);
  }
  return names;
}

function fakeCtx(ws: string, deps: Array<{ path: string; hash: string }>, config: unknown): StageContext {
  const noop = () => undefined;
  return {
    name: 'extract',
    workspace: ws,
    key: 'bench',
    shortKey: 'bench',
    param: <T>() => config as T,
    params: { get: () => undefined as never, all: {} },
    out: (rel: string) => join(ws, 'staging', rel),
    outs: [],
    stagingDir: join(ws, 'staging'),
    stageCacheDir: join(ws, 'stage-cache'),
    deps,
    gpus: [],
    env: {},
    signal: new AbortController().signal,
    log: noop,
    progress: noop,
    exec: () => Promise.reject(new Error('not in bench')),
    spawn: () => {
      throw new Error('not in bench');
    },
    hashFile: () => Promise.reject(new Error('not in bench')),
  };
}

export async function bench(args: string[]): Promise<void> {
  const files = Number(args.find((a) => a.startsWith('--files='))?.slice(8) ?? 5000);
  const ws = await mkdtemp(join(tmpdir(), 'pl-bench-extract-'));
  try {
    const inputRel = 'corpus';
    const names = await makeCorpus(join(ws, inputRel), files);
    const bufs = await Promise.all(names.map((n) => readFile(join(ws, inputRel, n))));
    const mb = bufs.reduce((s, b) => s + b.length, 0) / 1e6;
    const config = configSchema.parse({ input_dir: inputRel });
    const opts = fileOptions(config);

    const skipThroughput = args.includes('--incremental-only');
    // Throughput, one core, files already in memory (both sides the same).
    const time = (f: () => void) => {
      const t0 = performance.now();
      f();
      return (performance.now() - t0) / 1000;
    };
    if (!skipThroughput) {
    time(() => bufs.slice(0, 50).forEach((b) => extractFile(b, opts)));
    time(() => bufs.slice(0, 50).forEach((b) => oldExtract(b)));
    let samples = 0;
    const tNew = time(() => {
      for (const b of bufs) samples += extractFile(b, opts).samples.length;
    });
    let oldSamples = 0;
    const tOld = time(() => {
      for (const b of bufs) oldSamples += oldExtract(b).samples.length;
    });
    console.log(`extract: corpus ${files} files, ${mb.toFixed(1)} MB (generated under ${tmpdir()})`);
    console.log(`extract: throughput new ${(mb / tNew).toFixed(1)} MB/s (${samples} samples), old algorithm (TS reimplementation) ${(mb / tOld).toFixed(1)} MB/s (${oldSamples} samples); ratio ${(tOld / tNew).toFixed(2)}x`);
    }

    // Incremental path: the stage itself, with deps as the engine hands them (content hashes).
    const deps = names.map((n, i) => ({ path: `${inputRel}/${n}`, hash: createHash('sha256').update(bufs[i]!).digest('hex') }));
    await mkdir(join(ws, 'stage-cache'), { recursive: true });
    let t0 = performance.now();
    await stage.run(fakeCtx(ws, deps, config));
    const cold = (performance.now() - t0) / 1000;
    const extra = `${inputRel}/zz_new.txt`;
    const body = '博士问：“新的一篇怎么样？”\n艾雅法拉说：“新的一篇也写得很好哦，前辈。”\n';
    await writeFile(join(ws, extra), body);
    const deps2 = [...deps, { path: extra, hash: createHash('sha256').update(body).digest('hex') }];
    t0 = performance.now();
    await stage.run(fakeCtx(ws, deps2, config));
    const warm = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await stage.run(fakeCtx(ws, deps2, config));
    const again = (performance.now() - t0) / 1000;
    console.log(`extract: stage run over ${files} files cold ${cold.toFixed(2)} s; after adding one file ${warm.toFixed(3)} s, unchanged rerun ${again.toFixed(3)} s (per-file cache; hashing is the engine's stat cache, not included)`);
    console.log(`extract: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    await rm(ws, { recursive: true, force: true });
  }
}
