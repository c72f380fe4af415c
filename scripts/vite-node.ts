// Runs a Node script's main() under Vite's SSR module loader, shared by scripts/train.ts and
// scripts/experiment.ts. The engine imports its WGSL through Vite's `?raw` suffix, which tsx does not
// understand, so the script, started by tsx, parses its arguments, calls runSelfUnderVite, which starts
// a Vite dev server in middleware mode and loads the script again through ssrLoadModule (where `?raw`
// works) and calls main() there. A process-wide flag per script stops the second evaluation from
// starting Vite again. Exits the process: 2 on an argument error or an IoError (scripts/cli_io.ts: a file
// that cannot be read or written; printed as `name: message`, no stack), 1 if main() throws anything
// else, else process.exitCode (main sets 130/143 after stopping on a signal) or 0. Stdout is watched:
// console.log drops write errors, so a report sent to a full disk (`> /dev/full`) would exit 0 with
// nothing written; here it exits 2 and says so.

import { createServer } from 'vite';

declare global {
  var __p2rUnderVite: Set<string> | undefined;
}

/**
 * Call at the top level of `self` (a path from the repository root, '/scripts/NAME.ts'). Under tsx it
 * parses the arguments (an error prints `name: message` and exits 2), loads `self` through Vite and
 * calls its exported main(args); when `self` is being evaluated by Vite it returns at once.
 */
export async function runSelfUnderVite<A>(name: string, self: string, parse: () => A): Promise<void> {
  const loaded = (globalThis.__p2rUnderVite ??= new Set());
  if (loaded.has(self)) return;
  loaded.add(self);
  let args: A;
  try {
    args = parse();
  } catch (e) {
    console.error(`${name}: ${(e as Error).message}`);
    process.exit(2);
  }
  let stdoutError: NodeJS.ErrnoException | null = null;
  process.stdout.on('error', (e) => (stdoutError ??= e));
  const vite = await createServer({
    configFile: false, // no React plugin or test projects needed; ?raw is core Vite
    root: new URL('..', import.meta.url).pathname,
    logLevel: 'warn',
    appType: 'custom',
    server: { middlewareMode: true, hmr: false, ws: false },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  let code = 0;
  try {
    const mod = (await vite.ssrLoadModule(self)) as { main: (args: A) => Promise<void> };
    await mod.main(args);
  } catch (e) {
    // Matched by name: main() runs in Vite's module graph, with its own copy of scripts/cli_io.ts.
    if ((e as Error)?.name === 'IoError') {
      console.error(`${name}: ${(e as Error).message}`);
      code = 2;
    } else {
      console.error(e);
      code = 1;
    }
  } finally {
    await vite.close();
  }
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  if (stdoutError && code === 0) {
    const e = stdoutError as NodeJS.ErrnoException;
    console.error(`${name}: writing stdout failed: ${e.code ?? ''}${e.code ? ': ' : ''}${e.message.replace(/^[A-Z]+: /, '')}; the output is incomplete`);
    code = 2;
  }
  process.exit(code || Number(process.exitCode ?? 0));
}
