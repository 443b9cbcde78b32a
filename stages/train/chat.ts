// `pipeline chat` / `pipeline webchat`: talk to the current adapter through LLaMA-Factory on one
// pinned GPU, with the terminal attached.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { UsageError, UserError, type CommandContext, type CommandDef } from '../../src/api.js';
import { readTrainConfig } from './config.js';
import { resolveExecutable } from './executable.js';
import { ADAPTERS_DIR, currentAdapterDir, inferenceConfig, resolveFromWorkspace, writeYamlFile } from './inference.js';
import { checkCommand } from './preflight.js';
import { resolvePersonaPrompt } from '../persona/index.js';

/**
 * LLaMA-Factory's web UI sends its own slider values with every message (webui/components/chatbot.py,
 * webui/chatter.py), so the YAML's decoding keys do not reach it for these three.
 */
export const WEBCHAT_SLIDER_NOTICE =
  'note: in webchat the sliders of the web UI set temperature (starts at 0.95), top_p (0.7) and max_new_tokens (1024) ' +
  'for every message, overriding inference.temperature / top_p / max_new_tokens; set them in the UI';

type ChatMode = 'chat' | 'webchat';

function usage(mode: ChatMode): string {
  const what = mode === 'chat' ? 'in the terminal' : 'in a browser (Gradio web UI)';
  return [
    `Usage: pipeline ${mode} [--adapter KEY|PATH] [--gpu N] [--dry-run]`,
    '',
    `Chat with the fine-tuned persona ${what} via \`<train.command> ${mode} artifacts/infer/${mode}.yaml\`.`,
    '',
    '  --adapter KEY|PATH  adapter to load: a short key under artifacts/adapters/ or a directory',
    '                      (default: the one named by artifacts/adapters/current)',
    '  --gpu N             device to run on (default: the first of the GPU pool)',
    '  --dry-run           write the inference YAML, print it and the command, run nothing',
    '',
    'Decoding settings come from the `inference:` section of pipeline.yaml.',
  ].join('\n');
}

async function hasAdapterConfig(dir: string): Promise<boolean> {
  return stat(join(dir, 'adapter_config.json')).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The adapter directory from `--adapter` (key or path), else the current pointer. */
export async function resolveAdapter(workspace: string, arg: string | undefined): Promise<string> {
  if (arg === undefined) return currentAdapterDir(workspace);
  const asPath = resolveFromWorkspace(workspace, arg);
  if (await hasAdapterConfig(asPath)) return asPath;
  if (/^[0-9a-f]{4,64}$/.test(arg)) {
    const byKey = join(workspace, ADAPTERS_DIR, arg);
    if (await hasAdapterConfig(byKey)) return byKey;
  }
  throw new UserError(
    `--adapter ${arg}: neither ${ADAPTERS_DIR}/${arg}/ nor ${arg}/ holds an adapter_config.json; ` +
      `pass a short key listed under ${ADAPTERS_DIR}/ or the path of a LoRA adapter directory`,
  );
}

function pickGpu(pool: readonly string[], arg: string | undefined): string | undefined {
  if (arg === undefined) return pool[0];
  if (!/^\d+$/.test(arg)) throw new UsageError(`--gpu ${arg}: expected a device index such as 0`);
  if (pool.length > 0 && !pool.includes(arg)) {
    throw new UsageError(`--gpu ${arg} is not in the GPU pool (${pool.join(',')}): pick one of those or change \`gpus:\``);
  }
  return arg;
}

export async function runChat(mode: ChatMode, ctx: CommandContext): Promise<number> {
  let values: { adapter?: string; gpu?: string; 'dry-run'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...ctx.argv],
      options: {
        adapter: { type: 'string' },
        gpu: { type: 'string' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage(mode)}`);
  }
  if (values.help) {
    ctx.stdout.write(`${usage(mode)}\n`);
    return 0;
  }
  const dryRun = values['dry-run'] === true;
  const params = await ctx.params();
  const train = readTrainConfig((k) => params.get(k));
  const adapterDir = await resolveAdapter(ctx.workspace, values.adapter);
  const gpu = pickGpu(await ctx.gpuPool(), values.gpu);
  if (gpu === undefined && !dryRun) {
    throw new UserError('no GPU in the pool: pass --gpu N, set `gpus: [0]` in pipeline.yaml, or set CUDA_VISIBLE_DEVICES');
  }

  const persona = await resolvePersonaPrompt(params, ctx.workspace);
  const config = inferenceConfig(params, adapterDir, ctx.workspace, persona.prompt);
  if (mode === 'webchat') ctx.stderr.write(`${WEBCHAT_SLIDER_NOTICE}\n`);
  const yamlPath = join(ctx.workspace, 'artifacts', 'infer', `${mode}.yaml`);
  await writeYamlFile(config, yamlPath);

  const exe = await resolveExecutable(train.command, { cwd: ctx.workspace, pathEnv: process.env.PATH });
  if (dryRun) {
    ctx.stdout.write(`# ${join('artifacts', 'infer', `${mode}.yaml`)}\n${stringify(config, { lineWidth: 0 })}`);
    ctx.stdout.write(`# command:\nCUDA_VISIBLE_DEVICES=${gpu ?? ''} ${exe ?? train.command} ${mode} ${yamlPath}\n`);
    if (exe === undefined) ctx.stderr.write(`warning: ${await checkCommand(train.command, ctx.workspace)}\n`);
    if (gpu === undefined) ctx.stderr.write('warning: no GPU in the pool; a real run needs --gpu N or `gpus:`\n');
    return 0;
  }
  if (exe === undefined) throw new UserError((await checkCommand(train.command, ctx.workspace)) ?? 'trainer not found');

  // The engine runs it in its own process group with the terminal attached: a signal sent to
  // this process alone still ends the model server a launcher started.
  return ctx.exec(exe, [mode, yamlPath], { cwd: ctx.workspace, env: { CUDA_VISIBLE_DEVICES: gpu } });
}

export function chatCommand(mode: ChatMode): CommandDef {
  return {
    summary:
      mode === 'chat'
        ? 'chat with the current adapter in the terminal (llamafactory-cli chat)'
        : 'chat with the current adapter in the browser (llamafactory-cli webchat)',
    usage: usage(mode),
    run: (ctx) => runChat(mode, ctx),
  };
}
