// File output for the command-line tools (score, train, eval, experiment, bench): outputs are checked
// before the long work starts, every write and close error is caught and named, regular files are
// written to NAME.partial-PID and renamed over NAME when complete (a killed run leaves NAME as it was),
// and stdout errors (a full disk behind `> FILE`) are noticed instead of dropped by console.log.
// Every failure is an IoError: the tool prints `TOOL: MESSAGE` (no stack) and exits 2.
//
// Test hook: P2R_INJECT_WRITE_ERROR=TEXT makes every write to a file whose name contains TEXT fail
// with EIO, so tests can hit a write error in a folder a root user can write anyway.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** A file that cannot be read or written: exit 2, the message names the file. */
export class IoError extends Error {
  override name = 'IoError';
}

/** `CODE: what happened`, without Node's repeated `CODE: ` prefix. */
export const ioMessage = (e: unknown): string =>
  (e as NodeJS.ErrnoException)?.code ? `${(e as NodeJS.ErrnoException).code}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}` : ((e as Error)?.message ?? String(e));

let rescuing = false;

function injectedWriteError(path: string): void {
  const text = process.env.P2R_INJECT_WRITE_ERROR;
  if (text && !rescuing && basename(path).includes(text)) throw Object.assign(new Error('EIO: i/o error (injected by P2R_INJECT_WRITE_ERROR), write'), { code: 'EIO' });
}

function statOrNull(path: string, flag: string, name: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') throw new IoError(`${flag} ${name}: a parent of ${path} is a file, not a folder`);
    throw new IoError(`${flag} ${name}: ${ioMessage(e)}`);
  }
}

/**
 * One output file, opened (and so checked) when constructed, before any work: a missing folder, a
 * folder where a file is expected, or a file that cannot be created fails at once. Writes are buffered
 * and synchronous, so an error (ENOSPC on a full disk, EIO) surfaces at the write that hit it. A
 * regular file goes to NAME.partial-PID and is renamed over NAME by commit(); devices and pipes
 * (/dev/stdout, /dev/full) are written in place; '-' is stdout.
 */
export class OutputFile {
  private buffer: Buffer[] = [];
  private buffered = 0;
  private fd: number | null = null;
  private partial: string | null = null;
  private target: string;
  private stdoutError: Error | null = null;

  /** `flag` names the option in messages (`--out`), `example` the file name suggested for a folder. */
  constructor(
    readonly name: string,
    private readonly flag = '--out',
    example = 'out.jsonl',
  ) {
    this.target = name;
    if (name === '-') {
      process.stdout.on('error', (e) => (this.stdoutError = e));
      return;
    }
    const st = statOrNull(name, flag, name);
    if (st?.isDirectory()) throw new IoError(`${flag} ${name} is a directory: give a file name, e.g. ${flag} ${join(name, example)}`);
    if (st && !st.isFile()) {
      this.fd = this.open(name, 'w'); // a device or a pipe: written in place
      return;
    }
    if (st) this.target = realpathSync(name);
    else {
      const folder = dirname(resolve(name));
      const fst = statOrNull(folder, flag, name);
      if (!fst) throw new IoError(`${flag} ${name}: the folder ${folder} does not exist (create it first)`);
      if (!fst.isDirectory()) throw new IoError(`${flag} ${name}: ${folder} is not a folder`);
    }
    this.partial = `${this.target}.partial-${process.pid}`;
    this.fd = this.open(this.partial, 'wx');
  }

  private open(path: string, flags: string): number {
    try {
      return openSync(path, flags);
    } catch (e) {
      throw new IoError(`${this.flag} ${this.name}: cannot open ${path} for writing: ${ioMessage(e)}`);
    }
  }

  private fail(what: string, e: unknown): IoError {
    const kept = this.partial ? `; ${this.name} is unchanged` : '; the output is incomplete';
    this.abort();
    return new IoError(`${what} ${this.name} failed: ${ioMessage(e)}${kept}`);
  }

