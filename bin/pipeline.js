#!/usr/bin/env node
// Launcher: makes `npx pipeline …` work in a fresh clone with no manual build step.
// The TypeScript sources of this package (src/, stages/, bench/, pipeline.ts) are transpiled by
// esbuild into dist/build-<fingerprint>/ the first time they are needed and whenever one of them
// changes (the fingerprint covers every source file's path, size and mtime). Type checking is
// `npm run typecheck`'s job, not the launcher's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const SOURCE_DIRS = ['src', 'stages', 'bench'];
const SOURCE_FILES = ['pipeline.ts', 'package-lock.json'];

function listSources() {
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
      else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(join(root, d));
  for (const f of SOURCE_FILES) if (existsSync(join(root, f))) files.push(join(root, f));
  files.sort();
  return files;
}

async function ensureBuild() {
  const files = listSources();
  const h = createHash('sha256');
  for (const f of files) {
    const st = statSync(f);
    h.update(`${relative(root, f)}\0${st.size}\0${st.mtimeMs}\n`);
  }
  const id = h.digest('hex').slice(0, 16);
  const distRoot = join(root, 'dist');
  const out = join(distRoot, `build-${id}`);
  if (existsSync(join(out, '.complete'))) return out;

  const { build } = await import('esbuild');
  mkdirSync(distRoot, { recursive: true });
  const tmp = join(distRoot, `.tmp-${process.pid}-${Date.now()}`);
  // One bundle per entry point (shared code split into chunks), npm packages included: loading a
  // handful of files is several times faster than resolving hundreds of ESM modules per start.
  await build({
    entryPoints: files.filter((f) => f.startsWith(join(root, 'bench')) || f === join(root, 'src', 'cli.ts')),
    outdir: tmp,
    outbase: root,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'error',
    external: ['esbuild'],
    banner: { js: "import { createRequire as __pipelineCreateRequire } from 'node:module'; const require = __pipelineCreateRequire(import.meta.url);" },
  });
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  try {
    renameSync(tmp, out);
  } catch {
    // Another process finished the same build first: use theirs.
    rmSync(tmp, { recursive: true, force: true });
  }
  // Drop stale builds (best effort; a concurrent process may still be importing one).
  for (const e of readdirSync(distRoot)) {
    if (e === `build-${id}` || e.startsWith('.tmp-')) continue;
    const p = join(distRoot, e);
    try {
      if (Date.now() - statSync(p).mtimeMs > 60_000) rmSync(p, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
  return out;
}

const out = await ensureBuild();
if (process.argv[2] === '--build-only') {
  process.stdout.write(`${out}\n`);
} else if (process.argv[2] === '--exec') {
  // `node bin/pipeline.js --exec bench/index.ts args…`: run one of this package's TS entry points.
  const rel = (process.argv[3] ?? '').replace(/\.ts$/, '.js');
  process.env.PIPELINE_BUILD_DIR = out;
  process.env.PIPELINE_PACKAGE_ROOT = root;
  process.argv.splice(2, 2);
  await import(pathToFileURL(join(out, rel)).href);
} else {
  process.env.PIPELINE_BUILD_DIR = out;
  process.env.PIPELINE_PACKAGE_ROOT = root;
  const { main } = await import(pathToFileURL(join(out, 'src', 'cli.js')).href);
  await main(process.argv.slice(2));
}
