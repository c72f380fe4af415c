// The `tfjs` section of `npm run bench` (Node side): serves bench/browser/tfjs.html from this run's
// Vite dev server on http://localhost (a secure context, so navigator.gpu exists), opens it in one
// headless Chromium and runs window.p2rTfjsBench.run: our SFT step vs the same transformer's SFT step
// in TensorFlow.js (webgpu backend) on the same adapter (bench/browser/tfjs_main.ts). The page
// plumbing is bench/browser/page.ts.

import { withBenchPage } from './browser/page';
import type { SectionBody } from './report';
import type { BenchContext } from './sections';

export async function runTfjsSection(ctx: BenchContext): Promise<SectionBody> {
  return withBenchPage(ctx, 'bench/browser/tfjs.html', async (page) => {
    await page.waitForFunction(() => Boolean(window.p2rTfjsBench), undefined, { timeout: 180_000 });
    // No timeout of its own: the section takes minutes on SwiftShader.
    page.setDefaultTimeout(0);
    return page.evaluate((config) => window.p2rTfjsBench!.run(config), ctx.config);
  });
}
