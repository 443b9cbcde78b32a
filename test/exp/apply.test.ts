// `exp apply`'s text edit of pipeline.yaml: values replaced where they stand (comments kept), a
// missing key added under its section, a missing section appended, a flow mapping rewritten on its
// line — and nothing else of the file changes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { applyOverridesText } from '../../src/exp/apply.js';
import { REPO } from '../helpers/workspace.js';

const changed = (before: string, after: string) => {
  const [a, b] = [before.split('\n'), after.split('\n')];
  return { removed: a.filter((l) => !b.includes(l)), added: b.filter((l) => !a.includes(l)), lines: b.length - a.length };
};

test('on the bundled pipeline.yaml only the applied keys change, comments and layout kept', () => {
  const text = readFileSync(join(REPO, 'pipeline.yaml'), 'utf8');
  const out = applyOverridesText(text, [
    ['train.lora_rank', 16],
    ['train.lora_alpha', 32],
    ['register.datasets', ['eyjafjalla_sft']],
    ['train.extra.flash_attn', 'fa2'],
    ['inference.temperature', 0.5],
    ['regress.max_cases', 5],
  ]);
  const d = changed(text, out);
  expect(d.removed.map((l) => l.trim().split(/\s+#/)[0])).toEqual([
    'datasets: [eyjafjalla_sft, eyjafjalla_tongren_sft]',
    'lora_rank: 8',
    'extra: {}',
    'max_cases: null',
  ]);
  // The comment after a replaced value stays on its line.
  const rankLine = text.split('\n').find((l) => l.startsWith('  lora_rank: 8 '))!;
  expect(d.added).toContain(rankLine.replace('lora_rank: 8', 'lora_rank: 16'));
  expect(d.added).toContain('  datasets: [eyjafjalla_sft]   # what training uses, in this order');
  expect(d.added.some((l) => /^ {2}extra: \{flash_attn: fa2\} +# any other LLaMA-Factory key/.test(l))).toBe(true);
  // Missing keys go under their section, indented like it.
  expect(d.added).toContain('  lora_alpha: 32');
  expect(d.added).toContain('  temperature: 0.5');
  expect(d.lines).toBe(2);
  const cfg = parse(out) as Record<string, Record<string, unknown>>;
  expect(cfg.train).toMatchObject({ lora_rank: 16, lora_alpha: 32, extra: { flash_attn: 'fa2' } });
  expect(cfg.inference!.temperature).toBe(0.5);
  expect(cfg.register!.datasets).toEqual(['eyjafjalla_sft']);
  expect(cfg.regress!.max_cases).toBe(5);
  // lora_alpha lands inside train:, not after the next section's header.
  const lines = out.split('\n');
  expect(lines.indexOf('  lora_alpha: 32')).toBeLessThan(lines.indexOf('inference:'));
  expect(lines.indexOf('  lora_alpha: 32')).toBeGreaterThan(lines.indexOf('train:'));
});

test('a section the file lacks is appended; an empty file gets the key', () => {
  const text = 'train:\n  lora_rank: 8 # rank\n';
  expect(applyOverridesText(text, [['regress.temperature', 0.2]])).toBe('train:\n  lora_rank: 8 # rank\nregress:\n  temperature: 0.2\n');
  expect(applyOverridesText('', [['train.lora_rank', 4]])).toBe('train:\n  lora_rank: 4\n');
  // A section in the middle keeps its place; the new key follows its last line.
  expect(applyOverridesText('train:\n  a: 1\n\nregress:\n  b: 2\n', [['train.c', 'x y']])).toBe('train:\n  a: 1\n  c: x y\n\nregress:\n  b: 2\n');
});

test('strings that look like YAML syntax are quoted so they read back as strings', () => {
  const out = applyOverridesText('persona:\n  system_prompt: null\n', [['persona.system_prompt', 'a: b # c']]);
  expect((parse(out) as { persona: { system_prompt: string } }).persona.system_prompt).toBe('a: b # c');
  const multi = applyOverridesText('persona:\n  system_prompt: null\n', [['persona.system_prompt', '第一行\n第二行']]);
  expect((parse(multi) as { persona: { system_prompt: string } }).persona.system_prompt).toBe('第一行\n第二行');
});
