// Shared pieces of the importers: what one returns, and the column split every tabular format uses
// (numeric columns are rewards, everything unknown is kept in `extra`: inspector.md §3.7 importer rules).

import type { DraftRollout, Rollout, SourceFormat } from '../record';

export interface ImportResult {
  format: SourceFormat;
  rollouts: Rollout[];
  warnings: string[];
  /** Every column / key seen in the source, known and unknown. */
  columns: string[];
  /** Every line of a JSON Lines file that was left out: not JSON, or not a JSON object. */
  badLines: { file: string; line: number; reason: string }[];
}

/** One file parsed into draft rows; drafts of all files of a run are grouped together. */
export interface ParsedFile {
  format: SourceFormat;
  drafts: DraftRollout[];
  warnings: string[];
  columns: string[];
  /** The group key is already an id (inspect sample id): use it as is. */
  keepGroupKey?: boolean;
  /** Lines left out (JSON Lines only): not JSON, or not a JSON object. */
  badLines?: { line: number; reason: string }[];
}

export interface ImportOptions {
  runId: string;
  /** Default split when the source does not say; verl dumps under a 'val…' directory are validation. */
  split?: 'train' | 'val';
}

/** Numbers, booleans (as 0/1) and numeric-looking NaN are rewards; bigint too. */
export function asRewardNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

/** Splits a flat row into numeric rewards and other extra columns, skipping `known` keys. */
export function splitColumns(row: Record<string, unknown>, known: ReadonlySet<string>): { rewards: Record<string, number>; extra: Record<string, unknown> } {
  const rewards: Record<string, number> = {};
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (known.has(k)) continue;
    const n = asRewardNumber(v);
    if (n !== null) rewards[k] = n;
    else extra[k] = v;
  }
  return { rewards, extra };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function toStep(v: unknown, fallback: number): number {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : fallback;
}

/** A step number from a file name such as `42.jsonl` or `completions_00042.parquet`. */
export function stepFromFileName(name: string): number | null {
  const base = name.split(/[\\/]/).pop() ?? name;
  const m = /(\d+)\.[a-z.]+$/i.exec(base);
  return m ? Number(m[1]) : null;
}

export function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of rows.slice(0, 1000)) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

export class ImportError extends Error {
  readonly code = 'ImportFailed';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ImportError';
  }
}
