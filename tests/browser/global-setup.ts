// Starts what every end-to-end test shares: the built app served on localhost by `vite preview`
// (WebGPU needs a secure context) and ONE headless Chromium (Debian's, with SwiftShader WebGPU).
// Tests connect to that browser through its WebSocket endpoint (see ./browser.ts).

import type { TestProject } from 'vitest/node';
import { build, preview } from 'vite';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/chromium';

declare module 'vitest' {
  export interface ProvidedContext {
    baseURL: string;
    wsEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  // P2R_TEST_DIST lets several checkouts' test runs share one machine without overwriting one build.
  const outDir = process.env.P2R_TEST_DIST ?? 'dist';
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await preview({ preview: { port: 0, host: '127.0.0.1' }, build: { outDir }, logLevel: 'warn' });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview did not report a port');
  const browserServer = await chromium.launchServer({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  // localhost (not 127.0.0.1) is a secure context for navigator.gpu.
  project.provide('baseURL', `http://localhost:${address.port}/`);
  project.provide('wsEndpoint', browserServer.wsEndpoint());
  return async () => {
    await browserServer.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  };
}
