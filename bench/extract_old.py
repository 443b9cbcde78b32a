#!/usr/bin/env python3
# The old extractor's algorithm in Python (the language the user's script was written in), a
# port of bench/oldExtract.ts line for line, for one measure only: its throughput on the bench's
# corpus, so that `--exec bench/extract-main.ts --throughput-only --python` compares against
# Python rather than against a TypeScript reimplementation. Never used by the pipeline.
#   python3 bench/extract_old.py DIR [--reps N] [--dedup]   → one JSON line {files, bytes, cpu_s, samples}
#   python3 bench/extract_old.py DIR --samples    → one JSON line per file {file, samples}, for the
#                                                  test that holds this port equal to the TS one
#   python3 bench/extract_old.py DIR --job OUT    → the old script's whole job once, as the user waited
#                                                  for it: list and read the files, extract, dedup
#                                                  (sha256 of each sample's JSON), write OUT (JSON,
#                                                  indent 2); one JSON line {files, bytes, wall_s,
#                                                  cpu_s, rss_mb, samples} (wall from the start of main)
# The timed loop does what the bench's TS side does, file by file: extract, count the samples
# (no dedup across files: neither the new extractor's nor the TS port's timed loop does one), or
# with --dedup, as the old script did and the bench's TS sides then do too: a sha256 of each
# sample's JSON, each distinct sample counted once.
import hashlib
import json
import os
import re
import resource
import sys
import time

HER = ['艾雅法拉', '阿黛尔', '小羊']
DOCTOR = ['博士', '前辈', 'Doctor']
HINTS = ['前辈', '博士', '罗德岛']
NSFW = ['做爱', '性交', '高潮', '射精', '插入', '进入体内', '阴茎', '阴道', '乳房', '胸部', '呻吟', '脱光', '强上', '男朋友该做的事', '茂密的森林和溪流', '疯狂了一整晚']
NOISE = [re.compile(p, re.I) for p in [r'^正文(走起|开始).*$', r'^本章.*$', r'^上篇.*$', r'^.*(未完待续|to be continued).*$', r'^cut[- ]?off.*$', r'^\(.*\)$']]
SPEAKER_LINE = re.compile(r'^\s*([^\s：:]{1,16})\s*[:：]\s*(.+?)\s*$')
QUOTE = re.compile(r'[“"]([^“”"]{1,500})[”"]')
VERB = re.compile(r'(说|道|问|喊|轻声|低声|笑着)')
OPENER = '我在，前辈。你想和我说什么？'


def paragraphs(text):
    out, buf = [], []
    for raw in re.split(r'\r\n|\r|\n', text):
        line = raw.replace('\ufeff', '').replace('\u200b', '').strip()
        line = re.sub('[「『]', '“', line)
        line = re.sub('[」』]', '”', line)
        if not line:
            if buf:
                out.append('\n'.join(buf).strip())
            buf = []
            continue
        if any(r.search(line) for r in NOISE) or line in ('---', '——', '—', '***'):
            continue
        buf.append(line)
    if buf:
        out.append('\n'.join(buf).strip())
    return out


def merge(turns):
    out = []
    for role, text in turns:
        if out and out[-1][0] == role:
            out[-1] = (role, (out[-1][1] + '\n' + text).strip())
        else:
            out.append((role, text))
    return out


