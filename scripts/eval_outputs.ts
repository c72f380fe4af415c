// Benchmark-format evaluation on the command line: `npm run eval -- --outputs FILE|DIR …` scores
// model outputs given as Video-R1 evaluation JSON and prints the table of the paper's Table 1
// (src/rewards/benchmark_*.ts). The Node shell (arguments, files, exit codes) around those pure modules;
// scripts/eval.ts hands it the options below and, with --resume, the checkpoint's own row.
//
// Options (the per-file ones apply to the --outputs that follow them):
//   --outputs FILE|DIR   Video-R1 evaluation JSON ({"results": [...]}, as src/eval_bench.py writes
//                        eval_{benchmark}_{model}_greedy_output.json), a JSON list of such records, or
//                        JSON Lines; a folder means every .json/.jsonl file in it. Repeatable.
//   --model NAME         the model of the following --outputs (default: from Video-R1's file name, else
//                        the file name); files of one model make one row
//   --benchmark NAME     the benchmark of every record of the following --outputs (default: a record's
//                        "benchmark" field, else from Video-R1's file name)
//   --task-field FIELD   the record field naming the task (default: the first of task, question_type,
//                        original_question_type, task_type, sub_task, subtask, category, dimension,
//                        family; else the problem type)
//   --numerical auto|mra|exact  how "numerical" answers are scored: auto (default) MRA in VSI-Bench and
//                        Video-R1's exact match elsewhere; "regression" answers are always MRA
//   --skip-bad           score the good records of a file that has bad ones (default: report the bad
//                        records as FILE:LINE: field: reason and exit 2 without a table)
//   --paper              add the paper's Table 1 rows under ours, for comparison
//   --write-outputs FILE (with --resume) write the checkpoint's held-out answers as Video-R1
//                        evaluation JSON, loadable here and in the app's Evaluate panel
//   --json               print one JSON object {models, table, files, errors} on the last line of stdout

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { ModelResult, NumericalRule } from '../src/rewards/benchmark_eval';
import { evaluateOutputFiles, type FilesEvaluation, type OutputsFile } from '../src/rewards/benchmark_files';
import { benchmarkTable, formatBenchmarkTable, formatTaskTable, type BenchmarkTable } from '../src/rewards/benchmark_table';

export interface OutputsSpec {
  path: string;
  model?: string;
  benchmark?: string;
}

export interface OutputsArgs {
  files: OutputsSpec[];
  numerical: NumericalRule;
  taskField?: string;
  skipBad: boolean;
  paper: boolean;
  json: boolean;
  writeOutputs?: string;
}

/** A command-line mistake or an unusable file: the message names it; exit status 2. */
export class CliError extends Error {}

/**
 * Takes the benchmark-evaluation options out of argv and leaves the rest (the checkpoint evaluation's
 * options) in order. `--json` stays in the rest too, since both modes use it. Null when none is given.
 */
export function splitOutputsArgs(argv: readonly string[]): { outputs: OutputsArgs | null; rest: string[] } {
  const a: OutputsArgs = { files: [], numerical: 'auto', skipBad: false, paper: false, json: argv.includes('--json') };
  const rest: string[] = [];
  let model: string | undefined;
  let benchmark: string | undefined;
  let pending: string | null = null; // a per-file option given after the last --outputs
  let any = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new CliError(`${flag}: expected a value`);
      i++;
      return v;
    };
    switch (flag) {
      case '--outputs':
        a.files.push({ path: value(), model, benchmark });
        pending = null;
        any = true;
        break;
      case '--model':
        model = value();
        pending = flag;
        any = true;
        break;
      case '--benchmark':
        benchmark = value();
        pending = flag;
        any = true;
        break;
      case '--task-field':
        a.taskField = value();
        any = true;
        break;
      case '--numerical': {
        const v = value();
        if (v !== 'auto' && v !== 'mra' && v !== 'exact') throw new CliError(`--numerical: auto, mra or exact (got ${v})`);
        a.numerical = v;
        any = true;
        break;
      }
      case '--skip-bad':
        a.skipBad = true;
        any = true;
        break;
      case '--paper':
        a.paper = true;
        any = true;
        break;
      case '--write-outputs':
        a.writeOutputs = value();
        any = true;
        break;
      default:
        rest.push(flag);
    }
  }
  if (pending) throw new CliError(`${pending} applies to the --outputs that follow it; none follows`);
  return { outputs: any ? a : null, rest };
}

