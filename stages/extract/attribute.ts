// Segmented text → a speaker for every spoken quote, from context on both sides: intro clauses
// (`她轻声说：“…”`), tags (`“…”艾雅法拉说。`), action beats, pronouns resolved to the last
// character of that gender, paragraph inheritance and turn-taking in bare back-and-forth runs.
// When the evidence is missing or contradicts itself the speaker stays null: precision first.
// Sentence and clause splitting live in narration.ts, address detection in address.ts.
import { addressCheck, calledNext, habitualAddressVeto, namesSelf, vetoedBy, vocativesIn, withCalled, type AddressCheck } from './address.js';
import { adjacentQuotes, calledBeforeBeat, ownsTrait, readOwnWords } from './cues.js';
import { answererOf, colonIntroSubject, quoteCandidate } from './quoteCandidate.js';
import { callIn, farEndSpoke, narrationAfter, startsAfresh, stopsAsking } from './narrationOnly.js';
import type { NameIndex, Referent } from './names.js';
import {
  endsTerminal,
  lastNonSpace,
  nextClauseSep,
  nextSentenceEnd,
  NO_REFS,
  MAX_EPITHET_LEAD,
  openingSubject,
  topicOf,
  SEPARATOR_RE,
  type Clause,
  type ClauseRef,
  type Sentence,
  VERB_BEFORE_RE,
} from './narration.js';
import { epithetOther } from './epithets.js';
import { markUnnamedNarrator, readNarration } from './narrator.js';
import { noteNamed, onlyByPronoun, pronounMayMeanAnother, reopenBeforeArrival, spreadByPronoun } from './arrivedLater.js';
import { bareAfterNarration, type PrevNarration } from './afterNarration.js';
import { arrivalIn, departureIn, leaveSalience, sceneVeto, type SceneView, type Unit } from './presence.js';
import { fillFile, reopenCalledByPronoun } from './honorific.js';
import { fillScene } from './turns.js';
import { SOMEONE, type Paragraph, type Scene, type Segmented, type SpeakerId, type Utterance } from './types.js';

const PUNCT_ONLY_RE = /^[\s，,。.！!？?…—\-～~、；;：:]*$/;
/** Right before a descriptive noun: it introduces someone new (`一个少女`, `一位女士`). */
const INTRODUCES_SOMEONE_RE = /[一某](?:个|位|名)?$|[一某](?:个|位|名)[^，,。！？!?、；;“”]{1,10}的$/;
const DEMONSTRATIVE_RE = /[那这](?:个|位|名)?$/;

export interface AttributeOptions {
  names: NameIndex;
  /** Who a first-person narrator is, when the text says so (discover.ts). */
  narrator?: SpeakerId;
}

export function attribute(seg: Segmented, opts: AttributeOptions): void {
  const { names } = opts;
  const address = addressCheck(names);
  const vetoed = (u: Utterance, id: SpeakerId): boolean => vetoedBy(address, u, id) || namesSelf(u.text, id, names);

  // A bare descriptive noun (少女) once resolved names the same character for the rest of the file.
  const epithets = new Map<string, SpeakerId>();
  const { narrRefs, narrator, otherShe, unnamed } = readNarration(seg, names, opts.narrator);
  let cursor = 0;
  const nextRefs = (): Referent[] => narrRefs[cursor++]!;
  const splitRefsOk = !names.hasSeparatorInNames(SEPARATOR_RE);

  // (The narration names no other woman: 她 with nothing before it is her.)
  const sheIsHer = otherShe === 0;
  const views = seg.scenes.map((scene) => attributeScene(scene, seg.utterances, names, narrator, epithets, vetoed, address, nextRefs, splitRefsOk, sheIsHer));
  if (unnamed) markUnnamedNarrator(seg, narrRefs, views);
  // (Someone else using her honorific anywhere in the file makes it no evidence of her anywhere in it.)
  const sharedInFile = views.some((v) => v.sharedHonorific);
  const habit = sharedInFile ? undefined : habitualAddressVeto(seg.utterances, names);
  if (habit) for (const v of views) v.habit = habit;
  if (sharedInFile) for (const v of views) fillScene(v);
  else fillFile(views, seg.utterances);
  for (const v of views) for (const unit of v.units) for (const u of unit.utts) if (u.speaker === null && v.vetoed(u, 'persona')) u.notHer = true;
}

