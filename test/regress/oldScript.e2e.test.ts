// The done-when test of "same scores as the old script": a case file in the old script's shape
// (strings where lists go, a missing id, a float length, extra keys, role-less and null messages,
// CRLF line ends, Python regexes) is run through `pipeline run regress` against the scripted
// endpoint, and every case's pass/fail and failure strings, and every prompt sent, are compared
// with an independent Python implementation of the old script's rules (reference.py, a child process).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO, runCli, parseJsonEvents } from '../helpers/workspace.js';
import { chatRequests, readRequests, type FakeRule } from './fakeApi.js';
import { expectExit, readJsonl, regressOf, removeWorkspaces, setup } from './fixtures.js';

const REFERENCE = join(REPO, 'test', 'regress', 'oldScript', 'reference.py');
const PERSONA = '你是艾雅法拉，罗德岛的火山学家，称呼用户为前辈。';
const SP = '\u3000'; // full-width space: JavaScript's trim() strips it, Python's len() counts it

const u = (marker: string, text = '你好') => [{ role: 'user', content: `【${marker}】${text}` }];

// One raw JSON object per line, exactly as a user's old file would hold them.
const CASES: Array<Record<string, unknown>> = [
  { id: 'c01', messages: u('c01'), checks: { must_contain: '前辈' } },
  { id: 'c02', messages: u('c02'), checks: { must_contain: ['前辈', '火山'] } },
  { id: 'c03', messages: u('c03'), checks: { must_contain_any: ['博士', '阿米娅'] } },
  { id: 'c04', messages: u('c04'), checks: { must_not_contain: 'AI' } },
  { id: 'c05', messages: u('c05'), checks: { must_not_contain_any: ['休息', '哦', '博士'] } },
  { id: 'c06', messages: u('c06', '说说火山'), checks: { min_chars: 10 } },
  { id: 'c07', messages: u('c07', '说说火山'), checks: { min_chars: 10 } },
  { id: 'c08', messages: u('c08'), checks: { max_chars: 12 } },
  { id: 'c09', messages: u('c09'), checks: { max_chars: 12 } },
  { id: 'c10', messages: u('c10', '用三十个字介绍火山'), checks: { min_chars: 5 } },
  { id: 'c11', messages: u('c11'), checks: { min_chars: 20.5 } },
  { messages: u('c12'), checks: { must_contain: ['前辈'] } },
  { id: 'c13', messages: u('c13'), checks: { regex_must: '(?P<w>前辈).*(?P=w)' } },
  { id: 'c14', messages: u('c14'), checks: { regex_must: ['(?i)hello', '\\d{3}'] } },
  { id: 'c15', messages: u('c15'), checks: { regex_must_not: '^前辈' } },
  { id: 'c16', messages: u('c16'), checks: { regex_must: '答案$' } },
  { id: 'c17', messages: u('c17'), checks: { regex_must: ['(?s)开始.结束', '第一行.第二行'] } },
  { id: 'c18', note: 'kept but ignored', priority: 2, messages: u('c18'), checks: { must_contain: ['前辈'] } },
  { id: 'c19', messages: [{ content: '没有角色的消息' }, ...u('c19')], checks: { must_contain: ['前辈'] } },
  { id: 'c20', messages: u('c20'), checks: { regex_must: '^\\w+$', regex_must_not: ['\\s'] } },
  {
    id: 'c21',
    system_override: '你是测试用的系统提示。',
    messages: [...u('c21', '我叫林远。'), { role: 'assistant', content: '林远前辈好。' }, ...u('c21b', '详细说说我是谁')],
    checks: { min_chars: 8, must_contain: '林远' },
  },
  { id: 'c22', messages: [...u('c22b', '再问一次'), { role: 'assistant', content: null }], checks: { min_chars: 3 } },
];

const RULES: FakeRule[] = [
  { contains: '【c01】', response: '前辈好呀。' },
  { contains: '【c02】', response: '前辈，今天去观测站吗？' },
  { contains: '【c03】', response: '前辈好。' },
  { contains: '【c04】', response: '我不是AI，是艾雅法拉。' },
  { contains: '【c05】', response: '前辈要好好休息哦。' },
  { contains: '【c06】', response: `${SP}火山是地壳的窗${SP}` }, // 9 code points: min_chars - 1
  { contains: '【c07】', response: `${SP}火山是地壳的窗口${SP}` }, // 10: min_chars
  { contains: '【c08】', response: `${SP}前辈，今天也辛苦了呀${SP}` }, // 12: max_chars
  { contains: '【c09】', response: `${SP}前辈，今天也辛苦了呀！${SP}` }, // 13: max_chars + 1
  { contains: '【c10】', response: '火山很美。' },
  { contains: '【c11】', response: '短。' },
  { contains: '【c12】', response: '前辈！' },
  { contains: '【c13】', response: '前辈，前辈，快看！' },
  { contains: '【c14】', response: 'HELLO ３１４' },
  { contains: '【c15】', response: '前辈早。' },
  { contains: '【c16】', response: '这是答案\n' },
  { contains: '【c17】', response: '开始\n结束，第一行\r第二行' },
  { contains: '【c18】', response: '博士好。' },
  { contains: '【c19】', response: '前辈。' },
  { contains: '【c20】', response: '火山学家' },
  { contains: '【c21b】', response: '你是林远前辈呀。' },
  { contains: '【c22b】', response: '好的。' },
];

