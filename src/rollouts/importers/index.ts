// One entry for every import format: detects each file's format from its name and content, parses it
// into draft rows, and rebuilds GRPO groups over all files of the run at once (a verl run is a folder
// of `{step}.jsonl`). Pure: runs in the main thread, a worker, Node tests and the benchmark alike.

import { finalizeRollouts, importWarnings } from '../group';
import { parseJsonLines, parseLenientJson } from '../lenient_json';
import type { SourceFormat } from '../record';
import { ImportError, isRecord, type ImportOptions, type ImportResult, type ParsedFile } from './common';
import { importInspectEval, importInspectJson, isEvalLog } from './inspect_log';
import { looksNative, nativeDrafts } from './native';
import { looksLikeRllb, rllbDrafts } from './rllb';
import { importTrlParquet, importWandbTable, isWandbTable, trlDrafts } from './trl';
import { verlDrafts, verlWarnings } from './verl';
import { isVideoR1Results, videoR1Drafts } from './videor1';

export { ImportError, type ImportOptions, type ImportResult } from './common';

export interface InputFile {
  /** File name, with its relative folder when known (`val/12.jsonl`). */
  name: string;
  bytes: Uint8Array;
}

const decoder = new TextDecoder();

/** Parses one file into drafts; the format is chosen by extension, then by the first record's keys. */
export async function parseFile(file: InputFile, opts: ImportOptions): Promise<ParsedFile> {
  const name = file.name;
  const lower = name.toLowerCase();
  if (lower.endsWith('.parquet')) return importTrlParquet(file.bytes, name);
  if (lower.endsWith('.eval') || (file.bytes[0] === 0x50 && file.bytes[1] === 0x4b)) return importInspectEval(file.bytes, name);
  const binary = binaryKind(file.bytes);
  if (binary) throw new ImportError(`${name}: binary file (${binary}), not JSON`, 'expected text: verl {step}.jsonl, TRL rows, RL Logging Board, Video-R1 results, our own export');
  const text = decoder.decode(file.bytes);
  const trimmed = text.trimStart();
  if (!trimmed) throw new ImportError(`${name}: empty file`, file.bytes.length ? 'the file holds only blank lines' : 'the file has 0 bytes');
  // A single JSON document (EvalLog, Video-R1 results, W&B table), unless it is clearly JSON Lines.
  if (lower.endsWith('.json') || (trimmed.startsWith('{') && !lower.endsWith('.jsonl') && !lower.endsWith('.ndjson'))) {
    let doc: unknown;
    try {
      doc = parseLenientJson(text);
    } catch (e) {
      if (lower.endsWith('.json')) throw new ImportError(`${name}: invalid JSON (${(e as Error).message})`, 'expected an inspect EvalLog, Video-R1 results or a W&B table');
    }
    if (doc !== undefined) {
      if (isEvalLog(doc)) return importInspectJson(doc, name);
      if (isVideoR1Results(doc)) return { format: 'videor1-eval', drafts: videoR1Drafts(doc.results), warnings: [], columns: Object.keys(doc.results[0]) };
      if (isWandbTable(doc)) return importWandbTable(doc, name);
      if (Array.isArray(doc)) return parseRows(doc.map((value, i) => ({ value, line: i + 1 })), name, opts, []);
      if (isRecord(doc) && !lower.endsWith('.json')) return parseRows([{ value: doc, line: 1 }], name, opts, []);
      throw new ImportError(`${name}: unrecognised JSON document`, 'supported: inspect EvalLog (.json/.eval), Video-R1 {"results": [...]}, W&B {"columns","data"} tables');
    }
  }
  const { values, errors, bad } = parseJsonLines(text);
  const parsed = parseRows(values, name, opts, errors);
  // Lines the importer leaves out: not JSON, or JSON that is not an object (one record per line).
  const notRecords = values.filter((v) => !isRecord(v.value)).map((v) => ({ line: v.line, reason: `not a JSON object (a JSON ${v.value === null ? 'null' : Array.isArray(v.value) ? 'array' : typeof v.value})` }));
  return { ...parsed, badLines: [...bad, ...notRecords].sort((a, b) => a.line - b.line) };
}