function attributeScene(
  scene: Scene,
  utts: Utterance[],
  names: NameIndex,
  narrator: SpeakerId | null,
  epithets: Map<string, SpeakerId>,
  vetoed: (u: Utterance, id: SpeakerId) => boolean,
  address: AddressCheck,
  nextRefs: () => Referent[],
  splitRefsOk: boolean,
  sheIsHer = false,
): SceneView {
  const state: Record<'她' | '他', Set<SpeakerId>> = { 她: new Set(sheIsHer ? ['persona'] : []), 他: new Set() };
  const present = new Set<SpeakerId>();

  // Who is named or heard in each paragraph, for the scene passes (turns.ts).
  const paraMentions: Array<Set<SpeakerId> | undefined> = [];
  const left: Array<SpeakerId | undefined> = [];
  const afresh: boolean[] = [];
  const arrived: Array<SpeakerId | undefined> = [];
  const namedAt: Array<Set<SpeakerId> | undefined> = [];
  let curPara = 0;
  const mention = (id: SpeakerId) => {
    present.add(id);
    (paraMentions[curPara] ??= new Set()).add(id);
  };
  // Sentences end after 。！？!?；;… unless more of those (or a closing quote) follow; clauses are
  // split at ，,：:、 (separators dropped). Referents come from one scan of the whole segment
  // (no name contains a separator, so a match never straddles a clause).
  // How often each character was meant by 她 / 他 in the sentence being read (cleared at each sentence).
  const topicShe = new Map<SpeakerId, number>();
  const topicHe = new Map<SpeakerId, number>();
  // The characters named so far in the clause being read (emptied at each clause; a plain list, as it holds one or two).
  let clauseNames: SpeakerId[] = [];
  // The characters named so far in the sentence being read (emptied at each sentence).
  let sentenceNames: SpeakerId[] = [];
  // A sentence naming several and using no pronoun: its opening subject stays salient (narration.ts openingSubject).
  const opener = (seen: Set<SpeakerId>, topic: ReadonlyMap<SpeakerId, number>, clauses: readonly Clause[]) => {
    // (Someone just introduced, `一个女人走过来`, leaves it open.)
    // (One pronoun that meant the opening subject too, `甲蹲下来，她的羊角碰到乙的膝盖。`: the topic goes on.)
    const id = topic.size > 1 || seen.has(SOMEONE) ? undefined : openingSubject(clauses, seen);
    return id && seen.has(id) && (!topic.size || topic.has(id)) ? new Set([id]) : undefined;
  };
  const resolveNarration = (text: string): Sentence[] => {
    const segRefs = nextRefs();
    const all = splitRefsOk ? segRefs : undefined;
    const sentences: Sentence[] = [];
    let ri = 0;
    let start = 0;
    const n = text.length;
    // Next clause separator at or after the clause being read (n: none) (narration.ts nextClauseSep).
    let nextSep = -1;
    // Who 她 / 他 referred to earlier in the sentence being read.
    let seenShe: Set<SpeakerId> | undefined;
    let seenHe: Set<SpeakerId> | undefined;
    const resolve = (ref: Referent['ref'], index: number, abs: number, word?: string, len = 1): ClauseRef => {
      let id: SpeakerId | null;
      if (ref === '我') id = narrator;
      else if ((ref === '某她' || ref === '某他') && INTRODUCES_SOMEONE_RE.test(text.slice(Math.max(0, abs - 14), abs))) {
        // `一个少女…`: someone new, not surely anyone: resolves to no one and makes the pronoun
        // ambiguous from here on.
        id = null;
        if (ref === '某她') (seenShe ??= new Set()).add(SOMEONE);
        else (seenHe ??= new Set()).add(SOMEONE);
        mention(SOMEONE);
        // (The bare noun goes on naming that someone, no salient character: `女人把线塞进口袋`.)
        if (word !== undefined && !epithets.has(word)) epithets.set(word, SOMEONE);
      } else if (ref === '她' || ref === '他' || ref === '某她' || ref === '某他') {
        // A pronoun, or a descriptive noun (少女, 那女孩) read like one: the one salient character.
        const p = ref === '她' || ref === '某她' ? '她' : '他';
        const seen = p === '她' ? seenShe : seenHe;
        let set = seen?.size ? seen : state[p];
        // A descriptive noun as the object of a clause whose sentence has named someone before it
        // is someone else (`可露希尔抬起头，看见是羊角少女`); as a subject it may be the same one.
        const objectOfNamed = word !== undefined && sentenceNames.length > 0 && index > MAX_EPITHET_LEAD;
        if (objectOfNamed) set = new Set([...state[p]].filter((x) => !sentenceNames.includes(x)));
        // A pronoun after one in its sentence that meant one character means that one too (`阿米娅拉了拉她的袖子，她这才…`).
        const chain = word === undefined ? (p === '她' ? topicShe : topicHe) : undefined;
        if (chain?.size === 1) set = new Set(chain.keys());
        // A pronoun is not the character named earlier in its own clause (`伊芙利特缠着她`).
        // (Nobody else in the sentence so far: the one salient before it, `阿米娅拉了拉她的袖子`.)
        if (clauseNames.length) set = new Set([...set].filter((x) => !clauseNames.includes(x)));
        if (!set.size && clauseNames.length && seen?.size) set = new Set([...state[p]].filter((x) => !clauseNames.includes(x)));
        // (A descriptive noun of another age, 女孩 after 女人 named 凯尔希, is someone else: epithetOther.)
        if (word !== undefined && set.size) set = epithetOther(word, set, epithets, present, p, names);
        id = set.size === 1 ? set.values().next().value! : null;
        if (id === SOMEONE) id = null;
        if (word !== undefined && !DEMONSTRATIVE_RE.test(text.slice(Math.max(0, abs - 2), abs))) {
          // A bare 少女 / 女孩: an epithet. Once resolved it keeps naming that character (`那女孩`
          // is whoever was just introduced, resolved afresh each time).
          const bound = epithets.get(word);
          if (bound) id = present.has(bound) && bound !== SOMEONE ? bound : null;
          // (After a verb it is an object, not bound, unless the sentence named the other one: then it is surely not them.)
          else if (id && (objectOfNamed || !VERB_BEFORE_RE.test(text.slice(abs - index, abs)))) epithets.set(word, id);
        }
        // (A clause saying what only she has, `她扶了扶助听器`, `羊角少女`, is about her: cues.ts ownsTrait.)
        if (p === '她' && id !== 'persona' && !clauseNames.includes('persona') && ownsTrait(text, abs, len, Math.min(nextSep, n), names)) {
          id = 'persona';
          // (The bare noun of a trait's owner, `羊角少女`, goes on naming her: `少女` later is her, not whom salience bound it to.)
          if (word !== undefined && !DEMONSTRATIVE_RE.test(text.slice(Math.max(0, abs - 2), abs))) epithets.set(word, id);
        }
      } else {
        id = ref;
        clauseNames.push(ref);
        noteNamed(namedAt, curPara, text, abs + len, ref);
        sentenceNames.push(ref);
      }
      if (id && (ref === '她' || ref === '他')) {
        const t = ref === '她' ? topicShe : topicHe;
        t.set(id, (t.get(id) ?? 0) + 1);
      }
      if (!id && (ref === '她' || ref === '某她')) (seenShe ??= new Set()).add(SOMEONE);
      else if (!id && (ref === '他' || ref === '某他')) (seenHe ??= new Set()).add(SOMEONE);
      // (The narrator is 我: never whom 她 / 他 means, even where the narration names them, `我叫桐絮`.)
      if (id && ref !== '我' && id !== narrator) {
        if (names.pronounOf(id) === '她') (seenShe ??= new Set()).add(id);
        else (seenHe ??= new Set()).add(id);
      }
      if (id) mention(id);
      return word !== undefined ? { id, index, len, epithet: true } : { id, index, len };
    };
    while (start < n) {
      const end = nextSentenceEnd(text, start);
      const sStart = start;
      start = end;
      if (lastNonSpace(text, sStart, end) < sStart) {
        while (all && ri < all.length && all[ri]!.index < end) ri++;
        continue;
      }
      seenShe = undefined;
      seenHe = undefined;
      if (sentenceNames.length) sentenceNames = [];
      // (Only when not empty: V8's clear() allocates a fresh table even for an empty collection.)
      if (topicShe.size) topicShe.clear();
      if (topicHe.size) topicHe.clear();
      const clauses: Clause[] = [];
      for (let cStart = sStart; ;) {
        if (nextSep < cStart) nextSep = nextClauseSep(text, cStart);
        const base = cStart;
        if (clauseNames.length) clauseNames = [];
        const cEnd = nextSep < end ? nextSep : end;
        cStart = cEnd + 1;
        let refs: ClauseRef[] | undefined;
        if (all) {
          while (ri < all.length && all[ri]!.index < cEnd) {
            const r = all[ri++]!;
            if (r.index >= base) (refs ??= []).push(resolve(r.ref, r.index - base, r.index, r.word, r.len));
          }
        } else for (const r of names.referents(text.slice(base, cEnd))) (refs ??= []).push(resolve(r.ref, r.index, base + r.index, r.word, r.len));
        clauses.push({ src: text, start: base, end: cEnd, refs: refs ?? NO_REFS });
        if (cEnd === end) break;
      }
      // (resolve may have set them: TypeScript does not see assignments made in a closure.)
      const she = seenShe as Set<SpeakerId> | undefined;
      const he = seenHe as Set<SpeakerId> | undefined;
      // The topic: a sentence whose pronouns (two or more) all meant one character keeps that one
      // salient, whoever else it names (`…连凯尔希都会夸她。…撞见她…`: 她 is still the topic).
      if (she?.size) state['她'] = she.size > 1 ? (topicOf(topicShe) ?? opener(she, topicShe, clauses) ?? she) : she;
      if (he?.size) state['他'] = he.size > 1 ? (topicOf(topicHe) ?? opener(he, topicHe, clauses) ?? he) : he;
      sentences.push({ src: text, start: sStart, end, clauses, complete: endsTerminal(text, sStart, end) });
    }
    return sentences;
  };

  const units: Unit[] = [];
  // Lines whose speaker only a pronoun or a descriptive noun gave (`她回答`, `少女…问：`): reopenBeforeArrival.
  const byPronoun = new Set<Utterance>();
  let prevNarration: PrevNarration | undefined;
  // A call is on in the scene (narrationOnly.ts callIn).
  let onCall = false;

  function attributeParagraph(p: Paragraph, pi: number): void {
    // Sentences of each narration segment, by segment index (undefined for quotes).
    const segs = p.segments;
    const narr: Array<Sentence[] | undefined> = new Array<Sentence[] | undefined>(segs.length);
    const speechIdx: number[] = [];
    for (let k = 0; k < segs.length; k++) {
      const s = segs[k]!;
      if (s.kind === 'narr') narr[k] = resolveNarration(s.text);
      else if (utts[s.utt]!.kind === 'speech') {
        speechIdx.push(k);
        // Whom a line calls by name is salient after it too (`“伊芙利特，…”小女孩撇了撇嘴`).
        // (Read by the narration after it in the paragraph; the paragraph's speaker resets it after.)
        const t = utts[s.utt]!.text;
        if (k + 1 < segs.length && names.containsAny(t)) for (const id of calledBeforeBeat(t, segs[k + 1]!, names)) state[names.pronounOf(id)].add(id);
      }
    }
    // (Who comes in here, `博士推门走进来`, was not about before: presence.ts arrivalIn.)
    arrived[pi] = arrivalIn(narr);
    // (Who leaves with no verb of leaving, `门在她身后合上了`: presence.ts departureIn.)
    left[pi] = departureIn(narr);
    // (Nor is 她 / 他 taken to mean them after it, while someone else is meant so too.)
    const gone = left[pi];
    if (gone) leaveSalience(state[names.pronounOf(gone)], gone, present, names);
    if (startsAfresh(segs)) afresh[pi] = true;
    // (Reported speech after this is the far end's, narrationOnly.ts farEndSpoke; the paragraph's own text read first.)
    const callBefore = onCall;
    onCall ||= callIn(segs);
    if (speechIdx.length === 0) {
      // A narration-only paragraph: who it leaves about, for a bare quote right after it (cues.ts).
      const after = narrationAfter(narr, segs, utts, names, narrator);
      if (after.gone) left[pi] = after.gone;
      // (The bare line right before, answering whoever this opens on not asking again: turns.ts fillByQuestion.)
      const last = units.at(-1);
      if (last?.bare && last.para === pi - 1 && !/[？?]$/.test(last.utts.at(-1)!.text.trimEnd())) last.answered = stopsAsking(narr.find((x) => x)?.[0]);
      prevNarration = { para: pi, only: after.only, far: farEndSpoke(segs, callBefore), cue: after.cue, intro: colonIntroSubject(narr) };
      return;
    }

    if (p.scriptName !== undefined) {
      const u = utts[(p.segments[speechIdx[0]!] as { utt: number }).utt]!;
      const known = names.lookupExact(p.scriptName) ?? epithets.get(p.scriptName);
      const id: SpeakerId = known ?? (p.scriptName === '我' ? (narrator ?? 'doctor') : `other:${p.scriptName}`);
      u.speaker = vetoed(u, id) ? null : id;
      u.rule = u.speaker ? 'script' : 'script-veto';
      mention(id);
      if (known) state[names.pronounOf(known)] = new Set([known]);
      units.push({ para: pi, speaker: u.speaker, bare: false, utts: [u] });
      return;
    }

    const quoteUtts: Utterance[] = [];
    const intros: Array<Sentence | undefined> = [];
    const beats: Array<Sentence | undefined> = [];
    for (const k of speechIdx) {
      const u = utts[(p.segments[k] as { utt: number }).utt]!;
      quoteUtts.push(u);
      const pre = k > 0 ? narr[k - 1] : undefined;
      const lastPre = pre?.at(-1);
      intros.push(lastPre && !lastPre.complete ? lastPre : undefined);
      beats.push(lastPre?.complete ? lastPre : undefined);
      const { cand, rule, from } = quoteCandidate(k, segs, narr, utts, names, speechIdx);
      // (她 meant the woman whose question the line answers: the other woman is the one answering, quoteCandidate.ts.)
      const answerer = cand?.id && quoteUtts.every((x) => !x.speaker) ? answererOf(cand.id, from, quoteUtts[0]!.text, units, present, names) : undefined;
      if (answerer) cand!.id = answerer;
      if (cand) {
        if (cand.id && !vetoed(u, cand.id)) {
          u.speaker = cand.id;
          u.rule = rule;
          if (from && onlyByPronoun(from, cand.id)) {
            byPronoun.add(u);
            if (pronounMayMeanAnother(cand.id, present, names, narrator)) u.byPronoun = true;
          }
        } else {
          u.rule = cand.id ? `${rule}-veto` : `${rule}-unresolved`;
        }
      }
    }
    // S: a line in which the speaker names themselves (`我叫艾雅法拉。`), where nothing else decided it (cues.ts).
    readOwnWords(quoteUtts, speechIdx, segs, narr, names, vetoed);
    // D: one paragraph, one speaker: quotes without evidence take the paragraph's speaker.
    // The one speaker decided for the paragraph's quotes (null: none or several).
    let decided: SpeakerId | null = null;
    let several = false;
    for (const u of quoteUtts)
      if (u.speaker) {
        if (decided === null) decided = u.speaker;
        else if (u.speaker !== decided) several = true;
      }
    const adjacent = speechIdx.length > 1 ? adjacentQuotes(segs, speechIdx) : undefined;
    // (A tag that names someone unknown, or two quotes back to back, `“…”“…”`: a second speaker.)
    const contradicted = quoteUtts.some((u) => u.rule?.endsWith('-veto') || u.rule?.endsWith('-unresolved')) || adjacent?.includes(true) === true;
    let paraSpeaker: SpeakerId | null = null;
    if (decided !== null && !several && !contradicted) {
      paraSpeaker = decided;
      for (const u of quoteUtts)
        if (!u.speaker && !u.rule) {
          if (vetoed(u, paraSpeaker)) u.rule = 'paragraph-veto';
          else {
            u.speaker = paraSpeaker;
            u.rule = 'paragraph';
          }
        }
    }
    if (paraSpeaker) {
      mention(paraSpeaker);
      // (The narrator speaking, `”我问。`, says nothing about whom 她 / 他 means next. Whom the last
      // line calls by name is as salient after it: `“艾雅法拉小姐，请坐。”` + `她…` may be either.)
      if (paraSpeaker !== narrator) state[names.pronounOf(paraSpeaker)] = withCalled(paraSpeaker, quoteUtts.at(-1)!.text, names);
    }
    spreadByPronoun(quoteUtts);
    const bare = p.segments.every((s) => s.kind === 'quote' || PUNCT_ONLY_RE.test(s.text));
    // A bare paragraph right after a narration-only one: what that narration says of who speaks (afterNarration.ts).
    let askedOf: SpeakerId | undefined;
    let answers: SpeakerId | undefined;
    if (bare && !paraSpeaker && prevNarration?.para === pi - 1) {
      const prevSpeaker = units.at(-1)?.utts.at(-1)?.speaker ?? undefined;
      ({ speaker: paraSpeaker, askedOf, answers } = bareAfterNarration(prevNarration, quoteUtts, adjacent, prevSpeaker, { names, narrator, vetoed, state }));
    }
    // (A bare line no one is known to have said that calls someone by name: they answer it, address.ts calledNext; her, the Doctor, or someone about.)
    const called = !paraSpeaker && bare ? calledNext(quoteUtts.at(-1)!.text, names, narrator) : undefined;
    if (called && (called === 'persona' || called === 'doctor' || present.has(called))) state[names.pronounOf(called)] = new Set([called]);
    const undecided = quoteUtts.every((u) => !u.rule);
    units.push({ para: pi, speaker: paraSpeaker, bare: bare && undecided, utts: quoteUtts, intros, adjacent, askedOf, answers, beats });
  }
  for (let pi = 0; pi < scene.paragraphs.length; pi++) {
    curPara = pi;
    attributeParagraph(scene.paragraphs[pi]!, pi);
  }

  reopenBeforeArrival(units, arrived, byPronoun, paraMentions, left, namedAt);
  reopenCalledByPronoun(units, byPronoun, names, address);
  // Her honorific is shared when a line calls *her* by it (艾雅法拉前辈) or another character's
  // line uses it: then it is no evidence of who speaks in this scene.
  const sharedHonorific = units.some((u) =>
    u.utts.some((x) => address.sharesHonorific(x.text) || (x.speaker !== null && x.speaker !== 'persona' && x.text.includes('前辈'))),
  );
  const named = (t: string) => new Set(names.referents(t).flatMap((r) => (r.ref.length > 2 ? [r.ref as SpeakerId] : [])));
  // (Someone the config does not know may call the Doctor 前辈 too: the honorific says nothing here.)
  const strangers = [...present].some((id) => names.isStranger(id)) || units.some((u) => u.speaker !== null && names.isStranger(u.speaker));
  const view: SceneView = {
    units,
    mentions: paraMentions,
    left,
    afresh,
    arrived,
    address,
    vetoed,
    habit: undefined,
    strangerVeto: false,
    sharedHonorific,
    strangers,
    vocatives: (t) => vocativesIn(t, names),
    named,
  };
  view.vetoed = sceneVeto(view, vetoed);
  return view;
}
