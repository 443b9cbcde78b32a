// The train stage's run: render the YAML, launch `llamafactory-cli train`, follow its log, and
// hand the adapter to the engine as its out (the stage's publish points `current` at it).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { StageError, type StageContext } from '../../src/api.js';
import { trainDatasetArgs } from '../register/mix.js';
import { collectAdapter, lastCheckpoint, prepareOutputDir } from './adapterFiles.js';
import { readTrainConfig } from './config.js';
import { pathWithCommandDir, resolveExecutable } from './executable.js';
import { ADAPTERS_DIR } from './currentAdapter.js';
import { writeYamlFile } from './inference.js';
import { checkCommand, unregisteredDatasets, unregisteredMessage } from './preflight.js';
import { renderTrainConfig } from './trainConfig.js';
import { followTrainerLog, formatProgress } from './trainerLog.js';
import { trainerEnv } from './trainerEnv.js';

/** Where LLaMA-Factory's output_dir lives: inside the resumable staging dir of this key. */
export function trainerOutputDir(stagingDir: string): string {
  return join(stagingDir, 'trainer-output');
}

/** Workspace-relative path of the rendered training YAML kept for reruns by hand. */
export function trainYamlRel(shortKey: string): string {
  return `artifacts/train/${shortKey}.yaml`;
}

/**
 * LLaMA-Factory's multi-GPU relaunch splits its command line on spaces, so the YAML path given to
 * it must have none; when the workspace path has spaces a copy goes to the temp dir.
 */
async function spaceFreeYamlPath(yamlAbs: string, config: Record<string, unknown>, shortKey: string): Promise<string> {
  if (!/\s/.test(yamlAbs)) return yamlAbs;
  const alt = join(tmpdir(), `pipeline-train-${shortKey}.yaml`);
  if (/\s/.test(alt)) {
    throw new StageError(
      `the training YAML path ${yamlAbs} contains spaces, which LLaMA-Factory's multi-GPU launcher cannot handle, ` +
        'and so does the temp dir: move the workspace to a path without spaces or set TMPDIR to one',
    );
  }
  await writeYamlFile(config, alt);
  return alt;
}

export async function runTrain(ctx: StageContext): Promise<void> {
  const train = readTrainConfig((k) => ctx.params.get(k));

  const reg = await unregisteredDatasets(ctx.params, ctx.workspace);
  if (reg === undefined) {
    const dir = trainDatasetArgs(ctx.params).dataset_dir;
    throw new StageError(`${dir}/dataset_info.json does not exist: run \`npx pipeline run register\` first`);
  }
  if (reg.missing.length > 0) throw new StageError(unregisteredMessage(reg, ctx.workspace));

  const exe = await resolveExecutable(train.command, { cwd: ctx.workspace, pathEnv: ctx.env.PATH });
  if (exe === undefined) throw new StageError((await checkCommand(train.command, ctx.workspace)) ?? 'trainer not found');

  const outputDir = trainerOutputDir(ctx.stagingDir);
  const resumeFrom = await prepareOutputDir(outputDir, (l) => ctx.log(l));
  const config = await renderTrainConfig(ctx.params, ctx.workspace, outputDir);
  const yamlRel = trainYamlRel(ctx.shortKey);
  const yamlAbs = join(ctx.workspace, yamlRel);
  await writeYamlFile(config, yamlAbs);
  const yamlArg = await spaceFreeYamlPath(yamlAbs, config, ctx.shortKey);

  const env: Record<string, string | undefined> = { ...trainerEnv(ctx.gpus), PATH: pathWithCommandDir(train.command, exe, ctx.env.PATH) };
  ctx.log(`config: ${yamlRel}`);
  ctx.log(
    `devices: CUDA_VISIBLE_DEVICES=${ctx.env.CUDA_VISIBLE_DEVICES ?? ''}${env.FORCE_TORCHRUN ? ` FORCE_TORCHRUN=1 NPROC_PER_NODE=${env.NPROC_PER_NODE}` : ''}`,
  );
  if (resumeFrom !== undefined) ctx.log(`resuming from checkpoint-${resumeFrom} of an earlier attempt with the same key`);
  ctx.progress({ message: resumeFrom !== undefined ? `resuming from checkpoint-${resumeFrom}` : 'loading model' });

  let lastLoss: number | undefined;
  const follower = followTrainerLog(
    join(outputDir, 'trainer_log.jsonl'),
    (e) => {
      ctx.progress({ current: e.current_steps, total: e.total_steps, message: formatProgress(e, lastLoss) });
      if (e.loss !== undefined) lastLoss = e.loss;
    },
    { onInvalid: (line, reason) => ctx.log(`trainer_log.jsonl line ${line} ignored: ${reason}`) },
  );
  const tail: string[] = [];
  let exitCode: number;
  try {
    ({ exitCode } = await ctx.exec(exe, ['train', yamlArg], {
      cwd: ctx.workspace,
      env,
      allowFailure: true,
      onLine: (line) => {
        if (line.trim() === '') return;
        tail.push(line);
        if (tail.length > 6) tail.shift();
      },
    }));
  } finally {
    await follower.stop();
    // The space-free copy in the temp dir served only this launch.
    if (yamlArg !== yamlAbs) await rm(yamlArg, { force: true });
  }

  if (exitCode !== 0) {
    const ck = await lastCheckpoint(outputDir);
    throw new StageError(
      `${train.command} train ${yamlRel} exited with code ${exitCode}` +
        (tail.length > 0 ? `; last output:\n  ${tail.join('\n  ')}\n` : '; ') +
        (ck !== undefined
          ? `checkpoint-${ck} is kept: rerun \`npx pipeline run train\` with the same config to resume from it`
          : 'no checkpoint was written yet') +
        ' (full output in the train stage log)',
    );
  }

  const adapterRel = ctx.outs[0] ?? `${ADAPTERS_DIR}/${ctx.shortKey}`;
  const adapterDir = ctx.out(adapterRel);
  const missing = await collectAdapter(outputDir, adapterDir);
  if (missing.length > 0) {
    throw new StageError(
      `${train.command} train exited 0 but wrote no ${missing.join(', ')} in its output_dir: ` +
        `check finetuning_type (the pipeline expects a LoRA adapter) and the train stage log`,
    );
  }
  await writeYamlFile(config, join(adapterDir, 'train_config.yaml'));
}
