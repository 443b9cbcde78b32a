// The engine benchmark's report: tables of medians, ratios, what each run re-executed, CPU time and
// peak RSS, the hashing figures, and one final line of JSON with every number.
import { formatBytes, formatRatio, formatSeconds, renderTable } from '../format.js';
import { describeLoad, type MachineLoad } from '../machineLoad.js';
import { gbPerSecond, median, ratio, summarize } from '../stats.js';
import { STAGES, type StageName } from './dagFiles.js';
import type { RunOutcome, StageOutcome, ToolId } from './toolsUnderTest.js';

export type ScenarioId = 'cold' | 'noop' | 'noop-plain' | 'add' | 'touch';

export interface Measurement {
  ms: number[];
  peakRssKiB: number[];
  cpuSeconds: number[];
  outcomes: RunOutcome[];
}

export type Results = Partial<Record<ScenarioId, Partial<Record<ToolId, Measurement>>>>;

export interface ReportInput {
  command: string;
  scenarios: ReadonlyArray<{ id: ScenarioId; title: string; reps: number }>;
  tools: ReadonlyArray<{ id: ToolId; label: string }>;
  results: Results;
  workload: { files: number; corpusBytes: number; bigBytes: number };
  machine: { cpus: number; memBytes: number; loadAtStart: MachineLoad; loadAtEnd: MachineLoad };
  versions: Record<string, string | undefined>;
  /** Node's own sha256 over big.bin with 1 MiB reads: median wall and CPU milliseconds. */
  reference: { runs: number; ms: number; cpuMs: number };
  /** `node -e 0` timed like every run, one after each no-op repetition: the no-op floor's unit. */
  nodeStartMs: readonly number[];
  /** Whether CPU time and peak RSS were measured (GNU time present). */
  resources: boolean;
  scratchDir: string;
  problems: readonly string[];
  warnings: readonly string[];
}

/** Which stages a run re-executed, as a short cell: `all ran`, `none ran`, `big,final ran`, `all restored`. */
export function describeOutcome(o: RunOutcome): string {
  const by = (status: StageOutcome): StageName[] => STAGES.filter((s) => o[s] === status);
  const parts: string[] = [];
  for (const st of ['ran', 'restored', 'failed', 'blocked', 'skipped'] as const) {
    const list = by(st);
    if (list.length > 0) parts.push(`${list.length === STAGES.length ? 'all' : list.join(',')} ${st}`);
  }
  return parts.length > 0 ? parts.join('; ') : 'none ran';
}

export function describeOutcomes(outcomes: readonly RunOutcome[]): string {
  const cells = [...new Set(outcomes.map(describeOutcome))];
  return cells.length === 1 ? (cells[0] as string) : `varies: ${cells.join(' | ')}`;
}

const round = (x: number | undefined, digits = 4): number | null => (x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));

