import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonStreamError, readJsonArray } from '../../stages/register/jsonArrayStream.js';
import { makeTempDir } from '../helpers/tempDirs.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('pl-jsonarr-');
});

async function collect(text: string, highWaterMark?: number) {
  const file = join(dir, `f${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, text);
  const out: Array<{ index: number; line: number; col: number; value: unknown; raw: string }> = [];
  for await (const el of readJsonArray(file, { highWaterMark })) out.push(el);
  return out;
}

async function failure(text: string): Promise<JsonStreamError> {
  try {
    await collect(text);
  } catch (e) {
    if (e instanceof JsonStreamError) return e;
    throw e;
  }
  throw new Error('expected a JsonStreamError');
}

describe('readJsonArray', () => {
  const text = '\ufeff[\n  {"a": "x\\"}]", "b": [1, {"c": "中文，火山"}]},\n  3, "s\\\\", null ,\n  {"d":{}}\n]\n';

  it.each([1, 2, 3, 7, 1 << 16])('yields every element with its position regardless of chunk size %i', async (hwm) => {
    const els = await collect(text, hwm);
    expect(els.map((e) => e.value)).toEqual([{ a: 'x"}]', b: [1, { c: '中文，火山' }] }, 3, 's\\', null, { d: {} }]);
    expect(els.map((e) => [e.index, e.line, e.col])).toEqual([
      [0, 2, 3],
      [1, 3, 3],
      [2, 3, 6],
      [3, 3, 13],
      [4, 4, 3],
    ]);
    expect(els[0]!.raw).toBe('{"a": "x\\"}]", "b": [1, {"c": "中文，火山"}]}');
  });

  it('accepts an empty array', async () => {
    expect(await collect('[ ]')).toEqual([]);
  });

  it('rejects a top level that is not an array, with line and column', async () => {
    const e = await failure('\n  {"conversations": []}');
    expect([e.line, e.col]).toEqual([2, 3]);
    expect(e.message).toMatch(/expected a JSON array/);
  });

  it('points at the element that is not valid JSON', async () => {
    const e = await failure('[\n  {"a": 1},\n  {"b": }\n]');
    expect(e.message).toBe('element 1 is not valid JSON: expected a value, found "}"');
    expect([e.line, e.col]).toEqual([3, 9]);
  });

  it('points inside a multi-line element', async () => {
    const e = await failure('[\n  {\n    "a": "火山",\n    "b" 1\n  }\n]');
    expect(e.message).toBe('element 0 is not valid JSON: expected ":", found "1"');
    expect([e.line, e.col]).toEqual([4, 9]);
  });

  it('reports a truncated file at the start of the unfinished element', async () => {
    const e = await failure('[\n  {"a": 1},\n  {"b": [1, 2');
    expect(e.message).toMatch(/ends before the top-level array is closed inside element 1/);
    expect([e.line, e.col]).toEqual([3, 3]);
  });

  it('rejects a trailing comma, a missing comma and trailing garbage', async () => {
    expect((await failure('[1,\n]')).message).toMatch(/trailing comma/);
    expect((await failure('[{"a":1} {"b":2}]')).message).toMatch(/expected "," or "]" after element 0/);
    const garbage = await failure('[1]\nx');
    expect(garbage.message).toMatch(/after the end of the top-level array/);
    expect([garbage.line, garbage.col]).toEqual([2, 1]);
  });

  it('rejects an element that is not UTF-8', async () => {
    const file = join(dir, 'latin1.json');
    await writeFile(file, Buffer.concat([Buffer.from('[\n  "ok",\n  "caf'), Buffer.from([0xe9]), Buffer.from('"\n]')]));
    const err = await (async () => {
      for await (const _ of readJsonArray(file));
    })().then(
      () => undefined,
      (e: unknown) => e as JsonStreamError,
    );
    expect(err?.message).toBe('element 1 is not valid UTF-8 text (save the file as UTF-8)');
    expect([err?.line, err?.col]).toEqual([3, 3]);
  });

  it('rejects an empty file', async () => {
    expect((await failure('')).message).toMatch(/empty/);
  });
});
