// `npm run rollouts -- summary FILES...`: the rollout inspector's per-step summary on the command line, for
// runs that live on a cluster (issue 11). Files go through the inspector's own importers
// (src/rollouts/importers) and summary (src/rollouts/summary.ts); this is only the Node shell around them:
// paths, reading, stderr, exit codes.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { ABLATION_NAMES, type AblationName } from '../src/rewards/config';
import { createJudge, HTTP_JUDGE_DEFAULTS } from '../src/rewards/judge';
import { ImportError, type InputFile } from '../src/rollouts/importers';
import { formatSummary, summarizeFiles } from '../src/rollouts/summary';

const HELP = `Summarise rollout dumps per step, as the inspector's run dashboard does.

Usage: npm run rollouts -- summary FILES... [--json] [--rescore --judge SPEC ...]

FILES: any format the inspector imports, read by the same importer code:
  verl {step}.jsonl (classic, or the v1 trainer's uid dumps), TRL completions_*.parquet (or TRL rows as
  JSON Lines, a W&B table .json), inspect .eval / .json logs, RL Logging Board JSON Lines, Video-R1
  evaluation results .json, and the app's own export (.jsonl). A directory stands for the rollout files
  in it (.jsonl .ndjson .json .parquet .eval), e.g. verl's trainer.rollout_data_dir. All FILES are one run.

Per step: rollouts, groups, the mean trainer score (over finite values), mean R_P and R_R (when present),
collapsed groups per process and for both (every reward of the group equal for that process), and the
four perception × reasoning quadrant counts by the inspector's rule (the accuracy part at 0.5 when
known, else the midpoint of the run's observed minimum and maximum for that process).

Options:
  --json                  stdout is exactly one JSON object:
                          {"steps":[{"step","rollouts","groups","mean_score","mean_perception",
                          "mean_reasoning","collapsed":{"perception","reasoning","both"},
                          "quadrants":{"PhRh","PhRl","PlRh","PlRl"}}],"errors":[{"file","line","reason"}]}
                          with null where a value is unknown
  --rescore               recompute per-process rewards (PA-GRPO rewards module) before summarising, as the
                          run dashboard's "recompute" does (for dumps without them, such as verl v1's)
  --judge SPEC            perception judge for --rescore: rules (default) | field:NAME | http
  --judge-url URL         base URL for --judge http, e.g. https://api.openai.com/v1
  --judge-model M         model name for --judge http; key from env OPENAI_API_KEY or JUDGE_API_KEY
  --judge-concurrency N   requests in flight (default ${HTTP_JUDGE_DEFAULTS.concurrency})
  --judge-timeout MS      per request (default ${HTTP_JUDGE_DEFAULTS.timeoutMs})
  --judge-retries N       retries on 429/5xx/timeouts (default ${HTTP_JUDGE_DEFAULTS.retries})
  --mode NAME             reward preset for --rescore: ${ABLATION_NAMES.join(' | ')} (default pa-grpo)
  -h, --help              this text

Bad lines (not JSON, or not a JSON object) are reported on stderr as FILE:LINE: reason, counted in
"errors", and left out; they do not fail the command.
Exit status: 0 done; 2 a usage error, a path that is missing or unreadable, or a file no importer reads
(the message names the file).
`;

class UsageError extends Error {}

const ROLLOUT_FILE = /\.(jsonl|ndjson|json|parquet|eval)$/i;

/** The files a path stands for: itself, or a directory's rollout files in natural order (2.jsonl before 10.jsonl). */
function expand(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  if (st.isFile()) return [path];
  if (!st.isDirectory()) throw new UsageError(`${path}: not a file or a directory`);
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (e) {
    throw new UsageError(`${path}: cannot list the directory (${(e as Error).message})`);
  }
  const files = names
    .filter((n) => ROLLOUT_FILE.test(n))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((n) => join(path, n))
    .filter((p) => statSync(p).isFile());
  if (files.length === 0) throw new UsageError(`${path}: a directory with no rollout files (.jsonl .ndjson .json .parquet .eval)`);
  return files;
}

