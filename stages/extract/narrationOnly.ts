// What a narration-only paragraph says of the bare quote right after it (attribute.ts): the one
// character its last sentence is about, a voice heard at its end, the first-person narrator acting
// in it — or nothing, when it ends in a thought or writing, reports someone's words, or the one it
// is about leaves. And whether a bare line speaks *of* that character (then it is not theirs).
import { leaverIn, thinksOrWrites, voiceIn } from './cues.js';
import type { NameIndex } from './names.js';
import { endsWithColon, lastSubject, type Sentence } from './narration.js';
import { endsInUnsaid } from './quoteKind.js';
import { SOMEONE, type Segment, type SpeakerId, type Utterance } from './types.js';

/** Right before a referent: it is given something (`把糖塞给了她`, `递给博士`): the one given it answers. */
const GIVEN_TO_RE = /给了?$/;

/**
 * A sentence in first-person narration in which the narrator acts (`我蹲在旁边替她挡风。`): it
 * opens on 我, no later clause opens on someone else, and it gives no one anything. The bare line
 * right after it is the narrator's, whoever else the sentence names.
 */
export function narratorActs(s: Sentence, narrator: SpeakerId | null): boolean {
  const c0 = s.clauses[0];
  const r = c0?.refs[0];
  if (!narrator || !c0 || !r || r.id !== narrator || c0.src.charCodeAt(c0.start + r.index) !== 0x6211) return false;
  if (!/^[\s\u3000]*$/.test(c0.src.slice(c0.start, c0.start + r.index))) return false;
  for (const c of s.clauses)
    for (const x of c.refs) {
      if (x.id === narrator) continue;
      const at = c.start + x.index;
      if ((c !== c0 && /^[\s\u3000]*$/.test(c.src.slice(c.start, at))) || GIVEN_TO_RE.test(c.src.slice(Math.max(c.start, at - 2), at))) return false;
    }
  return true;
}

/**
 * What a narration-only paragraph says of who speaks the bare quote right after it: `only`, the
 * one character its last sentence is about (its subject, every referent the same one), or the
 * voice heard at its end (`传来了博士的笑声。`), or the narrator acting in it (narratorActs); none when it ends in a thought or writing, or
 * someone thinks or writes in it, or someone leaves at its end (`gone`: not about after it).
 */
export function narrationAfter(
  narr: ReadonlyArray<readonly Sentence[] | undefined>,
  segs: readonly Segment[],
  utts: readonly Utterance[],
  names: NameIndex,
  narrator: SpeakerId | null = null,
): { only: SpeakerId | null; gone: SpeakerId | undefined; cue?: BeatCue } {
  // Only when every referent is the same known character does the last subject count.
  // (Only the paragraph's last sentence counts: the one acting right before the quote.)
  let only: SpeakerId | null | undefined;
  let single = true;
  let lastSent: Sentence | undefined;
  for (let k = narr.length - 1; k >= 0 && !lastSent; k--) lastSent = narr[k]?.at(-1);
  if (lastSent)
    for (const c of lastSent.clauses)
      for (const r of c.refs) {
        if (only === undefined) only = r.id;
        else if (r.id !== only) single = false;
      }
  let subj: { id: SpeakerId | null } | undefined;
  // (The subject must be in the paragraph's last sentence: the one acting right before the quote.)
  if (single && only)
    for (let k = narr.length - 1; k >= 0; k--) {
      const last = narr[k]?.at(-1);
      if (!last) continue;
      subj = lastSubject([last]);
      break;
    }
  // (Someone's voice heard at its end, `传来了博士的笑声。`, is who speaks next: voiceIn; a voice
  // of no one known, `扬声器里传出维修员的声音`, someone's: unnamedVoiceIn.)
  const voice = lastSent ? (voiceIn(lastSent, names) ?? (unnamedVoiceIn(lastSent, names) ? SOMEONE : undefined)) : undefined;
  // (A paragraph ending in a thought or written text, `…写道：“…”`, or in which someone thinks or
  // writes, says nothing of who speaks next.)
  const endsUnsaid = endsInUnsaid(segs, utts) || thinksOrWrites(segs, utts);
  // (Someone who leaves at its end, `博士关上门走了。`, is not about after it: leaverIn.)
  const gone = lastSent ? leaverIn(lastSent) : undefined;
  // (A sentence reporting what someone said, `苏教授说还在，一块都没少。`, is answered by the next line, not continued: reportsSpeech.)
  const reported = !voice && lastSent !== undefined && reportsSpeech(lastSent);
  const actor =
    single && only && subj?.id
      ? subj.id
      : lastSent && narratorActs(lastSent, narrator)
        ? narrator
        : lastSent
          ? (unnamedActor(lastSent, names) ?? actsOnOthers(lastSent, narrator) ?? null)
          : null;
  const who = endsUnsaid || gone || reported ? null : (voice ?? actor);
  return { only: who, gone, cue: who && who === actor && lastSent ? beatCue(narr, lastSent) : undefined };
}

