// The engine benchmark's corpus: many small UTF-8 text files of original, in-character lines
// (written for this project), generated deterministically from a seed.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const LINES = [
  '今天的岩浆样本比预想的更烫一些，先记下来，回去再慢慢核对。',
  '老师说过，火山从不说谎，它只是说得很慢，要耐心地听。',
  '观测仪的读数我抄了三遍，第三遍终于和前两遍对上了。',
  '风从火山口那边吹过来，带着硫磺的气味，还有一点点说不清的甜。',
  '这块浮石轻得像一片云，我想把它带回去给大家看看。',
  '笔记本又写满了一本，下一本就用蓝色封面的吧。',
  '地震仪的曲线今晚很安静，大家可以睡个好觉了。',
  '咳……没事的，只是今天的火山灰稍微多了一点。',
  '如果能听懂大地的声音，就能早一点告诉大家哪里危险。',
  '前辈们留下的数据，我会一页一页认真地接着写下去。',
  '今天学会了用新的公式估算喷发柱的高度，误差比上次小多了。',
  '热茶放凉了也没关系，比起茶，今天的观测更重要。',
  '下一次野外考察，一定要记得多带一组备用电池。',
  '岩层的颜色一层一层叠在一起，像一本摊开的历史书。',
  '请不要担心我，我会照顾好自己，也会照顾好这些仪器。',
  '火山口边上的石头还是温的，我把手套摘下来摸了一下，又赶紧戴上了。',
  '把采样瓶的标签重新写了一遍，字迹终于能看清楚了。',
  '今晚的星星很多，可惜火山灰把一半都遮住了。',
  '熔岩流动的时候会发出很轻的声音，像是在自言自语。',
  '明天要把这周的记录整理成报告，希望能对大家有帮助。',
];

/** mulberry32: a tiny deterministic PRNG, enough for reproducible test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** File name of corpus file number `i`: `0000.txt` … (4 digits, wider past 9999). */
export function corpusFileName(i: number): string {
  return `${String(i).padStart(4, '0')}.txt`;
}

/**
 * One corpus file: a heading and in-character lines until at least `minBytes` (UTF-8), every line
 * ending with `\n`.
 */
export function corpusFileText(title: string, rand: () => number, minBytes: number): string {
  const lines = [`# 观测笔记 ${title}`];
  let bytes = Buffer.byteLength(lines[0] as string) + 1;
  while (bytes < minBytes) {
    const line = LINES[Math.floor(rand() * LINES.length)] as string;
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** The bytes of every corpus file, in name order: sizes from ~200 B to ~4 KB. */
export function corpusFiles(count: number, seed = 20240901): Array<{ name: string; text: string }> {
  const rand = seededRandom(seed);
  const files: Array<{ name: string; text: string }> = [];
  for (let i = 0; i < count; i++) {
    const minBytes = 200 + Math.floor(rand() * rand() * 3900);
    files.push({ name: corpusFileName(i), text: corpusFileText(String(i), rand, minBytes) });
  }
  return files;
}

/** Writes `files` into `dir` (created), a bounded number at a time. */
export async function writeCorpus(dir: string, files: ReadonlyArray<{ name: string; text: string }>, parallel = 64): Promise<void> {
  await mkdir(dir, { recursive: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++] as { name: string; text: string };
      await writeFile(join(dir, f.name), f.text);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, files.length) }, worker));
}

/** Line count (newlines) and character count (UTF-8 code points) of a text, as `wc -l` / `wc -m`. */
export function countLinesAndChars(buf: Buffer): { lines: number; chars: number } {
  let lines = 0;
  let chars = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i] as number;
    if (b === 0x0a) lines += 1;
    if ((b & 0xc0) !== 0x80) chars += 1;
  }
  return { lines, chars };
}

/**
 * A file to add to the corpus: a heading with `tag` and exactly `lineCount` in-character lines.
 * Distinct line counts give distinct `wc -l` totals, so every added file changes what depends on
 * the counts (no run cache can answer for it).
 */
export function addedFileText(tag: string, lineCount: number): string {
  const lines = [`# 新增笔记 ${tag}`];
  for (let i = 0; i < lineCount; i++) lines.push(LINES[i % LINES.length] as string);
  return `${lines.join('\n')}\n`;
}
