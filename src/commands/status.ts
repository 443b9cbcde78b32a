// `pipeline status [targets…]`: fresh / stale / restorable for each stage, with reasons.
import { parseArgs } from '../argv.js';
import { selectStages } from '../graph.js';
import { makeEvalEnv } from '../runner.js';
import { openSession } from '../session.js';
import { renderReason, renderReasons, type Reason } from '../reasons.js';
import { evaluate } from '../staleness.js';

export const STATUS_USAGE = `Usage: pipeline status [targets…] [--set key=value]… [--json]

For each stage (default: all), whether it is fresh, stale (with the reasons: files added /
removed / modified, params with old → new value, outs missing or modified), or restorable
(stale here, but an earlier run with exactly these inputs is in the run cache).
`;

export interface StageState {
  name: string;
  state: 'fresh' | 'stale' | 'restorable';
  reasons: Reason[];
  key?: string;
}

export async function computeStatus(workspace: string, targets: string[], sets: string[]): Promise<StageState[]> {
  const s = await openSession(workspace, sets);
  const env = makeEvalEnv(s);
  const selected = selectStages(s.graph, targets);
  const states = new Map<string, StageState>();
  for (const name of selected) {
    const stage = s.graph.stages.get(name)!;
    const ev = await evaluate(stage, env);
    const upstreamStale = stage.upstream.filter((u) => states.get(u) && states.get(u)!.state !== 'fresh');
    const st: StageState = { name, state: ev.state, reasons: ev.state === 'fresh' ? [] : [...ev.reasons], key: ev.shortKey };
    if (upstreamStale.length > 0) {
      st.state = 'stale';
      st.reasons.unshift(
        ...upstreamStale.map((u): Reason => ({ kind: 'upstream', stage: u, state: states.get(u)!.state === 'restorable' ? 'restorable' : 'stale' })),
      );
    }
    states.set(name, st);
  }
  await s.statCache.save();
  return selected.map((n) => states.get(n)!);
}

export async function statusCommand(workspace: string, argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(STATUS_USAGE);
    return 0;
  }
  const { positionals, flags } = parseArgs(argv, { set: 'list', json: 'bool' }, 'status');
  const states = await computeStatus(workspace, positionals, (flags.set as string[] | undefined) ?? []);
  if (flags.json) {
    // `reasons` as values ({"kind": …}) and, when there are any, `reason`: them rendered for people.
    const stages = states.map(({ name, state, reasons }) => ({ name, state, ...(reasons.length ? { reason: renderReasons(reasons) } : {}), reasons }));
    process.stdout.write(`${JSON.stringify({ stages })}\n`);
    return 0;
  }
  const w = Math.max(...states.map((s) => s.name.length));
  for (const s of states) {
    process.stdout.write(`${s.name.padEnd(w)}  ${s.state}\n`);
    for (const r of s.reasons) process.stdout.write(`${' '.repeat(w)}    - ${renderReason(r)}\n`);
  }
  return 0;
}
