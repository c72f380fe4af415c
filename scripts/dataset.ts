// `npm run dataset -- import FILE... [--media-dir DIR] [--report out.jsonl]`: the page's dataset
// importer run in Node, for files too big to try in a tab or to check before importing. It reads,
// validates and normalises every record with the page's code (src/data/importers.ts), checks that
// each record's media file is in DIR (with the page's path resolution), prints the page's summary
// counts and writes every issue as JSON Lines. It stores nothing: import in the page to keep samples.

import { openAsBlob, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { IoError, OutputFile, ioMessage, watchStdout } from './cli_io';

import type { SourceFileLike } from '../src/data/importers';
import { checkImport } from '../src/data/import_check';
import { issueReportLine } from '../src/data/issues';
import { MediaFolder, mediaPresenceLoader } from '../src/data/media';
import { DataError } from '../src/data/errors';
import type { ImportProgress } from '../src/data/types';

const HELP = `Check a Video-R1 / VideoP2R dataset import in Node, with the page's importer.

Usage: npm run dataset -- import FILE... [options]

FILE: Video-R1 .json (a list) or .jsonl, or the VideoP2R .json.gz parts (all parts, any order).
Options:
  --media-dir DIR          the media folder (record paths resolve against it as in the page); each
                           record's file must be there (presence only: Node decodes no video, so a
                           file the browser cannot decode is reported by the page, not here)
  --on-media-error skip|keep
                           a record whose media is missing: skipped (default, as in the page) or kept
                           without media
  --report FILE            every issue as JSON Lines: {file, line, id, field, code, message, action},
                           the same rows as the page's "Export report"
  --name NAME              the dataset name printed in the summary (default: the file names)
  --json                   print the summary as one JSON object instead of text
Exit status: 0 when the files were read to the end (bad records are reported, not fatal); 2 when a
file cannot be read or written (the message names it) or on a usage error.`;

interface Args {
  files: string[];
  mediaDir?: string;
  onMediaError: 'skip' | 'keep';
  report?: string;
  name?: string;
  json: boolean;
}

function parse(argv: string[]): Args | null {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'media-dir': { type: 'string' },
      'on-media-error': { type: 'string' },
      report: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const [command, ...files] = positionals;
  if (command !== 'import') throw new IoError(`unknown command '${command ?? ''}': the command is 'import' (npm run dataset -- --help)`);
  if (files.length === 0) throw new IoError('import: give at least one FILE');
  const policy = values['on-media-error'] ?? 'skip';
  if (policy !== 'skip' && policy !== 'keep') throw new IoError(`--on-media-error: 'skip' or 'keep' (got ${policy})`);
  return { files, mediaDir: values['media-dir'], onMediaError: policy, report: values.report, name: values.name, json: values.json ?? false };
}

/** A source file as the importer reads it: the page's File, from disk. Missing or a folder: IoError naming it. */
async function sourceFile(path: string): Promise<SourceFileLike> {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new IoError((e as NodeJS.ErrnoException).code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${ioMessage(e)}`);
  }
  if (st.isDirectory()) throw new IoError(`${path} is a folder, expected a .json, .jsonl or .json.gz file`);
  let blob: Blob;
  try {
    blob = await openAsBlob(path);
  } catch (e) {
    throw new IoError(`cannot read ${path}: ${ioMessage(e)}`);
  }
  return { name: basename(path), size: st.size, lastModified: st.mtimeMs, stream: () => blob.stream() as ReadableStream<Uint8Array> };
}

/** The media folder's files as the page's folder picker lists them: "FOLDER/sub/x.mp4". */
function mediaFolder(dir: string): MediaFolder {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    throw new IoError(`--media-dir ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'the folder does not exist' : ioMessage(e)}`);
  }
  if (!st.isDirectory()) throw new IoError(`--media-dir ${dir} is a file, not a folder`);
  const root = basename(resolve(dir));
  const files: File[] = [];
  try {
    for (const d of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!d.isFile()) continue;
      const rel = relative(dir, join(d.parentPath ?? (d as unknown as { path: string }).path, d.name)).split('\\').join('/');
      files.push({ name: d.name, webkitRelativePath: `${root}/${rel}` } as unknown as File);
    }
  } catch (e) {
    throw new IoError(`--media-dir ${dir}: cannot list the folder: ${ioMessage(e)}`);
  }
  return new MediaFolder(files);
}

function summaryText(name: string, p: ImportProgress): string {
  const reasons = Object.entries(p.byReason);
  return `${name}: ${p.state === 'complete' ? 'done' : p.state} — ${p.imported} imported, ${p.skipped} skipped${p.keptWithoutMedia > 0 ? `, ${p.keptWithoutMedia} kept without media` : ''}.${reasons.length > 0 ? ` Reasons: ${reasons.map(([code, n]) => `${code} ×${n}`).join(', ')}.` : ''}`;
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (!args) {
    console.log(HELP);
    return 0;
  }
  const stdout = watchStdout();
  const files = await Promise.all(args.files.map(sourceFile));
  const folder = args.mediaDir !== undefined ? mediaFolder(args.mediaDir) : null;
  // The report is opened (so checked) before the long read; it replaces FILE only when complete.
  const report = args.report !== undefined ? new OutputFile(args.report, '--report', 'issues.jsonl') : null;
  const t0 = performance.now();
  let lastLog = t0;
  let issues = 0;
  try {
    const m = await checkImport(files, {
      name: args.name,
      ...(folder ? { media: mediaPresenceLoader(folder), onMediaError: args.onMediaError } : {}),
      onIssue: (issue) => {
        issues++;
        report?.append(issueReportLine(issue) + '\n');
      },
      onProgress: (p) => {
        const now = performance.now();
        if (!args.json && now - lastLog > 5000) {
          lastLog = now;
          process.stderr.write(`dataset: ${p.cursor} records read, ${p.imported} imported, ${p.skipped} skipped…\n`);
        }
      },
    });
    await report?.commit();
    const seconds = (performance.now() - t0) / 1000;
    const p = m.progress;
    if (args.json) {
      console.log(JSON.stringify({ name: m.name, state: p.state, records: p.cursor, imported: p.imported, skipped: p.skipped, keptWithoutMedia: p.keptWithoutMedia, byReason: p.byReason, issues, mediaFiles: folder?.size ?? null, report: args.report ?? null, seconds: Number(seconds.toFixed(3)) }));
    } else {
      console.log(summaryText(m.name, p));
      console.log(`${p.cursor} records in ${seconds.toFixed(2)} s${folder ? ` · ${folder.size} media files in ${args.mediaDir}` : ''}${args.report ? ` · ${issues} issues written to ${args.report}` : ''}`);
    }
    await stdout.check();
    return 0;
  } catch (e) {
    report?.abort();
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    // A DataError from the importer names the file (SourceUnreadable, DecompressionFailed); so do IoErrors.
    const message = e instanceof DataError ? `${e.code}: ${e.message} (${e.hint})` : e instanceof IoError || String((e as { code?: string })?.code).startsWith('ERR_PARSE_ARGS') ? (e as Error).message : ((e as Error)?.stack ?? String(e));
    process.stderr.write(`dataset: ${message}\n`);
    process.exit(2);
  },
);
