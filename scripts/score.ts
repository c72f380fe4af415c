// `npm run score`: score rollouts with PA-GRPO rewards and group advantages, JSON Lines in, JSON Lines out.
// The Node-only shell (files, streams, env, exit codes) around src/rewards/scoring_stream.ts.

import { createReadStream, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { IoError, OutputFile as Output } from './cli_io';

import { ABLATION_NAMES, resolveConfig, type RewardConfig } from '../src/rewards/config';
import { createJudge, HTTP_JUDGE_DEFAULTS, type CountingJudge } from '../src/rewards/judge';
import { decodeLines, documentRecords, emitPass, invalidUtf8Lines, linesToItems, scorePass, valuesToItems, type InputItem, type StreamOptions } from '../src/rewards/scoring_stream';
import { tokenizerFromSpec } from '../src/rewards/tokenizers';

const HELP = `Score rollouts with PA-GRPO rewards and group advantages (VideoP2R, method.md §1.5–1.10).

Usage: npm run score -- --in FILE --out FILE [options]

Input (--in): JSON Lines, one record per line; or a JSON document {"results": [...]} as Video-R1's
  eval_bench.py / generate_cot_vllm.py write it; or a top-level JSON list. A record has Video-R1's fields
  problem_id, problem, problem_type (multiple choice | numerical | OCR | free-form | regression),
  solution ("<answer>X</answer>"), output (the completion), and optionally options (a list or a
  stringified list), data_type (image | video; default video), step, facts (for --judge rules or checklist).
  Records with the same problem_id (and the same step, when present) form one group; the records of a
  group need not be adjacent.
Output (--out): JSON Lines, one line per input record in input order: the input fields, plus
  rewards.perception and rewards.reasoning   {accuracy, format, length, total}
  advantages.perception, advantages.reasoning (the advantages carried by each process's tokens in --mode)
  advantages.grpo                            (process-agnostic GRPO: the normalised reasoning reward)
  tokens.perception, tokens.reasoning        (token counts per process, by --tokenizer)
  diagnostics {groupSize, collapsedPerception, collapsedReasoning, collapsedBoth, thinkAnswerMismatch}
  judge_error                                (only when the judge failed; perception accuracy is then 0)
  A bad record (invalid JSON, missing field, unknown problem_type) is reported on stderr as
  FILE:LINE: reason (LINE is the record number for a JSON document), and written at its position with
  an "error" field (and "raw" holding the line when it is not a JSON object); the rest is still scored.

Options:
  --in FILE               input file (required; not stdin: the file is read twice)
  --out FILE              output file, or - for stdout (required; must differ from --in)
  --judge SPEC            perception judge (default rules):
                            rules        every scene fact in the record's "facts" is stated in <observation>
                            checklist    the fraction of the scene facts ("facts") stated in <observation>
                                         (Perception-R1 style; a listing of every direction or count
                                         earns nothing); checklist:NAME reads the key facts from field
                                         NAME instead (a list of strings, or a JSON list as a string)
                            self-answer  is not available here: the policy answers from its own
                                         observation, so it needs the model (RL only: the Train page,
                                         npm run experiment -- --judge self-answer)
                            field:NAME   a verdict already in the record: 1/0, true/false, yes/no, or
                                         text with <judgement>Yes</judgement>
                            http         an OpenAI-compatible /chat/completions endpoint with the paper's
                                         judge prompt; key from env OPENAI_API_KEY or JUDGE_API_KEY
                                         (kept in memory, never written)
  --judge-url URL         base URL for --judge http, e.g. https://api.openai.com/v1
  --judge-model M         model name for --judge http
  --judge-concurrency N   requests in flight (default ${HTTP_JUDGE_DEFAULTS.concurrency})
  --judge-timeout MS      per request (default ${HTTP_JUDGE_DEFAULTS.timeoutMs})
  --judge-retries N       retries on 429/5xx/timeouts/network errors, exponential backoff with jitter
                          (default ${HTTP_JUDGE_DEFAULTS.retries})
  --tokenizer SPEC        whitespace (default) | bytes | PATH/tokenizer.json (Hugging Face byte-level BPE,
                          e.g. Qwen2.5's); lengths are re-tokenised from the decoded text
  --mode NAME             ${ABLATION_NAMES.join(' | ')}
                          (default pa-grpo; the RL ablations of the paper's Table 2)
  --advantage-mode M      separate | sum-advantages | sum-rewards | grpo (overrides the mode's)
  --format-mode M         per-process (default) | full (one full-sequence regex for both processes)
  --eps X                 ε in (R − mean)/(std + ε) (default 1e-4)
  --biased-std            divide the variance by G instead of G − 1
  --len-bonus X           length bonus (default 0.2)
  --perception-length A:B perception length target in tokens, inclusive (default 128:320)
  --reasoning-length A:B  reasoning length target in tokens, inclusive (default 320:512)
  --accuracy-threshold X  accuracy must exceed X for the length bonus (default 0; Video-R1: 0.1)
  --len-multiple-correct  pay the reasoning length bonus only if > 1 rollout of the group is correct
                          (Video-R1 parity)
  --missing-observation P reasoning (default) | perception: the process that gets every token when
                          </observation> is missing
  --concurrency N         records scored at once (default 16)
  -h, --help              this text

Memory: JSON Lines are streamed twice (pass 1 scores and keeps a few numbers per record; pass 2 re-reads
  and writes), so memory grows with the number of records, not with the text. A JSON document is loaded
  whole (memory ≈ a few times its size); for very large ones convert first: jq -c '.results[]' F > F.jsonl
Output safety: --out is checked and opened before any record is scored (a missing folder, a directory
  or an unwritable place stops the run before a judge call is made). A regular file is written as
  OUT.partial-PID beside it and renamed over OUT only when complete, so a disk-full, a write error or a
  killed run leaves OUT as it was (after kill -9, the OUT.partial-PID file stays; delete it).
  Invalid UTF-8 in the input is replaced with U+FFFD and warned about as FILE:LINE.
Exit status: 0 when at least one record was scored; 1 when none could be (including empty input);
  2 on a usage or I/O error (the message names the file); 130/143 when interrupted (OUT unchanged).
`;

class UsageError extends Error {}

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isFinite(x)) throw new UsageError(`--${name} expects a number, got '${value}'`);
  return x;
}

