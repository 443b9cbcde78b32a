// Word lists the segmenter and the attributor share. Plain data, no logic.

/** Verbs and manner words that mark a clause as introducing or tagging speech. */
export const SPEECH_VERB_RE =
  /说|道|问|答|喊|叫|嚷|吼|叹|应|讲|开口|嘟囔|嘀咕|喃喃|念叨|低语|抱怨|提醒|催促|打断|追问|反问|惊呼|感叹|解释|补充|回答|回应|重复|附和|咕哝|小声|轻声|低声|大声|柔声|笑着|轻笑|苦笑|哼/;

/** Narration right before a quote that makes it a thought (`她默默地想，“…”` included). */
export const THOUGHT_INTRO_RE =
  /(?:心想|心里想|心里说|暗想|暗道|想道|想着|心道|默念|(?<![像似佛])在心里|心中暗|心底|暗自想|(?:^|[，,。！？\s她他我])(?:默默地?|暗暗地?|偷偷地?|悄悄地?)?想(?![了过起要法象办出到通开去必一]))[^。！？]{0,6}[，,：:]?\s*$|(?:^|[，,。！？!?\s”])[\u4e00-\u9fff]{1,6}(?<![不很也还真要了一])想[，,：:]\s*$/;

/**
 * Narration right after a quote that makes it a thought: a short subject (no punctuation, no
 * speech verb) and a cognition verb — `”她想。`, `”艾雅法拉在心里说。`, `”他默默地想，`.
 */
export const THOUGHT_TAG_RE =
  /^\s*(?:[^\s，,。！？!?：:；;“”说道问答喊叫]{0,8}?(?:在心里|心里|心中|心底|默默地?|暗暗地?|暗自|偷偷地?)[^，,。！？]{0,4}|[^\s，,。！？!?：:；;“”说道问答喊叫]{0,8}?(?:心想|暗想|想道|(?<![了一])想(?![了过起要法象办出到通开去必一])))(?:[。，,！!…—\s]|$)/;

/** Narration right before a quote that makes it written text (signs, letters, screens). */
export const SIGN_INTRO_RE =
  /(?:写着|写道|写了|上写|印着|刻着|标着|贴着|挂着|题为|标题是|署名|便签上|纸条上|信上说|信里说|屏幕上|显示着|显示|读道|念道|念出|写下|留言|字样是|通知|行字|的字|字迹|日记本?上|笔记本上|本子上|黑板上|白板上|小字|大字|字条|敲了一行|敲下|敲上|打了一行|打下一行|输入|键入|填上)[^。！？“]{0,10}[，,：:]?\s*$/;

/** Narration right before a short quote that makes it a term, not speech. */
export const TERM_INTRO_RE =
  /(?:叫做|叫作|称为|称作|所谓的?|名为|名叫|这个词|被叫|号称|外号|绰号|代号|一句|两个字|这句|(?:呼号|代号|外号|绰号|昵称|化名)(?:是|叫做?|为))\s*$/;

/** Leading adverbials stripped before looking for a clause's subject. */
export const LEADING_ADVERBIAL_RE =
  /^(?:于是|然后|接着|紧接着|这时候?|此时|随后|只见|终于|忽然|突然|片刻后|半晌|过了一会儿?|说完|说着|听到这里|听了这话|见状|闻言|同时|而|便|又|也|就|却|但|可|还是|最后)[，,]?/;

/** Lines that are headings, author notes and other noise (dropped). */
export const NOISE_LINE_RE = /^(?:本章|上篇|下篇|正文(?:走起|开始)|作者的话|作者有话说|作者[：:]|ps[：:]|PS[：:]|cut[- ]?off)|未完待续|to be continued/i;

/** Lines that end a scene: separators and chapter headings. */
export const SCENE_BREAK_RE =
  /^(?:[-—=*＊~～_#＃·•\s]{2,}|第[0-9０-９零一二三四五六七八九十百千两]+[章节话幕回卷部].{0,30}|(?:chapter|part)\s*\d+.{0,30}|序章.{0,20}|楔子.{0,20}|尾声.{0,20}|番外.{0,20}|[0-9０-９]{1,3}[.、．]?)$/i;
