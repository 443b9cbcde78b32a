// A scene the rules settle no line of (four people about and no tags; 前辈们 is said to more than
// the Doctor), for the tests of attribution: model, and the scripted answers of the api double:
// who says each line, by the line quoted in the question.
export const OPEN_SCENE = [
  '凯尔希和阿米娅走进观测室的时候，艾雅法拉正在整理样本，博士跟在最后面。',
  '',
  '“样本都到齐了吗？”',
  '',
  '“都到齐了，一共十二袋，每一袋都写好了采集地点。”',
  '',
  '“那就好，今天早点休息。”',
  '',
  '“前辈们也要早点休息哦。”',
  '',
].join('\n');

/** The answer for each line of OPEN_SCENE, as the double's rules (`contains` the quoted line). */
export function openSceneRules(last: '博士' | '艾雅法拉'): Array<{ contains: string; response: string }> {
  return [
    { contains: '台词：“样本都到齐了吗', response: '{"speaker": "博士"}' },
    { contains: '台词：“都到齐了', response: '好的。{"speaker": "艾雅法拉"}' },
    { contains: '台词：“那就好', response: '{"speaker": "博士"}' },
    { contains: '台词：“前辈', response: `{"speaker": "${last}"}` },
  ];
}
