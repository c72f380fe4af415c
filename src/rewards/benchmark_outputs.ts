// A model's benchmark outputs as answers to score (benchmark_eval.ts). The format is Video-R1's
// evaluation JSON (src/eval_bench.py, method.md §5.3 item 2): {"results": [record, …], "final_acc": …},
// each record the benchmark's question (problem_type, solution "<answer>X</answer>", options, …) plus
// the model's "output"; also accepted: a top-level JSON list of such records, or JSON Lines. The
// prediction is Video-R1's extract_answer of the output, or the whole output when it has no <answer>
// (as eval_bench.py does); a record with only "prediction" uses that. Every bad record is reported
// with its line in the file and the field at fault; none is scored silently.

import { isProblemType } from './accuracy';
import type { EvalItem } from './benchmark_eval';
import { pyStrip } from './python';
import { jsonSyntaxError } from './json_error';
import { extractAnswer } from './template';
import type { ProblemType } from './types';

/** A bad record: the 1-based line where it starts, the field at fault (null: the record as a whole). */
export interface RecordError {
  line: number;
  field: string | null;
  message: string;
}

export interface ParsedOutputs {
  format: 'videor1-results' | 'json-list' | 'json-lines';
  /** Records in the file, good and bad. */
  records: number;
  items: (EvalItem & { line: number })[];
  errors: RecordError[];
}

/** Fields a record's task may be named by, in order; a record with none of them is grouped by problem_type. */
export const TASK_FIELDS = ['task', 'question_type', 'original_question_type', 'task_type', 'sub_task', 'subtask', 'category', 'dimension', 'family'];

/**
 * Benchmark and model from Video-R1's file name `eval_{benchmark}_{model}_greedy_output.json`
 * (benchmark names there have no '_'); null for another name.
 */
export function evaluationFileInfo(fileName: string): { benchmark: string; model: string } | null {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const m = /^eval_([^_]+)_(.+?)(?:_greedy_output)?\.jsonl?$/i.exec(base);
  return m ? { benchmark: m[1], model: m[2] } : null;
}

/**
 * The line where each element starts of the top-level JSON list, or of the "results" list of a
 * top-level object. Assumes `text` is valid JSON (it scans strings and nesting, nothing else).
 */
export function listElementLines(text: string): number[] {
  const lines: number[] = [];
  const stack: string[] = [];
  let line = 1;
  let inString = false;
  let stringStart = 0;
  let lastString = '';
  let key = '';
  let targetDepth = -1; // stack depth inside the list whose elements we want
  let expecting = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') {
        inString = false;
        if (stack.length === 1) lastString = text.slice(stringStart, i);
      }
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') continue;
    if (expecting && stack.length === targetDepth && ch !== ']' && ch !== ',') {
      lines.push(line);
      expecting = false;
    }
    switch (ch) {
      case '"':
        inString = true;
        stringStart = i + 1;
        break;
      case ':':
        if (stack.length === 1) key = lastString;
        break;
      case ',':
        if (stack.length === targetDepth) expecting = true;
        if (stack.length === 1) key = '';
        break;
      case '[':
        stack.push('[');
        if (targetDepth === -1 && (stack.length === 1 || (stack.length === 2 && stack[0] === '{' && key === 'results'))) {
          targetDepth = stack.length;
          expecting = true;
        }
        break;
      case '{':
        stack.push('{');
        break;
      case ']':
      case '}':
        if (stack.length === targetDepth) {
          expecting = false;
          targetDepth = -2; // done: the first such list only
        }
        stack.pop();
        break;
    }
  }
  return lines;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with invalid JSON, on one line: where and why. */
function syntaxErrorMessage(text: string): string {
  const e = jsonSyntaxError(text);
  return e ? `line ${e.line}, column ${e.column}: invalid JSON: ${e.message}` : 'invalid JSON';
}

export class OutputsFileError extends Error {}

interface Located {
  line: number;
  value?: unknown;
  error?: string;
}

