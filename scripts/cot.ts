// `npm run cot`: the three-step process-aware CoT pipeline (method.md §1.4.2) over a Video-R1 JSON /
// JSON Lines file. The Node shell (arguments, files, env, signals, exit codes) around src/data/cot/.

import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { CHAT_DEFAULTS } from '../src/data/cot/chat';
import { JournalWriteError, sha256Hex } from '../src/data/cot/journal';
import { createCotPipeline, formatProgress, runCot, type CotOutcome } from '../src/data/cot/pipeline';
import { DEFAULT_THRESHOLD } from '../src/data/cot/verify';
import { PROBLEM_TYPES, type ProblemType } from '../src/data/types';
import { normalizeProblemType } from '../src/data/records';
import { countRecords, FileJournal, loadMedia, readInput, type InputItem } from './cot_files';

const HELP = `Generate process-aware chains of thought (VideoP2R's three-step pipeline, method.md §1.4.2).

Usage: npm run cot -- --in DATA.jsonl --media-dir DIR --out OUT.jsonl --endpoint BASE_URL --model M
                      --judge-url BASE_URL --judge-model M [options]

  1. generate  POST {endpoint}/chat/completions with the paper's template prompt (Fig. 7), the question
               and options, and the record's frames as image_url data URLs (text only without media)
  2. verify    the template by parsing; the answer by the task metric against the ground truth (exact
               match for multiple choice and numbers, 1 − WER for OCR, mean ROUGE F1 for free-form,
               1 − relative error for regression), kept when it reaches the threshold
  3. judge     the observation, text only, with the paper's sufficiency prompt (Fig. 8)

Input (--in): a Video-R1 JSON list or JSON Lines file (.gz allowed): problem, problem_type, options,
  solution, path, data_type, problem_id, ... (as the Datasets page imports them).
Media (--media-dir): the folder the records' paths are relative to (e.g. Video-R1-data). An image is sent
  as it is; a video as up to --frames evenly spaced images from its frame folder VIDEO.frames/ (or VIDEO
  without its extension), since the CLI does not decode video. Without --media-dir a record with media
  ends as an error unless --text-only is given.
Output (--out): JSON Lines, one line per input record in input order: the input fields, plus
  cot      the generated text, or null
  status   kept | discarded | error
  reason   template | answer | judge when discarded; the error message on error; null when kept
  verdicts {template: [issues], answerScore, threshold, judge: 1|0|null, judgeExplanation}
  A record that cannot be read (invalid JSON, a missing field) is written with status error and the
  reason FILE:LINE: …; an unparsable line is kept as "raw".
Resume: every answered request is appended to OUT.journal (keyed by a SHA-256 of the request, fsynced
  before the answer is used), and so is every finished record's outcome. Running the same command again
  with the same --out replays finished records and answered requests from the journal and sends only
  the others, so no paid call is repeated; records that ended in error are retried; a changed setting
  recomputes the records (their unchanged requests still replay). OUT is written as OUT.partial and
  renamed when complete, so OUT is either the previous complete output or the new one. Delete
  OUT.journal to start afresh.

Options:
  --in FILE                 input (required)
  --out FILE                output (required; must differ from --in)
  --media-dir DIR           media folder
  --text-only               send every record as text, ignoring media
  --frames N                frames per video (default 8)
  --endpoint URL            generator base URL, e.g. http://localhost:8000/v1 (required)
  --model M                 generator model (required)
  --judge-url URL           judge base URL (required)
  --judge-model M           judge model (required)
  --concurrency N           records in flight (default 4)
  --temperature X           generator temperature (default ${CHAT_DEFAULTS.temperature}, as the paper)
  --max-tokens N            generator max tokens (default ${CHAT_DEFAULTS.maxTokens})
  --retries N               retries on 429 / 5xx / timeouts / network errors, exponential backoff with
                            jitter, Retry-After honoured (default ${CHAT_DEFAULTS.retries}; the judge too)
  --timeout MS              per request (default ${CHAT_DEFAULTS.timeoutMs}; the judge too)
  --backoff MS              first backoff (default ${CHAT_DEFAULTS.backoffMs}; doubles per retry)
  --judge-max-tokens N      judge max tokens (default: the endpoint's)
  --no-type-hint            leave out Video-R1's answer-type hint after the prompt
  --format-mode M           per-process (default) | full (one full-sequence regex)
  --threshold X             answer score needed to keep a CoT, every type (default ${DEFAULT_THRESHOLD})
  --type-threshold T=X      per problem type, repeatable: --type-threshold OCR=0.5 --type-threshold free-form=0.4
  --price-per-1k X          generator price per 1,000 tokens, for the cost estimate (default 0)
  --judge-price-per-1k X    judge price per 1,000 tokens (default: --price-per-1k)
  --progress-every MS       progress line interval on stderr (default 2000)
  -h, --help                this text

Keys: OPENAI_API_KEY for the generator; JUDGE_API_KEY for the judge when set, else OPENAI_API_KEY. They
  are held in memory only: never written, logged or put in the journal.
Exit status: 0 when every record was kept or discarded; 1 when some ended in error (rerun to retry them)
  or the input holds no records; 2 on a usage or I/O error (the message names the file); 130/143 when
  interrupted (rerun to resume).
`;

