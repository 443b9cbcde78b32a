// `pipeline exp show`: one row per experiment — the params it changes, status, the domain's
// metrics (DAG hook `experiments.metrics`), duration — best first; and the comparison report
// (DAG hook `experiments.report`) written after `exp run`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ExperimentInfo, ExperimentMetric, PipelineDef } from '../api.js';
import { parseSetArg } from '../config.js';
import { stableStringify } from '../params.js';
import { isInside } from '../pathSpec.js';
import { openSession, type Session } from '../session.js';
import { experimentDir, ExperimentQueue, type QueueEntry } from './queue.js';

export interface ExperimentRow {
  name: string;
  status: string;
  /** The overrides whose value differs from the workspace's config. */
  params: Record<string, unknown>;
  metrics: ExperimentMetric[];
  ms: number | null;
  failed_stage: string | null;
  error: string | null;
  log: string | null;
  log_tail: string[];
}

/** The overrides of an entry, as values. */
export function overridesOf(e: Pick<QueueEntry, 'sets'>): Array<[string, unknown]> {
  return e.sets.map((s) => {
    const { path, raw } = parseSetArg(s);
    let value: unknown = raw;
    try {
      value = raw === '' ? '' : parse(raw);
    } catch {
      /* shown as written */
    }
    return [path.join('.'), value];
  });
}

async function tail(file: string, n = 15): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-n);
}

/** The experiments as `ExperimentInfo` (their params: the config with their overrides; undefined when those no longer validate). */
export async function experimentInfos(
  workspace: string,
  def: PipelineDef,
  user: Session,
  queue: ExperimentQueue,
): Promise<Array<{ entry: QueueEntry; info?: ExperimentInfo }>> {
  const out: Array<{ entry: QueueEntry; info?: ExperimentInfo }> = [];
  for (const entry of queue.entries) {
    const dir = experimentDir(workspace, entry.name);
    try {
      const s = await openSession(dir, entry.sets, def, { configFile: user.configFile, cacheDir: user.runCache.dir });
      out.push({ entry, info: { name: entry.name, workspace: dir, params: s.params, status: entry.status } });
    } catch {
      out.push({ entry });
    }
  }
  return out;
}

export async function experimentRows(workspace: string, def: PipelineDef, user: Session, queue: ExperimentQueue): Promise<ExperimentRow[]> {
  const rows: ExperimentRow[] = [];
  for (const { entry, info } of await experimentInfos(workspace, def, user, queue)) {
    const params: Record<string, unknown> = {};
    for (const [k, v] of overridesOf(entry)) if (stableStringify(user.params.get(k)) !== stableStringify(v)) params[k] = v;
    const metrics = info && def.experiments ? await def.experiments.metrics(info).catch(() => []) : [];
    rows.push({
      name: entry.name,
      status: entry.status,
      params,
      metrics,
      ms: entry.ms,
      failed_stage: entry.failed_stage,
      error: entry.error,
      log: entry.log,
      // The queue is untrusted: only a log inside the experiment's own folder is read.
      log_tail:
        entry.status === 'failed' && entry.log && isInside(experimentDir(workspace, entry.name), join(workspace, entry.log))
          ? await tail(join(workspace, entry.log))
          : [],
    });
  }
  const sortBy = def.experiments?.sortBy;
  if (sortBy) {
    const val = (r: ExperimentRow) => r.metrics.find((m) => m.name === sortBy);
    const sign = (r: ExperimentRow) => (val(r)?.better === 'lower' ? 1 : -1);
    rows.sort((a, b) => {
      const va = val(a)?.value ?? null;
      const vb = val(b)?.value ?? null;
      if (va === null || vb === null) return va === null ? (vb === null ? 0 : 1) : -1;
      return sign(a) * (va - vb);
    });
  }
  return rows;
}

const fmtMs = (ms: number | null) =>
  ms === null ? '' : ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
const fmtMetric = (m: ExperimentMetric | undefined) =>
  m?.value == null ? '–' : m.format === 'percent' ? `${(m.value * 100).toFixed(1)}%` : String(Number(m.value.toFixed(4)));
const fmtValue = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The table: best value of each metric column in bold green on a terminal. */
export function renderTable(rows: readonly ExperimentRow[], tty: boolean): string {
  const metricNames = [...new Set(rows.flatMap((r) => r.metrics.map((m) => m.name)))];
  const header = ['name', 'status', 'params', ...metricNames, 'time'];
  const best = new Map<string, number>();
  for (const n of metricNames) {
    const ms = rows.map((r) => r.metrics.find((m) => m.name === n)).filter((m): m is ExperimentMetric => m?.value != null);
    if (ms.length < 2 || !ms[0]!.better) continue;
    const vals = ms.map((m) => m.value!);
    best.set(n, ms[0]!.better === 'lower' ? Math.min(...vals) : Math.max(...vals));
  }
  const cells = rows.map((r) => [
    r.name,
    r.status,
    Object.entries(r.params)
      .map(([k, v]) => `${k}=${fmtValue(v)}`)
      .join(' ') || '(as configured)',
    ...metricNames.map((n) => fmtMetric(r.metrics.find((m) => m.name === n))),
    fmtMs(r.ms),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[], row?: ExperimentRow) =>
    c
      .map((x, i) => {
        const padded = x.padEnd(widths[i]!);
        const n = metricNames[i - 3];
        const m = row && n !== undefined ? row.metrics.find((mm) => mm.name === n) : undefined;
        return tty && m?.value != null && best.get(n!) === m.value ? `\x1b[1;32m${padded}\x1b[0m` : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map((c, i) => line(c, rows[i]))].join('\n') + '\n';
}

export async function showExperiments(workspace: string, def: PipelineDef, json: boolean, out: NodeJS.WritableStream): Promise<number> {
  const user = await openSession(workspace, [], def);
  const rows = await experimentRows(workspace, def, user, new ExperimentQueue(workspace).load());
  if (json) {
    out.write(`${JSON.stringify({ experiments: rows.map((r) => ({ ...r, metrics: Object.fromEntries(r.metrics.map((m) => [m.name, m.value])) })) })}\n`);
    return 0;
  }
  if (rows.length === 0) {
    out.write('no experiments yet: `pipeline exp run --set key=v1,v2`\n');
    return 0;
  }
  const tty = (out as NodeJS.WriteStream).isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  out.write(renderTable(rows, tty));
  for (const r of rows.filter((x) => x.status === 'failed')) {
    out.write(`\n${r.name} failed${r.failed_stage ? ` at ${r.failed_stage}` : ''}: ${r.error ?? ''}\n`);
    if (r.log) out.write(`  last lines of ${r.log}:\n${r.log_tail.map((l) => `    ${l}\n`).join('')}`);
  }
  return 0;
}

/** The DAG's comparison report of every experiment in the queue; its path, or undefined without the hook. */
export async function writeComparisonReport(workspace: string, def: PipelineDef, user: Session, queue: ExperimentQueue): Promise<string | undefined> {
  if (!def.experiments?.report) return undefined;
  const infos = (await experimentInfos(workspace, def, user, queue)).flatMap((x) => (x.info ? [x.info] : []));
  return def.experiments.report({ workspace, experiments: infos });
}
