// Shared shapes of the extraction pipeline: decode → normalize → segment → attribute → samples.

/** Who speaks: her, the Doctor, another character (`other:<name>`), or null when uncertain. */
export type SpeakerId = 'persona' | 'doctor' | `other:${string}`;

/**
 * Someone not named: a character known only by a descriptive noun (attribute.ts), always a third
 * person, and the speaker of an open line that is not hers in a sample (`【某人】`, samples.ts).
 */
export const SOMEONE: SpeakerId = 'other:?';

export type QuoteKind = 'speech' | 'thought' | 'term' | 'sign';

export type Segment = { kind: 'narr'; text: string } | { kind: 'quote'; utt: number };

export interface Paragraph {
  /** 1-based line where the paragraph starts. */
  line: number;
  segments: Segment[];
  /** A `Name：text` script line: the name as written. */
  scriptName?: string;
  /** A `名字（内心）：` script line: a thought, not speech. */
  scriptThought?: boolean;
  /** Set by the NSFW filter. */
  nsfw?: boolean;
}

export interface Utterance {
  /** Index in the file's utterance list. */
  id: number;
  text: string;
  line: number;
  /** Scene and paragraph (index within the scene) it starts in. */
  scene: number;
  para: number;
  kind: QuoteKind;
  speaker: SpeakerId | null;
  /** Which rule decided the speaker (for debugging and the report). */
  rule?: string;
  /**
   * Speaker still open, but the line's own words forbid her (it calls her by name, or calls the
   * Doctor 博士 in a file where she says 前辈), or it is in the paragraph right before or after a line
   * of hers (besideHers.ts): someone else's line, so it may be what she answers.
   */
  notHer?: boolean;
  /** The speaker came from a pronoun (`她回答`) and is her, or someone else it could mean was about. */
  byPronoun?: boolean;
}

export interface Scene {
  paragraphs: Paragraph[];
}

export interface Warning {
  line: number;
  reason: string;
}

export interface Segmented {
  scenes: Scene[];
  utterances: Utterance[];
  warnings: Warning[];
  /** Paragraphs skipped for being longer than max_paragraph_chars. */
  longParagraphs: number;
  unclosedQuotes: number;
}
