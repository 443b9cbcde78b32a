// A small fixed-seed subset of the fault-injection suite (`npm run chaos` runs the full one): each
// part's trials must all pass — kill -9, SIGINT during train, broken locks with concurrent runs,
// corrupted state files, fuzzed inputs.
import { corruptTrials } from '../../chaos/corrupt.js';
import { corruptRegressTrials } from '../../chaos/corruptRegress.js';
import { fuzzTrials } from '../../chaos/fuzz.js';
import { rng, type PartResult } from '../../chaos/harness.js';
import { interruptTrials } from '../../chaos/interrupt.js';
import { killTrials, referenceOutputs } from '../../chaos/kill.js';
import { lockTrials } from '../../chaos/locks.js';
import { removeWorkspaces } from '../engine/fixtures.js';

afterAll(removeWorkspaces);

let refs: Map<number, Record<string, string>>;
beforeAll(async () => {
  refs = await referenceOutputs();
}, 60_000);

function allPassed(r: PartResult): void {
  expect(r.failures).toEqual([]);
  expect(r.trials).toBeGreaterThan(0);
  expect(r.ok).toBe(r.trials);
}

test('kill -9 at random moments converges, never wrongly fresh, leaves no orphan', async () => {
  allPassed(await killTrials(rng(7), 2, refs));
}, 120_000);

test('concurrent runs behind broken locks all succeed in turn', async () => {
  allPassed(await lockTrials(rng(7), 2, refs));
}, 120_000);

test('every state file kind corrupted once: right outputs, nothing written outside', async () => {
  const r = await corruptTrials(rng(7), 6, refs);
  allPassed(r);
  expect(r.notes).toMatch(/ 0 writes outside/);
}, 180_000);

test('regress state corrupted (responses, history): same results, nothing written outside', async () => {
  allPassed(await corruptRegressTrials(rng(7), 3));
}, 180_000);

test('SIGINT during train: exit 130 within 5 s, no trainer left, the rerun resumes', async () => {
  for (const r of await interruptTrials(rng(7), 1)) allPassed(r);
}, 120_000);

test('fuzzed pipeline.yaml, ShareGPT and fan-fiction: clean failures naming the file', async () => {
  for (const r of await fuzzTrials(rng(7), 3)) allPassed(r);
}, 180_000);
