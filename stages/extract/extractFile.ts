// One file's bytes → its samples and its report entry. Pure: no I/O, no engine.
import { createHash } from 'node:crypto';
import { hardCueAllows } from './address.js';
import { attribute } from './attribute.js';
import type { FileOptions } from './config.js';
import { decodeBytes, type Encoding } from './decode.js';
import { discoverNames, type Discovered } from './discover.js';
import { buildNameIndex, type NameIndex } from './names.js';
import { normalizeText } from './normalize.js';
import { questionFor, type ModelOracle } from './question.js';
import { checkParagraph, mayTrip } from './nsfw.js';
import { buildRuns, buildSamples, emptyDrops, inferredOnly, type SampleDrops, type Turn } from './samples.js';
import { segmentText } from './segment.js';
import { SOMEONE, type Segmented, type SpeakerId, type Utterance, type Warning } from './types.js';

export interface FileReport {
  status: 'ok' | 'skipped';
  /** Why a skipped file yielded nothing (empty, binary, unknown_encoding). */
  reason?: string;
  detail?: string;
  encoding: Encoding | null;
  /** Set when the encoding is a guess that may be wrong (see decode.ts). */
  encoding_warning?: string;
  bytes: number;
  utterances: { persona: number; doctor: number; other: number; uncertain: number };
  non_speech: { thought: number; term: number; sign: number };
  samples: number;
  dropped: SampleDrops & { nsfw_paragraphs: number; unclosed_quotes: number; long_paragraphs: number; duplicate_samples: number };
  nsfw_words_excused: number;
  warnings: Warning[];
  /** Per sample (in output order): the first and last line of the source it was made from. */
  sample_lines: Array<[number, number]>;
}

/** The keys of a file report's `dropped`, in the order the report lists them. */
export const DROP_KEYS = [
  ...(Object.keys(emptyDrops()) as Array<keyof SampleDrops>),
  'nsfw_paragraphs',
  'unclosed_quotes',
  'long_paragraphs',
  'duplicate_samples',
] as const;

export interface FileResult {
  report: FileReport;
  /** Each sample: turn texts, human first, alternating, ending with gpt. */
  samples: string[][];
}

export interface Analysis {
  segmented: Segmented;
  nsfwUtterances: Set<number>;
  nsfwParagraphs: number;
  nsfwExcused: number;
  windows: Turn[][];
  drops: SampleDrops;
}

const indexCache = new WeakMap<FileOptions, NameIndex>();
function namesFor(o: FileOptions): NameIndex {
  let idx = indexCache.get(o);
  if (!idx) {
    idx = buildNameIndex(o.persona, o.doctor, o.others);
    indexCache.set(o, idx);
  }
  return idx;
}

/** The config's index extended with the characters this file names (discover.ts). */
const fileIndexCache = new WeakMap<FileOptions, Map<string, NameIndex>>();
function fileNames(base: NameIndex, o: FileOptions, d: Discovered): NameIndex {
  if (!d.names.length && !d.animalAliases && !d.aliases) return base;
  // Files of one corpus name the same few characters: indexes are reused (a bounded cache).
  const key = `${d.names.join('\u0000')}\u0001${(d.animalAliases ?? []).join('\u0000')}\u0001${(d.male ?? []).join('\u0000')}\u0001${(d.aliases ?? []).join('\u0000')}`;
  let byKey = fileIndexCache.get(o);
  if (!byKey) fileIndexCache.set(o, (byKey = new Map()));
  const hit = byKey.get(key);
  if (hit) return hit;
  if (byKey.size >= 256) byKey.clear();
  const idx = buildFileIndex(o, d);
  byKey.set(key, idx);
  return idx;
}

function buildFileIndex(o: FileOptions, d: Discovered): NameIndex {
  const skip = new Set(d.animalAliases ?? []);
  // (An alias the narration gives someone, `她的呼号是“雪原站”`, is one more name of theirs in this file.)
  const more = (id: SpeakerId, c: FileOptions['persona']) => {
    const extra = (d.aliases ?? []).filter(([, x]) => x === id).map(([a]) => a);
    return extra.length ? { ...c, names: [...c.names, ...extra] } : c;
  };
  const all = more('persona', o.persona);
  const persona = skip.size ? { ...all, names: all.names.filter((n) => !skip.has(n)) } : all;
  const others = d.aliases ? o.others.map((c) => more(`other:${c.names[0]!}`, c)) : o.others;
  const idx = buildNameIndex(persona, more('doctor', o.doctor), others, d.names, d.male, d.aliases);
  // (Addressed as 小羊姐姐 she still is: address checks keep every alias.)
  return skip.size ? { ...idx, personaNames: all.names } : idx;
}

