// Speaker attribution scored against the hand-labelled gold set, next to the old algorithm.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { oldExtract } from '../../bench/oldExtract.js';
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { decodeBytes } from '../../stages/extract/decode.js';
import { extractFile } from '../../stages/extract/extractFile.js';
import { REPO } from '../helpers/workspace.js';
import { loadGold, predictionsOf, scoreFile, summarize, type Prediction, type Score } from './goldEval.js';

const CORPUS = join(REPO, 'Eyjafjalla_data', 'tongren');
const opts = fileOptions(configSchema.parse(undefined));
const gold = loadGold();

function ours(file: string): { attributed: Prediction[]; inSamples: Prediction[] } {
  const dec = decodeBytes(readFileSync(join(CORPUS, file)));
  if (!dec.ok) throw new Error(`${file}: ${dec.reason}`);
  return predictionsOf(dec.text, opts);
}

describe('gold set', () => {
  test('has the documented variety: ≥ 8 files, GB18030 and BOM+CRLF among them', () => {
    expect(gold.length).toBeGreaterThanOrEqual(8);
    const encodings = gold.map((g) => decodeBytes(readFileSync(join(CORPUS, g.file))));
    expect(encodings.map((e) => (e.ok ? e.encoding : e.reason))).toEqual(gold.map((g) => g.encoding));
    expect(gold.map((g) => g.encoding)).toEqual(expect.arrayContaining(['gb18030', 'utf-8-bom']));
    expect(readFileSync(join(CORPUS, gold.find((g) => g.encoding === 'utf-8-bom')!.file)).includes('\r\n')).toBe(true);
  });

  test('attribution meets the floors (gpt precision ≥ 0.95, recall ≥ 0.70, human precision ≥ 0.90), no other character in gpt', () => {
    let acc: Score | undefined;
    let accSamples: Score | undefined;
    let accOld: Score | undefined;
    for (const g of gold) {
      const o = ours(g.file);
      acc = scoreFile(g, o.attributed, acc);
      accSamples = scoreFile(g, o.inSamples, accSamples);
      accOld = scoreFile(g, oldExtract(readFileSync(join(CORPUS, g.file))).decisions, accOld);
    }
    const mine = summarize(acc!);
    const inSamples = summarize(accSamples!);
    const old = summarize(accOld!);
    console.log(
      `gold set (${gold.length} files)\n  new, attributed: ${JSON.stringify(mine)}\n  new, in samples: ${JSON.stringify(inSamples)}\n  old algorithm:   ${JSON.stringify(old)}`,
    );
    expect(mine.gpt_precision).toBeGreaterThanOrEqual(0.95);
    expect(mine.gpt_recall).toBeGreaterThanOrEqual(0.7);
    expect(mine.human_precision).toBeGreaterThanOrEqual(0.9);
    expect(mine.gpt_lines_of_others).toBe(0);
    expect(inSamples.gpt_precision).toBeGreaterThanOrEqual(0.95);
    expect(inSamples.human_precision).toBeGreaterThanOrEqual(0.9);
    expect(inSamples.gpt_lines_of_others).toBe(0);
    // The comparison is only meaningful if the old algorithm really does worse on this set.
    expect(old.gpt_precision).toBeLessThan(mine.gpt_precision);
  });

  test.each(gold.map((g) => g.file))('%s yields samples that start with human, alternate and end with gpt', (file) => {
    const res = extractFile(readFileSync(join(CORPUS, file)), opts);
    expect(res.report.status).toBe('ok');
    expect(res.samples.length).toBeGreaterThan(0);
    for (const s of res.samples) {
      expect(s.length % 2).toBe(0);
      expect(s.length).toBeLessThanOrEqual(opts.max_turns);
      expect(s.every((t) => t.trim() !== '')).toBe(true);
    }
    // With the anchor gate on, every sample has the honorific in one of her turns.
    const gated = extractFile(readFileSync(join(CORPUS, file)), { ...opts, require_anchor: true });
    for (const s of gated.samples) expect(s.some((t, i) => i % 2 === 1 && t.includes('前辈'))).toBe(true);
  });
});