/**
 * What the one a beat is about does in it that says who speaks next: `turns` to someone at its
 * end (`走到一半又回过头。`: about to speak), stays `silent` (`博士没有接话。`), `tells` what he
 * said without quoting it (`讲起他第一次坐这部电梯的事`), or `gives` something away (`递过去一半`).
 */
export type BeatCue = 'turns' | 'silent' | 'tells' | 'gives';

/** (Not `转过身去`: turning away.) */
const TURNS_RE = /(?:回过头|回头|转过头|转过身)来?[。！!…\s]*$/;
const SILENT_RE = /(?:没|没有)(?:接话|回答|答话|说话|出声|吭声|作声|应声|开口)[。！!…\s]*$/;
/** Telling in narration what was said (`讲起…的事`, `说起那年…`), not `说起来` / `说起话来`. */
const TELLS_RE = /讲述|讲了讲|(?:讲|聊|谈|说)起(?![话来])/;
const GIVES_RE = /(?:递|塞|分|推)了?(?:过去|给)/;

function beatCue(narr: ReadonlyArray<readonly Sentence[] | undefined>, last: Sentence): BeatCue | undefined {
  const text = last.src.slice(last.start, last.end);
  if (TURNS_RE.test(text)) return 'turns';
  if (SILENT_RE.test(text)) return 'silent';
  // (Told by the one the beat is about: a sentence naming no one else.)
  const who = last.clauses.find((c) => c.refs.length > 0)?.refs[0]!.id;
  for (const ss of narr)
    if (ss) for (const s of ss) if (TELLS_RE.test(s.src.slice(s.start, s.end)) && s.clauses.every((c) => c.refs.every((r) => r.id === who))) return 'tells';
  return GIVES_RE.test(text) ? 'gives' : undefined;
}

/** Thanks (`谢谢。`, `谢谢您……`, `多谢`): said by whoever was given something. */
const THANKS_RE = /^[…\s]*(?:谢谢|谢了|多谢)/;

/**
 * A bare line right after a beat (BeatCue) that is the other one's, not the one the beat is
 * about: after a silence or a story told in narration, whatever comes next answers it; after a
 * gift, the thanks.
 */
export function answersBeat(cue: BeatCue | undefined, lines: ReadonlyArray<{ text: string }>): boolean {
  if (cue === 'silent' || cue === 'tells') return true;
  return cue === 'gives' && THANKS_RE.test(lines[0]!.text);
}

/** `进来的是博士`: who comes is said after 是, where no subject stands before the verb. */
const COMER_RE = /(?:进来|走进来|走过来|跑过来|过来|来)的(?:人)?(?:是|正是)$/;

/**
 * Who a sentence with no subject of its own is about: the one named right after `进来的是`
 * (`这回进来的是博士，手里拎着一件外套。`), or her where it names no one and acts through a trait
 * only she has (`门口探进来一对弯弯的羊角。`, names.ts personaTraits).
 */
export function unnamedActor(s: Sentence, names: NameIndex): SpeakerId | undefined {
  const c = s.clauses.find((x) => x.refs.length > 0);
  if (!c) {
    const traits = names.personaTraits;
    return traits && traits.test(s.src.slice(s.start, s.end)) ? 'persona' : undefined;
  }
  const first = c.refs[0]!;
  // (Every referent the same one.)
  if (!first.id || first.epithet || !s.clauses.every((x) => x.refs.every((r) => r.id === first.id))) return undefined;
  return COMER_RE.test(c.src.slice(c.start, c.start + first.index)) ? first.id : undefined;
}

/** Right before a referent: it is only touched by the action (`照了照博士的脸`, `朝他挥了挥手`, `把X的…`). */
const OBJECT_BEFORE_RE = /(?:朝|向|冲|替|帮|给|把|照了照|拍了拍|扶住|拉住|拽住)$/;
/** Right after a referent: it is only a possessor (`博士的脸`). */
const POSSESSOR_AFTER_RE = /^的/;
/** Looking or listening: the one looked at may well answer (`她看着博士。`). */
const PERCEIVES_RE = /看|望|瞧|盯|瞥|瞪|听/;

/**
 * A sentence that opens on one character acting on others, every other referent an object of the
 * act or a possessor (`岑叔把马灯转过去，照了照博士的脸。`, `艾雅法拉把镜头盖塞进口袋，朝他挥了挥手。`):
 * the opener speaks next. Not where the act is looking or listening (the one looked at may answer),
 * nor for the narrator (narratorActs).
 */
