// The `extract:` section of pipeline.yaml: paths, the old script's thresholds, and the names the
// attributor knows. Every key has a default, so a missing section is valid.
import { z } from 'zod';
import { ENCODINGS, encodingNamed } from './decode.js';

const characterSchema = z
  .object({
    /** Names and aliases, as they appear in the text (longest match wins). */
    names: z.array(z.string().min(1)).min(1),
    /** The pronoun narration uses for this character: 她 or 他. */
    pronoun: z.enum(['她', '他']).default('她'),
  })
  .strict();

/** Her names, and what the narration says only of her. */
const personaSchema = characterSchema.extend({
  /**
   * What the narration says only of her (a device she wears, horns): `她扶了扶助听器`, `羊角少女`
   * then mean her wherever 她 could be two women.
   */
  traits: z.array(z.string().min(1)).optional(),
});
export type PersonaConfig = z.infer<typeof personaSchema>;

export type CharacterConfig = z.infer<typeof characterSchema>;

/** The persona prompt when neither persona.system_prompt nor the curated dataset names one. */
export const DEFAULT_SYSTEM_PROMPT =
  '你是《明日方舟》中的艾雅法拉（阿黛尔·瑙曼），一位火山学家与术师干员。你把对话的用户当作罗德岛的博士，称呼对方为“前辈”；语气温和、认真、带一点腼腆，谈到火山与研究时会变得兴奋。';

export const DEFAULT_OTHERS: CharacterConfig[] = [
  { names: ['阿米娅', '兔兔'], pronoun: '她' },
  { names: ['凯尔希', '凯尔希医生'], pronoun: '她' },
  { names: ['可露希尔'], pronoun: '她' },
  { names: ['塞雷娅'], pronoun: '她' },
  { names: ['安洁莉娜', '安洁'], pronoun: '她' },
  { names: ['能天使'], pronoun: '她' },
  { names: ['德克萨斯'], pronoun: '她' },
  { names: ['炎熔'], pronoun: '她' },
  { names: ['芙蓉'], pronoun: '她' },
  { names: ['杜宾', '杜宾教官'], pronoun: '她' },
  { names: ['华法琳'], pronoun: '她' },
  { names: ['史尔特尔'], pronoun: '她' },
  { names: ['小火龙'], pronoun: '她' },
  { names: ['伊芙利特'], pronoun: '她' },
  { names: ['斯卡蒂'], pronoun: '她' },
  { names: ['白面鸮'], pronoun: '她' },
  { names: ['银灰'], pronoun: '他' },
  { names: ['赫拉格'], pronoun: '他' },
  { names: ['斑点'], pronoun: '他' },
  { names: ['米格鲁'], pronoun: '她' },
];

const encodingSchema = z.string().transform((label, ctx) => {
  const e = encodingNamed(label);
  if (e === undefined) ctx.addIssue({ code: 'custom', message: `unknown encoding ${JSON.stringify(label)}: use one of ${ENCODINGS.join(', ')}` });
  return e ?? z.NEVER;
});

const int = (d: number) => z.number().int().min(0).default(d);