/** The files named by one --outputs: the file, or every .json/.jsonl file of the folder (sorted). */
export function expandOutputsPath(spec: OutputsSpec): string[] {
  if (!existsSync(spec.path)) throw new CliError(`${spec.path}: no such file or folder`);
  if (!statSync(spec.path).isDirectory()) return [spec.path];
  const names = readdirSync(spec.path).filter((n) => /\.jsonl?$/i.test(n)).sort();
  if (!names.length) throw new CliError(`${spec.path}: a folder with no .json or .jsonl files`);
  return names.map((n) => join(spec.path, n));
}

function readOutputs(specs: readonly OutputsSpec[]): OutputsFile[] {
  const files: OutputsFile[] = [];
  for (const spec of specs) {
    for (const path of expandOutputsPath(spec)) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        throw new CliError(`${path}: cannot read: ${(e as Error).message}`);
      }
      files.push({ name: path, text, model: spec.model, benchmark: spec.benchmark });
    }
  }
  return files;
}

export interface BenchmarkReport {
  models: ModelResult[];
  table: BenchmarkTable;
}

export function benchmarkReport(models: ModelResult[], paper: boolean): BenchmarkReport {
  return { models, table: benchmarkTable(models, { paperRows: paper }) };
}

export function formatBenchmarkReport(r: BenchmarkReport): string {
  return `${formatBenchmarkTable(r.table)}\n\nPer benchmark and task:\n\n${formatTaskTable(r.models)}`;
}

/**
 * Scores the --outputs files; `extra` are rows evaluated elsewhere (a checkpoint), shown first.
 * Throws CliError (exit 2) for an unusable file or, without --skip-bad, any bad record; the bad
 * records are printed to stderr first, every one as FILE:LINE: field: reason.
 */
export function evaluateOutputs(args: OutputsArgs, extra: ModelResult[] = []): { report: BenchmarkReport; evaluation: FilesEvaluation } {
  const files = readOutputs(args.files);
  const evaluation = evaluateOutputFiles(files, { numerical: args.numerical, taskField: args.taskField });
  for (const e of evaluation.errors) console.error(e);
  const bad = evaluation.badRecords + evaluation.badFiles;
  if (bad && !args.skipBad) {
    const which = evaluation.files.filter((f) => f.bad || f.format === null).map((f) => f.name);
    throw new CliError(`${evaluation.badRecords} bad record${evaluation.badRecords === 1 ? '' : 's'}${evaluation.badFiles ? ` and ${evaluation.badFiles} unusable file${evaluation.badFiles === 1 ? '' : 's'}` : ''} in ${which.join(', ')}; nothing scored (fix them, or pass --skip-bad to score the rest)`);
  }
  if (!evaluation.models.length) throw new CliError(`no record could be scored in ${files.map((f) => f.name).join(', ')}`);
  return { report: benchmarkReport([...extra, ...evaluation.models], args.paper), evaluation };
}

/** `npm run eval -- --outputs …` without --resume: prints the table (or the JSON); returns the exit status. */
export function runOutputsCli(args: OutputsArgs): number {
  if (!args.files.length) {
    console.error('eval: --outputs FILE is required without --resume');
    return 2;
  }
  if (args.writeOutputs) {
    console.error('eval: --write-outputs writes a checkpoint\'s answers; it needs --resume DIR');
    return 2;
  }
  try {
    const { report, evaluation } = evaluateOutputs(args);
    const log = args.json ? (s: string) => console.error(s) : (s: string) => console.log(s);
    for (const f of evaluation.files) {
      log(`${f.name}: ${f.model}, ${f.scored} of ${f.records} records scored${f.bad ? ` (${f.bad} bad, skipped)` : ''}`);
    }
    log('');
    log(formatBenchmarkReport(report));
    if (args.json) console.log(JSON.stringify({ ...report, files: evaluation.files, errors: evaluation.errors }));
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`eval: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

/** Checks that --write-outputs can be written (its folder exists, it is not a folder) before any decoding. */
export function checkWritable(path: string): void {
  if (!existsSync(dirname(path) || '.')) throw new CliError(`--write-outputs ${path}: the folder ${dirname(path)} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new CliError(`--write-outputs ${path}: is a folder`);
}