export function actsOnOthers(s: Sentence, narrator: SpeakerId | null): SpeakerId | undefined {
  const c0 = s.clauses[0];
  const r0 = c0?.refs[0];
  if (!c0 || !r0?.id || r0.epithet || r0.id === narrator || !/^[\s\u3000]*$/.test(c0.src.slice(c0.start, c0.start + r0.index))) return undefined;
  const word = c0.src.slice(c0.start + r0.index, c0.start + r0.index + (r0.len ?? 1));
  if (word === '她' || word === '他' || word === '我' || PERCEIVES_RE.test(s.src.slice(s.start, s.end))) return undefined;
  let other = false;
  for (const c of s.clauses)
    for (const x of c.refs) {
      if (x === r0 || x.id === r0.id) continue;
      const at = c.start + x.index;
      const end = at + (x.len ?? 1);
      if (!OBJECT_BEFORE_RE.test(c.src.slice(Math.max(c.start, at - 3), at)) && !POSSESSOR_AFTER_RE.test(c.src.slice(end, end + 1))) return undefined;
      other = true;
    }
  return other ? r0.id : undefined;
}

/**
 * The one character `speaker` acts on in a sentence, from the clause that opens on them to its end
 * (`白面鸮拨了拨记录针，艾雅法拉凑过去照，差点撞上白面鸮的额头。`: 白面鸮), every other referent there
 * an object of the act or a possessor, none looking or listening: whom a line `speaker` says
 * right after it is said to.
 */
export function actedOn(s: Sentence, speaker: SpeakerId): SpeakerId | undefined {
  const from = s.clauses.findIndex(
    (c) => c.refs[0]?.id === speaker && !c.refs[0].epithet && /^[\s\u3000]*$/.test(c.src.slice(c.start, c.start + c.refs[0].index)),
  );
  if (from < 0) return undefined;
  const others = new Set<SpeakerId>();
  for (const c of s.clauses.slice(from)) {
    if (PERCEIVES_RE.test(c.src.slice(c.start, c.end))) return undefined;
    for (const x of c.refs) {
      if (x.id === speaker) continue;
      const at = c.start + x.index;
      const end = at + (x.len ?? 1);
      if (!x.id || x.id === SOMEONE) return undefined;
      if (!OBJECT_BEFORE_RE.test(c.src.slice(Math.max(c.start, at - 3), at)) && !POSSESSOR_AFTER_RE.test(c.src.slice(end, end + 1))) return undefined;
      others.add(x.id);
    }
  }
  return others.size === 1 ? others.values().next().value : undefined;
}

/** Not asking again (`没有再问`, `没再追问下去`): the one who stops had been asking. */
const STOPS_ASKING_RE = /^(?:也|就|便|终于)?(?:没有?|不)再(?:多)?(?:问|追问)/;

/**
 * A sentence opening on someone who stops asking (`博士没有再问，把毯子搭在她肩上。`): the line
 * right before it answered them. Their name or a pronoun resolved to them, at the clause's start.
 */
export function stopsAsking(s: Sentence | undefined): SpeakerId | undefined {
  const c = s?.clauses[0];
  const r = c?.refs[0];
  if (!c || !r?.id || r.id === SOMEONE || !/^[\s\u3000]*$/.test(c.src.slice(c.start, c.start + r.index))) return undefined;
  return STOPS_ASKING_RE.test(c.src.slice(c.start + r.index + (r.len ?? 1), c.end)) ? r.id : undefined;
}

/** A speech verb followed by the words said, in narration (indirect speech): `说还在`, `问我要不要`. */
const REPORTED_RE = /(?:说|问|告诉我|告诉她|告诉他)(?![得着了完起过道出话声一：:，,。！？!?…—\s])[\u4e00-\u9fff]{2}/;

/** The sentence reports someone's words in narration and does not lead into a quote (no colon at its end). */
export function reportsSpeech(s: Sentence): boolean {
  const text = s.src.slice(s.start, s.end);
  return REPORTED_RE.test(text) && !endsWithColon(s.src, s.start, s.end);
}

/**
 * A line that speaks of someone as 她 / 他 (`pronoun`; not 她们 / 他们, not inside a word like
 * 其他): right after narration about one character of that pronoun, it talks of them — the
 * beat before it (`她低着头写字，耳朵红了。` + `“她第一次来的时候也这样。”`) is not its speaker's.
 */
export function speaksOf(text: string, pronoun: '她' | '他'): boolean {
  const m = (pronoun === '她' ? /(?<![其吾])她(?![们])/ : /(?<![其吾])他(?![们人])/).exec(text);
  // (Not where the line names a relative or teacher before it, `妈妈以前也说过。她说…`: it speaks of them.)
  return m !== null && !(pronoun === '她' ? KIN_SHE_RE : KIN_HE_RE).test(text.slice(0, m.index));
}
/** Kin and role words a line may name before speaking of them as 她 / 他 (`妈妈…她说`, `老师…他`). */
const KIN_SHE_RE = /妈|母亲|奶奶|外婆|姥姥|姐姐|妹妹|阿姨|婆婆|婶|女儿|老师/;
const KIN_HE_RE = /爸|父亲|爷爷|外公|姥爷|哥哥|弟弟|叔叔|伯伯|儿子|老师|师父|师傅/;