def old_extract(data, min_chars=12, max_turns=6, max_human=360, max_gpt=420):
    text = data.decode('utf-8', errors='replace')
    paras = paragraphs(text)
    turns = []
    lines = [l for p in paras for l in p.split('\n')]
    hits = []
    for l in lines:
        m = SPEAKER_LINE.match(l)
        if m and m.group(2):
            hits.append((m.group(1), m.group(2)))
    if len(hits) >= 8 and len(hits) >= len(lines) * 0.2:
        for sp, tx in hits:
            role = 'gpt' if any(n in sp for n in HER) else ('human' if any(n in sp for n in DOCTOR) or sp == '我' else None)
            if role:
                turns.append((role, tx))
        turns = merge(turns)
    else:
        first_person = '\n\n'.join(paras).count('我') >= 30
        for p in paras:
            if any(k in p for k in NSFW):
                continue
            for m in QUOTE.finditer(p):
                q = m.group(1).strip()
                if len(q) < 2:
                    continue
                cb = p[: m.start()][-200:]
                ca = p[m.end():][:200]
                role = None
                if any(h in q for h in HINTS):
                    role = 'gpt'
                elif any(n in cb for n in HER) and VERB.search(cb):
                    role = 'gpt'
                elif any(n in ca for n in HER) and VERB.search(ca):
                    role = 'gpt'
                elif first_person:
                    role = 'human'
                if role:
                    turns.append((role, q))
        turns = merge(turns)
    samples = []
    if any(r == 'gpt' for r, _ in turns) and any(r == 'human' for r, _ in turns):
        pruned = merge([
            (r, t) for r, t in turns
            if not ((r == 'gpt' and len(t) < min_chars) or (r == 'human' and len(t) > max_human) or (r == 'gpt' and len(t) > max_gpt))
        ])
        if pruned and pruned[0][0] == 'gpt':
            pruned = [('human', OPENER)] + pruned
        for i in range(len(pruned)):
            if pruned[i][0] != 'human':
                continue
            for j in range(i, len(pruned)):
                if j - i + 1 > max_turns:
                    break
                buf = pruned[i: j + 1]
                if buf[-1][0] != 'gpt':
                    continue
                if not any(r == 'gpt' and '前辈' in t for r, t in buf):
                    continue
                samples.append({'system': '', 'conversations': [{'from': r, 'value': t} for r, t in buf]})
    return samples


def job(d, out):
    t0, c0 = time.perf_counter(), time.process_time()
    names = sorted(n for n in os.listdir(d) if n.endswith('.txt'))
    total = 0
    samples, seen = [], set()
    for name in names:
        with open(os.path.join(d, name), 'rb') as f:
            b = f.read()
        total += len(b)
        for s in old_extract(b):
            h = hashlib.sha256(json.dumps(s, ensure_ascii=False).encode()).hexdigest()
            if h not in seen:
                seen.add(h)
                samples.append(s)
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(samples, f, ensure_ascii=False, indent=2)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'files': len(names), 'bytes': total, 'wall_s': wall, 'cpu_s': cpu, 'rss_mb': rss, 'samples': len(samples)}))


def main():
    args = sys.argv[1:]
    if '--job' in args:
        k = args.index('--job')
        job(args[0], args[k + 1])
        return
    reps = 3
    if '--reps' in args:
        k = args.index('--reps')
        reps = int(args[k + 1])
        del args[k: k + 2]
    dump = '--samples' in args
    if dump:
        args.remove('--samples')
    dedup = '--dedup' in args
    if dedup:
        args.remove('--dedup')
    d = args[0]
    names = sorted(os.listdir(d))
    bufs = []
    for name in names:
        with open(os.path.join(d, name), 'rb') as f:
            bufs.append(f.read())
    if dump:
        for name, b in zip(names, bufs):
            print(json.dumps({'file': name, 'samples': old_extract(b)}))
        return
    best = None
    n = 0
    for _ in range(reps):
        t0 = time.process_time()
        n = 0
        seen = set()
        for b in bufs:
            if not dedup:
                n += len(old_extract(b))
                continue
            for s in old_extract(b):
                h = hashlib.sha256(json.dumps(s, ensure_ascii=False).encode()).hexdigest()
                if h not in seen:
                    seen.add(h)
                    n += 1
        cpu = time.process_time() - t0
        best = cpu if best is None else min(best, cpu)
    print(json.dumps({'files': len(bufs), 'bytes': sum(len(b) for b in bufs), 'cpu_s': best, 'samples': n}))


main()
