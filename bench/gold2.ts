// Speaker attribution scored on the blind-labelled gold2 set (test/extract/gold2/{tune,heldout,heldout3,heldout5,heldout6,heldout7,heldout8}),
// each half on its own: the current extractor and the old algorithm (bench/oldExtract.ts).
//   node bin/pipeline.js --exec bench/gold2.ts [--part tune|heldout|heldout3|heldout5|heldout6|heldout7|heldout8] [--per-file] [--her-by-inference]
// Two views of each: "attributed" scores every quote's speaker decision; "in samples" scores only
// the lines that end up in a turn of an emitted sample, with that turn's role (what training sees).
// --oracle=ACC scores attribution: model with a stand-in model answering from the labels, right
// with probability ACC (bench/goldOracle.ts: the model path's ceiling at 1, not a real model's figure).
// --per-file prints the tune half file by file, --her-by-inference scores with extract.her_by_inference on, --rules the precision of each rule on it (which
// rule gave which speaker, u.rule; `--rules=75` from story 75 on); the heldout halves are only ever
// reported in aggregate (test/extract/gold2/README.md: heldout is never read while tuning).
// --endpoint=URL/v1 [--model=NAME] [--concurrency=N] [--answers=DIR] scores attribution: model with a real
// model: its questions are asked of that OpenAI-compatible server (e.g. `llamafactory-cli api` serving
// the base model), as the stage asks them, and kept in DIR/model-answers.json when given (a rerun asks
// only what is not there). Any question left unanswered stops the bench: a partial figure would mislead.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { configSchema, fileOptions } from '../stages/extract/config.js';
import { decodeBytes } from '../stages/extract/decode.js';
import { analyzeText, extractFile } from '../stages/extract/extractFile.js';
import { loadGold, matchGold, predictionsOf, scoreFile, summarize, type GoldFile, type Prediction, type Score } from '../test/extract/goldEval.js';
import { askMissing, cachedOracle, openAnswerCache, type AnswerCache, type EndpointConfig, type ModelQuestion } from '../stages/extract/model.js';
import { draws, goldOracle } from './goldOracle.js';
import { oldExtract } from './oldExtract.js';
import { BenchError, runBenchMain } from './lib/benchError.js';

const root = process.env.PIPELINE_PACKAGE_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '..');
const GOLD2_DIR = join(root, 'test', 'extract', 'gold2');
const HALVES = ['tune', 'heldout', 'heldout3', 'heldout5', 'heldout6', 'heldout7', 'heldout8'] as const;
type Half = (typeof HALVES)[number];

// (--her-by-inference: with extract.her_by_inference on, lines of hers the rules only inferred are turns too.)
let opts = fileOptions(configSchema.parse(undefined));
// (--oracle=ACC: attribution: model, answered by goldOracle at accuracy ACC; counts its questions, each read twice.)
let oracleAccuracy: number | undefined;
const oracleAsked = { asked: 0 };
// (--endpoint: a real model's answers, all asked before scoring; see realModel.)
let endpoint: EndpointConfig | undefined;
let answersDir: string | undefined;
let answers: AnswerCache | undefined;

interface Views {
  attributed: Prediction[];
  inSamples: Prediction[];
  yieldsSamples: boolean;
}

/** The current extractor: per-quote decisions, and the lines in emitted samples with their roles. */
function ours(bytes: Uint8Array, gold: GoldFile): Views {
  const dec = decodeBytes(bytes);
  if (!dec.ok) throw new BenchError(`${gold.file}: cannot decode (${dec.reason})`);
  // (--oracle: the same draws for a file each time it is read, so both reads get the same answers.)
  const seed = [...gold.file].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 2147483647, 7);
  const oracle = () =>
    answers && endpoint
      ? cachedOracle(endpoint.model, answers.get)
      : oracleAccuracy === undefined
        ? undefined
        : goldOracle(gold, oracleAccuracy, draws(seed), oracleAsked);
  const { attributed, inSamples } = predictionsOf(dec.text, opts, oracle());
  return { attributed, inSamples, yieldsSamples: extractFile(bytes, opts, undefined, oracle()).samples.length > 0 };
}

