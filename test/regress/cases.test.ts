import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCases } from '../../stages/regress/cases.js';
import { buildMessages, detailRequest } from '../../stages/regress/prompt.js';
import { REPO } from '../helpers/workspace.js';

const line = (o: unknown): string => JSON.stringify(o);
const ok = { id: 'a', messages: [{ role: 'user', content: '你好' }], checks: { must_contain: ['前辈'] } };

describe('regression cases file', () => {
  test('a valid file parses, keeping line numbers and defaults', () => {
    const cases = parseCases(`${line(ok)}\n\n${line({ ...ok, id: 'b', tags: ['tone'] })}\n`, 'cases.jsonl');
    expect(cases.map((c) => [c.id, c.line, c.tags])).toEqual([
      ['a', 1, []],
      ['b', 3, ['tone']],
    ]);
  });

  test.each([
    ['not JSON', '{"id": "x",', /cases\.jsonl:1: not valid JSON/],
    ['wrong role order', line({ ...ok, messages: [{ role: 'assistant', content: 'x' }] }), /messages\[0\]\.role expected "user"/],
    [
      'even message count',
      line({
        ...ok,
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: 'y' },
        ],
      }),
      /messages has 2 user\/assistant messages; it must end with a user message/,
    ],
    ['a role the API does not know', line({ ...ok, messages: [{ role: 'tool', content: 'x' }] }), /messages\[0\]\.role/],
    ['a check of the wrong type', line({ ...ok, checks: { must_contain: 3 } }), /checks\.must_contain/],
  ])('%s is rejected with file, line and field', (_name, text, message) => {
    expect(() => parseCases(text, 'cases.jsonl')).toThrow(message);
  });

  test('duplicate ids name both lines', () => {
    expect(() => parseCases(`${line(ok)}\n${line(ok)}\n`, 'c.jsonl')).toThrow('c.jsonl:2: id "a" duplicates the case on line 1');
  });

  test('an empty file is an error', () => {
    expect(() => parseCases('\n', 'c.jsonl')).toThrow('c.jsonl: no regression cases');
  });

  test('the shipped suite is valid and covers every category', async () => {
    const text = await readFile(join(REPO, 'data', 'eyjafjalla_regression.jsonl'), 'utf8');
    const cases = parseCases(text, 'data/eyjafjalla_regression.jsonl');
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const tags = new Set(cases.flatMap((c) => c.tags));
    for (const t of ['identity', 'jailbreak', 'tone', 'care', 'multi_turn', 'format']) expect(tags).toContain(t);
    expect(cases.filter((c) => c.messages.length >= 3).length).toBeGreaterThanOrEqual(5);
  });
});

describe('request messages', () => {
  const base = parseCases(line({ ...ok, checks: { min_chars: 120 } }), 'c')[0]!;

  test('default system prompt first, then the case messages, with the detail request appended', () => {
    expect(buildMessages(base, '系统', true)).toEqual([
      { role: 'system', content: '系统' },
      { role: 'user', content: `你好${detailRequest(120)}` },
    ]);
    expect(detailRequest(120)).toBe('\n\n（请详细回答，不少于120字。）');
  });

  test('system_override wins; no augmentation when disabled or when the user already asks for length', () => {
    const withOverride = { ...base, system_override: '覆盖' };
    expect(buildMessages(withOverride, '系统', false)).toEqual([
      { role: 'system', content: '覆盖' },
      { role: 'user', content: '你好' },
    ]);
    const asks = { ...base, messages: [{ role: 'user' as const, content: '请详细说说火山' }] };
    expect(buildMessages(asks, null, true)).toEqual([{ role: 'user', content: '请详细说说火山' }]);
  });
});
