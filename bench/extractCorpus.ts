// The extract benches' generated corpus: N files made from the bundled pieces
// (Eyjafjalla_data/tongren), each made unique so nothing dedups away. Shared by bench/extract.ts
// and the test that runs both ports of the old algorithm on the same files.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

const root = process.env.PIPELINE_PACKAGE_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '..');

/**
 * Writes `n` files `fNNNNN.txt` (UTF-8) into `dir`; returns their names in order. Each file is
 * `pieces` consecutive bundled pieces (about 2 KB each) and a closing exchange of its own.
 */
export async function makeCorpus(dir: string, n: number, pieces = 1): Promise<string[]> {
  const srcDir = join(root, 'Eyjafjalla_data', 'tongren');
  const texts: string[] = [];
  for (const f of (await readdir(srcDir)).sort()) {
    const b = await readFile(join(srcDir, f));
    const text = f.startsWith('05_') ? new TextDecoder('gb18030').decode(b) : new TextDecoder().decode(b);
    texts.push(text.replace(/^\ufeff/, '').replace(/\r\n/g, '\n'));
  }
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `f${String(i).padStart(5, '0')}.txt`;
    const head = Array.from({ length: pieces }, (_, k) => texts[(i * pieces + k) % texts.length]!).join('\n\n***\n\n');
    const body = `${head}\n\n***\n\n博士问：“第${i}次观测的结果如何？”\n艾雅法拉说：“第${i}次观测一切正常哦，前辈可以放心。”\n`;
    await writeFile(join(dir, name), body);
    names.push(name);
  }
  return names;
}