const MAGIC: [string, number[]][] = [
  ['PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['JPEG image', [0xff, 0xd8, 0xff]],
  ['GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['gzip', [0x1f, 0x8b]],
  ['PDF', [0x25, 0x50, 0x44, 0x46]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/** What a binary file looks like ('PNG image', …, or 'NUL bytes'), null for text. Reads the first 8 KiB only. */
export function binaryKind(bytes: Uint8Array): string | null {
  for (const [kind, magic] of MAGIC) if (bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)) return kind;
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return 'NUL bytes';
  return null;
}

function parseRows(values: { value: unknown; line: number }[], name: string, opts: ImportOptions, errors: string[]): ParsedFile {
  if (!values.some((v) => isRecord(v.value))) {
    // Nothing parsed as a JSON object: name the first line that is not JSON, or the first that is not an object.
    const v0 = values[0];
    const what = errors[0]
      ? `not JSON at ${errors[0].length > 160 ? `${errors[0].slice(0, 160)}…` : errors[0]}`
      : v0
        ? `line ${v0.line} is a JSON ${v0.value === null ? 'null' : Array.isArray(v0.value) ? 'array' : typeof v0.value}, not a record`
        : 'no records';
    throw new ImportError(`${name}: ${what}`, 'expected one JSON object per line (JSON Lines) or one JSON document');
  }
  const first = values.find((v) => isRecord(v.value))?.value;
  const columns = isRecord(first) ? Object.keys(first) : [];
  const split = opts.split ?? (/(^|[\\/])val[^\\/]*[\\/]/i.test(name) ? 'val' : 'train');
  let format: SourceFormat;
  let drafts;
  if (looksNative(first)) (format = 'native'), (drafts = nativeDrafts(values));
  else if (looksLikeRllb(first)) (format = 'rllb'), (drafts = rllbDrafts(values, name));
  else if (isRecord(first) && 'input' in first && 'output' in first) (format = 'verl'), (drafts = verlDrafts(values, name, split));
  else if (isRecord(first) && 'prompt' in first && 'completion' in first) (format = 'trl'), (drafts = trlDrafts(values.map((v) => v.value).filter(isRecord), name));
  else if (isRecord(first) && 'output' in first && 'problem' in first) (format = 'videor1-eval'), (drafts = videoR1Drafts(values.map((v) => v.value).filter(isRecord)));
  else throw new ImportError(`${name}: unrecognised records (keys: ${columns.slice(0, 8).join(', ')})`, 'supported: verl {step}.jsonl, TRL rows, RL Logging Board, our own export');
  const warnings = errors.map((e) => `${name}: ${e}`);
  if (format === 'verl') warnings.push(...verlWarnings(drafts));
  return { format, drafts, warnings, columns, keepGroupKey: format === 'native' };
}

/** Imports the files of one run: parse each, then rebuild groups over all drafts of a format at once. */
export async function importFiles(files: readonly InputFile[], opts: ImportOptions): Promise<ImportResult> {
  const parsed = await Promise.all(files.map((f) => parseFile(f, opts)));
  parsed.forEach((p, i) => p.drafts.forEach((d) => (d.file = files[i].name)));
  const formats = [...new Set(parsed.map((p) => p.format))];
  const rollouts = formats.flatMap((format) => {
    const ofFormat = parsed.filter((p) => p.format === format);
    return finalizeRollouts(
      ofFormat.flatMap((p) => p.drafts),
      { runId: opts.runId, split: opts.split ?? 'train', format, file: files[0]?.name ?? '', keepGroupKey: ofFormat[0].keepGroupKey },
    );
  });
  const columns = [...new Set(parsed.flatMap((p) => p.columns))];
  const badLines = parsed.flatMap((p, i) => (p.badLines ?? []).map((b) => ({ file: files[i].name, ...b })));
  // A run of many files gets a warning that is the same for each (verl v1 dumps) once.
  const warnings = [...new Set([...parsed.flatMap((p) => p.warnings), ...importWarnings(rollouts)])];
  if (formats.length > 1) warnings.push(`mixed formats in one run: ${formats.join(', ')}`);
  return { format: formats[0] ?? 'native', rollouts, warnings, columns, badLines };
}