/**
 * The lines the rules are least sure of, asked of the model (its answers come from the oracle:
 * cached, or recorded as missing): the lines they left open; the lines they only inferred (INFERRED_RULES:
 * turn order, whom a line addresses), hers where those are no training target by themselves
 * (samples.ts inferredHers) and anyone else's; and the lines a pronoun gave her, or anyone while
 * someone else it could mean was about (Utterance.byPronoun). The model's label replaces the rules' (rule `model`),
 * so a line it says is hers is kept, and one it says is someone not named (SOMEONE_ELSE) is a labelled
 * line of someone's, `【某人】`. A label is kept only when the line's hard cues allow it; where the model
 * is not sure, the rules' label stands (an inferred line of hers stays no training target).
 */
function askModel(norm: string, seg: Segmented, names: NameIndex, o: FileOptions, oracle: ModelOracle): void {
  let lines: string[] | undefined;
  let textHash = '';
  const labelOf = (id: SpeakerId) => (id === 'persona' ? o.persona.names[0]! : id === 'doctor' ? o.doctor.names[0]! : id.slice('other:'.length));
  for (const u of seg.utterances) {
    if (u.kind !== 'speech') continue;
    const inferred = inferredOnly(u) && (u.speaker !== 'persona' || !o.her_by_inference);
    if (u.speaker !== null && !inferred && !u.byPronoun) continue;
    if (!lines) {
      lines = norm.split('\n');
      textHash = createHash('sha256').update(norm).digest('hex');
    }
    const id = oracle.ask(questionFor(lines, textHash, u, names, oracle.model, labelOf));
    if (!id) continue;
    if (id === SOMEONE) {
      u.speaker = null;
      u.notHer = true;
      u.rule = 'model';
    } else if (hardCueAllows(names, u, id)) {
      u.speaker = id;
      u.rule = 'model';
    } else if (u.speaker === null) u.rule = 'model-veto';
  }
}

/** Normalized text → segmented, attributed, filtered utterances and sample windows (`oracle`: attribution: model). */
export function analyzeText(text: string, o: FileOptions, oracle?: ModelOracle): Analysis {
  const norm = normalizeText(text);
  const base = namesFor(o);
  const discovered = discoverNames(norm, base);
  const names = fileNames(base, o, discovered);
  const segmented = segmentText(norm, { maxParagraphChars: o.max_paragraph_chars, names });
  attribute(segmented, { names, narrator: discovered.narrator });
  if (oracle) askModel(norm, segmented, names, o, oracle);
  const nsfwUtterances = new Set<number>();
  let nsfwParagraphs = 0;
  let nsfwExcused = 0;
  for (const sc of segmented.scenes)
    for (const p of sc.paragraphs) {
      // A paragraph none of whose parts holds a rule word's first character trips nothing.
      let may = false;
      for (const s of p.segments)
        if (mayTrip(s.kind === 'narr' ? s.text : segmented.utterances[s.utt]!.text)) {
          may = true;
          break;
        }
      if (!may) continue;
      const text = p.segments.map((s) => (s.kind === 'narr' ? s.text : segmented.utterances[s.utt]!.text)).join('');
      const v = checkParagraph(text);
      nsfwExcused += v.excused;
      if (v.explicit && !o.allow_nsfw) {
        p.nsfw = true;
        nsfwParagraphs++;
        for (const s of p.segments) if (s.kind === 'quote') nsfwUtterances.add(s.utt);
      }
    }
  const drops = emptyDrops();
  const doctorLabel = o.doctor.names[0]!;
  const runs = buildRuns(segmented.utterances, nsfwUtterances, drops, { replyToOthers: o.reply_to_others, doctorLabel, herByInference: o.her_by_inference });
  const windows = buildSamples(
    runs,
    {
      maxTurns: o.max_turns,
      minAssistantChars: o.min_assistant_chars,
      maxHumanChars: o.max_human_chars,
      maxAssistantChars: o.max_assistant_chars,
      requireAnchor: o.require_anchor,
      anchorWords: o.anchor_words,
      opener: o.opener,
      replyToOthers: o.reply_to_others,
      doctorLabel,
      herByInference: o.her_by_inference,
    },
    drops,
  );
  return { segmented, nsfwUtterances, nsfwParagraphs, nsfwExcused, windows, drops };
}

