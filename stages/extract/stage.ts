// The `extract` stage of the DAG: the files of input_dir that extract.glob matches → ShareGPT
// dataset + report, incremental per file.
import { posix } from 'node:path';
import { defineStage, StageError, type StageContext } from '../../src/api.js';
import { canonical } from '../../src/pathSpec.js';
import { configSchema, type ExtractConfig } from './config.js';
import { extractCorpus, type InputFile } from './corpus.js';
import { forcedEncodings } from './fileIo.js';
import { herLinesSummary } from './samples.js';
import { BASE_MODEL_PARAMS, baseModelSource, baseModelYaml, servesBaseModel } from './baseModel.js';
import { toYamlText } from '../train/inference.js';
import { personaDeps, resolvePersonaPrompt } from '../persona/index.js';

const inputDirOf = (inputDir: string) => posix.normalize(inputDir.replace(/\\/g, '/')).replace(/\/+$/, '');

/** The dep the stage declares: extract.glob below extract.input_dir. */
export const inputGlob = (c: Pick<ExtractConfig, 'input_dir' | 'glob'>) => posix.join(inputDirOf(c.input_dir), c.glob);

async function inputFiles(ctx: StageContext, config: ExtractConfig): Promise<InputFile[]> {
  // The deps' own form: workspace-relative, or absolute when outside (an input read as given).
  const dir = canonical(ctx.workspace, inputDirOf(config.input_dir)).replace(/\/+$/, '');
  const prefix = `${dir}/`;
  const abs = (p: string) => (posix.isAbsolute(p) ? p : posix.join(ctx.workspace.replace(/\\/g, '/'), p));
  const forced = Object.keys(config.encoding).length ? await forcedEncodings(abs(dir), config.encoding) : undefined;
  return ctx.deps
    .filter((d) => d.path.startsWith(prefix))
    .map((d) => {
      const name = d.path.slice(prefix.length);
      const encoding = forced?.get(name);
      return { name, abs: abs(d.path), hash: d.hash, ...(encoding ? { encoding } : {}) };
    });
}

export const stage = defineStage({
  name: 'extract',
  description: 'fan-fiction → ShareGPT dialogue of her and the Doctor, with a per-file report',
  deps: (p) => [
    inputGlob({ input_dir: p.get<string>('extract.input_dir'), glob: p.get<string>('extract.glob') }),
    ...(p.get('extract.system_prompt') == null ? personaDeps(p) : []),
  ],
  outs: (p) => [p.get<string>('extract.output'), p.get<string>('extract.report')],
  // (With attribution: model and no extract.endpoint the base model answers: what it is made of is
  // part of the key, the executable that serves it is not.)
  params: (p) => ['extract', 'persona', ...(servesBaseModel(p) ? BASE_MODEL_PARAMS : [])],
  untrackedParams: ['train.command'],
  gpusIfFree: (p) => (servesBaseModel(p) ? 1 : 0),
  // `run --dry-run` says who answers the model questions of attribution: model.
  dryRun({ params, workspace }) {
    if (params.get('extract.attribution') !== 'model') return undefined;
    const ep = params.get<{ url: string; model: string } | null>('extract.endpoint');
    if (ep) return `would ask ${ep.url} (${ep.model}) about the lines the rules leave open`;
    return `would serve the base model with ${String(params.get('train.command') ?? 'llamafactory-cli')} api on a free GPU, for answers not cached, inference YAML:\n${toYamlText(baseModelYaml(params, workspace)).trimEnd()}`;
  },
  async run(ctx) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const config = configSchema.parse(ctx.param('extract'));
    if (config.system_prompt === null) {
      const persona = await resolvePersonaPrompt(ctx.params, ctx.workspace);
      config.system_prompt = persona.prompt;
      ctx.log(`extract: system prompt: ${persona.source}`);
    }
    const files = await inputFiles(ctx, config);
    if (files.length === 0) throw new StageError(`extract: no files match ${inputGlob(config)} (extract.input_dir and extract.glob in pipeline.yaml)`);
    // Outs go to the engine's staging area, which it promotes atomically after run (and hashes then);
    // the dataset is written there as the files come, the report from the lines kept in stagingDir.
    const source = config.attribution === 'model' && config.endpoint === null ? baseModelSource(ctx, config) : undefined;
    const res = await extractCorpus(files, {
      config,
      ...(source ? { model: source } : {}),
      dataset: ctx.out(config.output),
      scratchDir: ctx.stagingDir,
      cacheDir: ctx.stageCacheDir,
      signal: ctx.signal,
      onProgress: (done, total, file) => {
        if (done === total || done % 50 === 0) ctx.progress({ current: done, total, message: file });
      },
      onAnswer: (n) => {
        if (n === 1 || n % 25 === 0)
          ctx.progress({ message: `the model has answered ${n} question${n === 1 ? '' : 's'} so far (lines the rules leave open or only infer)` });
      },
    }).finally(() => source?.close());
    const t1 = performance.now();
    try {
      res.writeReport(ctx.out(config.report));
    } finally {
      res.dispose();
    }
    const t = res.totals;
    const summary =
      `${t.files} files (${res.extracted} read, ${t.files - res.extracted} from cache), ${t.files_skipped} skipped, ` +
      `${t.samples} samples; her ${t.utterances.persona}, Doctor ${t.utterances.doctor}, others ${t.utterances.other}, uncertain ${t.utterances.uncertain}`;
    ctx.log(`extract: ${summary}`);
    ctx.progress({ message: summary, summary: true });
    const herLines = herLinesSummary(t.utterances.persona, t.dropped);
    ctx.log(herLines);
    ctx.progress({ message: herLines.replace(/^extract: /, ''), summary: true });
    if (res.model) {
      const m = res.model;
      if (m.failed > 0) ctx.provisional(`${m.failed} of ${m.questions} lines for the model went unanswered and stay to the rules (see the warning)`);
      ctx.log(
        `extract: attribution model ${config.endpoint?.model ?? 'the base model'}: ${m.questions} lines the rules left open or only inferred in the files read, ${m.asked} asked now, ` +
          `${m.questions - m.asked - m.failed} answered from the cache, ${m.labelled} given a speaker${m.failed ? `, ${m.failed} unanswered` : ''}`,
      );
    }
    for (const f of res.skipped) ctx.warn(`skipped ${f.file}: ${f.reason} (${f.detail})`);
    for (const w of res.warnings) ctx.warn(w);
    const cpu = process.cpuUsage(cpu0);
    const ms = (x: number) => Math.round(x);
    ctx.log(
      `extract: timing ${ms(performance.now() - t0)} ms wall, ${ms((cpu.user + cpu.system) / 1000)} ms CPU: cache load ${ms(res.timing.cacheLoadMs)} ms, ` +
        `extract ${ms(res.timing.extractMs)} ms${res.workers ? ` (${res.workers} worker threads)` : ''}, cache save ${ms(res.timing.cacheSaveMs)} ms, outputs ${ms(performance.now() - t1)} ms`,
    );
  },
});
