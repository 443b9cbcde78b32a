// Shared fixtures for the train tests: a params reader over validated config, a small original
// SFT dataset, a stand-in base model directory, and the llamafactory-cli double.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema as registerSchema } from '../../stages/register/config.js';
import { configSchema as trainSchema, inferenceSchema } from '../../stages/train/config.js';
import { personaSchema } from '../../stages/persona/index.js';
import type { ParamsReader } from '../../src/api.js';
import { REPO } from '../helpers/workspace.js';

export const DOUBLES = join(REPO, 'test', 'doubles');
export const FAKE_CLI = join(DOUBLES, 'llamafactory-cli');
/** PATH with the llamafactory-cli double first. */
export const DOUBLES_PATH = `${DOUBLES}:${process.env.PATH ?? '/usr/bin:/bin'}`;

/** A ParamsReader over `{train, inference, register}` validated with the real schemas. */
export function paramsFrom(raw: { train?: unknown; inference?: unknown; register?: unknown; persona?: unknown }): ParamsReader {
  const all: Record<string, unknown> = {
    persona: personaSchema.parse(raw.persona ?? {}),
    train: trainSchema.parse(raw.train ?? {}),
    inference: inferenceSchema.parse(raw.inference ?? {}),
    register: registerSchema.parse(raw.register ?? {}),
  };
  return {
    all,
    get<T>(key: string): T {
      let cur: unknown = all;
      for (const part of key.split('.')) {
        if (cur === null || typeof cur !== 'object') return undefined as T;
        cur = (cur as Record<string, unknown>)[part];
      }
      return cur as T;
    },
  };
}

/** The bundled sample fan-fiction (original text written for this project) for extract. */
export function sampleFanFiction(): Record<string, string> {
  const name = '01_观测站的清晨.txt';
  return { [`Eyjafjalla_data/tongren/${name}`]: readFileSync(join(REPO, 'Eyjafjalla_data', 'tongren', name), 'utf8') };
}

/** Original in-character ShareGPT samples written for these tests. */
export const PERSONA_SFT = [
  {
    system: '你是艾雅法拉，一位温柔、专注于火山研究的年轻学者。',
    conversations: [
      { from: 'human', value: '今天的野外考察累吗？' },
      { from: 'gpt', value: '有一点点……不过看到新采的玄武岩样本，疲惫好像都被吹散了呢。' },
    ],
  },
  {
    conversations: [
      { from: 'human', value: '你最喜欢哪一座火山？' },
      { from: 'gpt', value: '这个问题好难……每一座火山都有自己的脾气。非要选的话，是老师带我第一次去看的那座。' },
    ],
  },
  {
    conversations: [
      { from: 'human', value: '听说你的听力不太好？' },
      { from: 'gpt', value: '嗯，有时候会听不清。如果我没回应，请再靠近一点说，好吗？我会认真听的。' },
    ],
  },
  {
    conversations: [
      { from: 'human', value: '给我讲讲熔岩是怎么流动的吧。' },
      { from: 'gpt', value: '好呀！熔岩的黏度决定了它走得快还是慢，就像蜂蜜和清水的区别。要我画张示意图给你吗？' },
    ],
  },
];

/**
 * Files of a workspace that can run register + train: model dir, one dataset, pipeline.yaml.
 * `train.command` stays the default `llamafactory-cli`: put DOUBLES first on PATH (DOUBLES_PATH).
 */
export function trainWorkspaceFiles(yamlExtra = ''): Record<string, string> {
  return {
    'models/base/config.json': '{"model_type": "qwen2"}\n',
    'models/base/model.safetensors': 'weights stand-in\n',
    'data/persona.json': `${JSON.stringify(PERSONA_SFT, null, 2)}\n`,
    'pipeline.yaml': [
      'gpus: [0, 1]',
      'register:',
      '  sources:',
      '    persona: { file: data/persona.json }',
      '  datasets: [persona]',
      'train:',
      '  model_name_or_path: models/base',
      '  template: qwen',
      '  finetuning_type: lora',
      '  lora_rank: 8',
      '  quantization_bit: 4',
      '  quantization_method: bnb',
      '  quantization_type: nf4',
      '  double_quantization: true',
      '  plot_loss: true',
      '  logging_steps: 1',
      '  save_steps: 3',
      '  extra: { max_steps: 8 }',
      yamlExtra,
    ].join('\n'),
  };
}

export interface TrainerRecord {
  pid: number;
  event: string;
  role?: string;
  path?: string;
  env?: Record<string, string | null>;
  config?: Record<string, unknown>;
  argv?: string[];
  resumed_from?: string | null;
  first_step?: number;
  total_steps?: number;
}

/** The events the double appended to its FAKE_TRAIN_RECORD file ([] when it never ran). */
export async function readRecords(file: string): Promise<TrainerRecord[]> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TrainerRecord);
}

/** Whether a process still runs (a zombie counts as ended). */
export async function processAlive(pid: number): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export interface TrainWorkspace {
  ws: string;
  /** The double's FAKE_TRAIN_RECORD file. */
  record: string;
  /** Env for runCli: the double first on PATH, fast steps, the record file. */
  env: Record<string, string>;
}

/** A temp workspace on the project's DAG with trainWorkspaceFiles(yamlExtra). */
export async function makeTrainWorkspace(yamlExtra = '', prefix = 'pl-train-'): Promise<TrainWorkspace> {
  const { makeWorkspace, PROJECT_PIPELINE_TS } = await import('../helpers/workspace.js');
  const ws = await makeWorkspace({ ...trainWorkspaceFiles(yamlExtra), 'pipeline.ts': PROJECT_PIPELINE_TS }, prefix);
  const record = join(ws, 'trainer-record.jsonl');
  return { ws, record, env: { FAKE_TRAIN_RECORD: record, FAKE_TRAIN_STEP_MS: '20', PATH: DOUBLES_PATH } };
}

/** Asserts the exit code, showing the CLI's output when it differs. */
export function expectExit(r: { code: number; stdout: string; stderr: string }, code: number): void {
  if (r.code !== code) throw new Error(`exit ${r.code}, expected ${code}\n${r.stderr}\n${r.stdout.slice(-3000)}`);
}

/** A stage's entry in a `--json` summary (with the key the engine adds). */
export function stageOf(
  summary: { stages: Array<{ name: string; status: string }> },
  name: string,
): { name: string; status: string; key: string; reason?: string } {
  const s = summary.stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name} in the summary`);
  return s as { name: string; status: string; key: string };
}

const madeWorkspaces: string[] = [];

/** makeTrainWorkspace, remembered for removal by `removeTrainWorkspaces` (call it from afterAll). */
export async function trainWorkspace(yamlExtra = '', prefix = 'pl-train-'): Promise<TrainWorkspace> {
  const w = await makeTrainWorkspace(yamlExtra, prefix);
  madeWorkspaces.push(w.ws);
  return w;
}

/** Remembers a workspace made some other way, for removal with the others. */
export function trackTrainWorkspace(ws: string): void {
  madeWorkspaces.push(ws);
}

export async function removeTrainWorkspaces(): Promise<void> {
  const { rm } = await import('node:fs/promises');
  for (const ws of madeWorkspaces.splice(0)) await rm(ws, { recursive: true, force: true });
}