function countSpeakers(utts: readonly Utterance[]) {
  const utterances = { persona: 0, doctor: 0, other: 0, uncertain: 0 };
  const non_speech = { thought: 0, term: 0, sign: 0 };
  for (const u of utts) {
    if (u.kind !== 'speech') non_speech[u.kind]++;
    else if (u.speaker === null) utterances.uncertain++;
    else if (u.speaker === 'persona' || u.speaker === 'doctor') utterances[u.speaker]++;
    else utterances.other++;
  }
  return { utterances, non_speech };
}

/**
 * Windows → their turn texts, each distinct sequence once. Two windows are the same when their
 * texts joined with NUL are (for text without NUL: the same texts in the same order), found by
 * bucketing on the first text instead of hashing every joined window.
 */
function dedupWindows(windows: readonly Turn[][], textHasNul: boolean): { samples: string[][]; kept: Turn[][]; dup: number } {
  const samples: string[][] = [];
  const kept: Turn[][] = [];
  let dup = 0;
  if (textHasNul) {
    const seen = new Set<string>();
    for (const w of windows) {
      const texts = w.map((t) => t.text);
      const key = texts.join('\u0000');
      if (seen.has(key)) dup++;
      else {
        seen.add(key);
        samples.push(texts);
        kept.push(w);
      }
    }
    return { samples, kept, dup };
  }
  const byFirst = new Map<string, string[][]>();
  for (const w of windows) {
    const texts = w.map((t) => t.text);
    const first = texts[0]!;
    const bucket = byFirst.get(first);
    if (bucket?.some((b) => sameTexts(b, texts))) {
      dup++;
      continue;
    }
    if (bucket) bucket.push(texts);
    else byFirst.set(first, [texts]);
    samples.push(texts);
    kept.push(w);
  }
  return { samples, kept, dup };
}

function sameTexts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `encoding`: the one extract.encoding forces for this file (none: detected). */
export function extractFile(bytes: Uint8Array, o: FileOptions, encoding?: Encoding, oracle?: ModelOracle): FileResult {
  const dec = decodeBytes(bytes, encoding);
  if (!dec.ok) {
    const report: FileReport = {
      status: 'skipped',
      reason: dec.reason,
      detail: dec.detail,
      encoding: null,
      bytes: bytes.length,
      utterances: { persona: 0, doctor: 0, other: 0, uncertain: 0 },
      non_speech: { thought: 0, term: 0, sign: 0 },
      samples: 0,
      dropped: { ...emptyDrops(), nsfw_paragraphs: 0, unclosed_quotes: 0, long_paragraphs: 0, duplicate_samples: 0 },
      nsfw_words_excused: 0,
      warnings: [],
      sample_lines: [],
    };
    return { report, samples: [] };
  }
  const a = analyzeText(dec.text, o, oracle);
  const { samples, kept, dup } = dedupWindows(a.windows, dec.text.includes('\u0000'));
  const utts = a.segmented.utterances;
  // Provenance: the lines of the source each sample was made from (first quote, last quote).
  const sample_lines = kept.map((w): [number, number] => {
    let lo = Infinity;
    let hi = 0;
    for (const t of w)
      for (const id of t.sources) {
        const l = utts[id]!.line;
        if (l < lo) lo = l;
        if (l > hi) hi = l;
      }
    return [lo, hi];
  });
  const { utterances, non_speech } = countSpeakers(a.segmented.utterances);
  const d = a.drops;
  const found = utterances.persona + utterances.doctor + utterances.other + utterances.uncertain > 0 || samples.length > 0;
  // Keys in the order the report prints them (and the result store's schema lists them).
  const report: FileReport = {
    status: 'ok',
    ...(found ? {} : { detail: a.segmented.longParagraphs ? 'no dialogue found (paragraphs too long to parse were skipped)' : 'no dialogue found' }),
    encoding: dec.encoding,
    ...(dec.warning !== undefined ? { encoding_warning: dec.warning } : {}),
    bytes: bytes.length,
    utterances,
    non_speech,
    samples: samples.length,
    // (Object.assign, not a spread: V8 spreads this 13-key object ~30× slower, ~9 µs a file.)
    dropped: Object.assign({}, d, {
      nsfw_paragraphs: a.nsfwParagraphs,
      unclosed_quotes: a.segmented.unclosedQuotes,
      long_paragraphs: a.segmented.longParagraphs,
      duplicate_samples: dup,
    }),
    nsfw_words_excused: a.nsfwExcused,
    warnings: a.segmented.warnings,
    sample_lines,
  };
  return { report, samples };
}
