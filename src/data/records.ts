// Normalises one parsed source record (Video-R1, method.md §2.1; VideoP2R, §1.4.1) into a DataRecord,
// or says precisely why it cannot: the field, and a code from errors.ts. Pure: no I/O.

import { PROBLEM_TYPES, type DataRecord, type ProblemType } from './types';
import type { DataErrorCode } from './errors';

export interface RecordProblem {
  code: DataErrorCode;
  field?: string;
  message: string;
}

const TYPE_ALIASES: Record<string, ProblemType> = {
  'multiple choice': 'multiple choice',
  'multiple-choice': 'multiple choice',
  multiple_choice: 'multiple choice',
  mc: 'multiple choice',
  numerical: 'numerical',
  numeric: 'numerical',
  ocr: 'OCR',
  'free-form': 'free-form',
  'free form': 'free-form',
  freeform: 'free-form',
  free_form: 'free-form',
  regression: 'regression',
};

export function normalizeProblemType(value: string): ProblemType | null {
  return TYPE_ALIASES[value.trim().toLowerCase()] ?? null;
}

const VIDEO_EXT = /\.(mp4|webm|mkv|avi|mov|m4v|mpeg|mpg|ogv|gif)$/i;

export function dataTypeOfPath(path: string): 'image' | 'video' {
  return VIDEO_EXT.test(path) ? 'video' : 'image';
}

/** Parses a Python string literal body starting after its opening quote; returns [value, end index]. */
function pythonString(s: string, i: number, quote: string): [string, number] {
  let out = '';
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === quote) return [out, i + 1];
    if (c === '\\' && i + 1 < s.length) {
      const n = s[++i];
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
    } else out += c;
  }
  throw new Error('unterminated string');
}

/** A Python list of string literals: ['A. x', "B. it's"]. */
function pythonStringList(s: string): string[] {
  const t = s.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) throw new Error('not a list');
  const out: string[] = [];
  let i = 1;
  const end = t.length - 1;
  while (i < end) {
    const c = t[i];
    if (/[\s,]/.test(c)) {
      i++;
      continue;
    }
    if (c !== '"' && c !== "'") throw new Error(`unexpected ${c}`);
    const [value, next] = pythonString(t, i + 1, c);
    out.push(value);
    i = next;
  }
  return out;
}

/**
 * Options as a list of strings. The VideoP2R RL file stores them stringified, in an unknown
 * serialisation (method.md §1.4.1): try JSON, then a Python literal, then one option per line.
 */
export function parseOptions(value: unknown): string[] | null {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? value : value.map((v) => String(v));
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (s === '' || s === '[]') return [];
  try {
    const parsed = JSON.parse(s);
    if (Array.isArray(parsed)) return parsed.map((v) => String(v));
  } catch {
    // not JSON
  }
  try {
    return pythonStringList(s);
  } catch {
    // not a Python literal
  }
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Removes one optional wrapping tag pair (<think>…</think>) and surrounding blanks. */
export function stripTag(text: string, tag: string): string {
  const m = new RegExp(`^\\s*<${tag}>([\\s\\S]*?)</${tag}>\\s*$`).exec(text);
  return (m ? m[1] : text).trim();
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes') return true;
    if (s === 'false' || s === '0' || s === 'no') return false;
  }
  return undefined;
}

/**
 * A source value as a DataRecord. `fallbackId` names records without a problem_id. Every value may
 * be a string (the VideoP2R RL file stores all values as strings).
 */
export function normalizeRecord(value: unknown, fallbackId: string): { record: DataRecord } | { problem: RecordProblem } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: { code: 'NotAnObject', message: `Expected a JSON object, got ${Array.isArray(value) ? 'a list' : typeof value}.` } };
  const v = value as Record<string, unknown>;
  for (const field of ['problem', 'problem_type', 'solution'] as const) {
    if (v[field] === undefined || v[field] === null) return { problem: { code: 'MissingField', field, message: `The record has no '${field}'.` } };
  }
  if (typeof v.problem !== 'string') return { problem: { code: 'InvalidField', field: 'problem', message: `'problem' must be a string, got ${typeof v.problem}.` } };
  if (typeof v.problem_type !== 'string') return { problem: { code: 'InvalidField', field: 'problem_type', message: `'problem_type' must be a string.` } };
  const problemType = normalizeProblemType(v.problem_type);
  if (!problemType) return { problem: { code: 'UnknownProblemType', field: 'problem_type', message: `Unknown problem_type '${v.problem_type}' (expected one of ${PROBLEM_TYPES.join(', ')}).` } };
  const rawSolution = typeof v.solution === 'number' ? String(v.solution) : v.solution;
  if (typeof rawSolution !== 'string') return { problem: { code: 'InvalidField', field: 'solution', message: `'solution' must be a string.` } };
  const solution = /<answer>[\s\S]*?<\/answer>/.test(rawSolution) ? rawSolution.trim() : `<answer>${rawSolution.trim()}</answer>`;
  const options = parseOptions(v.options);
  if (options === null) return { problem: { code: 'InvalidField', field: 'options', message: `'options' must be a list of strings.` } };
  if (problemType === 'multiple choice' && options.length === 0) return { problem: { code: 'InvalidField', field: 'options', message: 'A multiple-choice record needs options.' } };
  const path = typeof v.path === 'string' ? v.path : '';
  const dataType = v.data_type === 'image' || v.data_type === 'video' ? v.data_type : dataTypeOfPath(path);
  let problemId: string | number = fallbackId;
  if (typeof v.problem_id === 'number') problemId = v.problem_id;
  else if (typeof v.problem_id === 'string' && v.problem_id.trim() !== '') problemId = /^\d+$/.test(v.problem_id.trim()) ? Number(v.problem_id.trim()) : v.problem_id.trim();

  const record: DataRecord = {
    problem_id: problemId,
    problem: v.problem,
    problem_type: problemType,
    options,
    solution,
    data_type: dataType,
    path,
    data_source: typeof v.data_source === 'string' ? v.data_source : '',
  };
  if (typeof v.observation === 'string') record.observation = stripTag(v.observation, 'observation');
  if (typeof v.process === 'string') record.process = stripTag(v.process, 'think');
  if (typeof v.answer === 'string' || typeof v.answer === 'number') record.answer = String(v.answer);
  const reward = asNumber(v.reward);
  if (reward !== undefined) record.reward = reward;
  const select = asBoolean(v.select);
  if (select !== undefined) record.select = select;
  if (Array.isArray(v.facts)) record.facts = v.facts as DataRecord['facts'];
  if (typeof v.output === 'string' && v.output.trim() !== '') record.output = v.output;
  else if (record.observation !== undefined && record.process !== undefined) record.output = `<observation>${record.observation}</observation> <think>${record.process}</think>${solution}`;
  else if (record.process !== undefined) record.output = `<think>${record.process}</think>\n${solution}`; // Video-R1 SFT target: process + "\n" + solution
  return { record };
}
