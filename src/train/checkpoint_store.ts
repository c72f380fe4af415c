// Checkpoints that survive a reload: the serialized checkpoint (safetensors bytes + JSON config, see
// checkpoint.ts) in IndexedDB, in this module's own database ('p2r-checkpoints'), through one typed
// idb schema with an upgrade ladder.
//
// Atomicity: a save is ONE readwrite transaction over both stores that puts the checkpoint record and
// then flips the run's `latest` pointer (and prunes beyond the last K). IndexedDB commits a transaction
// whole or not at all, so a crash, a closed tab, a quota error or an exception mid-write leaves the
// previous checkpoint as `latest`, untouched. Everything asynchronous that is not IndexedDB (hashing)
// happens before the transaction opens, since awaiting anything else would let it auto-commit.
// The checkpoint's tensors are copied (serialized) before save() first yields, so a training step that
// goes on mutating, or fails and leaves NaN in, the live parameters never reaches a stored checkpoint;
// and every load checks the SHA-256, falling back to an older checkpoint when the newest is damaged.

import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import {
  CheckpointError,
  parseCheckpoint,
  readCheckpointConfig,
  serializeCheckpoint,
  sha256Hex,
  type Checkpoint,
} from './checkpoint';

export const CHECKPOINT_DB_NAME = 'p2r-checkpoints';
const DB_VERSION = 1;
/** Checkpoints kept per run unless save() is told otherwise. */
export const DEFAULT_KEEP = 3;

export interface CheckpointRecord {
  runId: string;
  step: number;
  savedAt: number;
  /** Why it was written: 'interval', 'pause', 'import', ... (free text for the UI). */
  reason: string;
  sha256: string;
  bytes: number;
  safetensors: Uint8Array;
  /** The JSON config file's text. */
  config: string;
}

export interface CheckpointEntry {
  step: number;
  savedAt: number;
  reason: string;
  bytes: number;
  sha256: string;
}

export interface RunRecord {
  runId: string;
  /** The `latest` pointer: the step of the checkpoint written last (not necessarily the highest step). */
  latest: number;
  /** Stored checkpoints, oldest written first; the last one is `latest`. */
  entries: CheckpointEntry[];
  /** The latest checkpoint's user metadata (mode, preset, seed, ...), for a resume prompt. */
  metadata: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

export interface CheckpointSchema extends DBSchema {
  /** Key [runId, step]. */
  checkpoints: { key: [string, number]; value: CheckpointRecord };
  /** Key runId: the latest pointer and the list of kept checkpoints. */
  runs: { key: string; value: RunRecord };
}

export type CheckpointStoreErrorCode = 'Unavailable' | 'QuotaExceeded' | 'WriteFailed' | 'NotFound' | 'Corrupt';

const HINTS: Record<CheckpointStoreErrorCode, string> = {
  Unavailable: 'IndexedDB is unavailable (private window or blocked site data): allow site data for this origin, or export checkpoints to files.',
  QuotaExceeded: 'The browser refused to store more data: delete old runs or datasets, keep fewer checkpoints per run, or export this one to files. The previous checkpoint is intact.',
  WriteFailed: 'The checkpoint was not written; the previous checkpoint is intact and still the latest.',
  NotFound: 'No such run or checkpoint is stored: it may have been deleted in another tab.',
  Corrupt: 'No stored checkpoint of this run passes its SHA-256 check: start the run again or import an exported checkpoint.',
};

export class CheckpointStoreError extends Error {
  readonly hint: string;
  constructor(
    readonly code: CheckpointStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = code === 'QuotaExceeded' ? 'CheckpointQuotaExceededError' : 'CheckpointStoreError';
    this.hint = HINTS[code];
  }
}

function isQuota(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

function storeError(e: unknown, what: string): CheckpointStoreError {
  if (e instanceof CheckpointStoreError) return e;
  const msg = (e as Error | null)?.message ?? String(e);
  if (isQuota(e)) return new CheckpointStoreError('QuotaExceeded', `Storage quota exceeded while ${what}: ${msg}`, { cause: e });
  return new CheckpointStoreError('WriteFailed', `IndexedDB failed while ${what}: ${msg}`, { cause: e });
}

export interface SaveOptions {
  /** Checkpoints to keep for this run, counting this one (at least 1). */
  keep?: number;
  reason?: string;
  /**
   * Fault injection for tests: called inside the transaction after the checkpoint record is put, and
   * after the latest pointer is flipped. Throwing aborts the transaction, as a crash there would.
   */
  faults?: { afterRecordPut?: () => void; afterPointerFlip?: () => void };
}

export interface RunSummary {
  runId: string;
  latestStep: number;
  steps: number[];
  latestSavedAt: number;
  latestBytes: number;
  metadata: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

export interface LoadedCheckpoint {
  checkpoint: Checkpoint;
  step: number;
  savedAt: number;
  /** Newer checkpoints that failed their check and were passed over (newest first). */
  skipped: { step: number; error: string }[];
}

const runRange = (runId: string) => IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]);

export class CheckpointStore {
  private constructor(private readonly db: IDBPDatabase<CheckpointSchema>) {}

