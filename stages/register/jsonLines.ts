// Streams the samples of a JSON Lines dataset (one JSON value per line, blank lines skipped), the
// other layout LLaMA-Factory loads for `.jsonl` files, as the same elements readJsonArray yields.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { JsonStreamError, type ArrayElement } from './jsonArrayStream.js';

export async function* readJsonLines(file: string): AsyncGenerator<ArrayElement> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  let index = 0;
  for await (let raw of lines) {
    lineNo++;
    if (lineNo === 1) raw = raw.replace(/^\uFEFF/, '');
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new JsonStreamError(`not valid JSON (JSON Lines: one sample per line): ${(err as Error).message}`, lineNo, 1);
    }
    yield { index: index++, line: lineNo, col: 1, raw: raw.trim(), value };
  }
}
