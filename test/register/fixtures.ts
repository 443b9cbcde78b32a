// Small ShareGPT samples for the register tests (original text written for this project).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A dataset_info.json in the shape of LLaMA-Factory's own: foreign entries of many kinds plus a
 * hand-written eyjafjalla_sft entry (a copy of data/dataset_info.json as committed, so a pipeline
 * run in the repo, which publishes into data/, cannot change what the tests start from).
 */
export const FOREIGN_INFO = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'dataset_info.json');
export type Turn = { from: string; value: string };

export function sample(turns: Array<[string, string]>, system?: string): Record<string, unknown> {
  const s: Record<string, unknown> = {};
  if (system !== undefined) s.system = system;
  s.conversations = turns.map(([from, value]) => ({ from, value }));
  return s;
}

export const GOOD_A = sample([
  ['human', '前辈今天去哪里了？'],
  ['gpt', '我去火山口附近测量了地表温度，数据比上个月高了一点点。'],
]);
export const GOOD_B = sample(
  [
    ['human', '能讲讲玄武岩吗？'],
    ['gpt', '玄武岩是岩浆在地表很快冷却形成的，颜色深，颗粒细。'],
    ['human', '它常见吗？'],
    ['gpt', '非常常见，洋底的大部分地壳都是玄武岩哦，前辈。'],
  ],
  '你是艾雅法拉。',
);
export const GOOD_C = sample([
  ['human', '晚安。'],
  ['gpt', '晚安，前辈，明天见。'],
]);

/** 2-space JSON array text, one sample per element, as LLaMA-Factory datasets usually look. */
export function datasetText(samples: unknown[]): string {
  return `${JSON.stringify(samples, null, 2)}\n`;
}