  /** Opens (creating or upgrading) the checkpoint database. */
  static async open(name = CHECKPOINT_DB_NAME): Promise<CheckpointStore> {
    if (typeof indexedDB === 'undefined') throw new CheckpointStoreError('Unavailable', 'indexedDB is not defined in this context');
    let db: IDBPDatabase<CheckpointSchema>;
    try {
      db = await openDB<CheckpointSchema>(name, DB_VERSION, {
        upgrade(db, oldVersion) {
          if (oldVersion < 1) {
            db.createObjectStore('checkpoints', { keyPath: ['runId', 'step'] });
            db.createObjectStore('runs', { keyPath: 'runId' });
          }
          // Later versions: `if (oldVersion < 2) { … }`, never editing a step above.
        },
        blocking() {
          // Another tab wants a newer schema: let it upgrade.
          db.close();
        },
      });
    } catch (e) {
      throw new CheckpointStoreError('Unavailable', `Could not open IndexedDB '${name}': ${(e as Error)?.message ?? e}`, { cause: e });
    }
    return new CheckpointStore(db);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Saves a checkpoint (or an already serialized/imported one, whose SHA-256 is checked first) as the
   * run's latest, atomically, keeping the last `keep` written. Resolves once the transaction committed.
   */
  async save(runId: string, ckpt: Checkpoint | { safetensors: Uint8Array; config: string }, options: SaveOptions = {}): Promise<CheckpointEntry> {
    const keep = Math.max(1, Math.floor(options.keep ?? DEFAULT_KEEP));
    let safetensors: Uint8Array;
    let config: string;
    let sha256: string;
    let step: number;
    let metadata: Record<string, string>;
    if ('tensors' in ckpt) {
      const s = await serializeCheckpoint(ckpt);
      ({ safetensors, config, sha256, step } = s);
      metadata = { ...ckpt.metadata };
    } else {
      const cfg = readCheckpointConfig(ckpt.config);
      safetensors = ckpt.safetensors.slice();
      config = ckpt.config;
      sha256 = await sha256Hex(safetensors);
      if (safetensors.length !== cfg.safetensors.bytes || sha256 !== cfg.safetensors.sha256)
        throw new CheckpointError('ChecksumMismatch', `the safetensors bytes do not match their config (size ${safetensors.length} vs ${cfg.safetensors.bytes}, or SHA-256): not saved`);
      step = cfg.step;
      metadata = cfg.metadata;
    }
    const now = Date.now();
    const entry: CheckpointEntry = { step, savedAt: now, reason: options.reason ?? 'manual', bytes: safetensors.length, sha256 };
    const record: CheckpointRecord = { runId, ...entry, safetensors, config };

    const tx = this.db.transaction(['checkpoints', 'runs'], 'readwrite');
    const what = `saving step ${step} of run '${runId}' (${(safetensors.length / 2 ** 20).toFixed(1)} MiB)`;
    try {
      const runs = tx.objectStore('runs');
      const checkpoints = tx.objectStore('checkpoints');
      const prev = await runs.get(runId);
      await checkpoints.put(record);
      options.faults?.afterRecordPut?.();
      const entries = [...(prev?.entries ?? []).filter((e) => e.step !== step), entry];
      const dropped = entries.splice(0, Math.max(0, entries.length - keep));
      await runs.put({ runId, latest: step, entries, metadata, createdAt: prev?.createdAt ?? now, updatedAt: now });
      options.faults?.afterPointerFlip?.();
      for (const d of dropped) await checkpoints.delete([runId, d.step]);
      await tx.done;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // already aborted or finished
      }
      await tx.done.catch(() => undefined);
      throw storeError(isQuota(tx.error) ? tx.error : e, what);
    }
    return entry;
  }