/** The old algorithm: its decisions, and each line of each turn of its samples (merged turns split back). */
function old(bytes: Uint8Array): Views {
  const r = oldExtract(bytes);
  const seen = new Set<string>();
  const inSamples: Prediction[] = [];
  for (const s of r.samples)
    for (const t of s.conversations)
      for (const line of t.value.split('\n')) {
        const role = t.from === 'gpt' ? 'gpt' : 'human';
        const k = `${role}\0${line}`;
        if (!line.trim() || seen.has(k)) continue;
        seen.add(k);
        inSamples.push({ text: line, role });
      }
  return { attributed: r.decisions, inSamples, yieldsSamples: r.samples.length > 0 };
}

interface HalfResult {
  files: number;
  filesWithSamples: number;
  attributed: Score;
  inSamples: Score;
}

function loadHalf(half: Half): Array<{ gold: GoldFile; bytes: Buffer }> {
  const dir = join(GOLD2_DIR, half);
  return loadGold(join(dir, 'labels')).map((gold) => ({ gold, bytes: readFileSync(join(dir, 'texts', gold.file)) }));
}

function scoreHalf(half: Half, algo: 'new' | 'old', perFile?: (file: string, s: Score) => void): HalfResult {
  const files = loadHalf(half);
  let att: Score | undefined;
  let smp: Score | undefined;
  let withSamples = 0;
  for (const { gold, bytes } of files) {
    const v = algo === 'new' ? ours(bytes, gold) : old(bytes);
    att = scoreFile(gold, v.attributed, att);
    smp = scoreFile(gold, v.inSamples, smp);
    if (v.yieldsSamples) withSamples++;
    perFile?.(gold.file, scoreFile(gold, v.inSamples));
  }
  return { files: files.length, filesWithSamples: withSamples, attributed: att!, inSamples: smp! };
}

/**
 * Per rule and the speaker it gave (her / the Doctor / another), on the tune stories numbered
 * `from` or more: how many lines, how many right, and whose they were when wrong.
 */
function ruleTable(from: number): string[] {
  const rows = new Map<string, { n: number; right: number; wrong: Map<string, number> }>();
  const side = (id: string | undefined) => (id === undefined ? 'no line' : id === 'persona' ? 'her' : id === 'doctor' ? 'doctor' : 'other');
  for (const { gold, bytes } of loadHalf('tune')) {
    if (Number.parseInt(gold.file, 10) < from) continue;
    const dec = decodeBytes(bytes);
    if (!dec.ok) throw new BenchError(`${gold.file}: cannot decode (${dec.reason})`);
    const utts = analyzeText(dec.text, opts).segmented.utterances.filter((u) => u.kind === 'speech' && u.speaker !== null);
    const at = matchGold(
      gold,
      utts.map((u) => ({ text: u.text, role: null })),
    );
    utts.forEach((u, i) => {
      const truth = at[i]! >= 0 ? gold.utterances[at[i]!]!.speaker : undefined;
      const key = `${side(u.speaker!)} by ${(u.rule ?? '?').replace(/[:(].*/, '')}`;
      const r = rows.get(key) ?? { n: 0, right: 0, wrong: new Map<string, number>() };
      rows.set(key, r);
      r.n++;
      if (truth === u.speaker) r.right++;
      else r.wrong.set(side(truth), (r.wrong.get(side(truth)) ?? 0) + 1);
    });
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([k, r]) =>
        `  ${k.padEnd(28)} ${`${r.right}/${r.n}`.padStart(8)} ${ratio(r.right, r.n).padStart(6)}   ${[...r.wrong].map(([w, n]) => `${n} ${w}`).join(', ')}`,
    );
}

/**
 * --endpoint: every question the model path asks on `halves`, asked of the endpoint (those not in the
 * answer cache), as the stage does per batch; then scoring reads the answers from the cache.
 */
