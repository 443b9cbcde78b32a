// The `extract` stage of the DAG: input_dir → ShareGPT dataset + report, incremental per file.
import { posix } from 'node:path';
import { defineStage, moduleDir, StageError, type StageContext } from '../../src/api.js';
import { configSchema } from './config.js';
import { extractCorpus, type InputFile } from './corpus.js';
import { PERSONA_CODE, personaDeps, resolvePersonaPrompt } from '../persona/index.js';

function inputFiles(ctx: StageContext, inputDir: string): InputFile[] {
  const dir = posix.normalize(inputDir.replace(/\\/g, '/')).replace(/\/+$/, '');
  const prefix = `${dir}/`;
  return ctx.deps
    .filter((d) => d.path.startsWith(prefix))
    .map((d) => ({
      name: d.path.slice(prefix.length),
      abs: posix.isAbsolute(d.path) ? d.path : posix.join(ctx.workspace.replace(/\\/g, '/'), d.path),
      hash: d.hash,
    }));
}

export const stage = defineStage({
  name: 'extract',
  description: 'fan-fiction → ShareGPT dialogue of her and the Doctor, with a per-file report',
  deps: (p) => [p.get<string>('extract.input_dir'), ...(p.get('extract.system_prompt') == null ? personaDeps(p) : [])],
  outs: (p) => [p.get<string>('extract.output'), p.get<string>('extract.report')],
  params: ['extract', 'persona'],
  gpus: 0,
  code: [moduleDir(import.meta.url), PERSONA_CODE],
  async run(ctx) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const config = configSchema.parse(ctx.param('extract'));
    if (config.system_prompt === null) {
      const persona = await resolvePersonaPrompt(ctx.params, ctx.workspace);
      config.system_prompt = persona.prompt;
      ctx.log(`extract: system prompt: ${persona.source}`);
    }
    const files = inputFiles(ctx, config.input_dir);
    if (files.length === 0) throw new StageError(`extract: no files in ${config.input_dir} (extract.input_dir in pipeline.yaml)`);
    const res = await extractCorpus(files, {
      config,
      cacheDir: ctx.stageCacheDir,
      signal: ctx.signal,
      onProgress: (done, total, file) => {
        if (done === total || done % 50 === 0) ctx.progress({ current: done, total, message: file });
      },
    });
    const t1 = performance.now();
    // Outs go to the engine's staging area, which it promotes atomically; it hashes them as they are written.
    await ctx.writeOut(config.output, res.datasetChunks());
    await ctx.writeOut(config.report, res.reportBytes());
    const t = res.totals;
    ctx.log(
      `extract: ${t.files} files (${res.extracted} read, ${t.files - res.extracted} from cache), ${t.files_skipped} skipped, ` +
        `${t.samples} samples; her ${t.utterances.persona}, Doctor ${t.utterances.doctor}, others ${t.utterances.other}, uncertain ${t.utterances.uncertain}`,
    );
    for (const f of res.skipped) ctx.log(`extract: skipped ${f.file}: ${f.reason} (${f.detail})`);
    const cpu = process.cpuUsage(cpu0);
    const ms = (x: number) => Math.round(x);
    ctx.log(
      `extract: timing ${ms(performance.now() - t0)} ms wall, ${ms((cpu.user + cpu.system) / 1000)} ms CPU: cache load ${ms(res.timing.cacheLoadMs)} ms, ` +
        `extract ${ms(res.timing.extractMs)} ms, cache save ${ms(res.timing.cacheSaveMs)} ms, outputs ${ms(performance.now() - t1)} ms`,
    );
  },
});
