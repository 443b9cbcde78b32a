// `pipeline init --from <train.yaml> [--inference <infer.yaml>] [--cases <file>]`: writes the
// workspace's pipeline.yaml from a LLaMA-Factory setup (initFrom.ts) and prints, on stderr, what
// the pipeline owns and what it could not carry over.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { UsageError, type CommandContext, type CommandDef } from '../../src/api.js';
import { writeFileAtomic } from '../../src/atomicWrite.js';
import { mapSetup, type InitReport } from './initFrom.js';

const CONFIG_FILE = 'pipeline.yaml';

const USAGE = `Usage: pipeline init --from TRAIN.yaml [--inference INFER.yaml] [--cases FILE] [--lf-dir DIR] [--keep-yaml] [--force]

Writes pipeline.yaml from your LLaMA-Factory setup, so that the training YAML the pipeline renders
is yours key for key (except output_dir and the dataset entries, which the pipeline owns) and chat,
webchat and regress use your inference settings. Prints what it could not carry over, and why.

  --from TRAIN.yaml      your \`llamafactory-cli train\` config
  --inference INFER.yaml your \`llamafactory-cli chat|api\` config: default_system becomes
                         persona.system_prompt, decoding keys go to inference:
  --cases FILE           your regression cases (JSON Lines): regress.cases
  --lf-dir DIR           where you run llamafactory-cli (relative paths in the YAMLs are from
                         there; default: this directory)
  --keep-yaml            keep TRAIN.yaml as the source (train.base_config: TRAIN.yaml) instead of
                         copying its keys into pipeline.yaml
  --force                replace an existing pipeline.yaml (the old one is kept as pipeline.yaml.bak)

Then \`npx pipeline run --dry-run\` shows the training YAML it will render.`;

function formatReport(r: InitReport): string {
  const lines: string[] = [];
  const section = (title: string, items: Array<{ where: string; key: string; message: string }>): void => {
    if (items.length === 0) return;
    lines.push(title);
    for (const i of items) lines.push(`  ${i.where}  ${i.key}: ${i.message}`);
  };
  section(`could not map (${r.unmapped.length}):`, r.unmapped);
  section(`not known to LLaMA-Factory (${r.unknown.length}):`, r.unknown);
  section('owned by the pipeline (your value is replaced):', r.owned);
  if (r.notes.length > 0) lines.push('notes:', ...r.notes.map((n) => `  ${n}`));
  return lines.map((l) => `${l}\n`).join('');
}

async function runInit(ctx: CommandContext): Promise<number> {
  let values: { from?: string; inference?: string; cases?: string; 'lf-dir'?: string; 'keep-yaml'?: boolean; force?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...ctx.argv],
      options: {
        from: { type: 'string' },
        inference: { type: 'string' },
        cases: { type: 'string' },
        'lf-dir': { type: 'string' },
        'keep-yaml': { type: 'boolean' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    ctx.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.from === undefined) throw new UsageError(`init: --from TRAIN.yaml is required\n\n${USAGE}`);
  const target = join(ctx.workspace, CONFIG_FILE);
  if (existsSync(target) && values.force !== true) {
    throw new UsageError(`${CONFIG_FILE} already exists: pass --force to replace it (the old one is kept as ${CONFIG_FILE}.bak)`);
  }
  const lfDir = resolve(ctx.workspace, values['lf-dir'] ?? '.');
  const { config, report } = await mapSetup({
    workspace: ctx.workspace,
    lfDir,
    trainYaml: values.from,
    ...(values.inference !== undefined ? { inferYaml: values.inference } : {}),
    ...(values.cases !== undefined ? { cases: values.cases } : {}),
    keepYaml: values['keep-yaml'] === true,
  });
  const sources = [`--from ${values.from}`, values.inference && `--inference ${values.inference}`, values.cases && `--cases ${values.cases}`].filter(Boolean);
  const header = [
    `# Written by \`pipeline init ${sources.join(' ')}\`${values['keep-yaml'] ? ' --keep-yaml' : ''}.`,
    '# Keys not written here are the pipeline defaults (documented in the pipeline.yaml of the pipeline repo);',
    "# a train/inference key not set is LLaMA-Factory's own default and is not rendered.",
    '',
  ].join('\n');
  // The old file is kept through the one atomic, link-refusing writer (a planted pipeline.yaml.bak
  // link is replaced, never written through).
  if (existsSync(target)) await writeFileAtomic(`${CONFIG_FILE}.bak`, readFileSync(target), { root: ctx.workspace });
  await writeFileAtomic(CONFIG_FILE, header + stringify(config, { lineWidth: 0 }), { root: ctx.workspace });
  ctx.stderr.write(`wrote ${CONFIG_FILE} from ${sources.join(' ')}\n${formatReport(report)}next: npx pipeline run --dry-run\n`);
  return 0;
}

export const initCommand: CommandDef = {
  summary: 'write pipeline.yaml from your LLaMA-Factory train/inference YAMLs and case file',
  usage: USAGE,
  run: runInit,
};
