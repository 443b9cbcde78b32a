// Everything the extractor produces on a fixed set of inputs, as JSON lines, so that a change meant
// to be output-preserving (a speed-up) can be checked byte for byte against the output before it:
//   node bin/pipeline.js --exec bench/extract-snapshot.ts OUT.jsonl
//   … change …
//   node bin/pipeline.js --exec bench/extract-snapshot.ts OUT2.jsonl && cmp OUT.jsonl OUT2.jsonl
// Inputs: the bench's generated corpus (bench/extractCorpus.ts), the bundled texts, gold2's tune
// texts (never heldout), and variants of them that reach the rarer paths (CRLF + BOM, UTF-16, paragraphs
// run together into walls of text, unclosed quotes, NUL bytes, 「」/『』/"" quotes); each under three
// option sets. Per input: the file result (samples + report) and every utterance and paragraph.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { configSchema, fileOptions, type FileOptions } from '../stages/extract/config.js';
import { decodeBytes } from '../stages/extract/decode.js';
import { analyzeText, extractFile } from '../stages/extract/extractFile.js';
import { makeCorpus } from './extractCorpus.js';
import { BenchError, runBenchMain } from './lib/benchError.js';

const root = process.env.PIPELINE_PACKAGE_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '..');

async function readDir(dir: string, prefix: string): Promise<Array<[string, Uint8Array]>> {
  const names = (await readdir(dir)).sort();
  return Promise.all(names.map(async (n): Promise<[string, Uint8Array]> => [`${prefix}/${n}`, await readFile(join(dir, n))]));
}

/** Variants of a text that reach the rarer paths of decode, normalize and segment. */
function variants(name: string, text: string): Array<[string, Uint8Array]> {
  const enc = (s: string) => new TextEncoder().encode(s);
  let k = 0;
  const unclosed = text.replace(/”/g, (q) => (++k % 7 === 0 ? '' : q));
  return [
    [`${name}#crlf-bom`, enc(`\ufeff${text.replace(/\n/g, '\r\n')}`)],
    [`${name}#wall`, enc(text.replace(/\n+/g, ''))],
    [`${name}#unclosed`, enc(unclosed)],
    [`${name}#nul`, enc(text.replace(/。/g, (m) => (++k % 5 === 0 ? '。\u0000' : m)))],
    [`${name}#corner`, enc(text.replace(/“/g, '「').replace(/”/g, '」'))],
    [`${name}#ascii-quotes`, enc(text.replace(/[“”]/g, '"'))],
    [`${name}#spaces`, enc(text.replace(/\n/g, '\n\u3000\u3000 '))],
    [`${name}#utf16`, Buffer.from(`\ufeff${text}`, 'utf16le')],
  ];
}

const OPTION_SETS: Array<[string, FileOptions]> = [
  ['default', fileOptions(configSchema.parse(undefined))],
  ['nsfw-no-others-anchor', fileOptions(configSchema.parse({ allow_nsfw: true, reply_to_others: false, require_anchor: true }))],
  ['short-paragraphs', fileOptions(configSchema.parse({ max_paragraph_chars: 300, max_turns: 3, min_assistant_chars: 2 }))],
];

async function main(args: string[]): Promise<void> {
  const out = args[0];
  if (!out) throw new BenchError('usage: --exec bench/extract-snapshot.ts OUT.jsonl', 2);
  const scratch = await mkdtemp(join(tmpdir(), 'pl-extract-snapshot-'));
  try {
    await makeCorpus(join(scratch, 'corpus'), 30);
    const inputs = [
      ...(await readDir(join(scratch, 'corpus'), 'corpus')),
      ...(await readDir(join(root, 'Eyjafjalla_data', 'tongren'), 'tongren')),
      ...(await readDir(join(root, 'test', 'extract', 'gold2', 'tune', 'texts'), 'tune')),
    ];
    for (const [name, bytes] of [...inputs]) {
      const dec = decodeBytes(bytes);
      if (dec.ok && !name.startsWith('corpus/')) inputs.push(...variants(name, dec.text));
    }
    const lines: string[] = [];
    for (const [optName, o] of OPTION_SETS)
      for (const [name, bytes] of inputs) {
        const result = extractFile(bytes, o);
        const dec = decodeBytes(bytes);
        const a = dec.ok ? analyzeText(dec.text, o) : undefined;
        lines.push(
          JSON.stringify({
            input: name,
            options: optName,
            result,
            utterances: a?.segmented.utterances,
            scenes: a?.segmented.scenes,
            nsfw: a ? [...a.nsfwUtterances] : undefined,
          }),
        );
      }
    await writeFile(out, `${lines.join('\n')}\n`);
    console.log(`extract snapshot: ${inputs.length} inputs × ${OPTION_SETS.length} option sets → ${out}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

await runBenchMain(() => main(process.argv.slice(2)));
