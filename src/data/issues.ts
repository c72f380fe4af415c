// The issue report of an import: every issue (skipped record, or record kept without media) as one
// JSON Lines row with file, line, id, field, code, message and action, so a user can fix the source
// file. The page reads it from the issue store (db.ts); the CLI (scripts/dataset.ts) writes the same
// rows as it imports.

import type { DatasetManifest, ImportIssue } from './types';
import { countIssues, getIssues, type DataDb } from './db';

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

const PAGE = 2000;

/**
 * Every issue of a dataset as report lines, in source order, read page by page. Datasets imported
 * before the issue store existed (database version 2) have only the manifest's sample: that is
 * what they report.
 */
export async function* issueReportLines(db: DataDb, m: DatasetManifest): AsyncGenerator<string> {
  if ((await countIssues(db, m.id)) === 0) {
    for (const i of m.progress.issues) yield issueReportLine(i);
    return;
  }
  let from = 0;
  for (;;) {
    const page = await getIssues(db, m.id, { fromRecord: from, limit: PAGE });
    for (const i of page) yield issueReportLine(i);
    if (page.length < PAGE) return;
    from = page[page.length - 1].record + 1;
  }
}
