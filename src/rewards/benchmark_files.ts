// Several benchmark outputs files (one per benchmark and model, as Video-R1's eval_bench.py writes
// them) scored into one result per model: what `npm run eval -- --outputs` and the Evaluate panel do
// with the files they are given. A file's model is the one given with it, else the model of Video-R1's
// file name eval_{benchmark}_{model}_greedy_output.json, else the file name without its extension.

import { modelResult, scoreItem, type ModelResult, type NumericalRule, type ScoredItem } from './benchmark_eval';
import { evaluationFileInfo, formatRecordErrors, OutputsFileError, parseEvaluationOutputs, type ParsedOutputs } from './benchmark_outputs';

export interface OutputsFile {
  /** The file's name or path, as errors name it. */
  name: string;
  text: string;
  /** The model these outputs are of (default: from the file name). */
  model?: string;
  /** The benchmark of every record (default: a record's "benchmark" field, else from the file name). */
  benchmark?: string;
}

export interface FileSummary {
  name: string;
  model: string;
  format: ParsedOutputs['format'] | null;
  records: number;
  scored: number;
  bad: number;
}

export interface FilesEvaluation {
  /** One per model, in the order the models first appear. */
  models: ModelResult[];
  files: FileSummary[];
  /** `FILE: message` or `FILE:LINE: field: message`, for files that could not be read and bad records. */
  errors: string[];
  /** How many bad records there were in all (the errors list may stop early). */
  badRecords: number;
  /** Whether a whole file could not be used. */
  badFiles: number;
}

export function modelOfFile(name: string): string {
  const info = evaluationFileInfo(name);
  if (info) return info.model;
  const base = name.split(/[\\/]/).pop() ?? name;
  return base.replace(/\.(jsonl?|json\.txt)$/i, '') || base;
}

export function evaluateOutputFiles(files: readonly OutputsFile[], o: { numerical?: NumericalRule; taskField?: string; maxErrorsPerFile?: number } = {}): FilesEvaluation {
  const byModel = new Map<string, ScoredItem[]>();
  const summaries: FileSummary[] = [];
  const errors: string[] = [];
  let badRecords = 0;
  let badFiles = 0;
  for (const f of files) {
    const model = f.model ?? modelOfFile(f.name);
    let parsed: ParsedOutputs;
    try {
      parsed = parseEvaluationOutputs(f.text, { benchmark: f.benchmark, fallbackBenchmark: evaluationFileInfo(f.name)?.benchmark, taskField: o.taskField });
    } catch (e) {
      if (!(e instanceof OutputsFileError)) throw e;
      errors.push(`${f.name}: ${e.message}`);
      summaries.push({ name: f.name, model, format: null, records: 0, scored: 0, bad: 0 });
      badFiles++;
      continue;
    }
    errors.push(...formatRecordErrors(f.name, parsed.errors, o.maxErrorsPerFile ?? 20));
    badRecords += parsed.errors.length;
    const scored = parsed.items.map((i) => scoreItem({ ...i, source: `${f.name}:${i.line}` }, o.numerical));
    const list = byModel.get(model);
    if (list) list.push(...scored);
    else byModel.set(model, scored);
    summaries.push({ name: f.name, model, format: parsed.format, records: parsed.records, scored: scored.length, bad: parsed.errors.length });
  }
  const models = [...byModel].filter(([, items]) => items.length).map(([model, items]) => modelResult(model, items));
  return { models, files: summaries, errors, badRecords, badFiles };
}
