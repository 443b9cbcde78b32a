// A reimplementation of the behaviour of the user's previous Python extractor (described in
// issue 3), for comparison only: the bench measures its throughput and the gold test scores its
// attribution. Never used by the pipeline.
import { createHash } from 'node:crypto';

const HER = ['艾雅法拉', '阿黛尔', '小羊'];
const DOCTOR = ['博士', '前辈', 'Doctor'];
const HINTS = ['前辈', '博士', '罗德岛'];
const NSFW = [
  '做爱',
  '性交',
  '高潮',
  '射精',
  '插入',
  '进入体内',
  '阴茎',
  '阴道',
  '乳房',
  '胸部',
  '呻吟',
  '脱光',
  '强上',
  '男朋友该做的事',
  '茂密的森林和溪流',
  '疯狂了一整晚',
];
const NOISE = [/^正文(走起|开始).*$/i, /^本章.*$/i, /^上篇.*$/i, /^.*(未完待续|to be continued).*$/i, /^cut[- ]?off.*$/i, /^\(.*\)$/i];
const SPEAKER_LINE = /^\s*([^\s：:]{1,16})\s*[:：]\s*(.+?)\s*$/;
const QUOTE = /[“"]([^“”"]{1,500})[”"]/g;
const VERB = /(说|道|问|喊|轻声|低声|笑着)/;
const OPENER = '我在，前辈。你想和我说什么？';

export interface OldTurn {
  role: 'human' | 'gpt';
  text: string;
}

/** Per-quote (or per script line) role decisions, before merging: what the gold test scores. */
export interface OldResult {
  decisions: Array<{ text: string; role: 'human' | 'gpt' | null }>;
  samples: Array<{ system: string; conversations: Array<{ from: string; value: string }> }>;
}

function paragraphs(text: string): string[] {
  const out: string[] = [];
  let buf: string[] = [];
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw
      .replace(/\ufeff/g, '')
      .replace(/\u200b/g, '')
      .trim()
      .replace(/[「『]/g, '“')
      .replace(/[」』]/g, '”');
    if (!line) {
      if (buf.length) out.push(buf.join('\n').trim());
      buf = [];
      continue;
    }
    if (NOISE.some((r) => r.test(line)) || ['---', '——', '—', '***'].includes(line)) continue;
    buf.push(line);
  }
  if (buf.length) out.push(buf.join('\n').trim());
  return out;
}

const nsfw = (s: string) => NSFW.some((k) => s.includes(k));

function merge(turns: OldTurn[]): OldTurn[] {
  const out: OldTurn[] = [];
  for (const t of turns) {
    const last = out.at(-1);
    if (last && last.role === t.role) last.text = `${last.text}\n${t.text}`.trim();
    else out.push({ ...t });
  }
  return out;
}

export function oldExtract(bytes: Uint8Array, system = '', o = { minChars: 12, maxTurns: 6, maxHuman: 360, maxGpt: 420, allowNsfw: false }): OldResult {
  const text = new TextDecoder('utf-8').decode(bytes);
  const paras = paragraphs(text);
  const decisions: OldResult['decisions'] = [];
  let turns: OldTurn[] = [];
  // Script lines, when there are enough of them.
  const lines = paras.flatMap((p) => p.split('\n'));
  const hits: Array<[string, string]> = [];
  for (const l of lines) {
    const m = SPEAKER_LINE.exec(l);
    if (m && m[2]) hits.push([m[1]!, m[2]]);
  }
  if (hits.length >= 8 && hits.length >= lines.length * 0.2) {
    for (const [sp, tx] of hits) {
      const role = HER.some((n) => sp.includes(n)) ? 'gpt' : DOCTOR.some((n) => sp.includes(n)) || sp === '我' ? 'human' : null;
      decisions.push({ text: tx, role });
      if (role) turns.push({ role, text: tx });
    }
    turns = merge(turns);
  } else {
    const firstPerson = (paras.join('\n\n').match(/我/g) ?? []).length >= 30;
    for (const p of paras) {
      if (!o.allowNsfw && nsfw(p)) continue;
      QUOTE.lastIndex = 0;
      for (let m = QUOTE.exec(p); m; m = QUOTE.exec(p)) {
        const q = m[1]!.trim();
        if (q.length < 2) continue;
        const cb = p.slice(0, m.index).slice(-200);
        const ca = p.slice(m.index + m[0].length).slice(0, 200);
        let role: 'gpt' | 'human' | null = null;
        if (HINTS.some((h) => q.includes(h))) role = 'gpt';
        else if (HER.some((n) => cb.includes(n)) && VERB.test(cb)) role = 'gpt';
        else if (HER.some((n) => ca.includes(n)) && VERB.test(ca)) role = 'gpt';
        else if (firstPerson) role = 'human';
        decisions.push({ text: q, role });
        if (role) turns.push({ role, text: q });
      }
    }
    turns = merge(turns);
  }
  const samples: OldResult['samples'] = [];
  if (turns.some((t) => t.role === 'gpt') && turns.some((t) => t.role === 'human')) {
    let pruned = merge(
      turns.filter(
        (t) =>
          !(
            (t.role === 'gpt' && t.text.length < o.minChars) ||
            (t.role === 'human' && t.text.length > o.maxHuman) ||
            (t.role === 'gpt' && t.text.length > o.maxGpt)
          ),
      ),
    );
    if (pruned[0]?.role === 'gpt') pruned = [{ role: 'human', text: OPENER }, ...pruned];
    for (let i = 0; i < pruned.length; i++) {
      if (pruned[i]!.role !== 'human') continue;
      for (let j = i; j < pruned.length && j - i + 1 <= o.maxTurns; j++) {
        const buf = pruned.slice(i, j + 1);
        if (buf.at(-1)!.role !== 'gpt') continue;
        if (!buf.some((t) => t.role === 'gpt' && t.text.includes('前辈'))) continue;
        samples.push({ system, conversations: buf.map((t) => ({ from: t.role, value: t.text })) });
      }
    }
  }
  return { decisions, samples };
}

/** The old dedup: a sha256 of each sample's JSON. */
export function oldDedup<T>(samples: T[]): T[] {
  const seen = new Set<string>();
  return samples.filter((s) => {
    const h = createHash('sha256').update(JSON.stringify(s)).digest('hex');
    if (seen.has(h)) return false;
    seen.add(h);
    return true;
  });
}
