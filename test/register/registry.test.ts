// Publishing into the shared dataset_info.json: foreign entries survive byte for byte and in order,
// an entry the pipeline did not write is a conflict, and verification names what is off.
import { readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { StageError } from '../../src/api.js';
import { type OwnedEntries, publishEntries, verifyEntries } from '../../stages/register/registry.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { FOREIGN_INFO } from './fixtures.js';

const MAIN = { file_name: 'eyjafjalla_sft.json', formatting: 'sharegpt' as const, columns: { messages: 'conversations', system: 'system' } };
const TONGREN = { file_name: 'eyjafjalla_tongren_sft.json', formatting: 'sharegpt' as const, columns: { messages: 'conversations' } };
const owned = (entries: OwnedEntries['entries']): OwnedEntries => ({ dataset_info: 'data/dataset_info.json', entries });

async function realisticWorkspace(): Promise<{ ws: string; original: string }> {
  const original = await readFile(FOREIGN_INFO, 'utf8');
  return { ws: await makeWorkspace({ 'data/dataset_info.json': original }), original };
}

/** The text of each top-level member, by key (a simple reading of the 2-space layout). */
function memberTexts(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^ {2}"([^"]+)": ([\s\S]*?)(?=,\n {2}"|\n\}\s*$)/gm;
  for (const m of text.matchAll(re)) out.set(m[1]!, m[2]!);
  return out;
}

describe('publishing entries into dataset_info.json', () => {
  it('adds the owned entries and keeps every foreign entry byte for byte, in order', async () => {
    const { ws, original } = await realisticWorkspace();
    const result = await publishEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: TONGREN }));
    expect(result).toEqual({ added: ['eyjafjalla_tongren_sft'], updated: [], removed: [] });
    const after = await readFile(join(ws, 'data/dataset_info.json'), 'utf8');
    // the old text is untouched up to its last member; the new entry follows it
    const cut = original.lastIndexOf('\n}');
    expect(after.slice(0, cut)).toBe(original.slice(0, cut));
    expect(after.slice(cut)).toBe(
      ',\n  "eyjafjalla_tongren_sft": {\n    "file_name": "eyjafjalla_tongren_sft.json",\n    "formatting": "sharegpt",\n    "columns": {\n      "messages": "conversations"\n    }\n  }\n}\n',
    );
    const before = memberTexts(original);
    const now = memberTexts(after);
    expect([...now.keys()]).toEqual([...before.keys(), 'eyjafjalla_tongren_sft']);
    for (const [k, v] of before) expect(now.get(k)).toBe(v);
  });

  it('is idempotent: publishing again changes nothing', async () => {
    const { ws } = await realisticWorkspace();
    await publishEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: TONGREN }));
    const once = await readFile(join(ws, 'data/dataset_info.json'));
    const mtime = (await stat(join(ws, 'data/dataset_info.json'))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(await publishEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: TONGREN }))).toEqual({ added: [], updated: [], removed: [] });
    expect(await readFile(join(ws, 'data/dataset_info.json'))).toEqual(once);
    expect((await stat(join(ws, 'data/dataset_info.json'))).mtimeMs).toBe(mtime);
  });

  it('reports an entry it did not write as a conflict with file:line:col, and changes nothing', async () => {
    const { ws, original } = await realisticWorkspace();
    const other = { ...MAIN, file_name: 'eyjafjalla_v2.json' };
    const err = await publishEntries(ws, owned({ eyjafjalla_sft: other })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StageError);
    const line = original.split('\n').findIndex((l) => l.startsWith('  "eyjafjalla_sft"')) + 1;
    expect((err as Error).message).toContain(
      `data/dataset_info.json:${line}:3: entry "eyjafjalla_sft" already exists with different content that the pipeline did not write`,
    );
    expect((err as Error).message).toContain('file_name: "eyjafjalla_sft.json" in the file, "eyjafjalla_v2.json" from the pipeline');
    expect(await readFile(join(ws, 'data/dataset_info.json'), 'utf8')).toBe(original);
  });

  it('updates in place an entry it wrote last, and keeps its position', async () => {
    const { ws } = await realisticWorkspace();
    await publishEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: TONGREN }));
    const moved = { ...TONGREN, file_name: '../artifacts/register/clean/eyjafjalla_tongren_sft.json' };
    const res = await publishEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: moved }));
    expect(res.updated).toEqual(['eyjafjalla_tongren_sft']);
    const info = JSON.parse(await readFile(join(ws, 'data/dataset_info.json'), 'utf8'));
    expect(info.eyjafjalla_tongren_sft).toEqual(moved);
    expect(Object.keys(info).at(-1)).toBe('eyjafjalla_tongren_sft');
    expect(Object.keys(info).indexOf('eyjafjalla_sft')).toBe(3);
  });

  it('does not overwrite an entry the user edited after the pipeline wrote it', async () => {
    const { ws } = await realisticWorkspace();
    await publishEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: TONGREN }));
    const path = join(ws, 'data/dataset_info.json');
    const edited = (await readFile(path, 'utf8')).replace('"eyjafjalla_tongren_sft.json"', '"my_tongren.json"');
    await writeFile(path, edited);
    const moved = { ...TONGREN, num_samples: 10 };
    await expect(publishEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: moved }))).rejects.toThrow(
      /entry "eyjafjalla_tongren_sft" already exists/,
    );
    expect(await readFile(path, 'utf8')).toBe(edited);
  });

  it('removes an entry it wrote once the source is gone, unless the user changed it', async () => {
    const { ws, original } = await realisticWorkspace();
    await publishEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: TONGREN }));
    expect(await publishEntries(ws, owned({ eyjafjalla_sft: MAIN }))).toEqual({ added: [], updated: [], removed: ['eyjafjalla_tongren_sft'] });
    expect(await readFile(join(ws, 'data/dataset_info.json'), 'utf8')).toBe(original);
  });

  it('creates the file when it does not exist, and keeps its file mode when rewriting', async () => {
    const ws = await makeWorkspace({});
    await publishEntries(ws, owned({ eyjafjalla_sft: MAIN }));
    const path = join(ws, 'data/dataset_info.json');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ eyjafjalla_sft: MAIN });
    await chmod(path, 0o640);
    await publishEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: TONGREN }));
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  it('refuses to touch a dataset_info.json that is not valid JSON, naming line:col', async () => {
    const broken = '{\n  "a": {"file_name": "a.json"},\n  "b": {"file_name": }\n}\n';
    const ws = await makeWorkspace({ 'data/dataset_info.json': broken });
    await expect(publishEntries(ws, owned({ eyjafjalla_sft: MAIN }))).rejects.toThrow(/data\/dataset_info\.json:3:\d+: not valid JSON/);
    expect(await readFile(join(ws, 'data/dataset_info.json'), 'utf8')).toBe(broken);
  });
});

