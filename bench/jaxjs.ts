// The `jaxjs` section of `npm run bench` (Node side, issue 15 "a second peer"): serves
// bench/browser/jaxjs.html from this run's Vite dev server on http://localhost (a secure context, so
// navigator.gpu exists), opens it in one headless Chromium and runs window.p2rJaxjsBench.run: our SFT
// step vs the same transformer's SFT step in jax-js and in TensorFlow.js (both webgpu) on the same
// adapter, interleaved on one page (bench/browser/jaxjs_main.ts). The page plumbing is
// bench/browser/page.ts.

import { withBenchPage } from './browser/page';
import type { SectionBody } from './report';
import type { BenchContext } from './sections';

export async function runJaxjsSection(ctx: BenchContext): Promise<SectionBody> {
  return withBenchPage(ctx, 'bench/browser/jaxjs.html', async (page) => {
    await page.waitForFunction(() => Boolean(window.p2rJaxjsBench), undefined, { timeout: 180_000 });
    // No timeout of its own: the section takes minutes on SwiftShader.
    page.setDefaultTimeout(0);
    return page.evaluate((config) => window.p2rJaxjsBench!.run(config), ctx.config);
  });
}
