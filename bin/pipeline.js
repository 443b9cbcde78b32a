#!/usr/bin/env node
// Launcher: makes `npx pipeline …` work in a fresh clone with no manual build step.
// `src/cli.ts` is bundled by esbuild (npm packages included, dynamic imports split into chunks)
// into dist/cli-<fingerprint>/ the first time it is needed and whenever a source of src/,
// package-lock.json or this launcher changes (the fingerprint: sha256 of their paths, sizes and mtimes). Loading a
// handful of bundled files is several times faster than resolving hundreds of ESM modules on every
// start. `src/api.ts` is a second entry point of the same build: the workspace's DAG bundle
// imports it from there (PIPELINE_API_MODULE), so the CLI and the stages share one copy of it and
// `instanceof UserError` holds across them. `src/zod.ts` is a third entry, for the same reason: a DAG
// bundle imports the engine's zod from there (PIPELINE_ZOD_MODULE) instead of holding a second copy
// to compile on every start. `--exec file.ts` bundles and runs another entry point
// of this package (benchmarks). Type checking is `npm run typecheck`'s job, not the launcher's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const BANNER = "import { createRequire as __pipelineCreateRequire } from 'node:module'; const require = __pipelineCreateRequire(import.meta.url);";

function listSources(dirs) {
  const files = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.(ts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  for (const d of dirs) walk(join(root, d));
  const lock = join(root, 'package-lock.json');
  if (existsSync(lock)) files.push(lock);
  // This file holds the build options: a change to them is a change of the build.
  files.push(fileURLToPath(import.meta.url));
  files.sort();
  return files;
}

/** sha256 of the sources' paths, sizes and mtimes (their content is read only when bundling). */
function fingerprint(files, extra) {
  const h = createHash('sha256').update(extra);
  for (const f of files) {
    const st = statSync(f);
    h.update(`\0${relative(root, f)}\0${st.size}\0${st.mtimeMs}`);
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * zod's `locales` namespace holds its error messages in ~50 languages (half of zod's 585 KB, to
 * compile on every start). The engine only ever uses English, which zod registers by importing
 * locales/en.js itself, so its locales index is bundled as English alone.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(args.resolveDir, '..', 'locales', 'index.js'), namespace: 'zod-en' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};\n`,
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * Bundles `entries` (plus src/api.ts and src/zod.ts, shared with them through chunks) into
 * dist/<name>-<fingerprint>/ unless that build exists; returns its dir.
 */
async function ensureBuild(name, mainEntries, sourceDirs) {
  const entries = [...mainEntries, 'src/api.ts', 'src/zod.ts'];
  const id = fingerprint(listSources(sourceDirs), entries.join('\0'));
  const distRoot = join(root, 'dist');
  const out = join(distRoot, `${name}-${id}`);
  if (existsSync(join(out, '.complete'))) return out;

  const { build } = await import('esbuild');
  mkdirSync(distRoot, { recursive: true });
  const tmp = join(distRoot, `.tmp-${process.pid}-${Date.now()}`);
  try {
    await build({
      entryPoints: entries.map((e) => join(root, e)),
      outdir: tmp,
      outbase: root,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      minifyWhitespace: true,
      minifySyntax: true,
      logLevel: 'silent',
      external: ['esbuild'],
      plugins: [zodEnglishOnly],
      banner: { js: BANNER },
    });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const first = err?.errors?.[0];
    const loc = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
    process.stderr.write(`pipeline: cannot build ${entries.join(', ')}: ${loc}${first?.text ?? err?.message ?? err}\n`);
    process.exit(2);
  }
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  try {
    renameSync(tmp, out);
  } catch {
    // Another process finished the same build first: use theirs.
    rmSync(tmp, { recursive: true, force: true });
  }
  // Drop stale builds of this name (best effort; one a concurrent process still uses is a minute old at most).
  for (const e of readdirSync(distRoot)) {
    if (e === `${name}-${id}` || !(e.startsWith(`${name}-`) || e.startsWith('.tmp-'))) continue;
    const p = join(distRoot, e);
    try {
      if (Date.now() - statSync(p).mtimeMs > 60_000) rmSync(p, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
  return out;
}

process.env.PIPELINE_PACKAGE_ROOT = root;
const [first, second] = process.argv.slice(2);
if (first === '--build-only') {
  process.stdout.write(`${await ensureBuild('cli', ['src/cli.ts'], ['src'])}\n`);
} else if (first === '--exec') {
  // `node bin/pipeline.js --exec bench/index.ts args…`: run one of this package's TS entry points.
  const abs = second && existsSync(resolve(second)) ? resolve(second) : join(root, second ?? '');
  const rel = relative(root, abs);
  if (!second || rel.startsWith('..') || !existsSync(join(root, rel))) {
    process.stderr.write(`pipeline: --exec needs a .ts file of this package, got '${second ?? ''}'\n`);
    process.exit(2);
  }
  // The entry's own folder and test/ (whose helpers chaos/ and bench/ import) count for the rebuild too.
  const dirs = [...new Set(['src', 'stages', 'bench', 'test', rel.split(/[\\/]/)[0]])];
  const out = await ensureBuild(`exec-${rel.replace(/[^A-Za-z0-9]+/g, '_')}`, [rel], dirs);
  process.env.PIPELINE_API_MODULE = join(out, 'src', 'api.js');
  process.env.PIPELINE_ZOD_MODULE = join(out, 'src', 'zod.js');
  process.argv.splice(2, 2);
  await import(pathToFileURL(join(out, rel.replace(/\.ts$/, '.js'))).href);
} else {
  const out = await ensureBuild('cli', ['src/cli.ts'], ['src']);
  process.env.PIPELINE_API_MODULE = join(out, 'src', 'api.js');
  process.env.PIPELINE_ZOD_MODULE = join(out, 'src', 'zod.js');
  const { main } = await import(pathToFileURL(join(out, 'src', 'cli.js')).href);
  await main(process.argv.slice(2));
}
