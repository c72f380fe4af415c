// The `tfjs` section of `npm run bench` (Node side): serves bench/browser/tfjs.html from this run's
// Vite dev server on http://localhost (a secure context, so navigator.gpu exists), opens it in one
// headless Chromium and runs window.p2rTfjsBench.run: our SFT step vs the same transformer's SFT step
// in TensorFlow.js (webgpu backend) on the same adapter (bench/browser/tfjs_main.ts).

import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium';
import type { SectionBody } from './report';
import type { BenchContext } from './sections';

export async function runTfjsSection(ctx: BenchContext): Promise<SectionBody> {
  const { server } = ctx;
  if (!server.httpServer?.listening) await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the Vite dev server did not report a port');
  // localhost, not 127.0.0.1: only the former counts as a secure context for WebGPU.
  const url = `http://localhost:${address.port}/bench/browser/tfjs.html`;
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  const pageErrors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith('[bench] ')) ctx.log(`  ${text.slice(8)}`);
      else if (m.type() === 'error' && !text.startsWith('Failed to load resource')) pageErrors.push(`console: ${text}`);
    });
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) pageErrors.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    await page.goto(url);
    await page.waitForFunction(() => Boolean(window.p2rTfjsBench), undefined, { timeout: 180_000 });
    // No timeout of its own: the section takes minutes on SwiftShader.
    page.setDefaultTimeout(0);
    const body = await page.evaluate((config) => window.p2rTfjsBench!.run(config), ctx.config);
    if (pageErrors.length) body.notes.push(...pageErrors.slice(0, 10).map((e) => `page said: ${e}`));
    return body;
  } finally {
    await browser.close();
  }
}
