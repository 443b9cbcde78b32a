// The trainer's output_dir: what survives a failed attempt, and which files make the adapter.
import { copyFile, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Files promoted from output_dir to artifacts/adapters/<key>/ (required ones first). */
export const REQUIRED_ADAPTER_FILES = ['adapter_model.safetensors', 'adapter_config.json'] as const;
export const OPTIONAL_ADAPTER_FILES = ['trainer_state.json', 'all_results.json', 'train_results.json', 'trainer_log.jsonl', 'training_loss.png'] as const;

/** Highest N among `checkpoint-N/` directories, or undefined. */
export async function lastCheckpoint(outputDir: string): Promise<number | undefined> {
  let names: string[];
  try {
    names = await readdir(outputDir);
  } catch {
    return undefined;
  }
  let best: number | undefined;
  for (const n of names) {
    const m = /^checkpoint-(\d+)$/.exec(n);
    if (!m) continue;
    const isDir = await lstat(join(outputDir, n)).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (isDir && (best === undefined || Number(m[1]) > best)) best = Number(m[1]);
  }
  return best;
}

/**
 * Removes `checkpoint-N/` directories without trainer_state.json: a crash while saving leaves one
 * half-written, and resuming from it would fail. Returns the steps removed.
 */
export async function dropIncompleteCheckpoints(outputDir: string): Promise<number[]> {
  const removed: number[] = [];
  let names: string[];
  try {
    names = await readdir(outputDir);
  } catch {
    return removed;
  }
  for (const n of names) {
    const m = /^checkpoint-(\d+)$/.exec(n);
    if (!m) continue;
    const complete = await stat(join(outputDir, n, 'trainer_state.json')).then(
      (s) => s.isFile(),
      () => false,
    );
    if (complete) continue;
    await rm(join(outputDir, n), { recursive: true, force: true });
    removed.push(Number(m[1]));
  }
  return removed;
}

/**
 * Prepares output_dir for an attempt: keeps it when it holds a complete checkpoint (LLaMA-Factory
 * resumes from the last one), otherwise empties it (LLaMA-Factory refuses a non-empty output_dir
 * without one). Returns the checkpoint step resumed from.
 */
export async function prepareOutputDir(outputDir: string, log: (line: string) => void = () => {}): Promise<number | undefined> {
  for (const step of await dropIncompleteCheckpoints(outputDir)) {
    log(`removed checkpoint-${step}: incomplete (no trainer_state.json), probably cut off while saving`);
  }
  const ck = await lastCheckpoint(outputDir);
  if (ck === undefined) await rm(outputDir, { recursive: true, force: true });
  await mkdir(outputDir, { recursive: true });
  return ck;
}

async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, to);
  }
}

/** Moves the adapter files into `destDir`; returns the missing required ones ([] when complete). */
export async function collectAdapter(outputDir: string, destDir: string): Promise<string[]> {
  // Regular files only: a symlink the trainer left is not followed into the adapter.
  const exists = async (f: string): Promise<boolean> =>
    lstat(join(outputDir, f)).then(
      (s) => s.isFile(),
      () => false,
    );
  const missing: string[] = [];
  for (const f of REQUIRED_ADAPTER_FILES) if (!(await exists(f))) missing.push(f);
  if (missing.length > 0) return missing;
  await mkdir(destDir, { recursive: true });
  for (const f of [...REQUIRED_ADAPTER_FILES, ...OPTIONAL_ADAPTER_FILES]) {
    if (await exists(f)) await moveFile(join(outputDir, f), join(destDir, f));
  }
  return [];
}
