// Whom a spoken line addresses: 前辈 or a Doctor name as a vocative means the Doctor, one of her
// names as a vocative means her. The attributor uses it to veto and to infer speakers.
import type { NameIndex } from './names.js';
import type { SpeakerId, Utterance } from './types.js';

/** A name used as a vocative: at the start of the line or after punctuation, followed by punctuation or the end. */
function vocativeRe(names: readonly string[]): RegExp {
  const alt = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return new RegExp(`(?:^|[，,。！!？?…～~—\\s])(?:${alt})(?=[，,！!？?…～~。]|$)`);
}

export interface AddressCheck {
  /** The line addresses the Doctor (前辈 on its own, or a Doctor name as a vocative). */
  doctor(text: string): boolean;
  /** The line addresses her (one of her names as a vocative, 艾雅法拉前辈 included). */
  persona(text: string): boolean;
  /** The line calls her by the honorific she uses for the Doctor (艾雅法拉前辈). */
  honorsHer(text: string): boolean;
  /**
   * The line is someone else's use of her honorific: it calls her by it (honorsHer), or it calls
   * her by name and uses 前辈 besides (`艾雅法拉小姐，您也叫前辈吗？`): she does not call herself.
   */
  sharesHonorific(text: string): boolean;
  /**
   * The known character the line addresses, if exactly one kind of address is found. With
   * `honorific` false (someone else uses it too), 前辈 and 您 say nothing.
   */
  addressee(text: string, honorific?: boolean): SpeakerId | undefined;
}

/** A signature closing a line or note: `——艾雅法拉`. */
const SIGNATURE_RE = /[—―]{1,2}[^—―，,。！!？?]{1,12}$/;

// Keyed by her names (the same array for every file's index built from one config).
const addressChecks = new WeakMap<readonly string[], AddressCheck>();

export function addressCheck(names: NameIndex): AddressCheck {
  const cached = addressChecks.get(names.personaNames);
  if (cached) return cached;
  const esc = (n: string) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const her = names.personaNames.map(esc).join('|');
  const senpai = new RegExp(`(?<!${her})前辈`);
  const honored = new RegExp(`(?:${her})前辈`);
  const doctorVoc = vocativeRe(names.doctorNames);
  const personaVoc = new RegExp(`(?:^|[，,。！!？?…～~—\\s])(?:${her})(?:前辈|小姐|同学|姐姐|姐|老师)?(?=[，,！!？?…～~。]|$)`);
  const check: AddressCheck = {
    doctor: (t) => (t.includes('前辈') && senpai.test(t)) || doctorVoc.test(t),
    persona: (t) => personaVoc.test(t),
    honorsHer: (t) => t.includes('前辈') && honored.test(t),
    // (Her name as a signature, `…——艾雅法拉`, is no call: her own note.)
    sharesHonorific: (t) => t.includes('前辈') && (honored.test(t) || (senpai.test(t) && personaVoc.test(t.replace(SIGNATURE_RE, '')))),
    addressee(t, honorific = true) {
      const d = honorific ? check.doctor(t) || t.includes('您') : doctorVoc.test(t);
      const p = check.persona(t);
      if (d && !p) return 'doctor';
      if (p && !d) return 'persona';
      return undefined;
    },
  };
  addressChecks.set(names.personaNames, check);
  return check;
}

/** Punctuation a vocative stands after (or the line's start) and before (or the line's end). */
const VOC_BEFORE_RE = /[，,。！!？?…～~—\s]/;
const VOC_AFTER_RE = /[，,！!？?…～~。]/;
/** The longest name read as a vocative. */
const MAX_NAME = 12;
/** Titles a name may carry as a vocative (炎熔姐姐, 艾雅姐, 凯尔希医生). */
const VOC_TITLE_RE = /^(?:前辈|小姐|同学|姐姐|姐|老师|医生|妹妹|哥哥|大叔|阿姨)/;

/**
 * The characters a spoken line calls by name (a name at the line's start or after punctuation,
 * maybe with a title, followed by punctuation or the end): whoever speaks it is none of them.
 */
export function vocativesIn(text: string, names: NameIndex): ReadonlySet<SpeakerId> {
  // (Asked of the same lines again and again by the rules: answered once per line and name index,
  // for lines of a usual length; a file's index is another object whenever its names differ.)
  if (text.length > MAX_CACHED_CHARS) return readVocatives(text, names);
  if (names !== cachedFor || cache.size >= MAX_CACHED) forgetVocatives(names);
  let out = cache.get(text);
  if (!out) cache.set(text, (out = readVocatives(text, names)));
  return out;
}
let cachedFor: NameIndex | undefined;
const cache = new Map<string, ReadonlySet<SpeakerId>>();
const MAX_CACHED = 4096;
const MAX_CACHED_CHARS = 512;
const NO_VOCATIVES: ReadonlySet<SpeakerId> = new Set();
/** Drops the lines vocativesIn remembers (when the index changes, or MAX_CACHED are held). */
export function forgetVocatives(names?: NameIndex): void {
  cache.clear();
  cachedFor = names;
}

