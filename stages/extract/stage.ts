// The `extract` stage of the DAG: input_dir → ShareGPT dataset + report, incremental per file.
import { posix } from 'node:path';
import { defineStage, moduleDir, StageError, type StageContext } from '../../src/api.js';
import { configSchema } from './config.js';
import { extractCorpus, formatDataset, type InputFile } from './corpus.js';
import { writeAtomic } from './fileIo.js';

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
  deps: (p) => [p.get<string>('extract.input_dir')],
  outs: (p) => [p.get<string>('extract.output'), p.get<string>('extract.report')],
  params: ['extract'],
  gpus: 0,
  code: [moduleDir(import.meta.url)],
  async run(ctx) {
    const config = configSchema.parse(ctx.param('extract'));
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
    await writeAtomic(ctx.out(config.output), formatDataset(res.samples));
    await writeAtomic(ctx.out(config.report), `${JSON.stringify(res.report, null, 2)}\n`);
    const t = res.report.totals;
    ctx.log(
      `extract: ${t.files} files (${res.extracted} read, ${t.files - res.extracted} from cache), ${t.files_skipped} skipped, ` +
        `${t.samples} samples; her ${t.utterances.persona}, Doctor ${t.utterances.doctor}, others ${t.utterances.other}, uncertain ${t.utterances.uncertain}`,
    );
    for (const f of res.report.files)
      if (f.status === 'skipped') ctx.log(`extract: skipped ${f.file}: ${f.reason} (${f.detail ?? ''})`);
  },
});