describe('verifying the published entries', () => {
  it('is content when the file holds the entries, whatever else it holds', async () => {
    const { ws } = await realisticWorkspace();
    await publishEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: TONGREN }));
    const path = join(ws, 'data/dataset_info.json');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"rhodes_identity.json"', '"rhodes_identity_v2.json"'));
    expect(await verifyEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: TONGREN }))).toEqual([]);
  });

  it('names a missing file, a missing entry and a differing entry', async () => {
    const ws = await makeWorkspace({});
    expect(await verifyEntries(ws, owned({ eyjafjalla_sft: MAIN }))).toEqual(['data/dataset_info.json is missing']);
    await writeFile(join(ws, 'data/dataset_info.json'), JSON.stringify({ eyjafjalla_sft: { ...MAIN, formatting: 'alpaca' } }, null, 2)).catch(async () => {
      const { mkdir } = await import('node:fs/promises');
      await mkdir(join(ws, 'data'));
      await writeFile(join(ws, 'data/dataset_info.json'), JSON.stringify({ eyjafjalla_sft: { ...MAIN, formatting: 'alpaca' } }, null, 2));
    });
    expect(await verifyEntries(ws, owned({ eyjafjalla_sft: MAIN, eyjafjalla_tongren_sft: TONGREN }))).toEqual([
      'data/dataset_info.json: entry "eyjafjalla_sft" differs (formatting: "alpaca" in the file, "sharegpt" from the pipeline)',
      'data/dataset_info.json lacks entry "eyjafjalla_tongren_sft"',
    ]);
  });
});

describe('containment of dataset_info.json (#14 item 7)', () => {
  it('refuses to merge into a dataset_info.json outside the workspace or behind a symlinked dataset_dir', async () => {
    const outside = await makeWorkspace({ 'dataset_info.json': '{}\n' }, 'pl-reg-outside-');
    const { ws } = await realisticWorkspace();
    const { relative } = await import('node:path');
    const { symlink } = await import('node:fs/promises');
    const rel = `${relative(ws, outside)}/dataset_info.json`;
    expect(rel.startsWith('../')).toBe(true);
    await expect(publishEntries(ws, { dataset_info: rel, entries: { eyjafjalla_sft: MAIN } })).rejects.toThrow(
      /outside .*register merges its entries only into a dataset_info.json inside the workspace/,
    );
    await expect(publishEntries(ws, { dataset_info: join(outside, 'dataset_info.json'), entries: { eyjafjalla_sft: MAIN } })).rejects.toThrow(StageError);
    await symlink(outside, join(ws, 'linked'));
    await expect(publishEntries(ws, { dataset_info: 'linked/dataset_info.json', entries: { eyjafjalla_sft: MAIN } })).rejects.toThrow(/symbolic link/);
    expect(await readFile(join(outside, 'dataset_info.json'), 'utf8')).toBe('{}\n');
    // An absolute path inside the workspace is used as given, not joined onto it.
    const r = await publishEntries(ws, { dataset_info: join(ws, 'data/dataset_info.json'), entries: { eyjafjalla_tongren_sft: TONGREN } });
    expect(r.added).toEqual(['eyjafjalla_tongren_sft']);
    expect(await readFile(join(ws, 'data/dataset_info.json'), 'utf8')).toContain('"eyjafjalla_tongren_sft"');
    const { rm } = await import('node:fs/promises');
    await Promise.all([ws, outside].map((d) => rm(d, { recursive: true, force: true })));
  });
});
