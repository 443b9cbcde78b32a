// extractCorpus with its outputs read back: the dataset and report texts (and the samples) for
// tests that compare them. The files go to a temp dir removed after the test file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractCorpus, type CorpusResult, type ExtractCorpusOptions, type InputFile, type ShareGptSample } from '../../stages/extract/corpus.js';
import { makeTempDir } from './tempDirs.js';

export interface CorpusTexts extends CorpusResult {
  /** The dataset file as written. */
  datasetText(): string;
  /** The report as `writeReport(path, extra)` writes it. */
  reportText(extra?: Record<string, unknown>): string;
  /** The dataset's samples. */
  samples: ShareGptSample[];
  /** Where the outputs were written. */
  dir: string;
}

export async function extractTexts(files: readonly InputFile[], o: Omit<ExtractCorpusOptions, 'dataset' | 'scratchDir'>): Promise<CorpusTexts> {
  const dir = await makeTempDir('pl-extract-texts-');
  const dataset = join(dir, 'dataset.json');
  const res = await extractCorpus(files, { ...o, dataset, scratchDir: dir });
  const text = readFileSync(dataset, 'utf8');
  let n = 0;
  return {
    ...res,
    dir,
    datasetText: () => text,
    reportText: (extra) => {
      const path = join(dir, `report-${n++}.json`);
      res.writeReport(path, extra);
      return readFileSync(path, 'utf8');
    },
    samples: JSON.parse(text) as ShareGptSample[],
  };
}
