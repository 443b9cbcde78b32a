// `pipeline init --from`: maps a user's LLaMA-Factory setup (train YAML, inference YAML, case file)
// onto pipeline.yaml, so that the training YAML the pipeline renders equals theirs key for key
// (except what the pipeline owns: output_dir and friends, the dataset entries) and the inference
// YAML holds their values. Everything it cannot carry over is listed with the reason.
// (Reading the YAMLs: initYaml.ts; the datasets: initDatasets.ts; the command: initCommand.ts.)
import { existsSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { UsageError } from '../../src/api.js';
import { configSchema as extractSchema } from '../extract/config.js';
import { personaSchema } from '../persona/index.js';
import { configSchema as registerSchema } from '../register/config.js';
import { configSchema as regressSchema } from '../regress/config.js';
import { configSchema as trainSchema, inferenceSchema, trainSectionSchema } from './config.js';
import { mapDatasets } from './initDatasets.js';
import { at, Paths, readLfYaml, zodMessage, type InitReport, type LfYaml } from './initYaml.js';
import { LF_INFER_KEYS, LF_TRAIN_KEYS } from './lfKeys.js';
import { STAGE_OWNED_KEYS } from './trainConfig.js';

export interface InitInput {
  workspace: string;
  /** The directory LLaMA-Factory runs in: relative paths of the YAMLs are resolved against it. */
  lfDir: string;
  trainYaml: string;
  inferYaml?: string;
  cases?: string;
  /** Keep the train YAML as `train.base_config` instead of copying its keys. */
  keepYaml: boolean;
}

/** Keys of `train:` that are LLaMA-Factory keys of the same name (not the pipeline's own settings). */
const MODELED_TRAIN = Object.keys(trainSectionSchema.shape).filter((k) => !['command', 'gpus', 'model_name_or_path', 'base_config', 'extra'].includes(k));
/** Of those, the ones inference also reads from `train:`. */
const SHARED_WITH_INFERENCE = ['template', 'finetuning_type', 'quantization_bit', 'quantization_method', 'quantization_type', 'double_quantization'];
const QUANT_KEYS = ['quantization_bit', 'quantization_method', 'quantization_type', 'double_quantization'];
const DECODING = ['temperature', 'top_p', 'top_k', 'repetition_penalty', 'max_new_tokens', 'infer_backend'];
const DATA_KEYS = ['dataset', 'dataset_dir', 'mix_strategy', 'interleave_probs'];

export type { InitReport, ReportItem } from './initYaml.js';
export interface InitResult {
  config: Record<string, unknown>;
  report: InitReport;
}

/** Maps the setup; throws a UsageError when nothing usable comes out (no dataset that can be registered). */
export async function mapSetup(input: InitInput): Promise<InitResult> {
  const paths = new Paths(input.workspace, input.lfDir);
  const report: InitReport = { unmapped: [], owned: [], unknown: [], notes: [] };
  const t = await readLfYaml(paths.abs(input.trainYaml), input.trainYaml);
  const train: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  const inference: Record<string, unknown> = {};
  const infExtra: Record<string, unknown> = {};
  const persona: Record<string, unknown> = {};

  if (input.keepYaml) train.base_config = paths.forConfig(input.trainYaml);
  for (const [k, v] of Object.entries(t.values)) {
    if (DATA_KEYS.includes(k)) continue;
    if ((STAGE_OWNED_KEYS as readonly string[]).includes(k)) {
      const what =
        k === 'output_dir'
          ? 'the adapter lands in artifacts/adapters/<key>/ (trained in .pipeline/staging/); artifacts/adapters/current links to the latest'
          : k === 'overwrite_output_dir'
            ? 'always false, so a crashed run resumes from its last checkpoint'
            : 'the pipeline resumes a failed attempt with the same inputs by itself';
      report.owned.push({ where: at(t, k), key: k, message: `${JSON.stringify(v)} → ${what}` });
      continue;
    }
    if (k === 'do_train') {
      if (v !== true) report.unmapped.push({ where: at(t, k), key: k, message: `${JSON.stringify(v)}: the pipeline always trains (do_train: true)` });
      continue;
    }
    if (k === 'model_name_or_path') {
      const p = paths.forConfig(String(v));
      train.model_name_or_path = p;
      if (!existsSync(paths.abs(String(v)))) {
        report.notes.push(
          `${at(t, k)} model_name_or_path ${String(v)} is not a directory here: the pipeline needs the base model as a local directory (it hashes it); ` +
            'download it and set train.model_name_or_path',
        );
      }
      continue;
    }
    if (MODELED_TRAIN.includes(k)) {
      if (input.keepYaml && !SHARED_WITH_INFERENCE.includes(k)) continue;
      if (v === null && k !== 'quantization_bit') {
        report.notes.push(`${at(t, k)} ${k}: null is LLaMA-Factory's default; left unset`);
        continue;
      }
      const field = (trainSectionSchema.shape as Record<string, z.ZodType>)[k]!;
      const parsed = field.safeParse(v);
      if (parsed.success) train[k] = v;
      else report.unmapped.push({ where: at(t, k), key: k, message: `${JSON.stringify(v)}: train.${k} takes ${zodMessage(parsed.error)}` });
      continue;
    }
    if (!LF_TRAIN_KEYS.has(k)) {
      report.unknown.push({
        where: at(t, k),
        key: k,
        message: `not a key LLaMA-Factory (v0.9.4 … HEAD) or transformers' usual training arguments take; ${input.keepYaml ? 'left in your YAML' : 'copied to train.extra'} as it is: if it is a typo, LLaMA-Factory refuses the config`,
      });
    }
    if (!input.keepYaml) extra[k] = v;
  }
  if (t.values.do_train === undefined) report.notes.push(`${t.shown}: the pipeline adds do_train: true`);
  if (t.values.report_to === undefined) report.notes.push(`${t.shown}: the pipeline adds report_to: none (set train.extra.report_to for wandb / tensorboard)`);
  if (train.finetuning_type === 'full' || train.finetuning_type === 'freeze') {
    report.unmapped.push({
      where: at(t, 'finetuning_type'),
      key: 'finetuning_type',
      message: `${String(train.finetuning_type)}: the pipeline trains adapters (lora, oft); its preflight refuses ${String(train.finetuning_type)}`,
    });
  }
  if (Object.keys(extra).length > 0) train.extra = extra;

  const register = await mapDatasets(t, paths, report);
  const firstSource = Object.values(register.sources as Record<string, { file: string }>)[0];
  if (firstSource) persona.dataset = firstSource.file;

  if (input.inferYaml !== undefined) {
    const i = await readLfYaml(paths.abs(input.inferYaml), input.inferYaml);
    mapInference(i, train, paths, report, inference, infExtra, persona);
  }
  if (Object.keys(infExtra).length > 0) inference.extra = infExtra;

  const config: Record<string, unknown> = {};
  if (Object.keys(persona).length > 0) config.persona = persona;
  const extractOut = extractSchema.parse({}).output;
  const sourceFiles = Object.values(register.sources as Record<string, { file: string }>).map((s) => s.file);
  if (sourceFiles.includes(extractOut)) {
    config.extract = { output: 'artifacts/extract/eyjafjalla_tongren_sft.json' };
    report.notes.push(
      `extract would write ${extractOut}, one of your datasets: it writes artifacts/extract/eyjafjalla_tongren_sft.json instead, so your file stays as it is ` +
        '(point register.sources at it to train on freshly extracted data)',
    );
  }
  config.register = register;
  config.train = train;
  if (Object.keys(inference).length > 0) config.inference = inference;
  if (input.cases !== undefined) {
    const abs = paths.abs(input.cases);
    if (!statSync(abs, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`--cases ${input.cases}: no such file`);
    config.regress = { cases: paths.forConfig(input.cases) };
  }
  validate(config);
  return { config, report };
}

/** The sections must load as pipeline.yaml: a failure here is a bug of init, said plainly. */
function validate(config: Record<string, unknown>): void {
  const checks: Array<[string, z.ZodType]> = [
    ['persona', personaSchema],
    ['extract', extractSchema],
    ['register', registerSchema],
    ['train', trainSchema],
    ['inference', inferenceSchema],
    ['regress', regressSchema],
  ];
  for (const [name, schema] of checks) {
    const r = schema.safeParse(config[name]);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new UsageError(`the mapped ${name}.${issue?.path.join('.') ?? ''} is not valid: ${issue?.message ?? 'invalid'}`);
    }
  }
}

/** The inference YAML → inference: (decoding, backend, template), persona.system_prompt (default_system). */
function mapInference(
  i: LfYaml,
  train: Record<string, unknown>,
  paths: Paths,
  report: InitReport,
  inference: Record<string, unknown>,
  infExtra: Record<string, unknown>,
  persona: Record<string, unknown>,
): void {
  for (const [k, v] of Object.entries(i.values)) {
    if (k === 'adapter_name_or_path') {
      report.owned.push({
        where: at(i, k),
        key: k,
        message: `${JSON.stringify(v)} → the adapter the pipeline trained; in your own YAMLs use artifacts/adapters/current (a link to it)`,
      });
    } else if (k === 'model_name_or_path') {
      if (paths.forConfig(String(v)) !== train.model_name_or_path) {
        report.unmapped.push({
          where: at(i, k),
          key: k,
          message: `${String(v)}: inference uses the base model it trained on, train.model_name_or_path (${String(train.model_name_or_path)})`,
        });
      }
    } else if (k === 'default_system') {
      if (typeof v === 'string' && v !== '') persona.system_prompt = v;
      else report.unmapped.push({ where: at(i, k), key: k, message: `${JSON.stringify(v)}: expected the persona's system prompt` });
    } else if (k === 'template') {
      if (v !== train.template) inference.template = v;
    } else if (k === 'finetuning_type') {
      if (v !== (train.finetuning_type ?? 'lora')) {
        report.unmapped.push({
          where: at(i, k),
          key: k,
          message: `${String(v)}: inference loads the adapter as trained (${String(train.finetuning_type ?? 'lora')})`,
        });
      }
    } else if (QUANT_KEYS.includes(k)) {
      if (v !== train[k]) infExtra[k] = v;
    } else if (DECODING.includes(k)) {
      const field = (inferenceSchema.unwrap().shape as Record<string, z.ZodType>)[k]!;
      const parsed = field.safeParse(v);
      if (parsed.success) inference[k] = v;
      else infExtra[k] = v;
    } else {
      if (!LF_INFER_KEYS.has(k)) {
        report.unknown.push({
          where: at(i, k),
          key: k,
          message: `not a key llamafactory-cli chat/api (v0.9.4 … HEAD) takes; copied to inference.extra as it is: if it is a typo, LLaMA-Factory refuses the config`,
        });
      }
      infExtra[k] = v;
    }
  }
  // Trained in 4-bit but served without: say so in the inference YAML, as the user's did.
  if (train.quantization_bit !== undefined && train.quantization_bit !== null && i.values.quantization_bit === undefined) {
    infExtra.quantization_bit = null;
    report.notes.push(
      `${i.shown}: serves the base model unquantized although training used quantization_bit ${String(train.quantization_bit)}: kept (inference.extra.quantization_bit: null)`,
    );
  }
}
