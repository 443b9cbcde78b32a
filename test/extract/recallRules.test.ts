// Rules added for her recall in round 2 of #15, each on its own, on short snippets written for
// these tests (never copied from a gold story), each with a case where it must not fire.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
/** The speaker (or kind) of every quote, '?' when open. */
const who = (lines: string[], sep = '\n\n') =>
  analyzeText(lines.join(sep), opts).segmented.utterances.map((u) => (u.kind === 'speech' ? (u.speaker ?? '?') : u.kind));

describe('a call sign the narration explains', () => {
  const radio = (owner: string) => [
    `${owner}背着电台爬上山脊。队长交代过，这一趟她的呼号是“灰烬”。`,
    '【灰烬】山脊到了，风很大。',
    '【博士】收到，灰烬。注意保暖。',
    '【灰烬】明白。电池还剩一半。',
  ];
  test('lines led by it are the character whose call sign it is; the quoted sign itself is no speech', () => {
    expect(who(radio('艾雅法拉'), '\n')).toEqual(['term', 'persona', 'doctor', 'persona']);
    expect(who(radio('阿米娅'), '\n')).toEqual(['term', 'other:阿米娅', 'doctor', 'other:阿米娅']);
  });
  test('a sign whose owner the narration does not say (她 unresolved) stays a name of its own', () => {
    const t = ['艾雅法拉和阿米娅背着电台爬上山脊。队长交代过，这一趟她的呼号是“灰烬”。', ...radio('').slice(1)];
    expect(who(t, '\n')).toEqual(['term', 'other:灰烬', 'doctor', 'other:灰烬']);
  });
});