  /** Every run with a stored checkpoint, most recently updated first: what a reload offers to resume. */
  async listRuns(): Promise<RunSummary[]> {
    const runs = await this.db.getAll('runs');
    return runs
      .map((r) => {
        const last = r.entries[r.entries.length - 1];
        return {
          runId: r.runId,
          latestStep: r.latest,
          steps: r.entries.map((e) => e.step),
          latestSavedAt: last?.savedAt ?? r.updatedAt,
          latestBytes: last?.bytes ?? 0,
          metadata: r.metadata,
          createdAt: r.createdAt,
          updatedAt: r.updatedAt,
        };
      })
      .sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** The stored files of one checkpoint (the latest when no step is given), undecoded: for export. */
  async loadSerialized(runId: string, step?: number): Promise<{ safetensors: Uint8Array; config: string; step: number }> {
    const s = step ?? (await this.db.get('runs', runId))?.latest;
    const rec = s === undefined ? undefined : await this.db.get('checkpoints', [runId, s]);
    if (!rec) throw new CheckpointStoreError('NotFound', `No checkpoint${step === undefined ? '' : ` at step ${step}`} is stored for run '${runId}'`);
    return { safetensors: rec.safetensors, config: rec.config, step: rec.step };
  }

  /** One checkpoint, checked (size, SHA-256, layout) and decoded. */
  async load(runId: string, step: number): Promise<Checkpoint> {
    const rec = await this.db.get('checkpoints', [runId, step]);
    if (!rec) throw new CheckpointStoreError('NotFound', `No checkpoint at step ${step} is stored for run '${runId}'`);
    return parseCheckpoint(rec.safetensors, rec.config);
  }

  /**
   * The run's latest checkpoint that passes its checks, trying older ones when the newest is damaged
   * (reported in `skipped`); null when the run has none.
   */
  async loadLatest(runId: string): Promise<LoadedCheckpoint | null> {
    const run = await this.db.get('runs', runId);
    if (!run || run.entries.length === 0) return null;
    const skipped: LoadedCheckpoint['skipped'] = [];
    for (const e of [...run.entries].reverse()) {
      try {
        return { checkpoint: await this.load(runId, e.step), step: e.step, savedAt: e.savedAt, skipped };
      } catch (err) {
        if (!(err instanceof CheckpointError) && !(err instanceof CheckpointStoreError && err.code === 'NotFound')) throw err;
        skipped.push({ step: e.step, error: (err as Error).message });
      }
    }
    throw new CheckpointStoreError(
      'Corrupt',
      `None of the ${run.entries.length} checkpoints of run '${runId}' can be loaded: ${skipped.map((s) => `step ${s.step}: ${s.error}`).join('; ')}`,
    );
  }

  /** Deletes one checkpoint; when it was the latest, the pointer moves to the one written before it. */
  async deleteCheckpoint(runId: string, step: number): Promise<void> {
    const tx = this.db.transaction(['checkpoints', 'runs'], 'readwrite');
    try {
      const run = await tx.objectStore('runs').get(runId);
      await tx.objectStore('checkpoints').delete([runId, step]);
      if (run) {
        const entries = run.entries.filter((e) => e.step !== step);
        if (entries.length === 0) await tx.objectStore('runs').delete(runId);
        else await tx.objectStore('runs').put({ ...run, entries, latest: entries[entries.length - 1].step, updatedAt: Date.now() });
      }
      await tx.done;
    } catch (e) {
      await tx.done.catch(() => undefined);
      throw storeError(e, `deleting step ${step} of run '${runId}'`);
    }
  }

  /** Deletes a run and all its checkpoints. */
  async deleteRun(runId: string): Promise<void> {
    const tx = this.db.transaction(['checkpoints', 'runs'], 'readwrite');
    try {
      await tx.objectStore('checkpoints').delete(runRange(runId));
      await tx.objectStore('runs').delete(runId);
      await tx.done;
    } catch (e) {
      await tx.done.catch(() => undefined);
      throw storeError(e, `deleting run '${runId}'`);
    }
  }

  /** Steps of the checkpoint records actually stored for a run (a consistency check for tests and the UI). */
  async storedSteps(runId: string): Promise<number[]> {
    const keys = await this.db.getAllKeys('checkpoints', runRange(runId));
    return keys.map((k) => k[1]);
  }
}