function reference(
  casesPath: string,
  scriptPath: string,
  maxCases?: number,
): Promise<Array<{ id: string; ok: boolean; failures: string[]; messages: unknown[] }>> {
  return new Promise((resolve, reject) => {
    const args = [REFERENCE, casesPath, scriptPath, PERSONA, ...(maxCases === undefined ? [] : [String(maxCases)])];
    execFile('python3', args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`reference.py failed: ${stderr || err.message}`));
      resolve(
        stdout
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l)),
      );
    });
  });
}

const casesText = CASES.map((c) => JSON.stringify(c)).join('\r\n') + '\r\n';
const lastUser = (msgs: Array<{ role: string; content: string }>) => [...msgs].reverse().find((m) => m.role === 'user')?.content ?? '';

afterAll(removeWorkspaces);

test('every case scores as the old script scores it, and every prompt is byte-identical', async () => {
  const w = await setup({ casesText, rules: RULES, topYaml: ['persona:', `  system_prompt: ${PERSONA}`] });
  const r = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
  expectExit(r, 0);
  const ours = await readJsonl<{ id: string; ok: boolean; failures: string[] }>(join(w.ws, 'artifacts/regress/latest/results.jsonl'));
  const theirs = await reference(join(w.ws, 'data/cases.jsonl'), w.env.FAKE_API_SCRIPT!);
  expect(theirs).toHaveLength(CASES.length);
  // case by case: id, pass/fail and the failure strings, in order
  expect(ours.map((c) => ({ id: c.id, ok: c.ok, failures: c.failures }))).toEqual(theirs.map((c) => ({ id: c.id, ok: c.ok, failures: c.failures })));
  // the suite is not trivially passing or failing: both outcomes and every check kind occur
  const kinds = new Set(theirs.flatMap((c) => c.failures.map((f) => f.slice(0, f.indexOf(':')))));
  expect([...kinds].sort()).toEqual(
    ['contains_forbidden', 'contains_forbidden_any', 'missing_required', 'missing_required_any', 'regex_must_not_fail', 'too_long', 'too_short'].sort(),
  );
  expect(theirs.filter((c) => c.ok).length).toBeGreaterThan(10);
  expect(theirs.find((c) => c.id === 'case_11')).toBeDefined();

  // the prompts: what the server received equals what the old script would have sent
  const sent = chatRequests(await readRequests(w.log)).map((q) => q.body!.messages!);
  expect(sent).toHaveLength(CASES.length);
  const byLast = new Map(sent.map((m) => [lastUser(m), m]));
  for (const c of theirs) {
    const want = c.messages as Array<{ role: string; content: string }>;
    expect({ id: c.id, messages: byLast.get(lastUser(want)) }).toEqual({ id: c.id, messages: want });
  }
  // the old script's suffix, byte for byte
  expect(byLast.has('【c06】说说火山\n\n（请详细回答，不少于10字。）')).toBe(true);

  // warnings for what the old shape carries that the pipeline ignores, each said once
  const log = r.stdout + r.stderr;
  expect(log).toContain('checks.min_chars is 20.5, not a whole number: ignored');
  expect(log.match(/key\(s\) note, priority are not case fields: kept in the file, ignored/g)?.length).toBe(1);
  // the pass rate is in the run's summary lines
  const passed = theirs.filter((c) => c.ok).length;
  expect(log).toContain(`${passed}/${CASES.length} passed (${((passed / CASES.length) * 100).toFixed(1)}%)`);
}, 120_000);

test('--max-cases N asks the first N cases only; fail_on_case_failure makes a failed case fail the stage', async () => {
  const w = await setup({ casesText, rules: RULES, topYaml: ['persona:', `  system_prompt: ${PERSONA}`], yaml: ['  fail_on_case_failure: true'] });
  const r = await runCli(w.ws, ['run', 'regress', '--json', '--max-cases', '3'], { env: w.env });
  expectExit(r, 1);
  const ours = await readJsonl<{ id: string; ok: boolean; failures: string[] }>(join(w.ws, 'artifacts/regress', 'a1b2c3d4e5f6', 'results.jsonl'));
  const theirs = await reference(join(w.ws, 'data/cases.jsonl'), w.env.FAKE_API_SCRIPT!, 3);
  expect(ours.map((c) => [c.id, c.ok, c.failures])).toEqual(theirs.map((c) => [c.id, c.ok, c.failures]));
  expect(chatRequests(await readRequests(w.log))).toHaveLength(3);
  expect(regressOf(r.stdout)?.reason).toContain('2 of 3 cases failed and regress.fail_on_case_failure is set (pass rate 33.3%');
  expect(parseJsonEvents(r.stdout).summary.ok).toBe(false);
}, 120_000);