  private flushSync(): void {
    if (this.buffered === 0) return;
    const bytes = this.buffer.length === 1 ? this.buffer[0] : Buffer.concat(this.buffer);
    this.buffer = [];
    this.buffered = 0;
    if (this.fd === null) return;
    try {
      injectedWriteError(this.target);
      for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off, bytes.length - off);
    } catch (e) {
      throw this.fail('writing', e);
    }
  }

  /** Appends to a file (not '-'): buffered, synchronous; throws IoError when a flush fails. */
  append(data: string | Uint8Array): void {
    if (this.name === '-') throw new Error('OutputFile.append: use write() for stdout');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.buffer.push(bytes);
    this.buffered += bytes.length;
    if (this.buffered >= 1 << 20) this.flushSync();
  }

  /** Writes what is buffered now (a file, not '-'): a later kill -9 keeps it in NAME.partial-PID. */
  flush(): void {
    this.flushSync();
  }

  async write(text: string): Promise<void> {
    if (this.name === '-') {
      if (this.stdoutError) throw this.fail('writing', this.stdoutError);
      if (!process.stdout.write(text)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
      return;
    }
    this.append(text);
  }

  /** Flushes, syncs and closes a file (not '-'); the rename is left to rename(). */
  closeSync(): void {
    this.flushSync();
    if (this.fd === null) return;
    const fd = this.fd;
    try {
      if (this.partial) fsyncSync(fd);
      this.fd = null;
      closeSync(fd);
    } catch (e) {
      throw this.fail('closing', e);
    }
  }

  /** Renames a closed partial file over NAME (a no-op for devices). */
  rename(): void {
    if (!this.partial) return;
    try {
      renameSync(this.partial, this.target);
      this.partial = null;
    } catch (e) {
      throw this.fail('renaming the finished output to', e);
    }
  }

  /** Flushes, syncs and closes; a regular file is then renamed over NAME. */
  async commit(): Promise<void> {
    if (this.name === '-') {
      await new Promise<void>((r) => process.stdout.write('', () => r()));
      if (this.stdoutError) throw this.fail('writing', this.stdoutError);
      return;
    }
    this.closeSync();
    this.rename();
  }

  /** Closes and deletes the partial file: NAME keeps what it had. Safe to call twice. */
  abort(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = null;
    }
    if (this.partial) {
      try {
        unlinkSync(this.partial);
      } catch {
        // already gone
      }
      this.partial = null;
    }
  }
}

/**
 * Writes several files of one folder as one unit: every file goes to NAME.partial-PID, all are synced
 * and closed, and only then renamed over their names. A write error (or a kill) before the renames
 * leaves every old file as it was; the renames themselves take microseconds.
 */
export function writeFilesAtomic(files: readonly (readonly [path: string, data: string | Uint8Array])[], flag = '--out'): void {
  const outs: OutputFile[] = [];
  try {
    for (const [path, data] of files) {
      const out = new OutputFile(path, flag);
      outs.push(out);
      out.append(data);
    }
    for (const out of outs) out.closeSync();
    for (const out of outs) out.rename();
  } catch (e) {
    for (const out of outs) out.abort();
    throw e;
  }
}

/** One file, written atomically (see writeFilesAtomic). */
export function writeFileAtomic(path: string, data: string | Uint8Array, flag = '--out'): void {
  writeFilesAtomic([[path, data]], flag);
}

/**
 * An output folder, created if missing and checked writable before the long work starts: a parent that
 * is a file, a file where the folder should be, or a folder that refuses a new file fails at once.
 */
export function checkOutputFolder(dir: string, flag = '--out'): void {
  const st = statOrNull(dir, flag, dir);
  if (st && !st.isDirectory()) throw new IoError(`${flag} ${dir} is a file, not a folder: give a folder name`);
  if (!st) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST') throw new IoError(`${flag} ${dir}: cannot create the folder: a parent of it is a file, not a folder`);
      throw new IoError(`${flag} ${dir}: cannot create the folder: ${ioMessage(e)}`);
    }
  }
  const probe = join(dir, `.write-check-${process.pid}`);
  try {
    const fd = openSync(probe, 'wx');
    try {
      writeSync(fd, 'x');
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
  } catch (e) {
    throw new IoError(`${flag} ${dir}: the folder is not writable: ${ioMessage(e)}`);
  }
}