class UsageError extends Error {}
class IoError extends Error {}

const errno = (e: unknown) => ((e as NodeJS.ErrnoException)?.code ? `${(e as NodeJS.ErrnoException).code}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}` : ((e as Error)?.message ?? String(e)));

function parseCli(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      in: { type: 'string' },
      out: { type: 'string' },
      'media-dir': { type: 'string' },
      'text-only': { type: 'boolean' },
      frames: { type: 'string' },
      endpoint: { type: 'string' },
      model: { type: 'string' },
      'judge-url': { type: 'string' },
      'judge-model': { type: 'string' },
      concurrency: { type: 'string' },
      temperature: { type: 'string' },
      'max-tokens': { type: 'string' },
      retries: { type: 'string' },
      timeout: { type: 'string' },
      backoff: { type: 'string' },
      'judge-max-tokens': { type: 'string' },
      'no-type-hint': { type: 'boolean' },
      'format-mode': { type: 'string' },
      threshold: { type: 'string' },
      'type-threshold': { type: 'string', multiple: true },
      'price-per-1k': { type: 'string' },
      'judge-price-per-1k': { type: 'string' },
      'progress-every': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

function num(name: string, value: string | undefined, { min = -Infinity, integer = false } = {}): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < min || (integer && !Number.isInteger(x))) {
    throw new UsageError(`--${name} expects ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` ≥ ${min}` : ''}, got '${value}'`);
  }
  return x;
}

function thresholds(v: ReturnType<typeof parseCli>): Partial<Record<ProblemType, number>> {
  const out: Partial<Record<ProblemType, number>> = {};
  const all = num('threshold', v.threshold, { min: 0 });
  if (all !== undefined) for (const t of PROBLEM_TYPES) out[t] = all;
  for (const spec of v['type-threshold'] ?? []) {
    const m = /^(.+)=(.+)$/.exec(spec);
    const type = m ? normalizeProblemType(m[1]) : null;
    if (!m || type === null) throw new UsageError(`--type-threshold expects TYPE=X with TYPE one of ${PROBLEM_TYPES.join(', ')}, got '${spec}'`);
    out[type] = num('type-threshold', m[2], { min: 0 });
  }
  return out;
}

/** Checks --out's folder before any request is sent: a bad path must not cost a paid call. */
function checkOut(out: string): string {
  let st: ReturnType<typeof statSync> | null = null;
  try {
    st = statSync(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new IoError(`--out ${out}: ${errno(e)}`);
  }
  if (st?.isDirectory()) throw new IoError(`--out ${out} is a directory: give a file name, e.g. --out ${join(out, 'cot.jsonl')}`);
  if (st && !st.isFile()) throw new IoError(`--out ${out} is not a regular file (the output is written beside it and renamed)`);
  const folder = dirname(resolve(out));
  let isFolder = false;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    throw new IoError(`--out ${out}: the folder ${folder} does not exist (create it first)`);
  }
  if (!isFolder) throw new IoError(`--out ${out}: ${folder} is not a folder`);
  return resolve(out);
}

/** OUT.partial, written line by line with synchronous writes (an error surfaces at the write), renamed over OUT by commit(). */
class OutputFile {
  private fd: number | null;
  readonly partial: string;
  private buffer: string[] = [];
  private buffered = 0;

  constructor(readonly target: string) {
    this.partial = `${target}.partial`;
    try {
      this.fd = openSync(this.partial, 'w');
    } catch (e) {
      throw new IoError(`--out ${target}: cannot open ${this.partial} for writing: ${errno(e)}`);
    }
  }

  write(line: string): void {
    this.buffer.push(line);
    this.buffered += line.length;
    if (this.buffered >= 1 << 16) this.flush();
  }

