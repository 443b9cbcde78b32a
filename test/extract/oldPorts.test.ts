// The old algorithm exists twice, for the benches: bench/oldExtract.ts (TypeScript) and
// bench/extract_old.py (Python, the reference of the throughput floor). Both must give the same
// samples, file by file, on the bench's generated corpus plus a few files that reach the branches
// the corpus does not (NSFW paragraphs, a first-person narrator, a script, 「」 quotes, noise lines).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCorpus } from '../../bench/extractCorpus.js';
import { oldDedup, oldExtract } from '../../bench/oldExtract.js';
import { REPO } from '../helpers/workspace.js';
import { tempDirs } from '../helpers/tempDirs.js';

const temp = tempDirs();
afterAll(temp.removeAll);

// Without ≥ 30 「我」 the old algorithm has no human turns outside scripts, hence no samples.
const narrator = '我走进观测站，我放下包，我看着窗外。\n'.repeat(12);
const extra: Record<string, string> = {
  'x_nsfw.txt':
    `${narrator}\n` +
    '博士问：“今天的观测怎么样？”\n\n艾雅法拉轻声说：“前辈，今天的火山很安静呢，数据都记好了。”\n\n她的胸部起伏着。“前辈，别看了。”艾雅法拉说。\n',
  'x_first_person.txt': `${narrator}\n“早上好，今天要去哪里？”\n\n艾雅法拉笑着说：“前辈，我们去看火山口的新数据吧，好不好？”\n\n「好啊。」\n\n“前辈今天也辛苦了，我已经泡好茶了哦。”\n`,
  'x_script.txt': Array.from({ length: 10 }, (_, i) => (i % 2 ? `艾雅法拉：前辈，第${i}组数据我整理好了，您看一下吧。` : `博士：第${i}组的结果呢？`)).join(
    '\n',
  ),
  'x_noise.txt': `正文开始\n\n${narrator}\n` + '本章有点长\n\n***\n\n博士问：“还好吗？”\n\n艾雅法拉说：“前辈，我很好，只是有点累了而已。”\n\n（未完待续）\n',
};

describe('the two ports of the old algorithm', () => {
  test('bench/extract_old.py gives the same samples as bench/oldExtract.ts, file by file', async () => {
    const dir = await temp.make('pl-oldports-');
    const names = await makeCorpus(dir, 20);
    for (const [name, body] of Object.entries(extra)) writeFileSync(join(dir, name), body);
    names.push(...Object.keys(extra));
    const py = spawnSync('python3', [join(REPO, 'bench', 'extract_old.py'), dir, '--samples'], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const fromPython = py.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; samples: unknown[] });
    const fromTs = names.sort().map((file) => ({ file, samples: oldExtract(readFileSync(join(dir, file))).samples }));
    expect(fromPython).toEqual(fromTs);
    // The comparison must have something to compare: samples from most of the special files too.
    const withSamples = fromTs.filter((f) => f.samples.length > 0).map((f) => f.file);
    expect(withSamples.length).toBeGreaterThanOrEqual(5);
    expect(withSamples).toEqual(expect.arrayContaining(['x_first_person.txt', 'x_script.txt', 'x_noise.txt', 'x_nsfw.txt']));
    // The timed mode counts what the bench's TS side counts: every file's samples, no dedup across files.
    const timed = spawnSync('python3', [join(REPO, 'bench', 'extract_old.py'), dir, '--reps', '1'], { encoding: 'utf8' });
    expect(timed.status).toBe(0);
    const figures = JSON.parse(timed.stdout) as { files: number; samples: number };
    expect(figures).toMatchObject({ files: names.length, samples: fromTs.reduce((n, f) => n + f.samples.length, 0) });
    // --dedup: each distinct sample once across files, as oldDedup counts them.
    const deduped = spawnSync('python3', [join(REPO, 'bench', 'extract_old.py'), dir, '--reps', '1', '--dedup'], { encoding: 'utf8' });
    expect(deduped.status).toBe(0);
    const distinct = oldDedup(fromTs.flatMap((f) => f.samples)).length;
    expect(distinct).toBeLessThan(figures.samples);
    expect(JSON.parse(deduped.stdout)).toMatchObject({ files: names.length, samples: distinct });
  });
});
