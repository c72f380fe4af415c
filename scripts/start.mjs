#!/usr/bin/env node
// `npm start`: installs what is missing, then serves the app (Vite dev server) on localhost.
// WebGPU needs a secure context, and http://localhost counts as one.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('node_modules/.package-lock.json')) {
  console.log('Installing dependencies (npm install)…');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
console.log('Serving P2R Lab. Open the printed http://localhost URL in Chrome/Edge 113+.');
console.log('No GPU? Start Chrome with --enable-unsafe-webgpu --enable-unsafe-swiftshader.');
const child = spawn('npx', ['vite', '--host', 'localhost', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