/** Reads an input file; a missing, unreadable file or a folder is an IoError naming it. */
export function readInputFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new IoError(`${flag}: ${path} is a folder, expected a file`);
    if (code === 'ENOENT') throw new IoError(`${flag}: ${path} does not exist`);
    throw new IoError(`${flag}: cannot read ${path}: ${ioMessage(e)}`);
  }
}

/**
 * Watches stdout for write errors (console.log drops them: `> /dev/full` would exit 0 with nothing
 * written). check() throws an IoError once stdout has failed; call it after the output that matters.
 */
export function watchStdout(what = 'stdout'): { check: () => Promise<void> } {
  let failed: Error | null = null;
  process.stdout.on('error', (e) => (failed ??= e));
  return {
    check: async () => {
      await new Promise<void>((r) => process.stdout.write('', () => r()));
      if (failed) throw new IoError(`writing ${what} failed: ${ioMessage(failed)}; the output is incomplete`);
    },
  };
}

/**
 * After a write failed late in a long run: saves the files under the system's temporary folder so the
 * work is not lost. Returns that folder, or null when it cannot be written either.
 */
export function rescueCopy(tool: string, files: readonly (readonly [name: string, data: string | Uint8Array])[]): string | null {
  const dir = join(tmpdir(), `p2r-${tool}-rescue-${process.pid}`);
  rescuing = true; // the test hook fails the real output only
  try {
    mkdirSync(dir, { recursive: true });
    writeFilesAtomic(files.map(([name, data]) => [join(dir, name), data] as const));
    return dir;
  } catch {
    return null;
  } finally {
    rescuing = false;
  }
}

/**
 * SIGINT/SIGTERM as a request to stop at the next safe point (after the step in progress), so a long
 * run can save what it has; a second signal ends the process at once (Node's default). `requested` is
 * the signal received, `exitCode` its conventional status (130, 143).
 */
export function stopRequests(): { readonly requested: NodeJS.Signals | null; readonly exitCode: number; dispose: () => void } {
  let requested: NodeJS.Signals | null = null;
  const on = (signal: NodeJS.Signals) => () => {
    requested = signal;
    process.stderr.write(`${signal}: stopping after the step in progress (send it again to end at once)\n`);
  };
  const int = on('SIGINT');
  const term = on('SIGTERM');
  process.once('SIGINT', int);
  process.once('SIGTERM', term);
  return {
    get requested() {
      return requested;
    },
    get exitCode() {
      return requested === 'SIGINT' ? 130 : 143;
    },
    dispose: () => {
      process.off('SIGINT', int);
      process.off('SIGTERM', term);
    },
  };
}

/** A checkpoint folder to read (--resume, --reference): both files present and readable as files. */
export function checkCheckpointFolder(dir: string, flag: string): void {
  const st = statOrNull(dir, flag, dir);
  if (!st) throw new IoError(`${flag} ${dir}: the folder does not exist`);
  if (!st.isDirectory()) throw new IoError(`${flag} ${dir} is a file: give the folder holding model.safetensors and model.json`);
  for (const name of ['model.safetensors', 'model.json']) {
    const path = join(dir, name);
    const f = statOrNull(path, flag, dir);
    if (!f) throw new IoError(`${flag} ${dir}: no checkpoint: ${path} does not exist`);
    if (!f.isFile()) throw new IoError(`${flag} ${dir}: ${path} is not a file`);
    try {
      closeSync(openSync(path, 'r'));
    } catch (e) {
      throw new IoError(`${flag} ${dir}: cannot read ${path}: ${ioMessage(e)}`);
    }
  }
}