export function renderReport(r: ReportInput): string {
  const ids = r.tools.map((t) => t.id);
  const labels = r.tools.map((t) => t.label);
  const m = (sc: ScenarioId, t: ToolId): Measurement | undefined => r.results[sc]?.[t];
  const medMs = (sc: ScenarioId, t: ToolId): number | undefined => {
    const x = m(sc, t)?.ms ?? [];
    return x.length > 0 ? median(x) : undefined;
  };
  const medCpuS = (sc: ScenarioId, t: ToolId): number | undefined => {
    const x = m(sc, t)?.cpuSeconds ?? [];
    return x.length > 0 ? median(x) : undefined;
  };
  const maxRssKiB = (sc: ScenarioId, t: ToolId): number | undefined => {
    const x = m(sc, t)?.peakRssKiB ?? [];
    return x.length > 0 ? Math.max(...x) : undefined;
  };
  // Re-hash throughput: the touch run minus the no-op run is (almost only) hashing big.bin.
  const rehashWall = (t: ToolId): number | undefined => {
    const touch = medMs('touch', t);
    const noop = medMs('noop', t);
    return touch !== undefined && noop !== undefined ? gbPerSecond(r.workload.bigBytes, touch - noop) : undefined;
  };
  const rehashCpu = (t: ToolId): number | undefined => {
    const touch = medCpuS('touch', t);
    const noop = medCpuS('noop', t);
    return touch !== undefined && noop !== undefined ? gbPerSecond(r.workload.bigBytes, (touch - noop) * 1000) : undefined;
  };
  const others = ids.includes('pipeline') ? ids.filter((t) => t !== 'pipeline') : [];
  const vsPipeline = (sc: ScenarioId, t: ToolId): number | undefined => ratio(medMs(sc, t), medMs(sc, 'pipeline'));
  const cells = (f: (sc: ScenarioId, t: ToolId) => string): string[][] =>
    r.scenarios.map((sc) => [sc.title, ...ids.map((t) => (m(sc.id, t) ? f(sc.id, t) : '—'))]);

  const out: string[] = [''];
  out.push(
    `engine benchmark: ${r.workload.files} files (${formatBytes(r.workload.corpusBytes)}) + big.bin ${formatBytes(r.workload.bigBytes)}; ${r.machine.cpus} CPUs, ${formatBytes(r.machine.memBytes)} RAM; page cache warm`,
  );
  out.push(
    `machine: ${describeLoad(r.machine.loadAtStart)} at start, ${describeLoad(r.machine.loadAtEnd)} at end (other work inflates wall times; CPU times far less)`,
  );
  out.push(
    `versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v ?? '—'}`)
      .join('; ')}`,
  );
  out.push('');
  out.push('median wall time per run (each tool started as a fresh process, output captured):');
  out.push(
    renderTable(
      ['scenario', 'n', ...labels, ...others.map((t) => `${t}/pipeline`)],
      r.scenarios.map((sc) => [
        sc.title,
        String(sc.reps),
        ...ids.map((t) => formatSeconds(medMs(sc.id, t))),
        ...others.map((t) => formatRatio(vsPipeline(sc.id, t))),
      ]),
    ),
  );
  out.push('');
  out.push('what each run re-executed (pipeline: its --json statuses; make/snakemake: outs rewritten):');
  out.push(
    renderTable(
      ['scenario', ...labels],
      cells((sc, t) => describeOutcomes(m(sc, t)?.outcomes ?? [])),
      ['left', ...ids.map(() => 'left' as const)],
    ),
  );
  if (r.resources) {
    out.push('');
    out.push('median CPU time per run (user + system, whole process tree, GNU time; 10 ms resolution):');
    out.push(
      renderTable(
        ['scenario', ...labels],
        cells((sc, t) => formatSeconds((medCpuS(sc, t) ?? NaN) * 1000)),
      ),
    );
    out.push('');
    out.push('peak RSS (max over repetitions, largest process of the tree, GNU time):');
    out.push(
      renderTable(
        ['scenario', ...labels],
        cells((sc, t) => formatBytes((maxRssKiB(sc, t) ?? NaN) * 1024)),
      ),
    );
  }
  out.push('');
  out.push('notes:');
  out.push('  Every tool runs the same stage commands (cmd/<stage>.sh); "commands alone" runs them in order');
  out.push('  with no tool, the floor. make -r is mtime-based: `touch big.bin` reruns big (the 2 s "train")');
  out.push('  and final; snakemake decides by mtime too; pipeline compares content hashes, re-hashing big.bin');
  out.push('  through its stat cache when its mtime changes, and reruns nothing. "one corpus file added"');
  out.push('  adds a file with new content every repetition (no run cache can answer), so every stage reruns');
  out.push('  everywhere. pipeline runs with --json (statuses checked).');
  out.push('');
  const gb = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) || x <= 0 ? '—' : `${x.toFixed(2)} GB/s`);
  const refWall = gbPerSecond(r.workload.bigBytes, r.reference.ms);
  const refCpu = gbPerSecond(r.workload.bigBytes, r.reference.cpuMs);
  out.push('hashing big.bin (GB = 1e9 bytes; "per CPU-second" = bytes / CPU time, robust to other load):');
  out.push(
    `  node sha256, 1 MiB reads, warm page cache: ${formatSeconds(r.reference.ms)} = ${gb(refWall)} wall, ${gb(refCpu)} per CPU-second (median of ${r.reference.runs})`,
  );
  for (const t of r.tools) {
    if (m('touch', t.id))
      out.push(`  ${t.label} re-hash on touch, bytes / (touch − no-op): ${gb(rehashWall(t.id))} wall, ${gb(rehashCpu(t.id))} per CPU-second`);
  }
  // The issue's floors, computed from the medians above.
  const overhead = (sc: ScenarioId, t: ToolId): number | undefined => {
    const a = medMs(sc, t);
    const b = medMs(sc, 'commands');
    return a !== undefined && b !== undefined ? (a - b) / 1000 : undefined;
  };
  const coldVsMake = ratio(medMs('cold', 'pipeline'), medMs('cold', 'make'));
  const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? '  ok' : '  OVER THE FLOOR');
  out.push('');
  out.push('floors:');
  out.push(`  cold run, pipeline / make -r: ${formatRatio(coldVsMake)} (floor ≤ 1.5×)${verdict(coldVsMake === undefined ? undefined : coldVsMake <= 1.5)}`);
  for (const t of ids.filter((x) => x !== 'commands')) {
    const o = overhead('add', t);
    if (o !== undefined)
      out.push(
        `  one file added, ${t} overhead (whole command − commands alone): ${o.toFixed(3)} s${t === 'pipeline' ? ` (floor ≤ 0.3 s)${verdict(o <= 0.3)}` : ''}`,
      );
  }
  const nodeStart = r.nodeStartMs.length ? median([...r.nodeStartMs]) : undefined;
  const noopVsNode = ratio(medMs('noop', 'pipeline'), nodeStart);
  if (nodeStart !== undefined)
    out.push(
      `  no-op through the bin, pipeline / node -e 0 (${formatSeconds(nodeStart)}): ${formatRatio(noopVsNode)} (floor ≤ 3×)${verdict(noopVsNode === undefined ? undefined : noopVsNode <= 3)}`,
    );
  const rh = rehashWall('pipeline');
  if (rh !== undefined) out.push(`  touch of big.bin, pipeline re-hash: ${gb(rh)} wall (floor ≥ 3 GB/s)${verdict(rh >= 3)}`);
  out.push(`scratch dir: ${r.scratchDir}`);
  for (const [title, list] of [
    ['WARNINGS', r.warnings],
    ['PROBLEMS', r.problems],
  ] as const) {
    if (list.length === 0) continue;
    out.push('', `${title} (${list.length}):`, ...list.map((x) => `  - ${x}`));
  }

  const perCell = <T>(f: (sc: ScenarioId, t: ToolId) => T): Record<string, Record<string, T>> =>
    Object.fromEntries(r.scenarios.map((sc) => [sc.id, Object.fromEntries(ids.filter((t) => m(sc.id, t)).map((t) => [t, f(sc.id, t)]))]));
  const json = {
    bench: 'engine',
    command: r.command,
    machine: { cpus: r.machine.cpus, memGiB: round(r.machine.memBytes / 1024 ** 3, 1), loadAtStart: r.machine.loadAtStart, loadAtEnd: r.machine.loadAtEnd },
    versions: r.versions,
    workload: r.workload,
    reps: Object.fromEntries(r.scenarios.map((sc) => [sc.id, sc.reps])),
    medianSeconds: perCell((sc, t) => round((medMs(sc, t) ?? NaN) / 1000)),
    ratiosToPipeline: Object.fromEntries(r.scenarios.map((sc) => [sc.id, Object.fromEntries(others.map((t) => [t, round(vsPipeline(sc.id, t), 3)]))])),
    runsSeconds: perCell((sc, t) => (m(sc, t)?.ms ?? []).map((ms) => round(ms / 1000))),
    spreadSeconds: perCell((sc, t) => {
      const s = summarize((m(sc, t)?.ms ?? []).map((ms) => ms / 1000));
      return { min: round(s.min), max: round(s.max) };
    }),
    medianCpuSeconds: perCell((sc, t) => round(medCpuS(sc, t))),
    peakRssMiB: perCell((sc, t) => round((maxRssKiB(sc, t) ?? NaN) / 1024, 1)),
    outcomes: perCell((sc, t) => describeOutcomes(m(sc, t)?.outcomes ?? [])),
    overheadSeconds: Object.fromEntries(
      r.scenarios.map((sc) => [sc.id, Object.fromEntries(ids.filter((t) => t !== 'commands').map((t) => [t, round(overhead(sc.id, t), 3)]))]),
    ),
    coldPipelineOverMake: round(coldVsMake, 3),
    nodeStartSeconds: round((nodeStart ?? NaN) / 1000),
    noopPipelineOverNodeStart: round(noopVsNode, 3),
    rehashGBps: Object.fromEntries(ids.map((t) => [t, round(rehashWall(t), 3)])),
    rehashGBpsPerCpuSecond: Object.fromEntries(ids.map((t) => [t, round(rehashCpu(t), 3)])),
    nodeSha256GBps1MiB: round(refWall, 3),
    nodeSha256GBps1MiBPerCpuSecond: round(refCpu, 3),
    problems: r.problems,
    warnings: r.warnings,
  };
  out.push('', JSON.stringify(json));
  return `${out.join('\n')}\n`;
}
