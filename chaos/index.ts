// `npm run chaos -- [--seed N] [--trials N] [--parts kill,interrupt,locks,corrupt,fuzz]`: the
// fault-injection suite. Every part is reproducible from the seed; the summary table lists trials,
// passes and the first failures of each.
import { removeWorkspaces } from '../test/engine/fixtures.js';
import { rng, type PartResult } from './harness.js';
import { corruptTrials } from './corrupt.js';
import { corruptRegressTrials } from './corruptRegress.js';
import { fuzzTrials } from './fuzz.js';
import { interruptTrials } from './interrupt.js';
import { killTrials } from './kill.js';
import { lockTrials } from './locks.js';

const PARTS: Record<string, (seed: number, trials: number) => Promise<PartResult[]>> = {
  kill: async (seed, n) => [await killTrials(rng(seed), n)],
  interrupt: async (seed, n) => interruptTrials(rng(seed + 1), Math.max(1, Math.ceil(n / 10))),
  locks: async (seed, n) => [await lockTrials(rng(seed + 2), Math.max(1, Math.ceil(n / 5)))],
  corrupt: async (seed, n) => [await corruptTrials(rng(seed + 3), n), await corruptRegressTrials(rng(seed + 5), Math.max(1, Math.ceil(n / 4)))],
  fuzz: async (seed, n) => fuzzTrials(rng(seed + 4), 2 * n),
};

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

export function table(results: PartResult[]): string {
  const rows = results.map((r) => [r.part, String(r.trials), String(r.ok), String(r.trials - r.ok), r.notes]);
  const head = ['part', 'trials', 'ok', 'failed', 'notes'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  const out = [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)];
  for (const r of results) for (const f of r.failures) out.push(`  ${r.part}: ${f}`);
  return out.join('\n');
}

async function main(): Promise<number> {
  const seed = Number(arg('seed', '1'));
  const trials = Number(arg('trials', '10'));
  const parts = arg('parts', Object.keys(PARTS).join(',')).split(',');
  const results: PartResult[] = [];
  const t0 = Date.now();
  for (const p of parts) {
    const run = PARTS[p];
    if (!run) throw new Error(`unknown part '${p}' (${Object.keys(PARTS).join(', ')})`);
    const t = Date.now();
    const rs = await run(seed, trials);
    // The time of the part, on its first row.
    rs[0]!.notes = `${rs[0]!.notes}${rs[0]!.notes ? '; ' : ''}${p} ${Math.round((Date.now() - t) / 1000)} s`;
    results.push(...rs);
    process.stderr.write(`chaos: ${p} done (${rs.map((r) => `${r.ok}/${r.trials}`).join(', ')})\n`);
  }
  await removeWorkspaces();
  process.stdout.write(`chaos seed ${seed}, trials ${trials}, ${Math.round((Date.now() - t0) / 1000)} s\n${table(results)}\n`);
  return results.every((r) => r.ok === r.trials) ? 0 : 1;
}

process.exitCode = await main();
