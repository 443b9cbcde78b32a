// A workspace for the experiment tests: the project's DAG with the LLaMA-Factory doubles, a pool of
// two devices, a small dataset, the sample fan-fiction and regression cases.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWorkspace, PROJECT_PIPELINE_TS } from '../helpers/workspace.js';
import { DOUBLES_PATH, readRecords, sampleFanFiction, trainWorkspaceFiles, type TrainerRecord } from '../train/fixtures.js';
import { writeScript } from '../regress/fakeApi.js';
import { casesJsonl, SAMPLE_CASES, SAMPLE_RULES } from '../regress/fixtures.js';

export async function expWorkspace(yamlExtra = ''): Promise<{ ws: string; env: Record<string, string> }> {
  const files = trainWorkspaceFiles(['regress:', '  cases: data/cases.jsonl', yamlExtra].join('\n'));
  const ws = await makeWorkspace(
    { ...files, ...sampleFanFiction(), 'pipeline.ts': PROJECT_PIPELINE_TS, 'data/cases.jsonl': casesJsonl(SAMPLE_CASES) },
    'pl-exp-',
  );
  return {
    ws,
    env: {
      PATH: DOUBLES_PATH,
      FAKE_TRAIN_RECORD: join(ws, 'trainer-record.jsonl'),
      FAKE_TRAIN_STEP_MS: '40',
      FAKE_API_LOG: join(ws, '.fake-api.jsonl'),
      FAKE_API_SCRIPT: await writeScript(ws, SAMPLE_RULES),
      FAKE_API_STARTUP_MS: '50',
    },
  };
}

export interface Training {
  pid: number;
  devices: string;
  start: number;
  /** When `llamafactory-cli` was launched for this training. */
  launched: number;
  end?: number;
  resumedFrom: string | null;
  outputDir: string;
}

/** The trainings the double saw, from its own record: devices, start and end times, resume point. */
export async function trainings(env: Record<string, string>): Promise<Training[]> {
  const recs: TrainerRecord[] = await readRecords(env.FAKE_TRAIN_RECORD!);
  const out: Training[] = [];
  const launched = new Map<number, number>();
  for (const r of recs as Array<TrainerRecord & { t: number; launched_at?: number }>) {
    if (r.event === 'process' && r.launched_at !== undefined) launched.set(r.pid, r.launched_at);
    if (r.event === 'start') {
      out.push({
        pid: r.pid,
        launched: launched.get(r.pid) ?? r.t,
        devices: String(r.env?.CUDA_VISIBLE_DEVICES ?? ''),
        start: r.t,
        resumedFrom: r.resumed_from ?? null,
        outputDir: String(r.config?.output_dir ?? ''),
      });
    } else if (r.event === 'end') {
      const t = out.find((x) => x.pid === r.pid && x.end === undefined);
      if (t) t.end = r.t;
    }
  }
  return out;
}

export interface Event {
  experiment?: string;
  event: string;
  stage?: string;
  status?: string;
  [k: string]: unknown;
}

export function events(stdout: string): Event[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event);
}

export async function queueOf(
  ws: string,
): Promise<{ experiments: Array<{ name: string; status: string; sets: string[]; stages: Array<{ name: string; status: string; key?: string }> }> }> {
  return JSON.parse(await readFile(join(ws, '.pipeline', 'exp', 'queue.json'), 'utf8'));
}
