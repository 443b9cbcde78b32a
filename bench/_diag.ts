import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema, fileOptions } from '../stages/extract/config.js';
import { decodeBytes } from '../stages/extract/decode.js';
import { analyzeText } from '../stages/extract/extractFile.js';
import { loadGold } from '../test/extract/goldEval.js';
const opts = fileOptions(configSchema.parse(undefined));
const dir = join('test/extract/gold2/tune');
const squash = (s: string) => s.replace(/[\s\u3000“”‘’「」『』"']+/g, '');
const tally: Record<string, number> = {};
const show = process.argv.includes('--show');
for (const gold of loadGold(join(dir, 'labels'))) {
  const dec = decodeBytes(readFileSync(join(dir, 'texts', gold.file)));
  if (!dec.ok) continue;
  const a = analyzeText(dec.text, opts);
  const utts = a.segmented.utterances;
  const used = new Set<number>();
  for (const w of a.windows) for (const t of w) for (const id of t.sources) used.add(id);
  const goldSp = (u: { text: string }) => gold.utterances.find((g) => squash(g.text).includes(squash(u.text)))?.speaker;
  const sp = utts.filter((u) => u.kind === 'speech');
  for (let i = 0; i < sp.length; i++) {
    const u = sp[i]!;
    if (u.speaker !== 'persona' || used.has(u.id)) continue;
    if (goldSp(u) !== 'persona') continue;
    // reason: what precedes it in the same scene
    const prev = sp[i - 1];
    let why: string;
    if (!prev || prev.scene !== u.scene) why = 'scene-start';
    else if (prev.speaker === null) why = 'prev-uncertain';
    else if (prev.speaker === 'persona') why = 'prev-hers(chain)';
    else why = `prev-${prev.speaker.startsWith('other') ? 'other' : prev.speaker}`;
    if (u.text.length < 12) why += ' short';
    tally[why] = (tally[why] ?? 0) + 1;
    if (show) console.log(gold.file, why, '|', prev ? `[${prev.speaker}] ${prev.text.slice(0, 30)}` : '-', '|', u.text.slice(0, 40));
  }
}
console.log(tally);
