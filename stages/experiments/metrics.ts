// What an experiment's workspace says about it: the training-loss curve of its adapter (from
// LLaMA-Factory's trainer_log.jsonl, kept next to the adapter), its regression summary (pass rate
// overall and per tag) and per-case results. Each file is untrusted: read through its schema, a
// missing or damaged one is simply no value.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentInfo, ExperimentMetric } from '../../src/api.js';
import { RESULTS_OUT, SUMMARY_OUT } from '../regress/run.js';
import { caseResultSchema, summarySchema, type CaseResult, type Summary } from '../regress/summary.js';
import { currentAdapterDir } from '../train/inference.js';
import { parseTrainerLogLine } from '../train/trainerLog.js';

export interface LossPoint {
  step: number;
  loss: number;
}

/** The logged losses by step; after a resume repeated steps keep their last value. */
export function lossCurve(trainerLog: string): LossPoint[] {
  const byStep = new Map<number, number>();
  for (const line of trainerLog.split('\n')) {
    if (line.trim() === '') continue;
    const { entry } = parseTrainerLogLine(line);
    if (entry?.loss !== undefined) byStep.set(entry.current_steps, entry.loss);
  }
  return [...byStep].sort((a, b) => a[0] - b[0]).map(([step, loss]) => ({ step, loss }));
}

export interface ExperimentData {
  adapter?: string;
  loss: LossPoint[];
  summary?: Summary;
  results: CaseResult[];
}

export async function readExperimentData(workspace: string): Promise<ExperimentData> {
  const data: ExperimentData = { loss: [], results: [] };
  try {
    const dir = await currentAdapterDir(workspace);
    data.adapter = dir.split('/').at(-1);
    data.loss = lossCurve(await readFile(join(dir, 'trainer_log.jsonl'), 'utf8'));
  } catch {
    /* not trained (yet) */
  }
  try {
    const s = summarySchema.safeParse(JSON.parse(await readFile(join(workspace, SUMMARY_OUT), 'utf8')));
    // A summary of another adapter belongs to an earlier attempt.
    if (s.success && (data.adapter === undefined || s.data.adapter === data.adapter)) data.summary = s.data;
  } catch {
    /* no regression yet */
  }
  if (data.summary) {
    const text = await readFile(join(workspace, RESULTS_OUT), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const r = caseResultSchema.safeParse(JSON.parse(line));
        if (r.success) data.results.push(r.data);
      } catch {
        /* a damaged line is left out */
      }
    }
  }
  return data;
}

/** `exp show`'s columns: final train loss, pass rate, pass rate per tag. */
export async function experimentMetrics(exp: ExperimentInfo): Promise<ExperimentMetric[]> {
  const d = await readExperimentData(exp.workspace);
  const metrics: ExperimentMetric[] = [
    { name: 'loss', value: d.loss.at(-1)?.loss ?? null, better: 'lower' },
    { name: 'pass_rate', value: d.summary?.pass_rate ?? null, better: 'higher', format: 'percent' },
  ];
  for (const [tag, t] of Object.entries(d.summary?.by_tag ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    metrics.push({ name: `tag:${tag}`, value: t.pass_rate, better: 'higher', format: 'percent' });
  }
  return metrics;
}