export const configSchema = z
  .object({
    /** Directory of fan-fiction files. */
    input_dir: z.string().min(1).default('Eyjafjalla_data/tongren'),
    // Which files of input_dir are read, a glob relative to it: `*.txt` its top-level .txt files (as
    // the old script), `**/*.txt` those below it too.
    glob: z.string().min(1).default('*.txt'),
    /**
     * Encodings to use instead of detecting them: glob (relative to input_dir) → encoding, e.g.
     * `{ "old/*.txt": big5 }`; the first glob that matches a file wins.
     */
    encoding: z.record(z.string().min(1), encodingSchema).default({}),
    /** ShareGPT dataset written by the stage. */
    output: z.string().min(1).default('data/eyjafjalla_tongren_sft.json'),
    /** Per-file extraction report. */
    report: z.string().min(1).default('artifacts/reports/extraction.json'),
    /** Most turns in one sample (sliding windows of 2, 4, … turns). */
    max_turns: z.number().int().min(2).default(6),
    /** A sample holds at least one turn of hers this long (characters); shorter ones are kept beside it. */
    min_assistant_chars: int(12),
    /** Doctor turns longer than this end a conversation run (0 = no limit). */
    max_human_chars: int(360),
    /** Her turns longer than this end a conversation run (0 = no limit). */
    max_assistant_chars: int(420),
    /** Keep paragraphs that trip the NSFW filter. */
    allow_nsfw: z.boolean().default(false),
    /**
     * Every sample needs one of `anchor_words` in one of her turns. Off by default: attribution
     * reads the honorific as evidence, so the gate only drops lines that were rightly hers.
     */
    require_anchor: z.boolean().default(false),
    anchor_words: z.array(z.string().min(1)).min(1).default(['前辈']),
    /** Paragraphs longer than this (characters) are skipped and reported, never parsed. */
    max_paragraph_chars: z.number().int().min(100).default(20000),
    /** Written as `system` of every sample; null (the default): the persona prompt (`persona.system_prompt`). */
    system_prompt: z.string().min(1).nullable().default(null),
    /**
     * A Doctor line put before a conversation she opens at the start of a scene, so the sample
     * starts with human (where a line before hers could not be used, her turn is dropped instead).
     * null: such a leading turn is always dropped.
     */
    opener: z.string().min(1).nullable().default('艾雅法拉，在忙吗？'),
    /**
     * Her reply to another character becomes a sample whose human turn is that character's line
     * with a speaker label (`【阿米娅】…`). false: another character's line ends the conversation.
     */
    reply_to_others: z.boolean().default(true),
    /**
     * A line of hers that the rules give her only by inference — from the order of turns or from
     * whom it addresses, with no tag, intro or beat of its own — becomes a gpt turn. false (the
     * default): such a line ends the conversation like an unattributed one, because on unseen text
     * about one in five of them is someone else's (samples.ts INFERRED_RULES).
     */
    her_by_inference: z.boolean().default(false),
    /**
     * Who speaks a line the rules cannot settle: `rules` leaves it open (the line is not used);
     * `model` asks the OpenAI-compatible endpoint in `endpoint`, or without one the base model,
     * served by the stage with `llamafactory-cli api` on a free GPU (answers cached in the stage's
     * cache; with neither the lines stay to the rules, the stage says so and runs again next time).
     */
    attribution: z.enum(['rules', 'model']).default('rules'),
    endpoint: z
      .object({
        /** Base URL ending in /v1, e.g. http://127.0.0.1:8000/v1 (`llamafactory-cli api`). */
        url: z.string().url(),
        /** The model's name as the endpoint knows it: part of every cached answer's key. */
        model: z.string().min(1),
        api_key: z.string().min(1).optional(),
        timeout_ms: z.number().int().min(1).default(60000),
        concurrency: z.number().int().min(1).max(64).default(4),
      })
      .strict()
      .nullable()
      .default(null),
    /**
     * Seconds to wait for the base model server (`attribution: model` without `endpoint`: the
     * stage serves train.model_name_or_path with `llamafactory-cli api` on a free GPU).
     */
    startup_timeout: z.number().positive().default(900),
    /**
     * Worker threads that extract files in parallel: `auto` (one per core, none for a handful of
     * files), or a number (1: all on the main thread). Outputs do not depend on it.
     */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
    /** Her names and aliases. */
    persona: personaSchema.prefault({ names: ['艾雅法拉', '阿黛尔', '小羊', '艾雅'], pronoun: '她', traits: ['助听器', '羊角'] }),
    /** The Doctor's names; a first-person narrator (我) is also the Doctor. */
    doctor: characterSchema.prefault({ names: ['博士', 'Doctor', '刀客塔'], pronoun: '他' }),
    /** Other known characters: their lines never become turns. */
    others: z.array(characterSchema).default(DEFAULT_OTHERS),
  })
  .strict()
  .prefault({});

export type ExtractConfig = z.infer<typeof configSchema>;

/** The options that change what a single file yields (the cache key of per-file results). */
export function fileOptions(c: ExtractConfig) {
  return {
    max_turns: c.max_turns,
    min_assistant_chars: c.min_assistant_chars,
    max_human_chars: c.max_human_chars,
    max_assistant_chars: c.max_assistant_chars,
    allow_nsfw: c.allow_nsfw,
    require_anchor: c.require_anchor,
    anchor_words: c.anchor_words,
    max_paragraph_chars: c.max_paragraph_chars,
    opener: c.opener,
    reply_to_others: c.reply_to_others,
    her_by_inference: c.her_by_inference,
    /** The model asked about open lines (attribution: model with an endpoint), else null. */
    attribution_model: c.attribution === 'model' && c.endpoint ? c.endpoint.model : null,
    persona: c.persona,
    doctor: c.doctor,
    others: c.others,
  };
}
export type FileOptions = ReturnType<typeof fileOptions>;
