// A driver for profiling the extractor alone: `node --cpu-prof --cpu-prof-dir=DIR bin/pipeline.js
// --exec bench/extract-profile.ts [--files=2000] [--reps=3] [--pieces=1]` runs extractFile over the bench's
// generated corpus (--pieces=K: files of K bundled pieces, as in bench/extract.ts) (files already in memory) and prints the CPU time per rep. With
// --profile=FILE.cpuprofile, only the reps after the first (warm code) are profiled, in-process.
import { Session } from 'node:inspector/promises';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, fileOptions } from '../stages/extract/config.js';
import { extractFile } from '../stages/extract/extractFile.js';
import { makeCorpus } from './extractCorpus.js';
import { runBenchMain } from './lib/benchError.js';

async function main(args: string[]): Promise<void> {
  const files = Number(args.find((a) => a.startsWith('--files='))?.slice(8) ?? 2000);
  const reps = Number(args.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3);
  const dir = await mkdtemp(join(tmpdir(), 'pl-extract-profile-'));
  try {
    const pieces = Number(args.find((a) => a.startsWith('--pieces='))?.slice(9) ?? 1);
    const names = await makeCorpus(dir, files, pieces);
    const bufs = await Promise.all(names.map((n) => readFile(join(dir, n))));
    const mb = bufs.reduce((s, b) => s + b.length, 0) / 1e6;
    const opts = fileOptions(configSchema.parse(undefined));
    const profile = args.find((a) => a.startsWith('--profile='))?.slice(10);
    const session = profile ? new Session() : undefined;
    for (let r = 0; r < reps; r++) {
      if (session && r === 1) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      const c0 = process.cpuUsage();
      let samples = 0;
      for (const b of bufs) samples += extractFile(b, opts).samples.length;
      const c = process.cpuUsage(c0);
      const s = (c.user + c.system) / 1e6;
      console.log(`extract profile: rep ${r + 1}: ${files} files, ${mb.toFixed(1)} MB, ${s.toFixed(2)} s CPU, ${(mb / s).toFixed(1)} MB/s, ${samples} samples`);
    }
    if (session && profile) {
      const { profile: p } = await session.post('Profiler.stop');
      await writeFile(profile, JSON.stringify(p));
      session.disconnect();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await runBenchMain(() => main(process.argv.slice(2)));