async function realModel(halves: readonly Half[], ep: EndpointConfig): Promise<string> {
  answers = await openAnswerCache(answersDir);
  if (answers.warning) process.stderr.write(`gold2: ${answers.warning}\n`);
  const questions: ModelQuestion[] = [];
  for (const half of halves)
    for (const { gold, bytes } of loadHalf(half)) {
      const dec = decodeBytes(bytes);
      if (!dec.ok) throw new BenchError(`${gold.file}: cannot decode (${dec.reason})`);
      analyzeText(
        dec.text,
        opts,
        cachedOracle(ep.model, () => undefined, questions),
      );
    }
  const t0 = performance.now();
  // (Ctrl-C stops asking; the answers given so far are kept in the cache for the next run.)
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.once('SIGINT', onInt);
  let r;
  try {
    r = await askMissing(questions, answers, ep, ac.signal);
  } finally {
    process.off('SIGINT', onInt);
    await answers.save();
  }
  const kept = answersDir ? `kept in ${join(answersDir, 'model-answers.json')}` : 'not kept (no --answers=DIR)';
  if (ac.signal.aborted) throw new BenchError(`interrupted after ${r.asked} answers, ${kept}: no figure`, 130);
  if (r.failed > 0) throw new BenchError(`${r.failed} of ${r.failed + r.asked} questions unanswered by ${ep.url} (${r.error ?? 'no answer'}): no figure`);
  const labelled = questions.filter((q) => answers!.get(q.key)).length;
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  return `model ${ep.model} at ${ep.url}: ${questions.length} questions, ${r.asked} asked now (${secs} s), ${labelled} answered with a name (the rest 不确定 or unreadable)`;
}

/** A ratio with 3 decimals, or n/a when nothing was predicted (summarize reports 0/0 as 1). */
const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : (Math.round((a / b) * 1000) / 1000).toFixed(3));
const num = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1000) / 1000);

/** The figures #15 asks for, null where nothing was predicted. */
function figures(s: Score) {
  return {
    gpt_precision: num(s.gptCorrect, s.gptPredicted),
    her_recall: num(s.herFound, s.herTotal),
    gpt_lines_of_others: s.gptFromOthers,
    gpt_not_utterances: s.gptUnmatched,
    human_precision: num(s.humanCorrect, s.humanPredicted),
    counts: summarize(s).counts,
  };
}

function row(label: string, s: Score, files: string): string {
  const cells = [
    ratio(s.gptCorrect, s.gptPredicted),
    ratio(s.herFound, s.herTotal),
    String(s.gptFromOthers),
    String(s.gptUnmatched),
    ratio(s.humanCorrect, s.humanPredicted),
    files,
  ];
  const widths = [9, 10, 13, 10, 10, 8];
  return `  ${label.padEnd(22)} ${cells.map((c, i) => c.padStart(widths[i]!)).join(' ')}   ${summarize(s).counts}`;
}

