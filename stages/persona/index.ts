// The persona's system prompt: one setting (`persona.system_prompt`) used by every stage that
// writes or sends a system prompt (extract's samples, the inference YAML's default_system,
// regress's requests). Unset, it is the most common `system` of the hand-curated dataset, so a
// run never mixes the curated prompt with another one; without one there, the built-in prompt.
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';

/** What the persona functions read params through (a ParamsReader, or a stand-in). */
export interface ParamGetter {
  get(key: string): unknown;
}
import { DEFAULT_SYSTEM_PROMPT } from '../extract/config.js';

export const personaSchema = z
  .object({
    /** The system prompt of every sample and request; null: the most common one of `dataset`. */
    system_prompt: z.string().min(1).nullable().default(null),
    /** The hand-curated ShareGPT dataset (JSON or JSON Lines) the prompt is taken from when unset. */
    dataset: z.string().min(1).default('data/eyjafjalla_sft.json'),
  })
  .strict()
  .prefault({});

export type PersonaConfig = z.infer<typeof personaSchema>;

/** Params a stage reading the persona prompt should declare. */
export const PERSONA_PARAMS = ['persona'] as const;

export function readPersonaConfig(params: ParamGetter): PersonaConfig {
  return personaSchema.parse(params.get('persona') ?? {});
}

/**
 * Deps of a stage reading the persona prompt: the curated dataset, when the prompt comes from it
 * and it exists (the CLI runs in the workspace). Without it the built-in prompt is used, and the
 * file appearing later changes the deps, so the stage goes stale.
 */
export function personaDeps(params: ParamGetter): string[] {
  const p = readPersonaConfig(params);
  if (p.system_prompt !== null) return [];
  return existsSync(resolve(process.cwd(), p.dataset)) ? [p.dataset] : [];
}

export interface PersonaPrompt {
  prompt: string;
  /** Where it came from, for a log line: `persona.system_prompt`, `data/x.json (41 of 42 samples)`, … */
  source: string;
}

/** Most common `system` of a ShareGPT list (ties: the first seen); undefined when none has one. */
export function mostCommonSystem(samples: readonly unknown[]): { prompt: string; count: number } | undefined {
  const counts = new Map<string, number>();
  for (const s of samples) {
    const sys = typeof s === 'object' && s !== null ? (s as { system?: unknown }).system : undefined;
    if (typeof sys === 'string' && sys.trim() !== '') counts.set(sys, (counts.get(sys) ?? 0) + 1);
  }
  let best: { prompt: string; count: number } | undefined;
  for (const [prompt, count] of counts) if (!best || count > best.count) best = { prompt, count };
  return best;
}

/** Parses a ShareGPT file: a JSON array, or JSON Lines (one sample per line). */
export function parseSamples(text: string): unknown[] {
  const t = text.replace(/^\uFEFF/, '');
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v)) return v;
  } catch {
    /* JSON Lines? */
  }
  const out: unknown[] = [];
  for (const line of t.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      return [];
    }
  }
  return out;
}

const memo = new Map<string, PersonaPrompt>();

/** The persona prompt for this configuration. */
export async function resolvePersonaPrompt(params: ParamGetter, workspace: string): Promise<PersonaPrompt> {
  const p = readPersonaConfig(params);
  if (p.system_prompt !== null) return { prompt: p.system_prompt, source: 'persona.system_prompt' };
  const abs = isAbsolute(p.dataset) ? p.dataset : join(workspace, p.dataset);
  const st = await stat(abs).catch(() => undefined);
  const memoKey = `${abs}\0${st?.size}\0${st?.mtimeMs}\0${st?.ino}`;
  const hit = memo.get(memoKey);
  if (hit) return hit;
  let result: PersonaPrompt;
  const text = st?.isFile() ? await readFile(abs, 'utf8').catch(() => undefined) : undefined;
  if (text === undefined) {
    result = { prompt: DEFAULT_SYSTEM_PROMPT, source: `the built-in prompt (persona.system_prompt is unset and ${p.dataset} cannot be read)` };
  } else {
    const samples = parseSamples(text);
    const best = mostCommonSystem(samples);
    result = best
      ? {
          prompt: best.prompt,
          source: `the most common system prompt of ${p.dataset} (${best.count} of ${samples.length} samples; set persona.system_prompt to choose)`,
        }
      : { prompt: DEFAULT_SYSTEM_PROMPT, source: `the built-in prompt (no sample of ${p.dataset} has a system prompt; set persona.system_prompt)` };
  }
  memo.set(memoKey, result);
  return result;
}