function readAll(paths: readonly string[]): InputFile[] {
  return paths.map((p) => {
    try {
      return { name: p, bytes: new Uint8Array(readFileSync(p)) };
    } catch (e) {
      throw new UsageError(`${p}: cannot read (${(e as Error).message})`);
    }
  });
}

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isFinite(x)) throw new UsageError(`--${name} expects a number, got '${value}'`);
  return x;
}

async function summary(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      rescore: { type: 'boolean', default: false },
      judge: { type: 'string' },
      'judge-url': { type: 'string' },
      'judge-model': { type: 'string' },
      'judge-concurrency': { type: 'string' },
      'judge-timeout': { type: 'string' },
      'judge-retries': { type: 'string' },
      mode: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('summary needs at least one FILE or directory (see --help)');
  if (!v.rescore && (v.judge || v.mode)) throw new UsageError('--judge and --mode apply to --rescore only');
  const mode = (v.mode ?? 'pa-grpo') as AblationName;
  if (!ABLATION_NAMES.includes(mode)) throw new UsageError(`--mode expects one of ${ABLATION_NAMES.join(', ')}, got '${v.mode}'`);
  const spec = v.judge ?? 'rules';
  if (spec !== 'rules' && spec !== 'http' && !/^field:.+/.test(spec)) throw new UsageError(`--judge expects rules, http or field:NAME, got '${spec}'`);
  if (spec === 'http' && (!v['judge-url'] || !v['judge-model'])) throw new UsageError('--judge http needs --judge-url and --judge-model');
  const judge = v.rescore
    ? createJudge(spec, {
        ...(spec === 'http' && {
          http: {
            baseUrl: v['judge-url']!,
            model: v['judge-model']!,
            apiKey: process.env.JUDGE_API_KEY || process.env.OPENAI_API_KEY || undefined,
            concurrency: number('judge-concurrency', v['judge-concurrency']),
            timeoutMs: number('judge-timeout', v['judge-timeout']),
            retries: number('judge-retries', v['judge-retries']),
          },
        }),
      })
    : null;

  const files = readAll(positionals.flatMap(expand));
  let last = 0;
  let result;
  try {
    result = await summarizeFiles(files, {
      ...(judge && {
        rescore: {
          judge,
          mode,
          concurrency: spec === 'http' ? 4 : 8,
          onProgress: (done: number, total: number) => {
            const pct = Math.floor((100 * done) / total);
            if (total >= 20 && (pct >= last + 10 || done === total)) {
              last = pct;
              process.stderr.write(`rollouts: re-scoring ${done}/${total} groups\n`);
            }
          },
        },
      }),
    });
  } catch (e) {
    if (e instanceof ImportError) throw new UsageError(`${e.message} (${e.hint})`);
    throw e;
  }
  const { summary: out, format, warnings, rule } = result;
  for (const b of out.errors) process.stderr.write(`${b.file}:${b.line}: ${b.reason}\n`);
  for (const w of warnings) process.stderr.write(`rollouts: warning: ${w}\n`);
  if (judge) {
    const s = judge.stats;
    process.stderr.write(`rollouts: re-scored with ${mode}, judge ${judge.name}: ${s.calls} calls, ${s.cacheHits} cache hits, ${s.failures} failures (a failed verdict counts as insufficient)\n`);
  }
  process.stdout.write(v.json ? JSON.stringify(out) + '\n' : `${format}: ${files.length} file${files.length === 1 ? '' : 's'}\n` + formatSummary(out, rule));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'summary') throw new UsageError(`unknown command '${command}'; expected: summary (see --help)`);
  return summary(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const usage = e instanceof UsageError || (e as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`rollouts: ${usage ? (e as Error).message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
