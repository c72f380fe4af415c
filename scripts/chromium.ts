// How Node-side tools launch Debian's Chromium with WebGPU on SwiftShader (no GPU needed):
// the flags of ../shared/docs/webgpu-without-a-gpu.md §3. Shared by the end-to-end tests and the benchmarks.

import { existsSync } from 'node:fs';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
];

/** The Chromium binary (CHROMIUM_PATH or Debian's /usr/bin/chromium); throws with the fix when missing. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`Chromium not found at ${path}: run 'apt-get install -y chromium' (or set CHROMIUM_PATH).`);
  return path;
}