function range(name: string, value: string | undefined): { min: number; max: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+):(\d+)$/.exec(value);
  if (!m) throw new UsageError(`--${name} expects MIN:MAX in tokens, got '${value}'`);
  return { min: Number(m[1]), max: Number(m[2]) };
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} expects one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

function parseCli(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      in: { type: 'string' },
      out: { type: 'string' },
      judge: { type: 'string', default: 'rules' },
      'judge-url': { type: 'string' },
      'judge-model': { type: 'string' },
      'judge-concurrency': { type: 'string' },
      'judge-timeout': { type: 'string' },
      'judge-retries': { type: 'string' },
      tokenizer: { type: 'string', default: 'whitespace' },
      mode: { type: 'string', default: 'pa-grpo' },
      'advantage-mode': { type: 'string' },
      'format-mode': { type: 'string' },
      eps: { type: 'string' },
      'biased-std': { type: 'boolean' },
      'len-bonus': { type: 'string' },
      'perception-length': { type: 'string' },
      'reasoning-length': { type: 'string' },
      'accuracy-threshold': { type: 'string' },
      'len-multiple-correct': { type: 'boolean' },
      'missing-observation': { type: 'string' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return values;
}

function buildConfig(v: ReturnType<typeof parseCli>): RewardConfig {
  const overrides: Partial<RewardConfig> = {};
  const set = <K extends keyof RewardConfig>(key: K, value: RewardConfig[K] | undefined) => {
    if (value !== undefined) overrides[key] = value;
  };
  set('advantageMode', oneOf('advantage-mode', v['advantage-mode'], ['separate', 'sum-advantages', 'sum-rewards', 'grpo'] as const));
  set('formatMode', oneOf('format-mode', v['format-mode'], ['per-process', 'full'] as const));
  set('missingObservation', oneOf('missing-observation', v['missing-observation'], ['reasoning', 'perception'] as const));
  set('eps', number('eps', v.eps));
  set('lenBonus', number('len-bonus', v['len-bonus']));
  set('accuracyThreshold', number('accuracy-threshold', v['accuracy-threshold']));
  set('perceptionLength', range('perception-length', v['perception-length']));
  set('reasoningLength', range('reasoning-length', v['reasoning-length']));
  if (v['biased-std']) overrides.unbiasedStd = false;
  if (v['len-multiple-correct']) overrides.lenRequiresMultipleCorrect = true;
  try {
    return resolveConfig(v.mode ?? 'pa-grpo', overrides);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function buildJudge(v: ReturnType<typeof parseCli>): CountingJudge {
  const spec = v.judge ?? 'rules';
  if (spec === 'http') {
    if (!v['judge-url'] || !v['judge-model']) throw new UsageError('--judge http needs --judge-url and --judge-model');
    return createJudge('http', {
      http: {
        baseUrl: v['judge-url'],
        model: v['judge-model'],
        apiKey: process.env.OPENAI_API_KEY || process.env.JUDGE_API_KEY || undefined,
        concurrency: number('judge-concurrency', v['judge-concurrency']),
        timeoutMs: number('judge-timeout', v['judge-timeout']),
        retries: number('judge-retries', v['judge-retries']),
      },
    });
  }
  if (spec === 'self-answer') throw new UsageError("--judge self-answer needs the policy model to answer from the observation: it is RL-only (the Train page's perception judge, or npm run experiment -- --judge self-answer)");
  if (spec !== 'rules' && spec !== 'checklist' && !spec.startsWith('field:') && !spec.startsWith('checklist:')) throw new UsageError(`--judge expects rules, checklist, checklist:NAME, http or field:NAME, got '${spec}'`);
  if (spec === 'field:' || spec === 'checklist:') throw new UsageError(`--judge ${spec}NAME needs a field name`);
  return createJudge(spec);
}

function buildTokenizer(spec: string) {
  if (spec === 'whitespace' || spec === 'bytes') return tokenizerFromSpec(spec);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(spec, 'utf8'));
  } catch (e) {
    throw new UsageError(`--tokenizer: cannot read '${spec}' as a tokenizer.json (${(e as Error).message}); or use whitespace | bytes`);
  }
  return tokenizerFromSpec(json as object);
}

async function firstLine(path: string): Promise<string | null> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line.trim() !== '') return line.replace(/^\uFEFF/, '');
    }
    return null;
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** A JSON document ({"results": [...]}, a list, or pretty-printed) rather than JSON Lines? */
async function isJsonDocument(path: string): Promise<boolean> {
  const line = await firstLine(path);
  if (line === null) return false;
  const s = line.trim();
  if (s.startsWith('[')) return true;
  try {
    return documentRecords(JSON.parse(s)) !== null;
  } catch {
    // A pretty-printed document opens with '{' alone or '{"results": [' unclosed.
    return /^\{\s*("results"\s*:\s*\[.*)?$/.test(s);
  }
}

/** JSON Lines items of a file; `onInvalid` hears of each line with invalid UTF-8 (pass 1 only). */
function jsonLines(path: string, onInvalid?: (line: number) => void): AsyncGenerator<InputItem> {
  return linesToItems(decodeLines(createReadStream(path) as AsyncIterable<Uint8Array>, onInvalid));
}

/** Warns about invalid UTF-8 as FILE:LINE, the first 20 lines one by one, then a count. */
function utf8Warner(source: string) {
  let count = 0;
  return {
    warn(line: number) {
      count++;
      if (count <= 20) process.stderr.write(`${source}:${line}: warning: invalid UTF-8, replaced with U+FFFD\n`);
    },
    done() {
      if (count > 20) process.stderr.write(`${source}: warning: ${count} lines hold invalid UTF-8 (the first 20 are listed above)\n`);
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const v = parseCli(argv);
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!v.in || !v.out) throw new UsageError('--in FILE and --out FILE are required (see --help)');
  if (v.out !== '-' && resolve(v.in) === resolve(v.out)) throw new UsageError('--out must differ from --in (the input is read twice)');
  try {
    if (!statSync(v.in).isFile()) throw new Error('not a file');
  } catch (e) {
    throw new UsageError(`--in ${v.in}: ${(e as Error).message}`);
  }
  const config = buildConfig(v);
  const judge = buildJudge(v);
  const tokenizer = buildTokenizer(v.tokenizer ?? 'whitespace');
  const concurrency = number('concurrency', v.concurrency);

  // Open (and so check) the output before any record is scored: a bad path must not cost judge calls.
  const out = new Output(v.out);
  const interrupted = (signal: NodeJS.Signals, code: number) => () => {
    out.abort();
    process.stderr.write(`score: interrupted (${signal}); ${v.out === '-' ? 'stdout is incomplete' : `${v.out} is unchanged`}\n`);
    process.exit(code);
  };
  process.once('SIGINT', interrupted('SIGINT', 130));
  process.once('SIGTERM', interrupted('SIGTERM', 143));
  try {
    return await scoreInto(v, out, { config, judge, tokenizer, concurrency });
  } finally {
    out.abort(); // no-op after a commit
  }
}

async function scoreInto(
  v: ReturnType<typeof parseCli>,
  out: Output,
  { config, judge, tokenizer, concurrency }: { config: RewardConfig; judge: CountingJudge; tokenizer: ReturnType<typeof buildTokenizer>; concurrency: number | undefined },
): Promise<number> {
  const source = v.in!;
  const utf8 = utf8Warner(source);
  const options: StreamOptions = {
    config,
    tokenizer,
    judge,
    source,
    concurrency,
    onBadRecord: (bad) => process.stderr.write(bad.message + '\n'),
  };

  let open: (first: boolean) => AsyncIterable<InputItem> | Iterable<InputItem>;
  if (await isJsonDocument(source)) {
    let records: unknown[] | null;
    try {
      const bytes = readFileSync(source);
      for (const line of await invalidUtf8Lines(bytes)) utf8.warn(line);
      utf8.done();
      records = documentRecords(JSON.parse(bytes.toString('utf8')));
    } catch (e) {
      process.stderr.write(`${source}: invalid JSON document: ${(e as Error).message}\n`);
      return 1;
    }
    if (records === null) {
      process.stderr.write(`${source}: a JSON document must be {"results": [...]} or a list of records\n`);
      return 1;
    }
    const values = records;
    open = () => valuesToItems(values);
  } else {
    open = (first) => jsonLines(source, first ? (line) => utf8.warn(line) : undefined);
  }

  const table = await scorePass(open(true), options);
  utf8.done();
  if (table.count === 0) {
    const empty = statSync(source).size === 0 ? 'is empty (0 bytes)' : 'holds no records (only blank lines, or an empty list)';
    process.stderr.write(`score: ${source} ${empty}: nothing to score; ${v.out === '-' ? 'nothing written' : `${v.out} not written`}\n`);
    return 1;
  }

  for await (const line of emitPass(open(false), table)) await out.write(line + '\n');
  await out.commit();

  const s = table.summary();
  const stats = judge.stats;
  process.stderr.write(
    `score: ${s.scored}/${s.records} records scored (${s.bad} bad), ${s.groups} groups; ` +
      `collapsed: perception ${s.collapsedPerception}, reasoning ${s.collapsedReasoning}, both ${s.collapsedBoth}; ` +
      `think-answer mismatch ${s.mismatches}/${s.mismatchChecked}; mode ${v.mode ?? 'pa-grpo'}, tokenizer ${tokenizer.name}\n` +
      `judge ${judge.name}: ${stats.calls} calls, ${stats.cacheHits} cache hits, ${stats.failures} failures` +
      (s.firstJudgeError !== null ? ` (first: ${s.firstJudgeError})` : '') +
      '\n',
  );
  return s.scored > 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError || e instanceof IoError || (e as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`score: ${(e as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`score: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 2;
    }
  },
);