function readVocatives(text: string, names: NameIndex): ReadonlySet<SpeakerId> {
  // (No name in the line at all, the usual case: no referent to read.)
  if (!names.containsAny(text)) return NO_VOCATIVES;
  const out = new Set<SpeakerId>();
  for (const r of names.referents(text)) {
    if (r.ref === '她' || r.ref === '他' || r.ref === '我' || r.ref === '某她' || r.ref === '某他') continue;
    if (r.index > 0 && !VOC_BEFORE_RE.test(text[r.index - 1]!)) continue;
    // (Where the name ends: the longest name of r.ref there, 艾雅法拉 rather than 艾雅, at most
    // MAX_NAME long. The referent scan read the longest name there, which is r.ref's.)
    let end = r.len <= MAX_NAME ? r.index + r.len : -1;
    if (end < 0) for (let e = r.index + 1; e <= text.length && e - r.index <= MAX_NAME; e++) if (names.lookupExact(text.slice(r.index, e)) === r.ref) end = e;
    if (end < 0) continue;
    const rest = text.slice(end);
    const title = VOC_TITLE_RE.exec(rest);
    const after = title ? rest.slice(title[0].length) : rest;
    // (A particle may come between: `阿黛尔啊，…`, `博士呀！`.)
    const rest2 = after[0] === '啊' || after[0] === '呀' ? after.slice(1) : after;
    if (rest2 === '' || VOC_AFTER_RE.test(rest2[0]!)) out.add(r.ref);
  }
  return out;
}

/**
 * The one character a line whose speaker is not known calls by name (`“能啊，艾雅法拉小姐。”`):
 * they answer it, and are who 她 / 他 means in the paragraph after it (`“…”她把盒子放下`).
 * Never the narrator (我 in the narration).
 */
export function calledNext(line: string, names: NameIndex, narrator: SpeakerId | null): SpeakerId | undefined {
  const called = vocativesIn(line, names);
  const id = called.size === 1 ? called.values().next().value : undefined;
  return id === narrator ? undefined : id;
}

/** Whether the line's own words forbid `id` as its speaker: it addresses them (前辈 / a name as a vocative). */
export function vetoedBy(address: AddressCheck, u: Utterance, id: SpeakerId): boolean {
  return (id === 'doctor' && (u.text.includes('前辈') || address.doctor(u.text))) || (id === 'persona' && (address.persona(u.text) || callsGirl(u.text)));
}

/** 姑娘 / 小姑娘 / 丫头 opening the line or a clause (`姑娘，再来一串？`, `哈，小姑娘倒老实。`): how others call her, never her way of calling anyone. */
const CALLS_GIRL_RE = /(?:^|[，,。！!？?…～~—\s])(?:小)?(?:姑娘|丫头)(?!们)/;
export function callsGirl(text: string): boolean {
  return (text.includes('姑娘') || text.includes('丫头')) && CALLS_GIRL_RE.test(text);
}

/** The hard cues a label from elsewhere (the model) must agree with: the line does not address its speaker. */
export function hardCueAllows(names: NameIndex, u: Utterance, id: SpeakerId): boolean {
  return !vetoedBy(addressCheck(names), u, id) && !vocativesIn(u.text, names).has(id);
}

/** A self-introduction right before a name: `我叫` / `我是` (`我是罗德岛的博士`) / `我名叫`, a radio's `这里是`, `叫我`. */
const SELF_INTRO_RE = /(?:我(?:叫|是|就是|名叫)[^，,。！!？?…]{0,6}|这里是|这边是|(?:叫|喊|称呼)我)$/;
/** How to call the speaker, the name right after a bare 叫 and before 就行: `叫博士就行。`. */
const CALL_BEFORE_RE = /(?:^|[，,。！!？?…～~—\s])(?:叫|喊|称呼)$/;
const CALL_AFTER_RE = /^(?:就行|就好|就可以)/;

/**
 * The line names `id` in the third person (`蓝铃小姐的心跳……`), not in a self-introduction:
 * no one speaks of themselves by name, so its speaker is someone else.
 */
export function namesSelf(text: string, id: SpeakerId, names: NameIndex): boolean {
  // (Not for her: a letter she reads out, `亲爱的阿黛尔，…`, or talk about her own alias names her.)
  if (id === 'persona' || !names.containsAny(text)) return false;
  for (const r of names.referents(text)) {
    if (r.ref !== id) continue;
    const before = text.slice(Math.max(0, r.index - 10), r.index);
    if (!SELF_INTRO_RE.test(before) && !(CALL_BEFORE_RE.test(before) && CALL_AFTER_RE.test(text.slice(r.index + r.len)))) return true;
  }
  return false;
}

/** The speaker and whoever of the same pronoun their line calls by name (vocativesIn). */
export function withCalled(speaker: SpeakerId, line: string, names: NameIndex): Set<SpeakerId> {
  const set = new Set([speaker]);
  const p = names.pronounOf(speaker);
  if (names.containsAny(line)) for (const id of vocativesIn(line, names)) if (names.pronounOf(id) === p) set.add(id);
  return set;
}

/**
 * Her habitual address for the Doctor (issue #15): in a file where no one else uses her honorific,
 * lines use it (前辈) at least twice, and none of hers settled by its own evidence calls him by a
 * Doctor name instead, a line
 * that calls the Doctor by name (`博士，…`) without the honorific is someone else's. A veto the
 * scene passes add (address, turn-taking): the paragraph pass — tags, beats — is not touched.
 */
export function habitualAddressVeto(utts: readonly Utterance[], names: NameIndex): ((u: Utterance, id: SpeakerId) => boolean) | undefined {
  let senpai = 0;
  for (const u of utts) {
    if (u.kind !== 'speech' || (u.speaker !== null && u.speaker !== 'persona')) continue;
    // (Lines still open count for the honorific: no one else in the file uses it, attribute.ts.)
    if (u.speaker === 'persona' && !u.text.includes('前辈') && vocativesIn(u.text, names).has('doctor')) return undefined;
    if (u.text.includes('前辈')) senpai++;
  }
  if (senpai < 2) return undefined;
  return (u, id) => id === 'persona' && !u.text.includes('前辈') && vocativesIn(u.text, names).has('doctor');
}
