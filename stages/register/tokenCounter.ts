// Token lengths with the base model's own tokenizer (`<model dir>/tokenizer.json`), run locally
// and offline with @huggingface/tokenizers (pure JavaScript). Counts cover the text of the system
// prompt and the turns without the chat template's extra tokens, so they are a slight underestimate
// of what LLaMA-Factory compares against cutoff_len.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

export interface TokenCounter {
  /** Workspace-relative (or absolute) path of the tokenizer.json used. */
  readonly source: string;
  count(text: string): number;
}

/** Where the tokenizer would be for a `train.model_name_or_path` value. */
export function tokenizerPath(workspace: string, modelDir: string | undefined): { abs: string; rel: string } | undefined {
  if (!modelDir) return undefined;
  const rel = join(modelDir, 'tokenizer.json');
  return { abs: isAbsolute(rel) ? rel : join(workspace, rel), rel };
}

/** Loads the tokenizer when the model directory holds one; undefined otherwise. */
export async function loadTokenCounter(workspace: string, modelDir: string | undefined): Promise<TokenCounter | undefined> {
  const where = tokenizerPath(workspace, modelDir);
  if (!where || !existsSync(where.abs)) return undefined;
  const tokenizerJson = JSON.parse(await readFile(where.abs, 'utf8')) as object;
  const configPath = join(where.abs, '..', 'tokenizer_config.json');
  const config = existsSync(configPath) ? (JSON.parse(await readFile(configPath, 'utf8')) as object) : {};
  // Loaded only when there is a tokenizer to run: every command loads the DAG, few count tokens.
  const { Tokenizer } = await import('@huggingface/tokenizers');
  const tokenizer = new Tokenizer(tokenizerJson, config);
  return {
    source: where.rel,
    count: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids.length,
  };
}