/** The records of the file with their lines; throws OutputsFileError when it is not one of the formats at all. */
function locateRecords(text: string): { format: ParsedOutputs['format']; records: Located[] } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!body.trim()) throw new OutputsFileError('the file is empty');
  let doc: unknown;
  let parseError: unknown = null;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    parseError = e;
  }
  if (parseError === null) {
    if (Array.isArray(doc) || (isObject(doc) && Array.isArray(doc.results))) {
      const values = Array.isArray(doc) ? doc : (doc.results as unknown[]);
      const lines = listElementLines(body);
      const format = Array.isArray(doc) ? 'json-list' : 'videor1-results';
      return { format, records: values.map((value, i) => ({ line: lines.length === values.length ? lines[i] : i + 1, value })) };
    }
    if (!isObject(doc)) throw new OutputsFileError('expected Video-R1 evaluation JSON ({"results": [...]}), a JSON list of records or JSON Lines');
    if (!('output' in doc) && !('prediction' in doc) && !('problem_type' in doc)) {
      throw new OutputsFileError(`a JSON object without a "results" list (its keys: ${Object.keys(doc).slice(0, 8).join(', ') || 'none'}); expected Video-R1 evaluation JSON`);
    }
  }
  const lines = body.split('\n');
  const first = lines.findIndex((l) => l.trim());
  const firstIsRecord = (() => {
    try {
      return isObject(JSON.parse(lines[first]));
    } catch {
      return false;
    }
  })();
  if (parseError !== null && !firstIsRecord) throw new OutputsFileError(syntaxErrorMessage(body));
  const records: Located[] = [];
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    try {
      records.push({ line: i + 1, value: JSON.parse(l) });
    } catch {
      const e = jsonSyntaxError(l);
      records.push({ line: i + 1, error: e ? `invalid JSON at column ${e.column}: ${e.message}` : 'invalid JSON' });
    }
  });
  return { format: 'json-lines', records };
}

function text(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/**
 * Parses a benchmark outputs file. `benchmark` names the benchmark of every record (a command-line
 * choice; wins over a record's own "benchmark" field); `fallbackBenchmark` is used for records without
 * one (the benchmark of Video-R1's file name). `taskField` names the field holding the task.
 */
export function parseEvaluationOutputs(
  fileText: string,
  o: { benchmark?: string; fallbackBenchmark?: string; taskField?: string } = {},
): ParsedOutputs {
  const { format, records } = locateRecords(fileText);
  if (!records.length) throw new OutputsFileError('the file holds no records');
  const items: ParsedOutputs['items'] = [];
  const errors: RecordError[] = [];
  for (const r of records) {
    const bad = (field: string | null, message: string) => errors.push({ line: r.line, field, message });
    if (r.error !== undefined) {
      bad(null, r.error);
      continue;
    }
    const v = r.value;
    if (!isObject(v)) {
      bad(null, `expected a JSON object, got ${Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v}`);
      continue;
    }
    const problemType = v.problem_type;
    if (typeof problemType !== 'string' || !isProblemType(problemType)) {
      bad('problem_type', problemType === undefined ? 'missing' : `${JSON.stringify(problemType)} is not one of multiple choice, numerical, OCR, free-form, regression`);
      continue;
    }
    const solution = text(v.solution);
    if (solution === null) {
      bad('solution', v.solution === undefined ? 'missing (the ground truth, "<answer>X</answer>")' : 'expected a string');
      continue;
    }
    const output = text(v.output);
    const given = text(v.prediction);
    if (output === null && given === null) {
      bad('output', v.output === undefined ? 'missing (the model\'s text; or give "prediction")' : 'expected a string');
      continue;
    }
    const ownBenchmark = typeof v.benchmark === 'string' && v.benchmark.trim() ? v.benchmark : undefined;
    const benchmark = o.benchmark ?? ownBenchmark ?? o.fallbackBenchmark;
    if (!benchmark) {
      bad('benchmark', 'missing: give records a "benchmark" field, name the file eval_{benchmark}_{model}_greedy_output.json as Video-R1 does, or pass --benchmark NAME');
      continue;
    }
    let task: string | undefined;
    if (o.taskField) {
      const t = text(v[o.taskField]);
      if (t === null || !t.trim()) {
        bad(o.taskField, 'missing (named by --task-field)');
        continue;
      }
      task = t;
    } else {
      for (const f of TASK_FIELDS) {
        const t = text(v[f]);
        if (t !== null && t.trim()) {
          task = t;
          break;
        }
      }
    }
    const extracted = output === null ? pyStrip(given!) : extractAnswer(output) || pyStrip(output);
    items.push({
      line: r.line,
      benchmark,
      task: task ?? problemType,
      problemType: problemType as ProblemType,
      prediction: extracted,
      groundTruth: extractAnswer(solution) || pyStrip(solution),
    });
  }
  return { format, records: records.length, items, errors };
}

/** Errors as `FILE:LINE: field: message`, the first `max` of them, then how many more. */
export function formatRecordErrors(file: string, errors: readonly RecordError[], max = 20): string[] {
  const out = errors.slice(0, max).map((e) => `${file}:${e.line}: ${e.field ? `${e.field}: ` : ''}${e.message}`);
  if (errors.length > max) out.push(`${file}: … and ${errors.length - max} more bad records`);
  return out;
}
