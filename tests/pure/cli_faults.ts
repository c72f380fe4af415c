// Shared by the *_cli_faults tests: a command-line tool as a direct child process (node --import tsx,
// so a signal reaches the script itself, not npx), its output collected, with a timeout.

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface ToolRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  env?: Record<string, string>;
  /** Send stdout to this file (e.g. /dev/full) instead of collecting it. */
  stdoutFile?: string;
  /** Called with each stdout chunk (collected so far) and the child: a test kills it from here. */
  onStdout?: (stdout: string, kill: (signal: NodeJS.Signals) => void) => void;
  timeoutMs?: number;
}

/** Runs `node --import tsx SCRIPT ARGS` (or `node SCRIPT` for .mjs) in the repository root. */
export function runTool(script: string, args: string[], options: ToolOptions = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const fd = options.stdoutFile ? openSync(options.stdoutFile, 'w') : undefined;
    const node = script.endsWith('.mjs') ? [script] : ['--import', 'tsx', script];
    const child = spawn(process.execPath, [...node, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', fd ?? 'pipe', 'pipe'],
    });
    if (fd !== undefined) closeSync(fd);
    let stdout = '';
    let stderr = '';
    let killed = false;
    const kill = (signal: NodeJS.Signals) => {
      if (killed) return;
      killed = true;
      child.kill(signal);
    };
    child.stdout?.on('data', (d) => {
      stdout += d;
      options.onStdout?.(stdout, kill);
    });
    child.stderr?.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 110_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A Node stack trace in a message (`    at fn (file:line:col)`): a CLI error must not print one. */
export const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;