/**
 * The far end of a phone or radio call: a voice not in the room (`电话那头`, `听筒里`, `那边的声音`,
 * 对面 speaking as a subject: `对面又说了一长串。`, not `对面的楼`).
 */
const FAR_END_RE = /电话那[头边]|听筒(?:里|那[头边])|话筒(?:里|那[头边])|通讯器那[头边]|那[头边]的声音|(?:^|[。！？!?，,\s])对面(?:又|还|也)?(?:说|问|讲)/;
/** The far end's words come next, quoted (`电话那头传来…`, `…的声音响起：`). */
const VOICE_NEXT_RE = /传来|传出|响起|炸开|[：:][\s\u3000]*$/;

/**
 * A narration-only paragraph that tells what the far end of a call said without quoting it
 * (`电话那头说了很久，她只是点头。`): the bare line after it is said in the room, by the one
 * holding the phone, not by the voice on the other end. Once a call is on in the scene (`onCall`),
 * narration reporting anyone's words without quoting them (`苏教授说还在，…`) is the far end's too.
 */
export function farEndSpoke(segs: readonly Segment[], onCall = false): boolean {
  const text = segs.map((s) => (s.kind === 'narr' ? s.text : '')).join('');
  if (VOICE_NEXT_RE.test(text)) return false;
  return FAR_END_RE.test(text) || (onCall && REPORTED_RE.test(text));
}

/** The narration of a paragraph speaks of the far end of a call (FAR_END_RE): a call is on from here. */
export function callIn(segs: readonly Segment[]): boolean {
  return segs.some((s) => s.kind === 'narr' && FAR_END_RE.test(s.text));
}

/** A voice heard coming (`传出…的声音`, `响起一个陌生的声音`), the words right before `的声音` naming whose. */
const HEARD_VOICE_RE = /(?:传来|传出|传过来|响起|冒出)了?([^，,。！!？?；;：:]{0,12}?)(?:的(声音|嗓音|喊声)|(男声|女声|人声))/;
/** Whose the sound is, when a person (`维修员`, `一个男人`, `陌生`…): not `拖鞋的声音`, `雨的声音`. */
const PERSON_RE = /(?:[员者师生工官士客叔姨伯婶嫂哥姐妹弟爷奶婆娘童]|(?<!机器)人|孩子|陌生)$/;

/**
 * A sentence hearing the voice of someone the index does not know (`扬声器里忽然传出维修员的声音。`,
 * `门外响起一个陌生的声音。`, `对讲机里传来一个男声`): the bare line after it is that voice's, not hers or the Doctor's.
 * Not a thing's sound (`传来拖鞋的声音`), nor where the words before `的声音` name anyone known
 * or hold a pronoun (`传来她的声音`: voiceIn).
 */
export function unnamedVoiceIn(s: Sentence, names: NameIndex): boolean {
  const m = HEARD_VOICE_RE.exec(s.src.slice(s.start, s.end));
  if (!m) return false;
  const whose = m[1]!;
  if (/[她他我你]/.test(whose) || names.referents(whose).length > 0) return false;
  // (`男声` / `女声` / `人声`, `嗓音`, `喊声`: a person's whoever; `…的声音` only of a person.)
  return m[2] !== '声音' || PERSON_RE.test(whose);
}

/** A paragraph opening on a time skip (`第二天一早，…`, `三天后，…`, `那天晚上，…`). */
const TIME_SKIP_RE = /^[\s\u3000]*(?:第二天|次日|隔天|翌日|那天晚上|当天晚上|后来|[一两三四五六七八九十几]+(?:天|周|个星期|个月|年)(?:以)?后)/;
/** Narration saying only two are left (`雨棚底下只剩两个人。`, `屋里只剩下我们俩`). */
const TWO_LEFT_RE = /只剩(?:下)?(?:了)?(?:两个人|两人|我们俩|我们两个|他们俩|他们两个|她们俩|她们两个)/;

/**
 * The paragraph starts afresh for who is about: it opens on a time skip, or its narration says only
 * two are left. Whoever spoke before it is not about after it unless seen again (turns.ts).
 */
export function startsAfresh(segs: readonly Segment[]): boolean {
  const first = segs[0];
  if (first?.kind === 'narr' && TIME_SKIP_RE.test(first.text)) return true;
  return segs.some((x) => x.kind === 'narr' && x.text.includes('只剩') && TWO_LEFT_RE.test(x.text));
}
