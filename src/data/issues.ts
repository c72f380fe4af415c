// The issue report of an import: every issue (skipped record, or record kept without media) as one
// JSON Lines row with file, line, id, field, code, message and action, so a user can fix the source
// file. The page reads it from the issue store (db.ts); the CLI (scripts/dataset.ts) writes the same
// rows as it imports.

import type { DatasetManifest, ImportIssue } from './types';
import { getIssues, hasStoredIssues, issueChunks, type DataDb } from './db';

/** One report row: fixed key order, null for what the issue does not have. */
export function issueReportRow(i: ImportIssue): { file: string; line: number | null; id: string | null; field: string | null; code: string; message: string; action: ImportIssue['action'] } {
  return { file: i.file, line: i.line ?? null, id: i.problemId ?? null, field: i.field ?? null, code: i.code, message: i.message, action: i.action };
}

export function issueReportLine(i: ImportIssue): string {
  return JSON.stringify(issueReportRow(i));
}

/** A page of a dataset's stored issues, optionally of one code. */
export function readIssues(db: DataDb, datasetId: string, opts: { code?: string; offset?: number; limit?: number } = {}): Promise<ImportIssue[]> {
  return getIssues(db, datasetId, opts);
}

/**
 * Every issue of a dataset as report lines, in source order. Datasets imported before the issue
 * store existed (database version 2) have only the manifest's sample: that is what they report.
 */
export async function* issueReportLines(db: DataDb, m: DatasetManifest): AsyncGenerator<string> {
  if (!(await hasStoredIssues(db, m.id))) {
    for (const i of m.progress.issues) yield issueReportLine(i);
    return;
  }
  for await (const chunk of issueChunks(db, m.id)) for (const i of chunk) yield issueReportLine(i);
}
