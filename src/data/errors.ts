// Named errors of the dataset layer: a stable `code` and a one-line hint, mapped to messages in one
// place (DATA_HINTS). Import issues (a bad record) reuse the same codes but are reported, not thrown.

export type DataErrorCode =
  | 'StorageUnavailable'
  | 'QuotaExceeded'
  | 'StorageFailed'
  | 'DatasetNotFound'
  | 'ChecksumMismatch'
  | 'ShardCorrupt'
  | 'ImportCancelled'
  | 'SourceMismatch'
  | 'SourceUnreadable'
  | 'InvalidJson'
  | 'NotAnObject'
  | 'MissingField'
  | 'InvalidField'
  | 'UnknownProblemType'
  | 'MediaMissing'
  | 'MediaUndecodable'
  | 'DecompressionFailed';

export const DATA_HINTS: Record<DataErrorCode, string> = {
  StorageUnavailable: 'IndexedDB is unavailable (private window or blocked storage): allow site data for this origin.',
  QuotaExceeded:
    'The browser refused to store more data: free space (delete a dataset), request persistent storage, or import fewer frames per sample. Everything up to the last complete shard is kept.',
  StorageFailed: 'An IndexedDB transaction failed: the dataset is as it was after its last complete shard; retry the import to resume.',
  DatasetNotFound: 'No dataset with this id is stored: it may have been deleted in another tab.',
  ChecksumMismatch: 'A shard no longer matches its SHA-256: delete the dataset and import it again.',
  ShardCorrupt: 'A shard could not be decoded: delete the dataset and import it again.',
  ImportCancelled: 'The import was cancelled: the complete shards are kept and the import can resume.',
  SourceMismatch: 'The files picked to resume differ from the ones the import started with: pick the same files.',
  SourceUnreadable:
    'A picked file could not be read (moved, deleted or changed since it was picked, or on a drive that went away): pick it again and resume. The complete shards are kept.',
  InvalidJson: 'The record is not valid JSON: check the line for a truncated or hand-edited record.',
  NotAnObject: 'The record is not a JSON object.',
  MissingField: 'A required field (problem, problem_type or solution) is missing.',
  InvalidField: 'A field has the wrong type.',
  UnknownProblemType: "problem_type must be one of 'multiple choice', 'numerical', 'OCR', 'free-form', 'regression'.",
  MediaMissing: "The record's path is not in the picked media folder: pick the folder that contains the dataset's media.",
  MediaUndecodable: 'The browser could not decode this media file (codec not supported, or the file is damaged).',
  DecompressionFailed: 'The file is not valid gzip: VideoP2R parts end in .json.gz and must not be unpacked twice.',
};

export class DataError extends Error {
  readonly hint: string;
  constructor(
    readonly code: DataErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
    this.hint = DATA_HINTS[code];
  }
}

export function dataError(code: DataErrorCode, message: string): DataError {
  return new DataError(code, message);
}

/** True for the DOMException browsers (and fake-indexeddb) raise when the origin's quota is full. */
export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

/** Turns any storage failure into a DataError, naming what was being written. */
export function storageError(e: unknown, what: string): DataError {
  if (e instanceof DataError) return e;
  const message = (e as Error)?.message ?? String(e);
  if (isQuotaError(e)) return dataError('QuotaExceeded', `Storage quota exceeded while writing ${what}: ${message}`);
  return dataError('StorageFailed', `Writing ${what} failed: ${message}`);
}

/** The UI's view of any error: code, message and hint. */
export function describeError(e: unknown): { code: string; message: string; hint: string } {
  if (e instanceof DataError) return { code: e.code, message: e.message, hint: e.hint };
  const err = e as Error;
  return { code: err?.name ?? 'Error', message: err?.message ?? String(e), hint: '' };
}
