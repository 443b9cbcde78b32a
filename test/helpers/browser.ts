// A headless Chromium for tests, from npm packages only: @sparticuz/chromium ships the browser
// (unpacked to the temp dir on first use, launched offline) and puppeteer-core drives it. No system
// browser and no system CJK fonts are needed: pages opened here get Noto Sans SC from
// @fontsource-variable/noto-sans-sc, so Chinese text renders as glyphs, not boxes.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const require = createRequire(import.meta.url);

/** The font family pages get in addition to their own (put first, so CJK text uses it). */
export const CJK_FONT_FAMILY = 'Noto Sans SC Variable';

let fontCss: Promise<string> | undefined;

/** @font-face rules of the bundled font with absolute file: URLs (the page is a file: URL too). */
function cjkFontCss(): Promise<string> {
  return (fontCss ??= (async () => {
    const css = require.resolve('@fontsource-variable/noto-sans-sc/index.css');
    const files = pathToFileURL(join(dirname(css), 'files')).href;
    const text = await readFile(css, 'utf8');
    return `${text.replaceAll('url(./files', `url(${files}`)}\nbody, pre, code, svg text { font-family: '${CJK_FONT_FAMILY}', sans-serif !important; }\n`;
  })());
}

export interface OpenedPage {
  page: Page;
  /** Console messages of type error and uncaught page errors, in order. */
  errors: string[];
}

/** Unpacked by globalSetup.ts into the machine's temp dir (reused across runs), else here. */
async function executablePath(): Promise<string> {
  return process.env.PIPELINE_TEST_CHROMIUM ?? (await chromium.executablePath());
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: await executablePath(),
    args: [...chromium.args, '--allow-file-access-from-files'],
    headless: true,
  });
}

/** Opens a local file in a new page of `browser` with the CJK font loaded and fonts ready. */
export async function openFile(browser: Browser, file: string, hash = '', viewport = { width: 1280, height: 900 }): Promise<OpenedPage> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String((e as Error).message ?? e)));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  await page.goto(`${pathToFileURL(file).href}${hash}`, { waitUntil: 'load' });
  await page.addStyleTag({ content: await cjkFontCss() });
  // The font's subsets load when text needs them: wait until no face is still loading.
  await page.waitForFunction('document.fonts.ready.then(() => [...document.fonts].every((f) => f.status !== "loading"))', { timeout: 30_000 });
  return { page, errors };
}
