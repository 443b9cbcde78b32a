// The product's list of LLaMA-Factory keys (stages/train/lfKeys.ts, for `pipeline init`) and the
// train/chat doubles' list (test/doubles/lf-keys.mjs) are the same facts: they must not drift.
import { join } from 'node:path';
import { LF_INFER_KEYS, LF_TRAIN_KEYS } from '../../stages/train/lfKeys.js';
import { DOUBLES } from './fixtures.js';

test('init knows exactly the keys the doubles accept, for train and for chat/api', async () => {
  const lf = (await import(join(DOUBLES, 'lf-keys.mjs'))) as { TRAIN_ACCEPTED: Set<string>; INFER_ACCEPTED: Set<string> };
  expect([...LF_TRAIN_KEYS].sort()).toEqual([...lf.TRAIN_ACCEPTED].sort());
  expect([...LF_INFER_KEYS].sort()).toEqual([...lf.INFER_ACCEPTED].sort());
  expect(LF_TRAIN_KEYS.has('lora_rnak')).toBe(false);
});