  private flush(): void {
    const bytes = Buffer.from(this.buffer.join(''), 'utf8');
    this.buffer = [];
    this.buffered = 0;
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(this.fd!, bytes, off, bytes.length - off);
    } catch (e) {
      throw new IoError(`writing ${this.partial} failed: ${errno(e)}; ${this.target} is unchanged`);
    }
  }

  /** Flushes, syncs and renames over OUT; on any failure the partial file is deleted and OUT kept. */
  commit(): void {
    try {
      this.flush();
    } catch (e) {
      this.abort();
      throw e;
    }
    try {
      fsyncSync(this.fd!);
      closeSync(this.fd!);
      this.fd = null;
      renameSync(this.partial, this.target);
    } catch (e) {
      this.abort();
      throw new IoError(`finishing ${this.target} failed: ${errno(e)}; ${this.target} is unchanged`);
    }
  }

  abort(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.fd = null;
    try {
      unlinkSync(this.partial);
    } catch {
      // already gone
    }
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;
}

function outputLine(item: InputItem, o: CotOutcome): string {
  const base = typeof item.raw === 'object' && item.raw !== null && !Array.isArray(item.raw) ? (item.raw as Record<string, unknown>) : { raw: item.raw };
  return JSON.stringify({ ...base, cot: o.cot, status: o.status, reason: o.reason, verdicts: o.verdicts }) + '\n';
}

