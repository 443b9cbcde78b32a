// What the train stage consumes from `register`: its outs and the dataset files of the mix.
import type { ParamsReader } from '../../src/api.js';
import { ENTRIES_OUT } from '../register/paths.js';

/**
 * The register stage's out holding what it registered into dataset_info.json (entries.json and
 * cleaned copies of datasets, which dataset_info.json may point at).
 */
export const REGISTER_OUTS = [ENTRIES_OUT] as const;

/** Workspace-relative files of the datasets the training uses (`register.datasets` → sources). */
export function registeredDatasetFiles(params: ParamsReader): string[] {
  const names = params.get<string[] | undefined>('register.datasets') ?? [];
  const sources = params.get<Record<string, { file?: string }> | undefined>('register.sources') ?? {};
  const files: string[] = [];
  for (const n of names) {
    const f = sources[n]?.file;
    if (f !== undefined && !files.includes(f)) files.push(f);
  }
  return files;
}
