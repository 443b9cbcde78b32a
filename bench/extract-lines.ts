// Line-by-line view of the extractor on the tune half of gold2 (never heldout: see
// test/extract/gold2/README.md): each gold utterance with its label, the extractor's speaker and
// rule, and the role it has in emitted samples.
//   node bin/pipeline.js --exec bench/extract-lines.ts [NN ...]
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { configSchema, fileOptions } from '../stages/extract/config.js';
import { decodeBytes } from '../stages/extract/decode.js';
import { analyzeText } from '../stages/extract/extractFile.js';
import { loadGold } from '../test/extract/goldEval.js';
import { BenchError, runBenchMain } from './lib/benchError.js';

const root = process.env.PIPELINE_PACKAGE_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '..');
const TUNE = join(root, 'test', 'extract', 'gold2', 'tune');
const opts = fileOptions(configSchema.parse(undefined));
const squash = (s: string) => s.replace(/[\s\u3000“”‘’「」『』"']+/g, ''); // (as goldEval.ts)

async function main(args: string[]): Promise<void> {
  for (const gold of loadGold(join(TUNE, 'labels'))) {
    if (args.length && !args.some((a) => gold.file.startsWith(a))) continue;
    const dec = decodeBytes(readFileSync(join(TUNE, 'texts', gold.file)));
    if (!dec.ok) throw new BenchError(`${gold.file}: cannot decode`);
    const a = analyzeText(dec.text, opts);
    const role = new Map<number, string>();
    for (const w of a.windows) for (const t of w) for (const id of t.sources) role.set(id, t.role);
    process.stdout.write(`== ${gold.file}\n`);
    const utts = a.segmented.utterances;
    let cursor = 0;
    for (const g of gold.utterances) {
      const key = squash(g.text);
      let hit = -1;
      for (let k = cursor; k < utts.length && hit < 0; k++) if (key.includes(squash(utts[k]!.text)) && squash(utts[k]!.text)) hit = k;
      const u = hit >= 0 ? utts[hit] : undefined;
      if (hit >= 0) cursor = hit + 1;
      const sp = u ? `${u.kind === 'speech' ? (u.speaker ?? '?') : u.kind}` : 'MISSING';
      const ok = u && (u.speaker === g.speaker || (g.speaker.startsWith('other') && u.speaker?.startsWith('other'))) ? ' ' : '!';
      process.stdout.write(
        `${ok} L${u?.line ?? '-'} gold=${g.speaker.padEnd(10)} got=${sp.padEnd(10)} ${(u?.rule ?? '').padEnd(16)} ${(role.get(u?.id ?? -1) ?? '-').padEnd(5)} ${g.text.slice(0, 40)}\n`,
      );
    }
    process.stdout.write(`   drops ${JSON.stringify(Object.fromEntries(Object.entries(a.drops).filter(([, v]) => v)))}\n`);
  }
}

await runBenchMain(() => main(process.argv.slice(2)));