async function main(argv: string[]): Promise<number> {
  const v = parseCli(argv);
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const missing = (['in', 'out', 'endpoint', 'model', 'judge-url', 'judge-model'] as const).filter((k) => !v[k]);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(', ')} (see --help)`);
  const input = v.in!;
  try {
    if (!statSync(input).isFile()) throw new Error('not a file');
  } catch (e) {
    throw new IoError(`--in ${input}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errno(e)}`);
  }
  const mediaDir = v['media-dir'];
  if (mediaDir !== undefined) {
    let ok = false;
    try {
      ok = statSync(mediaDir).isDirectory();
    } catch {
      throw new IoError(`--media-dir ${mediaDir}: no such folder`);
    }
    if (!ok) throw new IoError(`--media-dir ${mediaDir}: not a folder`);
  }
  const target = checkOut(v.out!);
  if (resolve(input) === target) throw new UsageError('--out must differ from --in');
  const retries = num('retries', v.retries, { min: 0, integer: true });
  const timeoutMs = num('timeout', v.timeout, { min: 1 });
  const backoffMs = num('backoff', v.backoff, { min: 0 });
  const frames = num('frames', v.frames, { min: 1, integer: true }) ?? 8;
  const concurrency = num('concurrency', v.concurrency, { min: 1, integer: true }) ?? 4;
  const price = num('price-per-1k', v['price-per-1k'], { min: 0 }) ?? 0;
  const judgePrice = num('judge-price-per-1k', v['judge-price-per-1k'], { min: 0 }) ?? price;
  const progressEvery = num('progress-every', v['progress-every'], { min: 0 }) ?? 2000;
  const formatMode = v['format-mode'] ?? 'per-process';
  if (formatMode !== 'per-process' && formatMode !== 'full') throw new UsageError(`--format-mode expects per-process or full, got '${formatMode}'`);
  const verify = { formatMode, thresholds: thresholds(v) } as const;
  for (const flag of ['endpoint', 'judge-url'] as const) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(v[flag]!).protocol);
    } catch {
      // not a URL
    }
    if (!ok) throw new UsageError(`--${flag} expects an http(s) base URL such as http://localhost:8000/v1, got '${v[flag]}'`);
  }
  const temperature = num('temperature', v.temperature, { min: 0 });
  const maxTokens = num('max-tokens', v['max-tokens'], { min: 1, integer: true });
  const judgeMaxTokens = num('judge-max-tokens', v['judge-max-tokens'], { min: 1, integer: true });
  const generatorKey = process.env.OPENAI_API_KEY || undefined;
  const judgeKey = process.env.JUDGE_API_KEY || generatorKey;

  const journalPath = `${target}.journal`;
  let journal: FileJournal;
  try {
    journal = await FileJournal.open(journalPath);
  } catch (e) {
    throw new IoError((e as Error).message);
  }
  const out = new OutputFile(target);
  const interrupted = (signal: NodeJS.Signals, code: number) => () => {
    out.abort();
    process.stderr.write(`cot: interrupted (${signal}); ${journal.entries} answers are kept in ${journalPath}: run the same command again to resume\n`);
    process.exit(code);
  };
  process.once('SIGINT', interrupted('SIGINT', 130));
  process.once('SIGTERM', interrupted('SIGTERM', 143));
  if (journal.entries > 0) process.stderr.write(`cot: resuming from ${journalPath}: ${journal.entries} entries (answered requests and finished records) are replayed, not sent again${journal.dropped ? ` (${journal.dropped} unreadable lines ignored)` : ''}\n`);

  const pipeline = createCotPipeline(
    {
      generate: { baseUrl: v.endpoint!, model: v.model!, apiKey: generatorKey, temperature, maxTokens, retries, timeoutMs, backoffMs },
      judge: { baseUrl: v['judge-url']!, model: v['judge-model']!, apiKey: judgeKey, maxTokens: judgeMaxTokens, retries, timeoutMs, backoffMs, concurrency },
      prompt: { typeHint: !v['no-type-hint'] },
      verify,
      prices: { generatePer1k: price, judgePer1k: judgePrice },
    },
    { journal },
  );

  let warnedTextOnly = false;
  const images = (record: { path: string }) => {
    if (record.path === '' || v['text-only']) return undefined;
    if (mediaDir === undefined) {
      if (!warnedTextOnly) process.stderr.write('cot: warning: records name media but no --media-dir was given; they end as errors (give --media-dir, or --text-only to send them as text)\n');
      warnedTextOnly = true;
      return async () => {
        throw new Error(`${record.path}: no --media-dir given`);
      };
    }
    return () => loadMedia(record as Parameters<typeof loadMedia>[0], mediaDir, frames);
  };

  // What a record's outcome depends on besides the record itself: a changed setting re-runs it (its
  // requests then differ too, and are sent; unchanged ones still replay).
  const fingerprint = JSON.stringify({ outcome: 1, endpoint: v.endpoint, model: v.model, judgeUrl: v['judge-url'], judgeModel: v['judge-model'], temperature, maxTokens, judgeMaxTokens, typeHint: !v['no-type-hint'], verify, frames, media: v['text-only'] ? 'text-only' : mediaDir === undefined ? null : resolve(mediaDir) });
  async function* withOutcomes(items: AsyncIterable<InputItem>): AsyncGenerator<InputItem & { recordKey?: string }> {
    for await (const item of items) {
      if (item.record === null) {
        yield item;
        continue;
      }
      const recordKey = await sha256Hex(`${fingerprint}\n${JSON.stringify(item.raw)}`);
      const known = await journal.get(`record:${recordKey}`);
      yield { ...item, recordKey: `record:${recordKey}`, ...(known !== undefined ? { outcome: JSON.parse(known) as CotOutcome } : {}) };
    }
  }

  let total: number | null = null;
  try {
    total = await countRecords(input);
  } catch (e) {
    throw new IoError(`reading ${input} failed: ${errno(e)}`);
  }
  const started = Date.now();
  let lastProgress = started;
  const progress = () => {
    const p = pipeline.tally.snapshot();
    const elapsed = (Date.now() - started) / 1000;
    const eta = total !== null && p.records > 0 ? ` · ${(p.records / elapsed).toFixed(2)} records/s, ETA ${formatSeconds((elapsed / p.records) * (total - p.records))}` : '';
    process.stderr.write(`cot: ${formatProgress(p, total)}${eta}\n`);
  };
  try {
    await runCot(
      withOutcomes(readInput(input, images)),
      pipeline,
      async (item, o) => {
        out.write(outputLine(item, o));
        // A finished record is journaled whole, so a resume neither reads its media nor hashes its requests.
        if (!item.outcome && o.status !== 'error' && item.recordKey) await journal.put(item.recordKey, JSON.stringify(o));
        if (progressEvery > 0 && Date.now() - lastProgress >= progressEvery) {
          lastProgress = Date.now();
          progress();
        }
      },
      { concurrency },
    );
  } catch (e) {
    out.abort();
    if (e instanceof JournalWriteError) throw new IoError(`${e.message}; stopped so that no answer is paid for twice (${target} is unchanged)`);
    if (e instanceof IoError) throw e;
    if ((e as NodeJS.ErrnoException)?.code) throw new IoError(`reading ${input} failed: ${errno(e)}`);
    throw e;
  } finally {
    await journal.close().catch(() => undefined);
  }
  const tally = pipeline.tally;
  if (tally.records === 0) {
    out.abort();
    process.stderr.write(`cot: ${input} holds no records; ${target} not written\n`);
    return 1;
  }
  out.commit();
  process.stderr.write(`cot: done in ${formatSeconds((Date.now() - started) / 1000)}: ${formatProgress(tally.snapshot(), total)}\ncot: wrote ${target}${tally.errors > 0 ? `; ${tally.errors} records ended in error: run the same command again to retry them` : ''}\n`);
  return tally.errors > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const known = e instanceof UsageError || e instanceof IoError || (e as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`cot: ${known ? (e as Error).message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
