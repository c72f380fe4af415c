// The browser section of `npm run bench` (Node side): serves bench/browser/index.html from this
// run's Vite dev server on http://localhost (a secure context, so navigator.gpu exists), opens it in
// ONE headless Chromium (Debian's, SwiftShader WebGPU without a GPU) and runs window.p2rBench.run
// (the page plumbing is bench/browser/page.ts).

import type { SectionBody } from '../report';
import type { BenchContext } from '../sections';
import { withBenchPage } from './page';

export async function runBrowserKernels(ctx: BenchContext): Promise<SectionBody> {
  return withBenchPage(ctx, 'bench/browser/index.html', async (page) => {
    await page.waitForFunction(() => Boolean(window.p2rBench), undefined, { timeout: 120_000 });
    return page.evaluate((config) => window.p2rBench!.run(config), ctx.config);
  });
}
