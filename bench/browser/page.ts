// Node side of the in-browser bench sections (bench/browser/run.ts, bench/tfjs.ts): serves a page of
// bench/browser/ from this run's Vite dev server on http://localhost (a secure context, so
// navigator.gpu exists), opens it in ONE headless Chromium (Debian's, SwiftShader WebGPU without a GPU),
// forwards the page's `[bench] ` console lines to the log and collects its errors.

import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/chromium';
import type { SectionBody } from '../report';
import type { BenchContext } from '../sections';

/**
 * Opens http://localhost:PORT/`pagePath` and returns what `use(page)` returns, with the page's console
 * errors, uncaught errors and HTTP errors appended to its notes (at most 10). Closes the browser.
 */
export async function withBenchPage(ctx: BenchContext, pagePath: string, use: (page: Page) => Promise<SectionBody>): Promise<SectionBody> {
  const executablePath = chromiumPath();
  const { server } = ctx;
  if (!server.httpServer?.listening) await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the Vite dev server did not report a port');
  // localhost, not 127.0.0.1: only the former counts as a secure context for WebGPU.
  const url = `http://localhost:${address.port}/${pagePath}`;

  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  const pageErrors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith('[bench] ')) ctx.log(`  ${text.slice(8)}`);
      // 'Failed to load resource' repeats the HTTP status seen below, with no URL: skip it.
      else if (m.type() === 'error' && !text.startsWith('Failed to load resource')) pageErrors.push(`console: ${text}`);
    });
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) pageErrors.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    await page.goto(url);
    const body = await use(page);
    // Console errors are reported as notes (ORT logs warnings as errors at times); a numerical
    // disagreement or a crash in the page is already in body.failures.
    if (pageErrors.length) body.notes.push(...pageErrors.slice(0, 10).map((e) => `page said: ${e}`));
    return body;
  } finally {
    await browser.close();
  }
}