async function bench(args: string[]): Promise<void> {
  const usage =
    'usage: --exec bench/gold2.ts [--part tune|heldout|heldout3|heldout5|heldout6|heldout7|heldout8] [--per-file] [--her-by-inference] [--oracle=ACC | --endpoint=URL [--model=NAME] [--concurrency=N] [--answers=DIR]] | --rules[=NN]';
  let halves: readonly Half[] = HALVES;
  let perFile = false;
  let endpointUrl: string | undefined;
  let model: string | undefined;
  let concurrency: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--per-file') perFile = true;
    else if (a === '--her-by-inference') opts = { ...fileOptions(configSchema.parse({ her_by_inference: true })), attribution_model: opts.attribution_model };
    else if (a.startsWith('--oracle=')) {
      oracleAccuracy = Number(a.slice('--oracle='.length));
      if (!(oracleAccuracy >= 0 && oracleAccuracy <= 1)) throw new BenchError(`--oracle=ACC wants an accuracy from 0 to 1, got ${a} (${usage})`, 2);
      opts = { ...opts, attribution_model: `gold-oracle-${oracleAccuracy}` };
    } else if (a.startsWith('--endpoint=')) endpointUrl = a.slice('--endpoint='.length).replace(/\/+$/, '');
    // (LLaMA-Factory's api answers to any model name and echoes API_MODEL_NAME, gpt-3.5-turbo by default.)
    else if (a.startsWith('--model=')) model = a.slice('--model='.length);
    else if (a.startsWith('--concurrency=')) {
      concurrency = Number(a.slice('--concurrency='.length));
      if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new BenchError(`--concurrency=N wants a whole number ≥ 1, got ${a} (${usage})`, 2);
    } else if (a.startsWith('--answers=')) answersDir = a.slice('--answers='.length);
    else if (a === '--rules' || a.startsWith('--rules=')) {
      const from = a === '--rules' ? 0 : Number(a.slice('--rules='.length));
      if (!Number.isInteger(from) || from < 0) throw new BenchError(`--rules=NN wants a story number, got ${a} (${usage})`, 2);
      process.stdout.write(
        `tune${from ? `, stories ${from} and up` : ''}: rule and the speaker it gave, right/lines, precision, whose the wrong ones were\n${ruleTable(from).join('\n')}\n`,
      );
      return;
    } else if (a === '--part' || a.startsWith('--part=')) {
      const v = a === '--part' ? args[++i] : a.slice('--part='.length);
      const half = HALVES.find((h) => h === v);
      if (!half) throw new BenchError(`--part wants ${HALVES.join(', ')}, got ${v ?? 'nothing'} (${usage})`, 2);
      halves = [half];
    } else throw new BenchError(`unknown flag ${a} (${usage})`, 2);
  }
  let modelLine: string | undefined;
  if (endpointUrl === undefined && (model ?? concurrency ?? answersDir) !== undefined)
    throw new BenchError(`--model, --concurrency and --answers go with --endpoint=URL (${usage})`, 2);
  if (endpointUrl !== undefined) {
    if (oracleAccuracy !== undefined) throw new BenchError(`--oracle and --endpoint are two stand-ins for one model: give one (${usage})`, 2);
    endpoint = { url: endpointUrl, model: model ?? 'gpt-3.5-turbo', timeout_ms: 120_000, concurrency: concurrency ?? 1 };
    opts = { ...opts, attribution_model: endpoint.model };
    modelLine = await realModel(halves, endpoint);
    process.stdout.write(`${modelLine}\n`);
  }
  const out: Record<
    string,
    Record<string, { files: number; files_with_samples: number; attributed: ReturnType<typeof figures>; in_samples: ReturnType<typeof figures> }>
  > = {};
  process.stdout.write(
    `  ${''.padEnd(22)} ${'gpt prec'.padStart(9)} ${'her recall'.padStart(10)} ${'others in gpt'.padStart(13)} ${'not utts'.padStart(10)} ${'human prec'.padStart(10)} ${'files'.padStart(8)}\n`,
  );
  for (const half of halves) {
    out[half] = {};
    process.stdout.write(`${half}\n`);
    for (const algo of ['new', 'old'] as const) {
      const lines: string[] = [];
      const r = scoreHalf(half, algo, perFile && half === 'tune' ? (f, s) => lines.push(`${row(`  ${/^\d+/.exec(f)?.[0] ?? f}`, s, '')}   ${f}`) : undefined);
      out[half][algo] = { files: r.files, files_with_samples: r.filesWithSamples, attributed: figures(r.attributed), in_samples: figures(r.inSamples) };
      const files = `${r.filesWithSamples}/${r.files}`;
      process.stdout.write(`${row(`${algo}, attributed`, r.attributed, '')}\n${row(`${algo}, in samples`, r.inSamples, files)}\n`);
      for (const l of lines) process.stdout.write(`${l}\n`);
    }
  }
  if (oracleAccuracy !== undefined)
    process.stdout.write(
      `oracle at accuracy ${oracleAccuracy}: ${oracleAsked.asked / 2} questions (lines the rules leave open, only infer, or give by a pronoun: hers always, anyone's where it could mean another)\n`,
    );
  const asked = endpoint ? { model: { name: endpoint.model, url: endpoint.url, summary: modelLine } } : {};
  process.stdout.write(`${JSON.stringify({ bench: 'gold2', ...(oracleAccuracy !== undefined ? { oracle: oracleAccuracy } : {}), ...asked, ...out })}\n`);
}

await runBenchMain(() => bench(process.argv.slice(2)));
