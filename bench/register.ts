// Benchmark of the register stage's validation: generates a ShareGPT dataset of about 200 MB under
// os.tmpdir() and validates it with the same streaming scanner the stage uses, printing the time and
// the peak RSS. Run alone: `node bin/pipeline.js --exec bench/register-main.ts [size-MB]`.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuplicateIndex } from '../stages/register/duplicateIndex.js';
import { scanDataset } from '../stages/register/scanDataset.js';

const PHRASES = [
  '前辈，今天的观测数据已经整理好了。',
  '火山口附近的地表温度比昨天高了零点三度。',
  '请记得戴好护目镜，降灰还没有停。',
  '我把岩石样本按采集地点重新编了号。',
  '板块移动得很慢，可是从来没有停下来过。',
  '热可可已经泡好了，前辈要不要休息一下？',
];

function turnText(seed: number, words: number): string {
  let s = `#${seed} `;
  for (let k = 0; k < words; k++) s += PHRASES[(seed * 7 + k * 3) % PHRASES.length]!;
  return s;
}

/** Writes a JSON array of ShareGPT samples of roughly `bytes` bytes; returns the sample count. */
export async function generateDataset(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  let written = 0;
  let n = 0;
  const put = async (text: string) => {
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await put('[\n');
  while (written < bytes) {
    const turns = 2 + 2 * (n % 3);
    const conversations = Array.from({ length: turns }, (_, t) => ({ from: t % 2 === 0 ? 'human' : 'gpt', value: turnText(n * 10 + t, 2 + ((n + t) % 9)) }));
    const sample = n % 4 === 0 ? { system: '你是艾雅法拉，罗德岛的火山学家。', conversations } : { conversations };
    await put(`${n === 0 ? '' : ',\n'}${JSON.stringify(sample, null, 2).replace(/^/gm, '  ')}`);
    n++;
  }
  out.end('\n]\n');
  await once(out, 'close');
  return n;
}

export async function bench(args: string[]): Promise<void> {
  const megabytes = Number(args[0] ?? 200);
  const dir = await mkdtemp(join(tmpdir(), 'pl-bench-register-'));
  try {
    const file = join(dir, 'big_sft.json');
    const t0 = performance.now();
    const generated = await generateDataset(file, megabytes * 1024 * 1024);
    const size = (await stat(file)).size;
    const t1 = performance.now();
    console.log(`register bench: generated ${generated} samples, ${(size / 1048576).toFixed(1)} MB in ${((t1 - t0) / 1000).toFixed(1)} s`);
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const rssBefore = process.resourceUsage().maxRSS * 1024;
    const cpuBefore = process.cpuUsage();
    const scan = await scanDataset({
      name: 'big',
      file,
      displayFile: file,
      onInvalid: 'fail',
      duplicates: new DuplicateIndex(),
    });
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const t2 = performance.now();
    const s = (t2 - t1) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    console.log(
      `register bench: validated ${scan.samples} samples (${scan.invalidSamples} invalid, ${scan.duplicatesWithin.length} duplicates, ` +
        `chars/turn p95 ${scan.charsPerTurn.summary().p95}) in ${s.toFixed(1)} s wall, ${cpuS.toFixed(1)} s CPU = ${(size / 1048576 / s).toFixed(0)} MB/s; ` +
        `peak RSS ${(peak / 1048576).toFixed(0)} MB sampled during validation (process max ${((process.resourceUsage().maxRSS * 1024) / 1048576).toFixed(0)} MB, ${(rssBefore / 1048576).toFixed(0)} MB before it)`,
    );
    if (scan.samples !== generated || scan.fatal)
      throw new Error(`validation disagreed with the generator: ${scan.fatal ?? `${scan.samples} != ${generated}`}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
